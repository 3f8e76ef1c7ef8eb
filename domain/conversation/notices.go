package conversation

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/google/uuid"

	"supportd/eventschema"
)

// Notice kinds of system messages (eventschema.MessageSent.Notice).
const (
	NoticeWelcome       = "welcome"
	NoticeTeamGreeting  = "team_greeting"
	NoticeAgentGreeting = "agent_greeting"
	NoticeClosing       = "closing_notice"
	NoticeTransfer      = "transfer_notice"
	NoticeExpertInvited = "expert_invited"
	NoticeExpertRemoved = "expert_removed"
)

// Placeholder in greetings stands for how the customer is addressed.
const Placeholder = "##dear##"

// Notice is a system message to send: what it is and its text.
type Notice struct {
	Kind string
	Text string
	// Actions are buttons the customer's chat window shows with the
	// message (ActionLeaveNote), sent as the message's custom payload
	// {"actions": [...]}; none for most notices.
	Actions []string
}

// ActionLeaveNote is the queue reminder's "Note" button: the customer
// leaves a note and the queued conversation closes (LeaveNote).
const ActionLeaveNote = "leave_note"

// WelcomeChannels are the channels whose customers receive the welcome
// message: the manual names web and app, where the chat window opens
// before the customer writes.
var WelcomeChannels = []string{"web", "app"}

// Welcome answers the welcome message of a new conversation on channel
// (settings welcome.enabled and welcome.message); an empty message sends
// nothing.
func Welcome(channel string, enabled bool, message string) (Notice, bool) {
	message = strings.TrimSpace(message)
	if !enabled || message == "" || !slices.Contains(WelcomeChannels, channel) {
		return Notice{}, false
	}
	return Notice{Kind: NoticeWelcome, Text: message}, true
}

// Address is how greetings address the customer: the nickname when it is
// valid (not blank), else the tenant's default address.
func Address(customerName, defaultAddress string) string {
	if n := strings.TrimSpace(customerName); n != "" {
		return n
	}
	return strings.TrimSpace(defaultAddress)
}

// Greeting is what the greetings of a newly joined agent depend on.
type Greeting struct {
	// TeamGreeting is the greeting of the team the conversation is routed
	// to; AgentGreeting the joining agent's own.
	TeamGreeting, AgentGreeting  string
	CustomerName, DefaultAddress string
	// How is how the agent joined (eventschema.Joined…); AfterTransfer
	// that it picked the conversation up after a transfer, at once or from
	// the queue the transfer sent it to (Segment.AfterTransfer).
	How           string
	AfterTransfer bool
	// SkipOnTransfer is the setting transfer.skip_greetings.
	SkipOnTransfer bool
	// OffHours: the team is outside its working hours now.
	OffHours bool
}

// Greetings answers the system messages sent when an agent joins: the
// team's greeting, then the agent's, each with ##dear## replaced by the
// customer's address; blank greetings send nothing. With "skip greetings on
// transfer" on, an agent who picks up a transferred conversation, by any
// way of transferring, sends none: the customer was greeted already. The
// agent's greeting is not sent during off hours, as the manual notes.
func Greetings(g Greeting) []Notice {
	if g.SkipOnTransfer && (g.How == eventschema.JoinedTransfer || g.AfterTransfer) {
		return nil
	}
	address := Address(g.CustomerName, g.DefaultAddress)
	var out []Notice
	for _, n := range []Notice{{Kind: NoticeTeamGreeting, Text: g.TeamGreeting}, {Kind: NoticeAgentGreeting, Text: g.AgentGreeting}} {
		if n.Kind == NoticeAgentGreeting && g.OffHours {
			continue
		}
		if t := strings.TrimSpace(n.Text); t != "" {
			out = append(out, Notice{Kind: n.Kind, Text: strings.ReplaceAll(t, Placeholder, address)})
		}
	}
	return out
}

// ClosingTexts are the tenant's closing notices.
type ClosingTexts struct {
	// NotifyOnManualClose is conversation.notify_on_manual_close; Manual
	// conversation.closing_message, sent when an agent or admin closes.
	NotifyOnManualClose bool
	Manual              string
	// Inactivity is conversation.inactivity_close_message; NoReply
	// conversation.close_on_customer_no_reply.close_message.
	Inactivity, NoReply string
}

// ClosingNotice answers the notice sent to the customer as the
// conversation closes for reason. The customer who ends the chat, leaves a
// note or is blacklisted gets none; an empty text sends none.
func ClosingNotice(reason string, t ClosingTexts) (Notice, bool) {
	var text string
	switch reason {
	case eventschema.ClosedByAgent, eventschema.ClosedByAdmin:
		if t.NotifyOnManualClose {
			text = t.Manual
		}
	case eventschema.ClosedByInactivity:
		text = t.Inactivity
	case eventschema.ClosedByCustomerNoReply:
		text = t.NoReply
	}
	if text = strings.TrimSpace(text); text == "" {
		return Notice{}, false
	}
	return Notice{Kind: NoticeClosing, Text: text}, true
}

// AutoInvite is the tenant's rating.* settings for invitations on close.
type AutoInvite struct {
	// Channels is rating.auto_invite: which channels invite.
	Channels map[string]bool
	// SkipSingleMessage is rating.skip_single_message; SkipAutoClosed
	// rating.skip_when_auto_closed; RobotOnly rating.invite_robot_only.
	SkipSingleMessage, SkipAutoClosed, RobotOnly bool
}

// autoClosed are the closes the system decides, not a person.
var autoClosed = []string{eventschema.ClosedByInactivity, eventschema.ClosedByCustomerNoReply}

// InviteOnClose answers whether closing s for reason invites the customer
// to rate automatically. One invitation per conversation: not when it is
// rated or the agent invited already. Not on a channel the tenant left
// off; not for a blacklisted customer or a note (nobody served); not when
// at most one message of the customer and agents was exchanged, if the
// tenant says so; not after a close by the system, if the tenant says so;
// and a conversation no agent served invites only when a robot hosted it
// and the tenant wants robot-only conversations rated.
func InviteOnClose(s State, reason string, a AutoInvite) bool {
	if s.Rated || s.AgentInvite || !a.Channels[s.Channel] {
		return false
	}
	if reason == eventschema.ClosedByBlacklist || reason == eventschema.ClosedByNote {
		return false
	}
	if a.SkipAutoClosed && slices.Contains(autoClosed, reason) {
		return false
	}
	if a.SkipSingleMessage && exchanged(s) <= 1 {
		return false
	}
	if !s.Served {
		return s.Robot != uuid.Nil && a.RobotOnly
	}
	return true
}

// exchanged counts the messages of the customer and the agents (system
// notices and the robot do not count).
func exchanged(s State) int {
	n := 0
	for _, m := range s.Messages {
		if m.SenderKind == eventschema.SenderCustomer || m.SenderKind == eventschema.SenderAgent {
			n++
		}
	}
	return n
}

// noticeID names a notice's message, derived from what it belongs to (the
// conversation, a segment), so a retried command sends it once.
func noticeID(of uuid.UUID, kind string) uuid.UUID { return uuid.NewSHA1(of, []byte(kind)) }

// SendNotices decides system messages for the notices, in order. Each
// message ID derives from of and the notice kind, so sending again is
// harmless.
func SendNotices(s State, of uuid.UUID, notices []Notice) ([]any, error) {
	var out []any
	for _, n := range notices {
		var custom json.RawMessage
		if len(n.Actions) > 0 {
			custom, _ = json.Marshal(map[string][]string{"actions": n.Actions})
		}
		ev, err := SendMessage(fold(s, out), Send{MessageID: noticeID(of, n.Kind), Sender: Actor{Kind: eventschema.SenderSystem},
			Type: "text", Text: n.Text, Notice: n.Kind, Custom: custom})
		if err != nil {
			return nil, err
		}
		out = append(out, ev...)
	}
	return out, nil
}

// CloseNotices are the system messages and the invitation a close may
// bring.
type CloseNotices struct {
	Closing ClosingTexts
	Invite  AutoInvite
}

// CloseWithNotices decides a close (Close) with its closing notice, sent
// first while the segment is still open, and the automatic rating
// invitation, recorded right before ConversationClosed.
func CloseWithNotices(s State, c CloseRequest, n CloseNotices) ([]any, error) {
	closing, err := Close(s, c)
	if err != nil {
		return nil, err
	}
	var out []any
	if notice, ok := ClosingNotice(c.Reason, n.Closing); ok {
		if out, err = SendNotices(s, s.ID, []Notice{notice}); err != nil {
			return nil, err
		}
	}
	if InviteOnClose(s, c.Reason, n.Invite) {
		// Just before ConversationClosed, which stays the last word of the
		// conversation (only tags and ratings follow it).
		last := len(closing) - 1
		closing = append(closing[:last:last], eventschema.RatingInvited{TenantID: s.TenantID, ConversationID: s.ID, By: "auto"}, closing[last])
	}
	return append(out, closing...), nil
}
