package eventschema

import "github.com/google/uuid"

// Dispatch keeps the capacity rule without multi-stream transactions: the
// dispatcher first reserves a slot on the agent's stream (guarded by that
// stream's expected version, so two reservations never both take the last
// slot), then confirms on the conversation's stream (an AgentJoined naming
// the reservation), and releases the slot when the confirm cannot happen or
// the agent later leaves the conversation.

// Reasons a dispatch slot is released.
const (
	// SlotConversationLeft: the agent's segment of the conversation ended
	// (it left, transferred it away, or the conversation closed).
	SlotConversationLeft = "conversation_left"
	// SlotJoinedElsewhere: someone else took the conversation before the
	// reservation was confirmed.
	SlotJoinedElsewhere = "joined_elsewhere"
	// SlotCompensated: the confirm failed for another reason (the
	// conversation closed or left the queue) and the reservation is undone.
	SlotCompensated = "compensated"
)

// AgentSlotReserved records that the agent holds one of its slots for a
// conversation: the dispatcher's first step of an auto-assignment, or the
// first step of any other way an agent comes to serve (How), so that the
// agent's stream alone says how many conversations it serves. The slot
// counts against the agent's capacity from now until it is released.
type AgentSlotReserved struct {
	TenantID       uuid.UUID `json:"tenant_id"`
	AgentID        uuid.UUID `json:"agent_id"`
	ReservationID  uuid.UUID `json:"reservation_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	// EpisodeID is the queue episode the reservation is for; TeamID the
	// team it waits for (both zero for a slot not taken from the queue).
	EpisodeID uuid.UUID `json:"episode_id"`
	TeamID    uuid.UUID `json:"team_id"`
	// How is how the agent joins with this slot (a Joined… value); empty
	// for the dispatcher's reservations, which are auto.
	How string `json:"how,omitempty" jsonschema:"enum=,enum=auto,enum=manual,enum=admin_assigned,enum=transfer,enum=routed"`
}

// AgentSlotReleased records that a reserved slot is free again.
type AgentSlotReleased struct {
	TenantID       uuid.UUID `json:"tenant_id"`
	AgentID        uuid.UUID `json:"agent_id"`
	ReservationID  uuid.UUID `json:"reservation_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	Reason         string    `json:"reason" jsonschema:"enum=conversation_left,enum=joined_elsewhere,enum=compensated"`
}

func registerDispatch(r *Registry) {
	Register[AgentSlotReserved](r, "AgentSlotReserved", 1)
	Register[AgentSlotReleased](r, "AgentSlotReleased", 1)
}
