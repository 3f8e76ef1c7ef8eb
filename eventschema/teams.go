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

// RatingOptions are the rating choices a customer is offered (seed 002,
// "Rating options"): per star level a text prompt and labels. A star with
// labels is rated only with at least one of them.
type RatingOptions struct {
	Stars []RatingStar `json:"stars"`
}

// RatingStar is one star level's prompt and labels.
type RatingStar struct {
	Stars  int      `json:"stars" jsonschema:"minimum=1,maximum=5"`
	Prompt string   `json:"prompt" jsonschema:"maxLength=50"`
	Labels []string `json:"labels"`
}

// TeamRatingOptionsSet records the team's own rating options (seed 001:
// "set satisfaction evaluation scheme by skill group and global
// dimension"); nil Options: the tenant's rating.options apply.
type TeamRatingOptionsSet struct {
	TenantID uuid.UUID      `json:"tenant_id"`
	TeamID   uuid.UUID      `json:"team_id"`
	Options  *RatingOptions `json:"options"`
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
	Register[TeamRatingOptionsSet](r, "TeamRatingOptionsSet", 1)
	Register[TeamDeleted](r, "TeamDeleted", 1)
}
