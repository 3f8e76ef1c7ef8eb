package conversation

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/eventschema"
)

// Limits of the manual (files) and of this service (texts).
const (
	// MaxFileSize: images and files of at most 10 MB, as stored references.
	MaxFileSize = 10 << 20
	// MaxText bounds a message's text, a whisper and a note.
	MaxText = 5000
	// MaxRemark bounds tag remarks and rating remarks (the console counts
	// to 1000).
	MaxRemark = 1000
	// MaxLabels bounds the labels of one rating.
	MaxLabels = 20
	// DefaultRecallWindow: agents recall messages within 2 minutes.
	DefaultRecallWindow = 2 * time.Minute
)

// Actor is who acts on a conversation: its kind (eventschema.Sender… for
// messages; "agent", "admin", "customer" otherwise) and ID.
type Actor struct {
	Kind string
	ID   string
}

func errClosed() error {
	return domain.Errorf(domain.Conflict, "conversation.closed", "", "the conversation is closed")
}

func errMissing() error {
	return domain.Errorf(domain.NotFound, "conversation.not_found", "", "no such conversation")
}

// live checks that the conversation exists and is not closed: a closed
// conversation accepts nothing but tags and a rating.
func (s State) live() error {
	if !s.Exists {
		return errMissing()
	}
	if s.IsClosed {
		return errClosed()
	}
	return nil
}

// Start is a new conversation.
type Start struct {
	TenantID       uuid.UUID
	ConversationID uuid.UUID
	Channel        string
	ChannelAccount string
	Entry          string
	EntryTeamID    uuid.UUID
	CustomerID     uuid.UUID
	CustomerName   string
	VIP            bool
	// StartedBy is the agent of an outbound conversation (zero: the
	// customer started it). The agent serves it from the start, in
	// SegmentID.
	StartedBy uuid.UUID
	SegmentID uuid.UUID
}

// StartConversation decides a new conversation. A blacklisted customer
// cannot start one (the caller looks the blacklist up).
func StartConversation(s State, c Start, blacklisted bool) ([]any, error) {
	if s.Exists {
		return nil, domain.Errorf(domain.Conflict, "conversation.exists", "", "conversation %s exists", c.ConversationID)
	}
	if c.Channel == "" || len(c.Channel) > 50 {
		return nil, domain.Errorf(domain.Invalid, "conversation.channel", "channel", "must be 1 to 50 characters")
	}
	if c.CustomerID == uuid.Nil {
		return nil, domain.Errorf(domain.Invalid, "conversation.customer", "customer_id", "is required")
	}
	if utf8.RuneCountInString(c.CustomerName) > 100 {
		return nil, domain.Errorf(domain.Invalid, "conversation.customer_name", "customer_name", "must be at most 100 characters")
	}
	if len(c.ChannelAccount) > 200 || len(c.Entry) > 200 {
		return nil, domain.Errorf(domain.Invalid, "conversation.entry", "entry", "entry and channel account must be at most 200 characters")
	}
	if blacklisted {
		return nil, domain.Errorf(domain.Forbidden, "conversation.customer_blacklisted", "customer_id",
			"the customer is on the blacklist and cannot start conversations")
	}
	out := []any{eventschema.ConversationStarted{TenantID: c.TenantID, ConversationID: c.ConversationID,
		Channel: c.Channel, ChannelAccount: c.ChannelAccount, Entry: c.Entry, EntryTeamID: c.EntryTeamID,
		CustomerID: c.CustomerID, CustomerName: c.CustomerName, VIP: c.VIP,
		Outbound: c.StartedBy != uuid.Nil, StartedBy: c.StartedBy}}
	if c.StartedBy != uuid.Nil {
		// The agent who reaches out serves the conversation: a manual join
		// that ends no episode.
		out = append(out, eventschema.AgentJoined{TenantID: c.TenantID, ConversationID: c.ConversationID,
			AgentID: c.StartedBy, SegmentID: c.SegmentID, How: eventschema.JoinedManual, TeamID: c.EntryTeamID})
	}
	return out, nil
}

// Queue decides that the conversation waits for an agent of team: it opens
// an episode. VIP conversations go first in the queue (the flag is the
// conversation's).
func Queue(s State, episodeID, teamID uuid.UUID, reason string) ([]any, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	if teamID == uuid.Nil {
		return nil, domain.Errorf(domain.Invalid, "queue.team", "team_id", "is required")
	}
	if s.Segment.ID != uuid.Nil {
		return nil, domain.Errorf(domain.Conflict, "conversation.serving", "", "an agent serves the conversation")
	}
	if s.Episode.ID != uuid.Nil {
		return nil, domain.Errorf(domain.Conflict, "conversation.queued", "", "the conversation is already queued")
	}
	return []any{eventschema.ConversationQueued{TenantID: s.TenantID, ConversationID: s.ID, EpisodeID: episodeID,
		TeamID: teamID, VIP: s.VIP, Reason: reason}}, nil
}

// Join is an agent taking the conversation.
type Join struct {
	AgentID   uuid.UUID
	SegmentID uuid.UUID
	// How is one of eventschema.Joined…
	How           string
	ReservationID uuid.UUID
}

// JoinConversation decides that an agent starts serving: it opens a
// segment and ends the open queue episode, if any, as succeeded. Nobody
// joins a conversation someone serves; transfers hand over instead.
func JoinConversation(s State, j Join) ([]any, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	switch j.How {
	case eventschema.JoinedAuto, eventschema.JoinedManual, eventschema.JoinedAdmin, eventschema.JoinedRoutedAgent:
	default:
		return nil, domain.Errorf(domain.Invalid, "join.how", "how", "must be auto, manual, admin_assigned or routed")
	}
	if j.AgentID == uuid.Nil {
		return nil, domain.Errorf(domain.Invalid, "join.agent", "agent_id", "is required")
	}
	if s.Segment.AgentID == j.AgentID {
		return nil, domain.Errorf(domain.Conflict, "conversation.already_serving", "agent_id", "the agent already serves this conversation")
	}
	if s.Segment.ID != uuid.Nil {
		return nil, domain.Errorf(domain.Conflict, "conversation.serving", "", "another agent serves the conversation")
	}
	return []any{s.joined(j.AgentID, j.SegmentID, j.How, s.TeamID, uuid.Nil, j.ReservationID)}, nil
}

func (s State) joined(agentID, segmentID uuid.UUID, how string, teamID, transferID, reservationID uuid.UUID) eventschema.AgentJoined {
	return eventschema.AgentJoined{TenantID: s.TenantID, ConversationID: s.ID, AgentID: agentID, SegmentID: segmentID,
		How: how, EpisodeID: s.Episode.ID, TeamID: teamID, TransferID: transferID, ReservationID: reservationID}
}

// FromQueue is a join from the queue list: an agent's own (manual) or an
// admin's assignment of an agent.
type FromQueue struct {
	AgentID   uuid.UUID
	SegmentID uuid.UUID
	// ByAdmin: an admin joins or assigns; admins may always, agents only
	// while the tenant allows manual join.
	ByAdmin bool
	// Assign: the admin assigns AgentID (else AgentID joins itself).
	Assign bool
	// AllowManualJoin is the setting queue.allow_manual_join.
	AllowManualJoin bool
	// Member: AgentID belongs to the team the conversation waits for. An
	// agent joins only its own teams' conversations; admins are exempt.
	Member bool
}

// JoinFromQueue decides a manual join or an admin's assignment from the
// queue.
func JoinFromQueue(s State, q FromQueue) ([]any, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	if q.Assign && !q.ByAdmin {
		return nil, domain.Errorf(domain.Forbidden, "queue.assign_admin_only", "", "only admins assign conversations from the queue")
	}
	if !q.ByAdmin && !q.AllowManualJoin {
		return nil, domain.Errorf(domain.Forbidden, "queue.manual_join_off", "", "agents may not join conversations from the queue (function switch)")
	}
	if s.Segment.AgentID == q.AgentID && q.AgentID != uuid.Nil {
		return nil, domain.Errorf(domain.Conflict, "conversation.already_serving", "agent_id", "the agent already serves this conversation")
	}
	if s.Episode.ID == uuid.Nil && !(q.ByAdmin && s.Segment.ID == uuid.Nil) {
		// An admin may also take or assign a conversation nobody serves
		// that waits in no queue (unrouted, or with a robot): no
		// conversation is a dead end.
		return nil, domain.Errorf(domain.Conflict, "conversation.not_queued", "", "the conversation is not in the queue")
	}
	if !q.ByAdmin && !q.Member {
		return nil, domain.Errorf(domain.Forbidden, "queue.not_team_member", "", "the conversation waits for a team the agent is not in")
	}
	how := eventschema.JoinedManual
	if q.Assign {
		how = eventschema.JoinedAdmin
	}
	return JoinConversation(s, Join{AgentID: q.AgentID, SegmentID: q.SegmentID, How: how})
}

// Send is a message to send.
type Send struct {
	MessageID uuid.UUID
	Sender    Actor // Kind: eventschema.Sender…
	Type      string
	Text      string
	File      *eventschema.FileRef
	Location  *eventschema.Location
	Custom    json.RawMessage
	// Notice names a system message (welcome, transfer_notice, …).
	Notice string
	// DefaultAddress is what ##dear## in an agent's message becomes when
	// the customer has no valid nickname (greetings.default_address).
	DefaultAddress string
}

var fileTypes = []string{"image", "file", "audio", "video"}

// validate checks a message's content against its type.
func (m Send) validate() error {
	if n := utf8.RuneCountInString(m.Text); n > MaxText {
		return domain.Errorf(domain.Invalid, "message.text", "text", "must be at most %d characters", MaxText)
	}
	switch {
	case m.Type == "text" || m.Type == "emoji" || m.Type == "url":
		if strings.TrimSpace(m.Text) == "" {
			return domain.Errorf(domain.Invalid, "message.text", "text", "a %s message needs text", m.Type)
		}
	case slices.Contains(fileTypes, m.Type):
		if m.File == nil || m.File.URL == "" {
			return domain.Errorf(domain.Invalid, "message.file", "file", "a %s message needs a file reference", m.Type)
		}
		if m.File.Size < 0 || m.File.Size > MaxFileSize {
			return domain.Errorf(domain.Invalid, "message.file_size", "file.size", "files are at most 10 MB")
		}
	case m.Type == "location":
		if m.Location == nil || m.Location.Latitude < -90 || m.Location.Latitude > 90 ||
			m.Location.Longitude < -180 || m.Location.Longitude > 180 {
			return domain.Errorf(domain.Invalid, "message.location", "location", "a location message needs a latitude and longitude")
		}
	case m.Type == "custom":
		if len(m.Custom) == 0 || !json.Valid(m.Custom) {
			return domain.Errorf(domain.Invalid, "message.custom", "custom", "a custom message needs a JSON payload")
		}
	default:
		return domain.Errorf(domain.Invalid, "message.type", "type",
			"must be text, emoji, image, file, audio, video, location, url or custom")
	}
	return nil
}

// SendMessage decides a message. The customer writes while the
// conversation is open; agents write while they serve it or were invited
// as experts; system notices and the robot write any time before the
// close. The message belongs to the segment open now.
func SendMessage(s State, m Send) ([]any, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	if m.Sender.Kind == eventschema.SenderAgent {
		// An agent's ##dear## addresses the customer, as greetings do.
		m.Text = strings.ReplaceAll(m.Text, Placeholder, Address(s.CustomerName, m.DefaultAddress))
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	switch m.Sender.Kind {
	case eventschema.SenderCustomer:
		if m.Sender.ID != s.CustomerID.String() {
			return nil, domain.Errorf(domain.Forbidden, "message.not_customer", "", "only the conversation's customer writes as the customer")
		}
	case eventschema.SenderAgent:
		id, _ := uuid.Parse(m.Sender.ID)
		if id == uuid.Nil || (id != s.Segment.AgentID && !s.Experts[id]) {
			return nil, domain.Errorf(domain.Forbidden, "message.not_participant", "", "only the serving agent or an invited expert writes in this conversation")
		}
	case eventschema.SenderRobot:
		if s.Robot == uuid.Nil || m.Sender.ID != s.Robot.String() {
			return nil, domain.Errorf(domain.Forbidden, "message.not_robot_host", "", "only the robot hosting the conversation writes as a robot, until it hands over")
		}
	case eventschema.SenderSystem:
	default:
		return nil, domain.Errorf(domain.Invalid, "message.sender", "sender_kind", "must be customer, agent, system or robot")
	}
	if m.Notice != "" && m.Sender.Kind != eventschema.SenderSystem {
		return nil, domain.Errorf(domain.Invalid, "message.notice", "notice", "only system messages are notices")
	}
	if _, dup := s.Messages[m.MessageID]; dup {
		return nil, nil // the same message sent again
	}
	return []any{eventschema.MessageSent{TenantID: s.TenantID, ConversationID: s.ID, MessageID: m.MessageID,
		SenderKind: m.Sender.Kind, SenderID: m.Sender.ID, Type: m.Type, Text: m.Text, File: m.File,
		Location: m.Location, Custom: m.Custom, SegmentID: s.Segment.ID, Notice: m.Notice}}, nil
}

// Recall is a sender taking a message back.
type Recall struct {
	MessageID uuid.UUID
	By        Actor
	// SentAt is when the message was sent (from its event's record); Now
	// the clock's time; Window the tenant's recall window (0: recall off).
	SentAt, Now time.Time
	Window      time.Duration
}

// RecallMessage decides a recall: only by its sender, within the window
// after sending, while the conversation is open. A recalled message still
// counts as sent.
func RecallMessage(s State, r Recall) ([]any, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	m, ok := s.Messages[r.MessageID]
	if !ok {
		return nil, domain.Errorf(domain.NotFound, "message.not_found", "message_id", "no such message in this conversation")
	}
	if m.SenderKind != r.By.Kind || m.SenderID != r.By.ID {
		return nil, domain.Errorf(domain.Forbidden, "message.not_sender", "", "only the sender recalls a message")
	}
	if m.Recalled {
		return nil, nil
	}
	if !slices.Contains(RecallChannels, s.Channel) {
		return nil, domain.Errorf(domain.Conflict, "message.recall_channel", "", "messages are recalled only in conversations from %s; this one is from %s",
			strings.Join(RecallChannels, " and "), s.Channel)
	}
	if r.Window <= 0 {
		return nil, domain.Errorf(domain.Conflict, "message.recall_off", "", "message recall is turned off")
	}
	if r.Now.Sub(r.SentAt) > r.Window {
		return nil, domain.Errorf(domain.Conflict, "message.recall_window", "", "messages are recalled within %s of sending", r.Window)
	}
	return []any{eventschema.MessageRecalled{TenantID: s.TenantID, ConversationID: s.ID, MessageID: r.MessageID}}, nil
}

// RecallChannels are the channels whose conversations allow recalls: the
// manual offers recall "when having a conversation with a customer from
// app or web", where the chat window can take a message back.
var RecallChannels = []string{"web", "app"}

// Whisper decides an admin's message seen only by the serving agent.
func Whisper(s State, whisperID, adminID uuid.UUID, text string) ([]any, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	if strings.TrimSpace(text) == "" || utf8.RuneCountInString(text) > MaxText {
		return nil, domain.Errorf(domain.Invalid, "whisper.text", "text", "must be 1 to %d characters", MaxText)
	}
	if s.Segment.ID == uuid.Nil {
		return nil, domain.Errorf(domain.Conflict, "conversation.not_serving", "", "no agent serves the conversation")
	}
	return []any{eventschema.WhisperSent{TenantID: s.TenantID, ConversationID: s.ID, WhisperID: whisperID,
		AdminID: adminID, AgentID: s.Segment.AgentID, Text: text}}, nil
}
