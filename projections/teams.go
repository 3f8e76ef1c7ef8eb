package projections

import (
	"context"

	"github.com/google/uuid"

	"supportd/eventschema"
	"supportd/readmodels"
)

// Teams projects the team streams into the teams and team_members read
// models (readmodels/teams.go). It also drops the memberships of users
// removed from the tenant's roster, so a removed user belongs to no team.
type Teams struct {
	reg *eventschema.Registry
}

// NewTeams returns the teams projector.
func NewTeams(reg *eventschema.Registry) *Teams { return &Teams{reg: reg} }

// Name implements Projector.
func (*Teams) Name() string { return "teams" }

// Tables implements Projector.
func (*Teams) Tables() []string {
	return []string{readmodels.TeamsTable, readmodels.TeamMembersTable}
}

var teamEvents = map[string]bool{
	"TeamCreated": true, "TeamRenamed": true, "TeamGreetingChanged": true, "TeamTimePlanBound": true,
	"TeamMembersUpdated": true, "TeamDeleted": true, "AgentRemoved": true,
}

// teamGuard keeps a replayed older event of a team stream from changing
// anything: statements apply only while the row is behind the event.
const teamGuard = ` AND version < $2`

// Apply implements Projector.
func (p *Teams) Apply(ctx context.Context, db DB, e eventschema.Envelope) error {
	if !teamEvents[e.Type] {
		return nil
	}
	payload, err := p.reg.Decode(e)
	if err != nil {
		return err
	}
	v, at := int64(e.StreamVersion), occurredAt(e)
	switch ev := payload.(type) {
	case eventschema.TeamCreated:
		return db.Exec(ctx, `
			INSERT INTO teams (team_id, tenant_id, name, greeting, created_at, updated_at, version)
			VALUES ($1, $3, $4, $5, $6, $6, $2) ON CONFLICT (team_id) DO NOTHING`,
			ev.TeamID, v, ev.TenantID, ev.Name, ev.Greeting, at)
	case eventschema.TeamRenamed:
		return db.Exec(ctx, `UPDATE teams SET name = $3, updated_at = $4, version = $2 WHERE team_id = $1`+teamGuard,
			ev.TeamID, v, ev.Name, at)
	case eventschema.TeamGreetingChanged:
		return db.Exec(ctx, `UPDATE teams SET greeting = $3, updated_at = $4, version = $2 WHERE team_id = $1`+teamGuard,
			ev.TeamID, v, ev.Greeting, at)
	case eventschema.TeamTimePlanBound:
		var plan *uuid.UUID
		if ev.PlanID != uuid.Nil {
			plan = &ev.PlanID
		}
		return db.Exec(ctx, `UPDATE teams SET plan_id = $3, updated_at = $4, version = $2 WHERE team_id = $1`+teamGuard,
			ev.TeamID, v, plan, at)
	case eventschema.TeamMembersUpdated:
		// Members first, while the team row still shows the older version.
		if err := db.Exec(ctx, `
			INSERT INTO team_members (team_id, agent_id, tenant_id, added_at)
			SELECT t.team_id, a, t.tenant_id, $4 FROM teams t, unnest($3::uuid[]) AS a
			WHERE t.team_id = $1 AND t.version < $2
			ON CONFLICT DO NOTHING`, ev.TeamID, v, ev.Added, at); err != nil {
			return err
		}
		if err := db.Exec(ctx, `
			DELETE FROM team_members WHERE team_id = $1 AND agent_id = ANY($3)
			AND EXISTS (SELECT 1 FROM teams WHERE team_id = $1 AND version < $2)`, ev.TeamID, v, ev.Removed); err != nil {
			return err
		}
		return db.Exec(ctx, `UPDATE teams SET updated_at = $3, version = $2 WHERE team_id = $1`+teamGuard, ev.TeamID, v, at)
	case eventschema.TeamDeleted:
		if err := db.Exec(ctx, `DELETE FROM team_members WHERE team_id = $1
			AND EXISTS (SELECT 1 FROM teams WHERE team_id = $1 AND version < $2)`, ev.TeamID, v); err != nil {
			return err
		}
		return db.Exec(ctx, `UPDATE teams SET deleted = true, updated_at = $3, version = $2 WHERE team_id = $1`+teamGuard, ev.TeamID, v, at)
	case eventschema.AgentRemoved:
		return db.Exec(ctx, `DELETE FROM team_members WHERE agent_id = $1 AND tenant_id = $2`, ev.AgentID, ev.TenantID)
	}
	return nil
}

// EventTypes implements Selective.
func (*Teams) EventTypes() []string { return typesOf(teamEvents) }
