package projections

import (
	"context"

	"supportd/eventschema"
	"supportd/readmodels"
)

// Dispatch projects the dispatcher's reservations and releases on the
// agent streams into the dispatch slots read model (readmodels/dispatch.go).
type Dispatch struct {
	reg *eventschema.Registry
}

// NewDispatch returns the dispatch projector.
func NewDispatch(reg *eventschema.Registry) *Dispatch { return &Dispatch{reg: reg} }

// Name implements Projector.
func (*Dispatch) Name() string { return "dispatch" }

// Tables implements Projector.
func (*Dispatch) Tables() []string { return []string{readmodels.DispatchSlotsTable} }

// Apply implements Projector. A release writes its row whether or not the
// reservation's row is there yet, and a reservation never overwrites a row:
// replaying either event in any order leaves the slot released.
func (p *Dispatch) Apply(ctx context.Context, db DB, e eventschema.Envelope) error {
	if e.Type != "AgentSlotReserved" && e.Type != "AgentSlotReleased" {
		return nil
	}
	payload, err := p.reg.Decode(e)
	if err != nil {
		return err
	}
	switch ev := payload.(type) {
	case eventschema.AgentSlotReserved:
		return db.Exec(ctx, `
			INSERT INTO dispatch_slots (reservation_id, tenant_id, agent_id, conversation_id, episode_id, team_id, reserved_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (reservation_id) DO NOTHING`,
			ev.ReservationID, ev.TenantID, ev.AgentID, ev.ConversationID, ev.EpisodeID, ev.TeamID, occurredAt(e))
	case eventschema.AgentSlotReleased:
		return db.Exec(ctx, `
			INSERT INTO dispatch_slots (reservation_id, tenant_id, agent_id, conversation_id, episode_id, team_id, reserved_at, released, release_reason)
			VALUES ($1, $2, $3, $4, '00000000-0000-0000-0000-000000000000', '00000000-0000-0000-0000-000000000000', $5, true, $6)
			ON CONFLICT (reservation_id) DO UPDATE SET released = true, release_reason = excluded.release_reason`,
			ev.ReservationID, ev.TenantID, ev.AgentID, ev.ConversationID, occurredAt(e), ev.Reason)
	}
	return nil
}
