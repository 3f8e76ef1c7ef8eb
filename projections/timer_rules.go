package projections

import (
	"github.com/google/uuid"

	"supportd/domain/conversation"
	"supportd/eventschema"
)

// Kinds of durable timers. Each has a TimerRule here that schedules and
// ends it, and a command in supportd's timer registry that fires it.
const (
	// TimerTransferConfirmation ends a transfer request the target agent
	// did not answer in time; the conversation stays where it was.
	TimerTransferConfirmation = "transfer.confirmation"
)

// ConversationTimerKind is the timer kind of a conversation timeout
// (eventschema.Timeout…): its run ran out, and the conversation's
// timeout command decides what follows.
func ConversationTimerKind(timeout string) string { return "conversation." + timeout }

// ConversationTimerKinds are the timer kinds of every conversation timeout.
func ConversationTimerKinds() []string {
	out := make([]string, len(conversation.TimeoutKinds))
	for i, k := range conversation.TimeoutKinds {
		out[i] = ConversationTimerKind(k)
	}
	return out
}

// TimerRules are the rules of supportd's durable timers.
func TimerRules() []TimerRule {
	return []TimerRule{transferConfirmationRule, conversationTimeoutRule}
}

// TimerRuleEvents are the event types TimerRules act on: those of
// transferConfirmationRule and those conversation.TimeoutRuns starts or
// ends runs on.
func TimerRuleEvents() []string {
	return []string{"TransferRequested", "TransferFailed", "ConversationTransferred",
		"ConversationStarted", "MessageSent", "ConversationQueued", "ConversationLeftQueue", "AgentJoined", "AgentLeft",
		"ConversationClosed", "ConversationTimedOut"}
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
func transferConfirmationRule(_ eventschema.Envelope, payload any, _ Settings) TimerChange {
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

// ConversationTimerPayload is what a conversation timeout's timer carries:
// the run it times.
type ConversationTimerPayload struct {
	ConversationID uuid.UUID `json:"conversation_id"`
	Timeout        string    `json:"timeout"`
	RunID          uuid.UUID `json:"run_id"`
	N              int       `json:"n"`
}

// Run is the run the timer times.
func (p ConversationTimerPayload) Run() conversation.Run {
	return conversation.Run{Kind: p.Timeout, ID: p.RunID, N: p.N}
}

// conversationTimeoutRule keeps one timer per pending run of a
// conversation's timeouts, as conversation.TimeoutRuns starts, keeps and
// ends them; a timer's ID is its run's key, so each run fires once. A run
// is due after the delay the tenant's settings gave when it started; a run
// whose timeout is off waits without a due time, so that a kept run (the
// customer waiting since the first unanswered message) is timed from its
// own start once the timeout is switched on.
func conversationTimeoutRule(e eventschema.Envelope, payload any, settings Settings) TimerChange {
	c := conversation.TimeoutRuns(payload)
	if c.ConversationID == uuid.Nil || (len(c.End) == 0 && len(c.Start) == 0) {
		return TimerChange{}
	}
	var out TimerChange
	if len(c.End) > 0 {
		kinds := make([]string, len(c.End))
		for i, k := range c.End {
			kinds[i] = ConversationTimerKind(k)
		}
		out.End = []SubjectTimers{{Subject: c.ConversationID, Kinds: kinds}}
	}
	if len(c.Start) == 0 {
		return out
	}
	rules := conversation.ReadTimeoutRules(settings)
	at := occurredAt(e)
	for _, r := range c.Start {
		t := ScheduledTimer{ID: r.Key(), Kind: ConversationTimerKind(r.Kind), Subject: c.ConversationID, StartedAt: at, Keep: r.Keep,
			Payload: ConversationTimerPayload{ConversationID: c.ConversationID, Timeout: r.Kind, RunID: r.ID, N: r.N}}
		if r.IfPending != "" {
			t.IfPending = ConversationTimerKind(r.IfPending)
		}
		if d, on := rules.Delay(r); on {
			t.DueAt = at.Add(d)
		}
		out.Schedule = append(out.Schedule, t)
	}
	return out
}
