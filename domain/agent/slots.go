package agent

import (
	"maps"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/eventschema"
)

// Slot is one of the agent's auto-assignment slots held by a reservation:
// the conversation (and queue episode) it is for. A slot is open from its
// reservation until its release, whether or not the conversation's side has
// confirmed it yet; the capacity rule counts every open slot, so a crash
// between the two steps can never let an agent exceed its capacity.
type Slot struct {
	ReservationID  uuid.UUID
	ConversationID uuid.UUID
	EpisodeID      uuid.UUID
	TeamID         uuid.UUID
	// How is how the agent joins with it: empty for the dispatcher's
	// auto-assignments, else the way (manual join, admin assignment,
	// transfer) that seats the agent whatever its capacity.
	How string
}

// Auto reports whether the slot is the dispatcher's reservation, which a
// dispatcher confirms (or rolls forward) from the queue.
func (s Slot) Auto() bool { return s.How == "" || s.How == eventschema.JoinedAuto }

// OpenSlots is how many slots the agent holds.
func (s State) OpenSlots() int { return len(s.Slots) }

func evolveSlots(s State, event any) State {
	m := maps.Clone(s.Slots)
	if m == nil {
		m = map[uuid.UUID]Slot{}
	}
	switch e := event.(type) {
	case eventschema.AgentSlotReserved:
		s.ID = e.AgentID
		m[e.ReservationID] = Slot{ReservationID: e.ReservationID, ConversationID: e.ConversationID, EpisodeID: e.EpisodeID, TeamID: e.TeamID, How: e.How}
	case eventschema.AgentSlotReleased:
		delete(m, e.ReservationID)
	}
	s.Slots = m
	return s
}

// Reserve decides that the agent takes slot for a queued conversation: the
// first step of an auto-assignment. Only an online agent with an open slot
// below its capacity may; the command appends guarded by the stream's
// version, so two dispatchers racing for the last slot cannot both win. A
// reservation already held is not taken twice.
func Reserve(s State, who Identity, slot Slot) ([]any, error) {
	if slot.ReservationID == uuid.Nil || slot.ConversationID == uuid.Nil || slot.EpisodeID == uuid.Nil {
		return nil, domain.Errorf(domain.Invalid, "dispatch.reservation", "reservation_id", "reservation, conversation and episode are required")
	}
	if _, held := s.Slots[slot.ReservationID]; held {
		return nil, nil
	}
	if !s.CurrentStatus().AutoAssignable() {
		return nil, domain.Errorf(domain.Conflict, "dispatch.agent_not_online", "", "the agent is %s, not online", s.CurrentStatus())
	}
	for _, o := range s.Slots {
		if o.EpisodeID == slot.EpisodeID {
			return nil, domain.Errorf(domain.Conflict, "dispatch.already_reserved", "", "the agent already holds a slot for this conversation")
		}
	}
	if s.OpenSlots() >= s.CurrentCapacity() {
		return nil, domain.Errorf(domain.Conflict, "dispatch.agent_full", "", "the agent holds %d of %d slots", s.OpenSlots(), s.CurrentCapacity())
	}
	return []any{eventschema.AgentSlotReserved{TenantID: who.TenantID, AgentID: who.AgentID, ReservationID: slot.ReservationID,
		ConversationID: slot.ConversationID, EpisodeID: slot.EpisodeID, TeamID: slot.TeamID}}, nil
}

// Take decides that the agent takes a slot for a conversation it is about
// to serve by another way than auto-assignment (slot.How: a manual join,
// an admin's assignment, a transfer): the first step of that join, so that
// every conversation the agent serves holds one of its slots. The manual
// lets these ways take an agent over its capacity, so neither status nor
// capacity is checked; auto-assignment then waits until the agent is below
// it again. A slot already held is not taken twice.
func Take(s State, who Identity, slot Slot) ([]any, error) {
	if slot.ReservationID == uuid.Nil || slot.ConversationID == uuid.Nil || who.AgentID == uuid.Nil {
		return nil, domain.Errorf(domain.Invalid, "dispatch.reservation", "reservation_id", "reservation, conversation and agent are required")
	}
	switch slot.How {
	case eventschema.JoinedManual, eventschema.JoinedAdmin, eventschema.JoinedTransfer, eventschema.JoinedRoutedAgent:
	default:
		return nil, domain.Errorf(domain.Invalid, "dispatch.slot_how", "how", "a slot is taken for a manual join, an assignment, a transfer or a routed join")
	}
	if _, held := s.Slots[slot.ReservationID]; held {
		return nil, nil
	}
	return []any{eventschema.AgentSlotReserved{TenantID: who.TenantID, AgentID: who.AgentID, ReservationID: slot.ReservationID,
		ConversationID: slot.ConversationID, EpisodeID: slot.EpisodeID, TeamID: slot.TeamID, How: slot.How}}, nil
}

// Release decides that a slot is free again: the agent's segment ended, or
// the reservation could not be confirmed. reason is an eventschema.Slot…
// constant. Releasing a slot not held decides nothing, so a repeated
// release is harmless.
func Release(s State, who Identity, reservationID uuid.UUID, reason string) ([]any, error) {
	switch reason {
	case eventschema.SlotConversationLeft, eventschema.SlotJoinedElsewhere, eventschema.SlotCompensated:
	default:
		return nil, domain.Errorf(domain.Invalid, "dispatch.release_reason", "reason", "must be conversation_left, joined_elsewhere or compensated")
	}
	slot, held := s.Slots[reservationID]
	if !held {
		return nil, nil
	}
	return []any{eventschema.AgentSlotReleased{TenantID: who.TenantID, AgentID: who.AgentID, ReservationID: reservationID,
		ConversationID: slot.ConversationID, Reason: reason}}, nil
}
