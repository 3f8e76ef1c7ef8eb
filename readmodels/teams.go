package readmodels

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Tables of the teams read model, written by the "teams" projector.
const (
	TeamsTable       = "teams"
	TeamMembersTable = "team_members"
)

// Team is one team as the consoles list it.
type Team struct {
	TeamID   uuid.UUID `json:"team_id"`
	Name     string    `json:"name"`
	Greeting string    `json:"greeting"`
	// PlanID is the bound time plan; nil: the tenant's default applies.
	PlanID      *uuid.UUID `json:"plan_id"`
	MemberCount int        `json:"member_count"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	// Version is the team stream's version, usable as If-Match.
	Version uint64 `json:"version"`
}

const teamColumns = `t.team_id, t.name, t.greeting, t.plan_id,
	(SELECT count(*) FROM team_members m WHERE m.tenant_id = t.tenant_id AND m.team_id = t.team_id), t.created_at, t.updated_at, t.version`

func scanTeam(r pgx.Row) (Team, error) {
	var (
		t Team
		v int64
	)
	err := r.Scan(&t.TeamID, &t.Name, &t.Greeting, &t.PlanID, &t.MemberCount, &t.CreatedAt, &t.UpdatedAt, &v)
	t.Version = uint64(v)
	return t, err
}

// ListTeams lists a tenant's teams by name. only, when not nil, restricts
// the list to those teams (a team-scoped user's own).
func ListTeams(ctx context.Context, q Querier, tenantID uuid.UUID, only []uuid.UUID) ([]Team, error) {
	sql := `SELECT ` + teamColumns + ` FROM teams t WHERE t.tenant_id = $1 AND NOT t.deleted`
	args := []any{tenantID}
	if only != nil {
		sql += ` AND t.team_id = ANY($2)`
		args = append(args, only)
	}
	rows, err := q.Query(ctx, sql+` ORDER BY lower(t.name), t.team_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Team, error) { return scanTeam(r) })
	if err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	if out == nil {
		out = []Team{}
	}
	return out, nil
}

// GetTeam returns a team of the tenant, or ErrNotFound.
func GetTeam(ctx context.Context, q Querier, tenantID, teamID uuid.UUID) (Team, error) {
	t, err := scanTeam(q.QueryRow(ctx, `SELECT `+teamColumns+` FROM teams t
		WHERE t.tenant_id = $1 AND t.team_id = $2 AND NOT t.deleted`, tenantID, teamID))
	if errors.Is(err, pgx.ErrNoRows) {
		return Team{}, fmt.Errorf("team %s: %w", teamID, ErrNotFound)
	}
	if err != nil {
		return Team{}, fmt.Errorf("team %s: %w", teamID, err)
	}
	return t, nil
}

// TeamNames returns the names of a tenant's teams by ID.
func TeamNames(ctx context.Context, q Querier, tenantID uuid.UUID) (map[uuid.UUID]string, error) {
	rows, err := q.Query(ctx, `SELECT team_id, name FROM teams WHERE tenant_id = $1 AND NOT deleted`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("team names: %w", err)
	}
	defer rows.Close()
	out := map[uuid.UUID]string{}
	for rows.Next() {
		var (
			id   uuid.UUID
			name string
		)
		if err := rows.Scan(&id, &name); err != nil {
			return nil, fmt.Errorf("team names: %w", err)
		}
		out[id] = name
	}
	return out, rows.Err()
}

// TeamMemberIDs returns the agents of a team.
func TeamMemberIDs(ctx context.Context, q Querier, tenantID, teamID uuid.UUID) ([]uuid.UUID, error) {
	return uuids(ctx, q, `SELECT agent_id FROM team_members WHERE tenant_id = $1 AND team_id = $2 ORDER BY agent_id`, tenantID, teamID)
}

// TeamsOf returns the teams a user belongs to, for team-scoped roles.
func TeamsOf(ctx context.Context, q Querier, tenantID, agentID uuid.UUID) ([]uuid.UUID, error) {
	return uuids(ctx, q, `SELECT team_id FROM team_members WHERE agent_id = $1 AND tenant_id = $2 ORDER BY team_id`, agentID, tenantID)
}

// TeamsBoundTo returns the teams bound to a time plan.
func TeamsBoundTo(ctx context.Context, q Querier, tenantID, planID uuid.UUID) ([]uuid.UUID, error) {
	return uuids(ctx, q, `SELECT team_id FROM teams WHERE tenant_id = $1 AND plan_id = $2 AND NOT deleted ORDER BY team_id`, tenantID, planID)
}

// AgentsBoundTo lists the agents whose personal time plan is planID.
func AgentsBoundTo(ctx context.Context, q Querier, tenantID, planID uuid.UUID) ([]uuid.UUID, error) {
	return uuids(ctx, q, `SELECT agent_id FROM agents WHERE tenant_id = $1 AND plan_id = $2 ORDER BY agent_id`, tenantID, planID)
}

func uuids(ctx context.Context, q Querier, sql string, args ...any) ([]uuid.UUID, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []uuid.UUID{}
	}
	return out, nil
}
