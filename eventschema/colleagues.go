package eventschema

import "github.com/google/uuid"

// Colleague chat: agents write to each other outside conversations (seed
// 002, "Conversation with colleagues"). The messages of two agents live in
// one stream, "colleaguechat-{pair id}", the pair ID derived from both
// agent IDs: one history, one order, and delivery marked against it.

// ColleagueMessageSent records a message from one agent to a colleague.
// Seq numbers the pair's messages from 1, in both directions; a message
// waits undelivered until the colleague's console takes it.
type ColleagueMessageSent struct {
	TenantID    uuid.UUID `json:"tenant_id"`
	MessageID   uuid.UUID `json:"message_id"`
	FromAgentID uuid.UUID `json:"from_agent_id"`
	ToAgentID   uuid.UUID `json:"to_agent_id"`
	Seq         uint64    `json:"seq" jsonschema:"minimum=1"`
	// Type is text, emoji, url, image or file.
	Type string   `json:"type" jsonschema:"enum=text,enum=emoji,enum=url,enum=image,enum=file"`
	Text string   `json:"text"`
	File *FileRef `json:"file,omitempty"`
}

// ColleagueMessagesDelivered records that ToAgentID's console received
// every message FromAgentID sent it up to UpToSeq (the message
// UpToMessageID): those written while it was offline arrive when it comes
// online. Count is how many were newly delivered.
type ColleagueMessagesDelivered struct {
	TenantID      uuid.UUID `json:"tenant_id"`
	FromAgentID   uuid.UUID `json:"from_agent_id"`
	ToAgentID     uuid.UUID `json:"to_agent_id"`
	UpToMessageID uuid.UUID `json:"up_to_message_id"`
	UpToSeq       uint64    `json:"up_to_seq" jsonschema:"minimum=1"`
	Count         int       `json:"count" jsonschema:"minimum=1"`
}

func registerColleagues(r *Registry) {
	Register[ColleagueMessageSent](r, "ColleagueMessageSent", 1)
	Register[ColleagueMessagesDelivered](r, "ColleagueMessagesDelivered", 1)
}
