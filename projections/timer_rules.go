package projections

import (
	"github.com/google/uuid"

	"supportd/eventschema"
)

// Kinds of durable timers. Each has a TimerRule here that schedules and
// ends it, and a command in supportd's timer registry that fires it.
const (
	// TimerTransferConfirmation ends a transfer request the target agent
	// did not answer in time; the conversation stays where it was.
	TimerTransferConfirmation = "transfer.confirmation"
)

// TimerRules are the rules of supportd's durable timers.
func TimerRules() []TimerRule {
	return []TimerRule{transferConfirmationRule}
}

// TransferTimerPayload is what a transfer-confirmation timer carries.
type TransferTimerPayload struct {
	ConversationID uuid.UUID `json:"conversation_id"`
	TransferID     uuid.UUID `json:"transfer_id"`
}

// TransferTimerID is the ID of the confirmation timer of a transfer.
func TransferTimerID(transferID uuid.UUID) uuid.UUID {
	return uuid.NewSHA1(transferID, []byte(TimerTransferConfirmation))
}

// transferConfirmationRule starts a timer for a transfer that needs the
// target's confirmation and ends it when the transfer happens or fails
// (rejected, refused, or expired by the timer itself).
func transferConfirmationRule(_ eventschema.Envelope, payload any) TimerChange {
	switch ev := payload.(type) {
	case eventschema.TransferRequested:
		if !ev.RequiresConfirmation {
			return TimerChange{}
		}
		return TimerChange{Schedule: []ScheduledTimer{{
			ID: TransferTimerID(ev.TransferID), Kind: TimerTransferConfirmation, DueAt: ev.ExpiresAt,
			Payload: TransferTimerPayload{ConversationID: ev.ConversationID, TransferID: ev.TransferID},
		}}}
	case eventschema.TransferFailed:
		return TimerChange{Cancel: []uuid.UUID{TransferTimerID(ev.TransferID)}}
	case eventschema.ConversationTransferred:
		return TimerChange{Cancel: []uuid.UUID{TransferTimerID(ev.TransferID)}}
	}
	return TimerChange{}
}
