package projections

import (
	"context"

	"github.com/google/uuid"

	"supportd/domain/agent"
	"supportd/eventschema"
	"supportd/readmodels"
)

// Dispatch projects what the dispatcher reads (readmodels/dispatch.go):
// from the agent streams, each agent's status, capacity and slot count
// (dispatch_agents) and every slot reserved and released (dispatch_slots);
// from the conversation streams, whether a slot was confirmed and ended,
// and which agents served which customer (familiarity).
type Dispatch struct {
	reg *eventschema.Registry
}

// NewDispatch returns the dispatch projector.
func NewDispatch(reg *eventschema.Registry) *Dispatch { return &Dispatch{reg: reg} }

// Name implements Projector.
func (*Dispatch) Name() string { return "dispatch" }

// Tables implements Projector.
func (*Dispatch) Tables() []string {
	return []string{readmodels.DispatchSlotsTable, readmodels.DispatchAgentsTable,
		readmodels.DispatchConversationsTable, readmodels.DispatchFamiliarityTable}
}

var dispatchTypes = map[string]bool{
	"AgentSlotReserved": true, "AgentSlotReleased": true, "AgentStatusChanged": true, "AgentCapacitySet": true,
	"ConversationStarted": true, "AgentJoined": true, "AgentLeft": true, "ConversationClosed": true,
}

// Apply implements Projector. Rows of an agent and of a conversation are
// guarded by their stream's version, so replaying an event changes
// nothing. A slot's release writes its row whether or not the reservation's
// row is there yet, and a reservation never overwrites a row: replaying
// either in any order leaves the slot released.
func (p *Dispatch) Apply(ctx context.Context, db DB, e eventschema.Envelope) error {
	if !dispatchTypes[e.Type] {
		return nil
	}
	payload, err := p.reg.Decode(e)
	if err != nil {
		return err
	}
	v := int64(e.StreamVersion)
	switch ev := payload.(type) {
	case eventschema.AgentStatusChanged:
		return db.Exec(ctx, `
			INSERT INTO dispatch_agents (agent_id, tenant_id, status, capacity, version) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (agent_id) DO UPDATE SET status = excluded.status, version = excluded.version
			WHERE dispatch_agents.version < excluded.version`,
			ev.AgentID, ev.TenantID, ev.To, agent.DefaultCapacity, v)
	case eventschema.AgentCapacitySet:
		return db.Exec(ctx, `
			INSERT INTO dispatch_agents (agent_id, tenant_id, status, capacity, version) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (agent_id) DO UPDATE SET capacity = excluded.capacity, version = excluded.version
			WHERE dispatch_agents.version < excluded.version`,
			ev.AgentID, ev.TenantID, string(agent.Offline), ev.Capacity, v)
	case eventschema.AgentSlotReserved:
		if err := db.Exec(ctx, `
			INSERT INTO dispatch_agents (agent_id, tenant_id, status, capacity, open_slots, last_assigned_at, version)
			VALUES ($1, $2, $3, $4, 1, $5, $6)
			ON CONFLICT (agent_id) DO UPDATE SET open_slots = dispatch_agents.open_slots + 1,
				last_assigned_at = excluded.last_assigned_at, version = excluded.version
			WHERE dispatch_agents.version < excluded.version`,
			ev.AgentID, ev.TenantID, string(agent.Offline), agent.DefaultCapacity, occurredAt(e), v); err != nil {
			return err
		}
		return db.Exec(ctx, `
			INSERT INTO dispatch_slots (reservation_id, tenant_id, agent_id, conversation_id, episode_id, team_id, reserved_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (reservation_id) DO NOTHING`,
			ev.ReservationID, ev.TenantID, ev.AgentID, ev.ConversationID, ev.EpisodeID, ev.TeamID, occurredAt(e))
	case eventschema.AgentSlotReleased:
		if err := db.Exec(ctx, `
			INSERT INTO dispatch_agents (agent_id, tenant_id, status, capacity, version) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (agent_id) DO UPDATE SET open_slots = greatest(dispatch_agents.open_slots - 1, 0), version = excluded.version
			WHERE dispatch_agents.version < excluded.version`,
			ev.AgentID, ev.TenantID, string(agent.Offline), agent.DefaultCapacity, v); err != nil {
			return err
		}
		return db.Exec(ctx, `
			INSERT INTO dispatch_slots (reservation_id, tenant_id, agent_id, conversation_id, episode_id, team_id, reserved_at, released, release_reason)
			VALUES ($1, $2, $3, $4, '00000000-0000-0000-0000-000000000000', '00000000-0000-0000-0000-000000000000', $5, true, $6)
			ON CONFLICT (reservation_id) DO UPDATE SET released = true, release_reason = excluded.release_reason`,
			ev.ReservationID, ev.TenantID, ev.AgentID, ev.ConversationID, occurredAt(e), ev.Reason)
	case eventschema.ConversationStarted:
		return db.Exec(ctx, `
			INSERT INTO dispatch_conversations (conversation_id, tenant_id, customer_id, version) VALUES ($1, $2, $3, $4)
			ON CONFLICT (tenant_id, conversation_id) DO NOTHING`,
			ev.ConversationID, ev.TenantID, ev.CustomerID, v)
	case eventschema.AgentJoined:
		if ev.ReservationID != uuid.Nil {
			if err := db.Exec(ctx, `
				INSERT INTO dispatch_slots (reservation_id, tenant_id, agent_id, conversation_id, episode_id, team_id, reserved_at, joined, segment_id)
				VALUES ($1, $2, $3, $4, $5, $6, $7, true, $8)
				ON CONFLICT (reservation_id) DO UPDATE SET joined = true, segment_id = excluded.segment_id`,
				ev.ReservationID, ev.TenantID, ev.AgentID, ev.ConversationID, ev.EpisodeID, ev.TeamID, occurredAt(e), ev.SegmentID); err != nil {
				return err
			}
		}
		// The agent served the customer: once more unless it already
		// served this conversation, and last now.
		if err := db.Exec(ctx, `
			INSERT INTO dispatch_familiarity (tenant_id, customer_id, agent_id, conversations, last_served_at)
			SELECT tenant_id, customer_id, $2, CASE WHEN $2 = ANY(served_by) THEN 0 ELSE 1 END, $4
			FROM dispatch_conversations WHERE tenant_id = $5 AND conversation_id = $1 AND version < $3
			ON CONFLICT (tenant_id, customer_id, agent_id) DO UPDATE SET
				conversations = dispatch_familiarity.conversations + excluded.conversations,
				last_served_at = greatest(dispatch_familiarity.last_served_at, excluded.last_served_at)`,
			ev.ConversationID, ev.AgentID, v, occurredAt(e), e.Metadata.TenantID); err != nil {
			return err
		}
		return db.Exec(ctx, `
			UPDATE dispatch_conversations SET version = $3,
				served_by = CASE WHEN $2 = ANY(served_by) THEN served_by ELSE array_append(served_by, $2::uuid) END
			WHERE tenant_id = $4 AND conversation_id = $1 AND version < $3`,
			ev.ConversationID, ev.AgentID, v, e.Metadata.TenantID)
	case eventschema.AgentLeft:
		return db.Exec(ctx, `UPDATE dispatch_slots SET ended = true WHERE tenant_id = $3 AND conversation_id = $1 AND segment_id = $2`,
			ev.ConversationID, ev.SegmentID, e.Metadata.TenantID)
	case eventschema.ConversationClosed:
		return db.Exec(ctx, `UPDATE dispatch_slots SET ended = true WHERE tenant_id = $2 AND conversation_id = $1 AND joined`,
			ev.ConversationID, e.Metadata.TenantID)
	}
	return nil
}

// EventTypes implements Selective.
func (*Dispatch) EventTypes() []string { return typesOf(dispatchTypes) }
