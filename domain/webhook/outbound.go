package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"supportd/eventschema"
)

// Outbound event types: what a customer's channel is told, over the
// conversation's SSE stream and over webhooks alike.
const (
	TypeMessage            = "message"
	TypeMessageRecalled    = "message_recalled"
	TypeAgentJoined        = "agent_joined"
	TypeAgentLeft          = "agent_left"
	TypeRatingInvitation   = "rating_invitation"
	TypeConversationClosed = "conversation_closed"
	// TypePing is a test delivery an admin asks for; it is no fact.
	TypePing = "ping"
)

// Event is one outbound event. Position is the global log position of the
// fact: SSE streams use it as the event ID to resume from, and receivers
// may order by it.
type Event struct {
	Type           string               `json:"type"`
	EventID        uuid.UUID            `json:"event_id"`
	TenantID       uuid.UUID            `json:"tenant_id"`
	ConversationID uuid.UUID            `json:"conversation_id"`
	Position       eventschema.Position `json:"position"`
	OccurredAt     time.Time            `json:"occurred_at"`
	Payload        any                  `json:"payload"`
}

// Message is a message the customer sees: from an agent, the system or a
// robot.
type Message struct {
	MessageID  uuid.UUID             `json:"message_id"`
	SenderKind string                `json:"sender_kind"`
	SenderID   string                `json:"sender_id"`
	SenderName string                `json:"sender_name,omitempty"`
	Type       string                `json:"type"`
	Text       string                `json:"text"`
	File       *eventschema.FileRef  `json:"file,omitempty"`
	Location   *eventschema.Location `json:"location,omitempty"`
	Custom     json.RawMessage       `json:"custom,omitempty"`
	Notice     string                `json:"notice,omitempty"`
	// Recalled: the sender took the message back; its content is gone.
	Recalled bool `json:"recalled,omitempty"`
}

// Redacted is the message as it may be told once recalled: who sent it
// and when stay, what it said does not (auditors find that in the log).
func (m Message) Redacted() Message {
	m.Text, m.File, m.Location, m.Custom, m.Recalled = "", nil, nil, nil, true
	return m
}

// Recall tells the channel to take a message back.
type Recall struct {
	MessageID uuid.UUID `json:"message_id"`
}

// Presence is an agent joining or leaving, as the chat window shows it.
type Presence struct {
	AgentID   uuid.UUID `json:"agent_id"`
	AgentName string    `json:"agent_name,omitempty"`
	// Reason is how the agent came (auto, manual, admin_assigned,
	// transfer, routed) or left (transferred, closed, removed).
	Reason string `json:"reason"`
}

// RatingInvitation asks the customer to rate the conversation.
type RatingInvitation struct {
	By string `json:"by"`
}

// Closed ends the conversation for the customer.
type Closed struct {
	Reason string `json:"reason"`
}

// Ping is the payload of a test delivery.
type Ping struct {
	EndpointID uuid.UUID `json:"endpoint_id"`
}

var outboundTypes = map[string]bool{
	"MessageSent": true, "MessageRecalled": true, "AgentJoined": true, "AgentLeft": true,
	"RatingInvited": true, "ConversationClosed": true,
}

// MayBeOutbound reports whether events of this type can be outbound, so a
// reader skips decoding every other event. Anything not named here stays
// inside: whispers, notes, transfers, tags, alarms and every event added
// later until it is added here.
func MayBeOutbound(eventType string) bool { return outboundTypes[eventType] }

// ConversationOf returns the tenant and the conversation a stream belongs
// to.
func ConversationOf(stream string) (tenantID, conversationID uuid.UUID, ok bool) {
	return eventschema.ObjectOf("conversation", stream)
}

// NameOf answers an agent's display name ("" when unknown).
type NameOf func(agentID uuid.UUID) string

// Outbound turns a decoded event into what the customer's channel is told,
// if anything: messages from agents, the system and robots (the customer's
// own are not echoed), recalls, agents joining and leaving, rating
// invitations and the close. nameOf may be nil.
func Outbound(e eventschema.Envelope, payload any, nameOf NameOf) (Event, bool) {
	name := func(id uuid.UUID) string {
		if nameOf == nil || id == uuid.Nil {
			return ""
		}
		return nameOf(id)
	}
	out := Event{EventID: e.ID, TenantID: e.Metadata.TenantID, Position: e.Position, OccurredAt: e.Metadata.OccurredAt}
	switch ev := payload.(type) {
	case eventschema.MessageSent:
		if ev.SenderKind == eventschema.SenderCustomer {
			return Event{}, false
		}
		m := Message{MessageID: ev.MessageID, SenderKind: ev.SenderKind, SenderID: ev.SenderID, Type: ev.Type, Text: ev.Text,
			File: ev.File, Location: ev.Location, Custom: ev.Custom, Notice: ev.Notice}
		if ev.SenderKind == eventschema.SenderAgent {
			if id, err := uuid.Parse(ev.SenderID); err == nil {
				m.SenderName = name(id)
			}
		}
		out.Type, out.ConversationID, out.Payload = TypeMessage, ev.ConversationID, m
	case eventschema.MessageRecalled:
		out.Type, out.ConversationID, out.Payload = TypeMessageRecalled, ev.ConversationID, Recall{MessageID: ev.MessageID}
	case eventschema.AgentJoined:
		out.Type, out.ConversationID = TypeAgentJoined, ev.ConversationID
		out.Payload = Presence{AgentID: ev.AgentID, AgentName: name(ev.AgentID), Reason: ev.How}
	case eventschema.AgentLeft:
		out.Type, out.ConversationID = TypeAgentLeft, ev.ConversationID
		out.Payload = Presence{AgentID: ev.AgentID, AgentName: name(ev.AgentID), Reason: ev.How}
	case eventschema.RatingInvited:
		out.Type, out.ConversationID, out.Payload = TypeRatingInvitation, ev.ConversationID, RatingInvitation{By: ev.By}
	case eventschema.ConversationClosed:
		out.Type, out.ConversationID, out.Payload = TypeConversationClosed, ev.ConversationID, Closed{Reason: ev.Reason}
	default:
		return Event{}, false
	}
	if out.TenantID == uuid.Nil {
		out.TenantID = tenantOf(payload)
	}
	return out, true
}

func tenantOf(payload any) uuid.UUID {
	var t struct {
		TenantID uuid.UUID `json:"tenant_id"`
	}
	if b, err := json.Marshal(payload); err == nil {
		_ = json.Unmarshal(b, &t)
	}
	return t.TenantID
}

// DeliveryID names the delivery of one event to one endpoint. It is the
// same on every attempt and after every restart, so a receiver that saw it
// once may drop the repeat.
func DeliveryID(endpointID, eventID uuid.UUID) uuid.UUID {
	return uuid.NewSHA1(endpointID, eventID[:])
}

// Sign is a delivery's signature: "sha256=" and the hex HMAC-SHA256 of the
// exact request body, keyed with the endpoint's secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature in constant time, as receivers should.
func Verify(secret string, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(signature))
}
