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

// Tables of the dispatch read model besides the slots, also written by the
// "dispatch" projector: agents' ranking facts, and familiarity.
const (
	DispatchAgentsTable        = "dispatch_agents"
	DispatchConversationsTable = "dispatch_conversations"
	DispatchFamiliarityTable   = "dispatch_familiarity"
)

// QueuedEpisode is one open queue episode as the dispatcher reads it.
type QueuedEpisode struct {
	TenantID       uuid.UUID
	ConversationID uuid.UUID
	EpisodeID      uuid.UUID
	TeamID         uuid.UUID
	VIP            bool
	CreatedAt      time.Time
	Channel        string
	CustomerID     uuid.UUID
	// Reason is why it was queued (routed, transferred_to_team, …).
	Reason string
}

// DispatchQueue lists every tenant's open queue episodes, grouped by
// tenant and team; the dispatcher puts each team's in queue order.
func DispatchQueue(ctx context.Context, q Querier) ([]QueuedEpisode, error) {
	rows, err := q.Query(ctx, `
		SELECT tenant_id, conversation_id, episode_id, team_id, vip, created_at, channel, customer_id, reason
		FROM conversation_queue ORDER BY tenant_id, team_id, vip DESC, created_at, conversation_id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (QueuedEpisode, error) {
		var e QueuedEpisode
		err := r.Scan(&e.TenantID, &e.ConversationID, &e.EpisodeID, &e.TeamID, &e.VIP, &e.CreatedAt, &e.Channel, &e.CustomerID, &e.Reason)
		return e, err
	})
}

// DispatchMember is an enabled member of a team with the facts the
// dispatcher ranks it by, as of the agent stream's Version. Known is always
// true: an agent whose status the projector has not seen yet is offline
// (never signed in, or the projection lags and the dispatcher is woken
// again once it catches up).
type DispatchMember struct {
	AgentID      uuid.UUID
	Known        bool
	Status       string
	Capacity     int
	Open         int
	LastAssigned time.Time
	Version      uint64
	// Schedule is the agent's personal time plan, nil when none.
	Schedule json.RawMessage
}

// DispatchTeam is what the dispatcher needs to know of a team besides its
// agents' own streams.
type DispatchTeam struct {
	// Members are the team's enabled members, whatever their status: the
	// dispatcher compares these facts with its own copy of the agents.
	Members []DispatchMember
	// HoursOnly is the tenant's dispatch.team_business_hours_only switch.
	HoursOnly bool
	// PersonalHours is dispatch.working_hours_source = agent.
	PersonalHours bool
	// TimeZone is the tenant's zone; Schedule the team's time plan (its
	// own, else the tenant's default), nil when there is none.
	TimeZone string
	Schedule json.RawMessage
}

// GetDispatchTeam reads team's dispatch facts.
func GetDispatchTeam(ctx context.Context, q Querier, tenantID, teamID uuid.UUID) (DispatchTeam, error) {
	var d DispatchTeam
	var err error
	rows, err := q.Query(ctx, `
		SELECT m.agent_id, true, coalesce(d.status, 'offline'), coalesce(d.capacity, 0),
			coalesce(d.open_slots, 0), d.last_assigned_at, coalesce(d.version, 0), p.schedule
		FROM team_members m JOIN agents a ON a.agent_id = m.agent_id
		LEFT JOIN dispatch_agents d ON d.agent_id = m.agent_id
		LEFT JOIN time_plans p ON p.tenant_id = a.tenant_id AND p.plan_id = a.plan_id AND NOT p.deleted
		WHERE m.team_id = $1 AND m.tenant_id = $2 AND a.enabled
		ORDER BY m.agent_id`, teamID, tenantID)
	if err != nil {
		return d, err
	}
	d.Members, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (DispatchMember, error) {
		var (
			m       DispatchMember
			last    *time.Time
			version int64
		)
		err := r.Scan(&m.AgentID, &m.Known, &m.Status, &m.Capacity, &m.Open, &last, &version, &m.Schedule)
		if last != nil {
			m.LastAssigned = *last
		}
		m.Version = uint64(version)
		return m, err
	})
	if err != nil || len(d.Members) == 0 {
		return d, err
	}
	flag := func(key, on string) (bool, error) {
		s, err := GetTenantSetting(ctx, q, tenantID, key)
		if errors.Is(err, ErrNotFound) {
			return false, nil // the defaults are off (false, "team")
		}
		return string(s.Value) == on, err
	}
	if d.HoursOnly, err = flag("dispatch.team_business_hours_only", "true"); err != nil {
		return d, err
	}
	if d.PersonalHours, err = flag("dispatch.working_hours_source", `"agent"`); err != nil {
		return d, err
	}
	if !d.HoursOnly && !d.PersonalHours {
		return d, nil
	}
	err = q.QueryRow(ctx, `
		SELECT t.time_zone, p.schedule FROM tenants t
		LEFT JOIN teams tm ON tm.tenant_id = t.tenant_id AND tm.team_id = $2
		LEFT JOIN time_plan_defaults d ON d.tenant_id = t.tenant_id
		LEFT JOIN time_plans p ON p.tenant_id = t.tenant_id AND p.plan_id = coalesce(tm.plan_id, d.plan_id) AND NOT p.deleted
		WHERE t.tenant_id = $1`, tenantID, teamID).Scan(&d.TimeZone, &d.Schedule)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, nil
	}
	return d, err
}

// UnsettledSlot is an open slot the dispatcher is to settle.
type UnsettledSlot struct {
	TenantID      uuid.UUID
	AgentID       uuid.UUID
	ReservationID uuid.UUID
}

// UnsettledSlots lists the open slots whose conversation ended, and those
// reserved before reservedBefore and never confirmed: the only slots that
// may need a release or a repair.
func UnsettledSlots(ctx context.Context, q Querier, reservedBefore time.Time) ([]UnsettledSlot, error) {
	rows, err := q.Query(ctx, `
		SELECT tenant_id, agent_id, reservation_id FROM dispatch_slots
		WHERE NOT released AND (ended OR NOT joined) AND (ended OR reserved_at < $1)
		ORDER BY reserved_at, reservation_id`, reservedBefore)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (UnsettledSlot, error) {
		var s UnsettledSlot
		err := r.Scan(&s.TenantID, &s.AgentID, &s.ReservationID)
		return s, err
	})
}

// DispatchSettings returns the dispatch.* settings the tenant changed, by
// key (the others keep their documented defaults).
func DispatchSettings(ctx context.Context, q Querier, tenantID uuid.UUID) (map[string]json.RawMessage, error) {
	rows, err := q.Query(ctx, `SELECT key, value FROM tenant_settings WHERE tenant_id = $1 AND key LIKE 'dispatch.%'`, tenantID)
	if err != nil {
		return nil, err
	}
	out := map[string]json.RawMessage{}
	var (
		key   string
		value []byte
	)
	_, err = pgx.ForEachRow(rows, []any{&key, &value}, func() error {
		out[key] = json.RawMessage(value)
		return nil
	})
	return out, err
}

// Familiarity is an agent's past with a customer.
type Familiarity struct {
	AgentID       uuid.UUID
	Conversations int
	LastServedAt  time.Time
}

// CustomerFamiliarity lists the agents who served customer, with how many
// of its conversations and when last.
func CustomerFamiliarity(ctx context.Context, q Querier, tenantID, customerID uuid.UUID) ([]Familiarity, error) {
	rows, err := q.Query(ctx, `
		SELECT agent_id, conversations, last_served_at FROM dispatch_familiarity
		WHERE tenant_id = $1 AND customer_id = $2 ORDER BY agent_id`, tenantID, customerID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Familiarity, error) {
		var f Familiarity
		err := r.Scan(&f.AgentID, &f.Conversations, &f.LastServedAt)
		return f, err
	})
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
