package eventschema

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// Conversation events live in the conversation's stream
// ("conversation-{conversation id}"). Together they let every report of
// METRICS.md be computed from the log alone:
//   - segments (one agent serving the conversation) open with AgentJoined
//     and close with AgentLeft, both carrying the segment ID;
//   - queue episodes open with ConversationQueued and close either with the
//     AgentJoined that names the episode (succeeded) or with
//     ConversationLeftQueue (abandoned);
//   - every MessageSent names its sender kind and the segment open when it
//     was sent.

// ConversationStarted records a new conversation, by a customer from a
// channel or, outbound, by an agent.
type ConversationStarted struct {
	TenantID       uuid.UUID `json:"tenant_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	// Channel is web, app, wechat, whatsapp, line, messenger, email, …
	Channel        string `json:"channel" jsonschema:"minLength=1"`
	ChannelAccount string `json:"channel_account"`
	// Entry is the entry point the customer came through (a page, a menu
	// item); EntryTeamID the team that entry is bound to, if any.
	Entry       string    `json:"entry"`
	EntryTeamID uuid.UUID `json:"entry_team_id"`
	CustomerID  uuid.UUID `json:"customer_id"`
	// CustomerName is the nickname shown to agents and used for ##dear##.
	CustomerName string `json:"customer_name"`
	VIP          bool   `json:"vip"`
	// Outbound: an agent (StartedBy) started it.
	Outbound  bool      `json:"outbound"`
	StartedBy uuid.UUID `json:"started_by"`
}

// Routing bindings, in the order admins rank them; default is always last.
const (
	BindingChannel         = "channel"
	BindingChannelAccount  = "channel_account"
	BindingEntry           = "entry"
	BindingCustomerProfile = "customer_profile"
	BindingDefault         = "default"
)

// ConversationRouted records which routing rule decided where a new
// conversation goes.
type ConversationRouted struct {
	TenantID       uuid.UUID `json:"tenant_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	RuleID         uuid.UUID `json:"rule_id"`
	Binding        string    `json:"binding" jsonschema:"enum=channel,enum=channel_account,enum=entry,enum=customer_profile,enum=default"`
	// TargetKind is robot, team or agent.
	TargetKind string    `json:"target_kind" jsonschema:"enum=robot,enum=team,enum=agent"`
	TargetID   uuid.UUID `json:"target_id"`
	// WorkTime: the rule's working-hours branch applied (false: non-work
	// hours, or a rule not split by hours).
	WorkTime bool `json:"work_time"`
	// Unmatched: no rule matched, the conversation went to the default team
	// and admins are alerted.
	Unmatched bool `json:"unmatched"`
}

// Reasons a conversation enters the queue.
const (
	QueuedRouted          = "routed"
	QueuedTransferredTeam = "transferred_to_team"
	QueuedFromRobot       = "handed_over_by_robot"
	QueuedAgentLeft       = "agent_left"
)

// ConversationQueued opens a queue episode: the conversation waits for an
// agent of TeamID. VIP conversations go first, then the oldest.
type ConversationQueued struct {
	TenantID       uuid.UUID `json:"tenant_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	EpisodeID      uuid.UUID `json:"episode_id"`
	TeamID         uuid.UUID `json:"team_id"`
	VIP            bool      `json:"vip"`
	Reason         string    `json:"reason" jsonschema:"enum=routed,enum=transferred_to_team,enum=handed_over_by_robot,enum=agent_left"`
}

// Reasons a queue episode ends without an agent.
const (
	AbandonedCustomerLeft = "customer_left"
	AbandonedClosed       = "closed"
	AbandonedBlacklisted  = "blacklisted"
	AbandonedNote         = "note"
	AbandonedTimeout      = "timeout"
)

// ConversationLeftQueue closes a queue episode that no agent took: it was
// abandoned.
type ConversationLeftQueue struct {
	TenantID       uuid.UUID `json:"tenant_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	EpisodeID      uuid.UUID `json:"episode_id"`
	Reason         string    `json:"reason" jsonschema:"enum=customer_left,enum=closed,enum=blacklisted,enum=note,enum=timeout"`
}

// How an agent joins a conversation.
const (
	JoinedAuto        = "auto"           // assigned by the dispatcher
	JoinedManual      = "manual"         // joined from the queue list
	JoinedAdmin       = "admin_assigned" // assigned by an admin
	JoinedTransfer    = "transfer"       // took over a transfer
	JoinedRoutedAgent = "routed"         // a routing rule named the agent
)

// AgentJoined opens a segment: AgentID serves the conversation from now on.
// EpisodeID names the queue episode it ends (zero when the agent did not
// come from the queue). TeamID is the team the conversation was routed to
// at this moment: team reports count the segment there.
type AgentJoined struct {
	TenantID       uuid.UUID `json:"tenant_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	AgentID        uuid.UUID `json:"agent_id"`
	SegmentID      uuid.UUID `json:"segment_id"`
	How            string    `json:"how" jsonschema:"enum=auto,enum=manual,enum=admin_assigned,enum=transfer,enum=routed"`
	EpisodeID      uuid.UUID `json:"episode_id"`
	TeamID         uuid.UUID `json:"team_id"`
	TransferID     uuid.UUID `json:"transfer_id"`
	// ReservationID names the dispatcher's reservation on the agent's
	// stream that this join confirms.
	ReservationID uuid.UUID `json:"reservation_id"`
}

// How an agent leaves a conversation.
const (
	LeftTransferred = "transferred"
	LeftClosed      = "closed"
	LeftRemoved     = "removed"
)

// AgentLeft closes a segment.
type AgentLeft struct {
	TenantID       uuid.UUID `json:"tenant_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	AgentID        uuid.UUID `json:"agent_id"`
	SegmentID      uuid.UUID `json:"segment_id"`
	How            string    `json:"how" jsonschema:"enum=transferred,enum=closed,enum=removed"`
}

// Sender kinds of messages, as the reports count them.
const (
	SenderCustomer = "customer"
	SenderAgent    = "agent"
	SenderSystem   = "system"
	SenderRobot    = "robot"
)

// FileRef is a stored file a message refers to (never the bytes), of at most
// 10 MB.
type FileRef struct {
	URL  string `json:"url" jsonschema:"minLength=1"`
	Name string `json:"name"`
	MIME string `json:"mime"`
	Size int64  `json:"size" jsonschema:"minimum=0,maximum=10485760"`
}

// Location is a place a message shares.
type Location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Label     string  `json:"label"`
}

// MessageSent records a message in the conversation. Whispers and internal
// notes are other events: they are not messages for the reports.
type MessageSent struct {
	TenantID       uuid.UUID `json:"tenant_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	MessageID      uuid.UUID `json:"message_id"`
	SenderKind     string    `json:"sender_kind" jsonschema:"enum=customer,enum=agent,enum=system,enum=robot"`
	SenderID       string    `json:"sender_id"`
	// Type is text, emoji, image, file, audio, video, location, url or
	// custom.
	Type     string          `json:"type" jsonschema:"enum=text,enum=emoji,enum=image,enum=file,enum=audio,enum=video,enum=location,enum=url,enum=custom"`
	Text     string          `json:"text"`
	File     *FileRef        `json:"file,omitempty"`
	Location *Location       `json:"location,omitempty"`
	Custom   json.RawMessage `json:"custom,omitempty"`
	// SegmentID is the segment open when the message was sent (zero when no
	// agent served the conversation then).
	SegmentID uuid.UUID `json:"segment_id"`
	// Notice names what a system message is: welcome, team_greeting,
	// agent_greeting, queue_reminder, no_reply_reminder (the agent is
	// late), customer_reminder (the customer is silent), transfer_notice,
	// closing_notice, rating_invitation; empty for other senders.
	Notice string `json:"notice,omitempty"`
}

// MessageRecalled records that the sender took a message back (within two
// minutes). It still counts as sent.
type MessageRecalled struct {
	TenantID       uuid.UUID `json:"tenant_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	MessageID      uuid.UUID `json:"message_id"`
}

// WhisperSent records an admin's message seen only by the serving agent.
type WhisperSent struct {
	TenantID       uuid.UUID `json:"tenant_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	WhisperID      uuid.UUID `json:"whisper_id"`
	AdminID        uuid.UUID `json:"admin_id"`
	AgentID        uuid.UUID `json:"agent_id"`
	Text           string    `json:"text" jsonschema:"minLength=1"`
}

// TransferRequested records an agent's request to hand the conversation to
// another agent or a team. With confirmation required, the target agent
// must accept before ExpiresAt; else the conversation stays where it is.
type TransferRequested struct {
	TenantID             uuid.UUID `json:"tenant_id"`
	ConversationID       uuid.UUID `json:"conversation_id"`
	TransferID           uuid.UUID `json:"transfer_id"`
	FromAgentID          uuid.UUID `json:"from_agent_id"`
	ToKind               string    `json:"to_kind" jsonschema:"enum=agent,enum=team"`
	ToID                 uuid.UUID `json:"to_id"`
	Reason               string    `json:"reason"`
	RequiresConfirmation bool      `json:"requires_confirmation"`
	ExpiresAt            time.Time `json:"expires_at"`
	// Automatic: the system transfers because the agent did not reply in
	// time.
	Automatic bool `json:"automatic"`
}

// Outcomes of a transfer that did not happen.
const (
	TransferRejected = "rejected"
	TransferExpired  = "expired"
	TransferRefused  = "refused" // e.g. the target went offline
)

// TransferFailed records that a requested transfer did not happen; the
// conversation stays with its agent.
type TransferFailed struct {
	TenantID       uuid.UUID `json:"tenant_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	TransferID     uuid.UUID `json:"transfer_id"`
	Outcome        string    `json:"outcome" jsonschema:"enum=rejected,enum=expired,enum=refused"`
}

// ConversationTransferred records a transfer that happened: from an agent
// to an agent or a team. It is followed by the AgentLeft of FromAgentID and
// the AgentJoined of the new agent, or a ConversationQueued for the team.
type ConversationTransferred struct {
	TenantID       uuid.UUID `json:"tenant_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	TransferID     uuid.UUID `json:"transfer_id"`
	FromAgentID    uuid.UUID `json:"from_agent_id"`
	ToKind         string    `json:"to_kind" jsonschema:"enum=agent,enum=team"`
	ToID           uuid.UUID `json:"to_id"`
	Reason         string    `json:"reason"`
	// Confirmation is "none" (no confirmation required) or "accepted".
	Confirmation string `json:"confirmation" jsonschema:"enum=none,enum=accepted"`
	Automatic    bool   `json:"automatic"`
}

// ExpertInvited records an agent invited to help in a conversation. Experts
// open no segment; reports count them apart.
type ExpertInvited struct {
	TenantID       uuid.UUID `json:"tenant_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	AgentID        uuid.UUID `json:"agent_id"`
	InvitedBy      uuid.UUID `json:"invited_by"`
}

// ExpertRemoved records an expert leaving the conversation.
type ExpertRemoved struct {
	TenantID       uuid.UUID `json:"tenant_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	AgentID        uuid.UUID `json:"agent_id"`
}

// ConversationTagged records tags added to a conversation, with a remark
// (also after it closed).
type ConversationTagged struct {
	TenantID       uuid.UUID   `json:"tenant_id"`
	ConversationID uuid.UUID   `json:"conversation_id"`
	TagIDs         []uuid.UUID `json:"tag_ids"`
	Remark         string      `json:"remark"`
}

// ConversationUntagged records tags removed from a conversation.
type ConversationUntagged struct {
	TenantID       uuid.UUID   `json:"tenant_id"`
	ConversationID uuid.UUID   `json:"conversation_id"`
	TagIDs         []uuid.UUID `json:"tag_ids"`
}

// RatingInvited records an invitation to rate: by the agent (once per
// conversation) or automatically on close.
type RatingInvited struct {
	TenantID       uuid.UUID `json:"tenant_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	// By is "agent" or "auto".
	By      string    `json:"by" jsonschema:"enum=agent,enum=auto"`
	AgentID uuid.UUID `json:"agent_id"`
}

// ConversationRated records the customer's rating. With the "last rating
// counts" rule a later rating replaces an earlier one.
type ConversationRated struct {
	TenantID       uuid.UUID `json:"tenant_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	Stars          int       `json:"stars" jsonschema:"minimum=1,maximum=5"`
	Labels         []string  `json:"labels"`
	Remark         string    `json:"remark"`
	// Resolved is the customer's answer to "was your problem solved?", if
	// asked.
	Resolved *bool `json:"resolved" jsonschema:"type=boolean"`
}

// Who or what closed a conversation.
const (
	ClosedByAgent           = "agent"
	ClosedByCustomer        = "customer"
	ClosedByBlacklist       = "blacklist"
	ClosedByCustomerNoReply = "customer_no_reply"
	ClosedByInactivity      = "inactivity"
	ClosedByNote            = "note"
	ClosedByAdmin           = "admin"
	ClosedByRobot           = "robot"
)

// ConversationClosed records the end of a conversation. It is preceded by
// the AgentLeft of the serving agent, if any, and the ConversationLeftQueue
// of an open episode, if any.
type ConversationClosed struct {
	TenantID       uuid.UUID `json:"tenant_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	Reason         string    `json:"reason" jsonschema:"enum=agent,enum=customer,enum=blacklist,enum=customer_no_reply,enum=inactivity,enum=note,enum=admin,enum=robot"`
	ClosedBy       string    `json:"closed_by"`
}

// NoteLeft records a customer's note left instead of waiting in the queue.
// The conversation closes; the note goes to the notes list, not the queue.
type NoteLeft struct {
	TenantID       uuid.UUID `json:"tenant_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	NoteID         uuid.UUID `json:"note_id"`
	Text           string    `json:"text" jsonschema:"minLength=1"`
	Contact        string    `json:"contact"`
}

// Alarm levels: 1 is a notice, 3 needs an admin at once.
const (
	AlarmLow    = 1
	AlarmMedium = 2
	AlarmHigh   = 3
)

// Alarm kinds.
const (
	// AlarmUnmatchedRouting: no routing rule matched a new conversation; it
	// went to the default team, or stays unrouted when none is set.
	AlarmUnmatchedRouting = "unmatched_routing_rule"
	// AlarmUnroutable: a rule named an agent who is in no team, so the
	// conversation could not be queued.
	AlarmUnroutable = "unroutable"
	// AlarmExcessiveWaiting: more conversations of one channel wait in the
	// queue than the tenant's alerts.excessive_waiting threshold.
	AlarmExcessiveWaiting = "excessive_waiting"
)

// AlarmRaised records an alert for the tenant's administrators about a
// conversation. Alarms are facts of the conversation they concern, so the
// consoles and the reports read them from its log.
type AlarmRaised struct {
	TenantID       uuid.UUID `json:"tenant_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	Kind           string    `json:"kind" jsonschema:"minLength=1"`
	Level          int       `json:"level" jsonschema:"minimum=1,maximum=3"`
	Detail         string    `json:"detail"`
}

// AlarmsProcessed records an administrator marking alarms processed
// (stream alarms-{tenant id}); AlarmIDs are the IDs of AlarmRaised events.
type AlarmsProcessed struct {
	TenantID    uuid.UUID   `json:"tenant_id"`
	AlarmIDs    []uuid.UUID `json:"alarm_ids" jsonschema:"minItems=1"`
	ProcessedBy uuid.UUID   `json:"processed_by"`
}

// ConversationPinned records a user pinning a conversation to the top of
// their own conversation list; pins are per user.
type ConversationPinned struct {
	TenantID       uuid.UUID `json:"tenant_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	UserID         uuid.UUID `json:"user_id"`
}

// ConversationUnpinned records a user taking their pin off a conversation.
type ConversationUnpinned struct {
	TenantID       uuid.UUID `json:"tenant_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	UserID         uuid.UUID `json:"user_id"`
}

func registerConversations(r *Registry) {
	Register[ConversationStarted](r, "ConversationStarted", 1)
	Register[ConversationRouted](r, "ConversationRouted", 1)
	Register[ConversationQueued](r, "ConversationQueued", 1)
	Register[ConversationLeftQueue](r, "ConversationLeftQueue", 1)
	Register[AgentJoined](r, "AgentJoined", 1)
	Register[AgentLeft](r, "AgentLeft", 1)
	Register[MessageSent](r, "MessageSent", 1)
	Register[MessageRecalled](r, "MessageRecalled", 1)
	Register[WhisperSent](r, "WhisperSent", 1)
	Register[TransferRequested](r, "TransferRequested", 1)
	Register[TransferFailed](r, "TransferFailed", 1)
	Register[ConversationTransferred](r, "ConversationTransferred", 1)
	Register[ExpertInvited](r, "ExpertInvited", 1)
	Register[ExpertRemoved](r, "ExpertRemoved", 1)
	Register[ConversationTagged](r, "ConversationTagged", 1)
	Register[ConversationUntagged](r, "ConversationUntagged", 1)
	Register[RatingInvited](r, "RatingInvited", 1)
	Register[ConversationRated](r, "ConversationRated", 1)
	Register[ConversationClosed](r, "ConversationClosed", 1)
	Register[NoteLeft](r, "NoteLeft", 1)
	Register[AlarmRaised](r, "AlarmRaised", 1)
	Register[AlarmsProcessed](r, "AlarmsProcessed", 1)
	Register[ConversationPinned](r, "ConversationPinned", 1)
	Register[ConversationUnpinned](r, "ConversationUnpinned", 1)
}
