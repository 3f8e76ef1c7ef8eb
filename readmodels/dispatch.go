package readmodels

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// DispatchSlotsTable is the table of the dispatch read model, written by
// the "dispatch" projector.
const DispatchSlotsTable = "dispatch_slots"

// QueuedEpisode is one open queue episode as the dispatcher reads it.
type QueuedEpisode struct {
	TenantID       uuid.UUID
	ConversationID uuid.UUID
	EpisodeID      uuid.UUID
	TeamID         uuid.UUID
	VIP            bool
	CreatedAt      time.Time
}

// DispatchQueue lists every tenant's open queue episodes, each team's in
// queue order (VIP first, then the oldest).
func DispatchQueue(ctx context.Context, q Querier) ([]QueuedEpisode, error) {
	rows, err := q.Query(ctx, `
		SELECT tenant_id, conversation_id, episode_id, team_id, vip, created_at FROM conversation_queue
		ORDER BY tenant_id, team_id, vip DESC, created_at, conversation_id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (QueuedEpisode, error) {
		var e QueuedEpisode
		err := r.Scan(&e.TenantID, &e.ConversationID, &e.EpisodeID, &e.TeamID, &e.VIP, &e.CreatedAt)
		return e, err
	})
}

// DispatchTeam is what the dispatcher needs to know of a team besides its
// agents' own streams.
type DispatchTeam struct {
	// Members are the team's enabled members who are online as the
	// accounts read model last saw them (the agent's stream decides).
	Members []uuid.UUID
	// HoursOnly is the tenant's dispatch.team_business_hours_only switch.
	HoursOnly bool
	// TimeZone is the tenant's zone; Schedule the team's time plan (its
	// own, else the tenant's default), nil when there is none.
	TimeZone string
	Schedule json.RawMessage
}

// GetDispatchTeam reads team's dispatch facts.
func GetDispatchTeam(ctx context.Context, q Querier, tenantID, teamID uuid.UUID) (DispatchTeam, error) {
	var d DispatchTeam
	var err error
	d.Members, err = uuids(ctx, q, `
		SELECT m.agent_id FROM team_members m JOIN agents a ON a.agent_id = m.agent_id
		WHERE m.team_id = $1 AND m.tenant_id = $2 AND a.enabled AND a.status = 'online'
		ORDER BY m.agent_id`, teamID, tenantID)
	if err != nil || len(d.Members) == 0 {
		return d, err
	}
	s, err := GetTenantSetting(ctx, q, tenantID, "dispatch.team_business_hours_only")
	switch {
	case errors.Is(err, ErrNotFound):
		return d, nil // off by default
	case err != nil:
		return d, err
	}
	if d.HoursOnly = string(s.Value) == "true"; !d.HoursOnly {
		return d, nil
	}
	err = q.QueryRow(ctx, `
		SELECT t.time_zone, p.schedule FROM tenants t
		LEFT JOIN teams tm ON tm.team_id = $2
		LEFT JOIN time_plan_defaults d ON d.tenant_id = t.tenant_id
		LEFT JOIN time_plans p ON p.plan_id = coalesce(tm.plan_id, d.plan_id) AND NOT p.deleted
		WHERE t.tenant_id = $1`, tenantID, teamID).Scan(&d.TimeZone, &d.Schedule)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, nil
	}
	return d, err
}

// SlotHolder is an agent holding open dispatch slots.
type SlotHolder struct {
	TenantID uuid.UUID
	AgentID  uuid.UUID
}

// SlotHolders lists the agents holding open slots.
func SlotHolders(ctx context.Context, q Querier) ([]SlotHolder, error) {
	rows, err := q.Query(ctx, `SELECT DISTINCT tenant_id, agent_id FROM dispatch_slots WHERE NOT released`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (SlotHolder, error) {
		var h SlotHolder
		err := r.Scan(&h.TenantID, &h.AgentID)
		return h, err
	})
}
