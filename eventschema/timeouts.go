package eventschema

import "github.com/google/uuid"

// Timeouts of a conversation. Each runs from an event of the conversation
// (a message, the queue episode, the timeout before it) until an event
// that ends it, or until its durable timer fires and records
// ConversationTimedOut.
const (
	// TimeoutAgentNoReply: the serving agent has not answered a customer
	// message (conversation.agent_no_reply).
	TimeoutAgentNoReply = "agent_no_reply"
	// TimeoutAutoReassign: the same wait, after which the conversation goes
	// back to its team (transfer.auto_reassign).
	TimeoutAutoReassign = "auto_reassign"
	// TimeoutCustomerNoReply: the customer has not answered an agent's
	// message (conversation.customer_no_reply).
	TimeoutCustomerNoReply = "customer_no_reply"
	// TimeoutNoReplyRemind and TimeoutNoReplyClose are the two steps of
	// conversation.close_on_customer_no_reply: remind the silent customer,
	// then close.
	TimeoutNoReplyRemind = "no_reply_remind"
	TimeoutNoReplyClose  = "no_reply_close"
	// TimeoutInactivity: nobody wrote for the inactivity period
	// (conversation.inactivity_close_*).
	TimeoutInactivity = "inactivity"
	// TimeoutQueueReminder: the customer has waited in the queue for the
	// reminder time, or the interval since the last reminder
	// (queue.remind_customers).
	TimeoutQueueReminder = "queue_reminder"
)

// What the system did when a timeout ran out (ConversationTimedOut.Actions).
const (
	// TimeoutRemindAgent: the serving agent's list highlights the
	// conversation until the agent writes in it.
	TimeoutRemindAgent = "remind_agent"
	// TimeoutRemindCustomer: a system message reminded the customer (or,
	// for agent no-reply, apologised for the wait).
	TimeoutRemindCustomer = "remind_customer"
	TimeoutAlarm          = "alarm"
	TimeoutTransfer       = "transfer"
	TimeoutTag            = "tag"
	TimeoutClose          = "close"
)

// AlarmAgentNoReply: an agent did not answer a customer in time.
const AlarmAgentNoReply = "agent_no_reply"

// ConversationTimedOut records that a timeout of the conversation ran out,
// and what the system did about it: the events of those actions (system
// messages, an alarm, a transfer, tags, the close) follow it. It also ends
// the timeout's run, and may start the one that follows (the close after a
// no-reply reminder, the next queue reminder).
type ConversationTimedOut struct {
	TenantID       uuid.UUID `json:"tenant_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	Timeout        string    `json:"timeout" jsonschema:"enum=agent_no_reply,enum=auto_reassign,enum=customer_no_reply,enum=no_reply_remind,enum=no_reply_close,enum=inactivity,enum=queue_reminder"`
	// RunID names the run that ran out, derived from the event that
	// started it (the customer's or agent's message, the queue episode,
	// the run before it).
	RunID uuid.UUID `json:"run_id"`
	// N numbers the runs of a series: the queue reminders 1, 2, …; 1 for
	// the others.
	N int `json:"n" jsonschema:"minimum=1"`
	// Actions are what the system did (remind_agent, remind_customer,
	// alarm, transfer, tag, close); none when the timeout no longer
	// applied, as Detail says (its setting was turned off, a queue reminder
	// fell outside its effective time, no team took the conversation back).
	Actions []string `json:"actions"`
	// AgentID is the agent serving when the timeout ran out (zero: none);
	// with remind_agent, the agent whose list highlights the conversation.
	AgentID uuid.UUID `json:"agent_id"`
	// Next is the timeout this one starts (no_reply_close after
	// no_reply_remind, queue_reminder while reminders remain); empty: none.
	Next   string `json:"next"`
	Detail string `json:"detail"`
}

func registerTimeouts(r *Registry) {
	Register[ConversationTimedOut](r, "ConversationTimedOut", 1)
}
