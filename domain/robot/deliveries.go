package robot

import (
	"github.com/google/uuid"

	"supportd/domain/webhook"
	"supportd/eventschema"
)

// TypeConversation is the delivery that gives a robot a conversation to
// host; the others a robot receives are the customer's messages (webhook
// TypeMessage) and the close (webhook TypeConversationClosed).
const TypeConversation = "robot_conversation"

// Conversation is the payload of TypeConversation: who the customer is and
// where the conversation comes from.
type Conversation struct {
	CustomerID     uuid.UUID `json:"customer_id"`
	CustomerName   string    `json:"customer_name"`
	Channel        string    `json:"channel"`
	ChannelAccount string    `json:"channel_account"`
	Entry          string    `json:"entry"`
}

// Tracks reports whether events of this type change or concern which robot
// hosts a conversation, so a reader skips decoding every other event.
func Tracks(eventType string) bool { return tracked[eventType] }

var tracked = map[string]bool{
	"ConversationRouted": true, "ConversationQueued": true, "AgentJoined": true,
	"MessageSent": true, "ConversationClosed": true,
}

// Host folds one event into the robot hosting a conversation (uuid.Nil:
// none), as conversation.State.Robot does.
func Host(host uuid.UUID, payload any) uuid.UUID {
	switch e := payload.(type) {
	case eventschema.ConversationRouted:
		if e.TargetKind == "robot" {
			return e.TargetID
		}
	case eventschema.ConversationQueued, eventschema.AgentJoined, eventschema.ConversationClosed:
		return uuid.Nil
	}
	return host
}

// Delivery is what the robot hosting a conversation (host, before this
// event) is told of an event, if anything: the conversation it now hosts,
// each message of the customer, and the close while it hosts. started is
// the conversation's start.
func Delivery(e eventschema.Envelope, payload any, host uuid.UUID, started eventschema.ConversationStarted) (robotID uuid.UUID, ev webhook.Event, ok bool) {
	ev = webhook.Event{EventID: e.ID, TenantID: e.Metadata.TenantID, Position: e.Position, OccurredAt: e.Metadata.OccurredAt,
		ConversationID: started.ConversationID}
	switch p := payload.(type) {
	case eventschema.ConversationRouted:
		if p.TargetKind != "robot" {
			return uuid.Nil, ev, false
		}
		ev.Type, ev.Payload = TypeConversation, Conversation{CustomerID: started.CustomerID, CustomerName: started.CustomerName,
			Channel: started.Channel, ChannelAccount: started.ChannelAccount, Entry: started.Entry}
		return p.TargetID, ev, true
	case eventschema.MessageSent:
		if host == uuid.Nil || p.SenderKind != eventschema.SenderCustomer {
			return uuid.Nil, ev, false
		}
		ev.Type, ev.Payload = webhook.TypeMessage, webhook.Message{MessageID: p.MessageID, SenderKind: p.SenderKind, SenderID: p.SenderID,
			Type: p.Type, Text: p.Text, File: p.File, Location: p.Location, Custom: p.Custom}
		return host, ev, true
	case eventschema.ConversationClosed:
		if host == uuid.Nil {
			return uuid.Nil, ev, false
		}
		ev.Type, ev.Payload = webhook.TypeConversationClosed, webhook.Closed{Reason: p.Reason}
		return host, ev, true
	}
	return uuid.Nil, ev, false
}
