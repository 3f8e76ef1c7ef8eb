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

// teamRow names a team's row: $1 the team, $5 its tenant.
const teamRow = ` WHERE tenant_id = $5 AND team_id = $1`

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
			VALUES ($1, $3, $4, $5, $6, $6, $2) ON CONFLICT (tenant_id, team_id) DO NOTHING`,
			ev.TeamID, v, ev.TenantID, ev.Name, ev.Greeting, at)
	case eventschema.TeamRenamed:
		return db.Exec(ctx, `UPDATE teams SET name = $3, updated_at = $4, version = $2`+teamRow+teamGuard,
			ev.TeamID, v, ev.Name, at, ev.TenantID)
	case eventschema.TeamGreetingChanged:
		return db.Exec(ctx, `UPDATE teams SET greeting = $3, updated_at = $4, version = $2`+teamRow+teamGuard,
			ev.TeamID, v, ev.Greeting, at, ev.TenantID)
	case eventschema.TeamTimePlanBound:
		var plan *uuid.UUID
		if ev.PlanID != uuid.Nil {
			plan = &ev.PlanID
		}
		return db.Exec(ctx, `UPDATE teams SET plan_id = $3, updated_at = $4, version = $2`+teamRow+teamGuard,
			ev.TeamID, v, plan, at, ev.TenantID)
	case eventschema.TeamMembersUpdated:
		// Members first, while the team row still shows the older version.
		if err := db.Exec(ctx, `
			INSERT INTO team_members (team_id, agent_id, tenant_id, added_at)
			SELECT t.team_id, a, t.tenant_id, $4 FROM teams t, unnest($3::uuid[]) AS a
			WHERE t.tenant_id = $5 AND t.team_id = $1 AND t.version < $2
			ON CONFLICT DO NOTHING`, ev.TeamID, v, ev.Added, at, ev.TenantID); err != nil {
			return err
		}
		if err := db.Exec(ctx, `
			DELETE FROM team_members WHERE tenant_id = $4 AND team_id = $1 AND agent_id = ANY($3)
			AND EXISTS (SELECT 1 FROM teams WHERE tenant_id = $4 AND team_id = $1 AND version < $2)`, ev.TeamID, v, ev.Removed, ev.TenantID); err != nil {
			return err
		}
		return db.Exec(ctx, `UPDATE teams SET updated_at = $3, version = $2 WHERE tenant_id = $4 AND team_id = $1`+teamGuard, ev.TeamID, v, at, ev.TenantID)
	case eventschema.TeamDeleted:
		if err := db.Exec(ctx, `DELETE FROM team_members WHERE tenant_id = $3 AND team_id = $1
			AND EXISTS (SELECT 1 FROM teams WHERE tenant_id = $3 AND team_id = $1 AND version < $2)`, ev.TeamID, v, ev.TenantID); err != nil {
			return err
		}
		return db.Exec(ctx, `UPDATE teams SET deleted = true, updated_at = $3, version = $2 WHERE tenant_id = $4 AND team_id = $1`+teamGuard, ev.TeamID, v, at, ev.TenantID)
	case eventschema.AgentRemoved:
		return db.Exec(ctx, `DELETE FROM team_members WHERE agent_id = $1 AND tenant_id = $2`, ev.AgentID, ev.TenantID)
	}
	return nil
}

// EventTypes implements Selective.
func (*Teams) EventTypes() []string { return typesOf(teamEvents) }
