package eventschema

import "github.com/google/uuid"

// Team events live in stream "team-{team id}".

// TeamCreated records a new team of agents with similar skills.
type TeamCreated struct {
	TenantID uuid.UUID `json:"tenant_id"`
	TeamID   uuid.UUID `json:"team_id"`
	Name     string    `json:"name" jsonschema:"minLength=1,maxLength=100"`
	// Greeting is sent when a conversation of the team is picked up;
	// "##dear##" stands for the customer's name.
	Greeting string `json:"greeting"`
}

// TeamRenamed records a team's new name.
type TeamRenamed struct {
	TenantID uuid.UUID `json:"tenant_id"`
	TeamID   uuid.UUID `json:"team_id"`
	Name     string    `json:"name" jsonschema:"minLength=1,maxLength=100"`
	Previous string    `json:"previous"`
}

// TeamGreetingChanged records a team's new greeting ("" sends none).
type TeamGreetingChanged struct {
	TenantID uuid.UUID `json:"tenant_id"`
	TeamID   uuid.UUID `json:"team_id"`
	Greeting string    `json:"greeting"`
}

// TeamTimePlanBound records the time plan whose working hours are the
// team's. The nil UUID means none: the tenant's default plan applies.
type TeamTimePlanBound struct {
	TenantID uuid.UUID `json:"tenant_id"`
	TeamID   uuid.UUID `json:"team_id"`
	PlanID   uuid.UUID `json:"plan_id"`
	Previous uuid.UUID `json:"previous"`
}

// TeamMembersUpdated records one batch update of a team's members: the
// agents added and the agents removed, each list sorted.
type TeamMembersUpdated struct {
	TenantID uuid.UUID   `json:"tenant_id"`
	TeamID   uuid.UUID   `json:"team_id"`
	Added    []uuid.UUID `json:"added"`
	Removed  []uuid.UUID `json:"removed"`
}

// TeamDeleted records the removal of a team; its members belong to it no
// longer.
type TeamDeleted struct {
	TenantID uuid.UUID `json:"tenant_id"`
	TeamID   uuid.UUID `json:"team_id"`
	Name     string    `json:"name"`
}

func registerTeams(r *Registry) {
	Register[TeamCreated](r, "TeamCreated", 1)
	Register[TeamRenamed](r, "TeamRenamed", 1)
	Register[TeamGreetingChanged](r, "TeamGreetingChanged", 1)
	Register[TeamTimePlanBound](r, "TeamTimePlanBound", 1)
	Register[TeamMembersUpdated](r, "TeamMembersUpdated", 1)
	Register[TeamDeleted](r, "TeamDeleted", 1)
}
