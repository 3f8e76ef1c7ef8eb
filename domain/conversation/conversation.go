// Package conversation is the conversation aggregate: one customer's chat
// from its start to its close, with the segments of the agents who served
// it, its stays in the queue, its messages, transfers, experts, tags and
// rating. Stream: "conversation-{tenant id}_{conversation id}".
//
// The events keep two nestings the reports rely on (METRICS.md): a segment
// opens with AgentJoined and closes with AgentLeft, at most one open at a
// time; a queue episode opens with ConversationQueued and ends once, with
// the AgentJoined that names it or with ConversationLeftQueue. Every
// decision here keeps them: closing ends the open segment and episode
// first, a transfer closes the old segment before the new one opens.
package conversation

import (
	"time"

	"github.com/google/uuid"

	"supportd/eventschema"
)

// Stream returns the stream name of conversation id.
func Stream(tenantID, id uuid.UUID) string {
	return eventschema.ObjectStream("conversation", tenantID, id)
}

// Status is where a conversation stands, as the consoles list it.
type Status string

// The statuses.
const (
	// Open: started, neither queued nor served (unrouted, or with a robot).
	Open    Status = "open"
	Queued  Status = "queued"
	Serving Status = "serving"
	Closed  Status = "closed"
)

// Segment is the open service time of one agent.
type Segment struct {
	ID      uuid.UUID
	AgentID uuid.UUID
	// How is how the agent joined (eventschema.Joined…).
	How string
	// AfterTransfer: the agent picked the conversation up after a
	// transfer, at once or from the queue it was transferred to (greetings
	// are skipped then when the tenant says so).
	AfterTransfer bool
}

// Episode is the open stay in the queue.
type Episode struct {
	ID     uuid.UUID
	TeamID uuid.UUID
	// Reason is why it queued (eventschema.Queued…).
	Reason string
}

// Message is what recall needs to know of a sent message.
type Message struct {
	SenderKind string
	SenderID   string
	Recalled   bool
}

// Transfer is a transfer waiting for its target agent to accept.
type Transfer struct {
	ID          uuid.UUID
	FromAgentID uuid.UUID
	ToAgentID   uuid.UUID
	Reason      string
	Automatic   bool
	ExpiresAt   time.Time
}

// State is what the conversation's decisions need.
type State struct {
	ID         uuid.UUID
	TenantID   uuid.UUID
	Exists     bool
	Channel    string
	CustomerID uuid.UUID
	VIP        bool
	// CustomerName, ChannelAccount and Entry are the start's facts that
	// greetings and the robot's hand-over need.
	CustomerName   string
	ChannelAccount string
	Entry          string
	// Robot is the robot hosting the conversation (zero: none); it hosts
	// until the conversation is queued or an agent joins.
	Robot uuid.UUID
	// Served: an agent joined at some time; Agents are every agent who
	// did (the conversation's data scope lets them act on it).
	Served bool
	Agents map[uuid.UUID]bool
	// TeamID is the team the conversation is routed to now: the entry
	// team, then the team of the last queue episode or team transfer.
	TeamID  uuid.UUID
	Segment Segment // zero ID: nobody serves
	Episode Episode // zero ID: not queued
	// Pending is the transfer awaiting confirmation (zero ID: none).
	Pending     Transfer
	IsClosed    bool
	Experts     map[uuid.UUID]bool
	Tags        map[uuid.UUID]bool
	Messages    map[uuid.UUID]Message
	AgentInvite bool // the agent already invited a rating
	Rated       bool
	// Runs are the pending runs of the conversation's timeouts, by kind
	// (TimeoutRuns): a firing timer decides only on the run still pending.
	Runs map[string]Run
	// Pins are the users who pinned the conversation in their list.
	Pins map[uuid.UUID]bool
}

// TookPart reports whether user serves or served the conversation, is an
// expert in it, or is the target of its pending transfer.
func (s State) TookPart(user uuid.UUID) bool {
	return user != uuid.Nil && (s.Agents[user] || s.Experts[user] || s.Pending.ToAgentID == user)
}

// Status is the conversation's status.
func (s State) Status() Status {
	switch {
	case s.IsClosed:
		return Closed
	case s.Segment.ID != uuid.Nil:
		return Serving
	case s.Episode.ID != uuid.Nil:
		return Queued
	}
	return Open
}

// with returns a copy of m with k set to v (or deleted when del): a state
// once returned never changes.
func with[K comparable, V any](m map[K]V, k K, v V, del bool) map[K]V {
	out := make(map[K]V, len(m)+1)
	for a, b := range m {
		out[a] = b
	}
	if del {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

// Evolve folds one event of the conversation's stream into the state.
func Evolve(s State, event any) State {
	switch e := event.(type) {
	case eventschema.ConversationStarted:
		s = State{ID: e.ConversationID, TenantID: e.TenantID, Exists: true, Channel: e.Channel,
			CustomerID: e.CustomerID, VIP: e.VIP, TeamID: e.EntryTeamID, CustomerName: e.CustomerName,
			ChannelAccount: e.ChannelAccount, Entry: e.Entry}
	case eventschema.ConversationRouted:
		if e.TargetKind == "robot" {
			s.Robot = e.TargetID
		}
	case eventschema.ConversationQueued:
		s.Episode = Episode{ID: e.EpisodeID, TeamID: e.TeamID, Reason: e.Reason}
		s.TeamID = e.TeamID
		s.Robot = uuid.Nil
	case eventschema.ConversationLeftQueue:
		if s.Episode.ID == e.EpisodeID {
			s.Episode = Episode{}
		}
	case eventschema.AgentJoined:
		transferred := e.How == eventschema.JoinedTransfer ||
			(e.EpisodeID != uuid.Nil && s.Episode.ID == e.EpisodeID && s.Episode.Reason == eventschema.QueuedTransferredTeam)
		s.Segment = Segment{ID: e.SegmentID, AgentID: e.AgentID, How: e.How, AfterTransfer: transferred}
		s.Served, s.Robot = true, uuid.Nil
		s.Agents = with(s.Agents, e.AgentID, true, false)
		if e.EpisodeID != uuid.Nil && s.Episode.ID == e.EpisodeID {
			s.Episode = Episode{}
		}
		if e.TeamID != uuid.Nil {
			s.TeamID = e.TeamID
		}
	case eventschema.AgentLeft:
		if s.Segment.ID == e.SegmentID {
			s.Segment = Segment{}
		}
	case eventschema.MessageSent:
		s.Messages = with(s.Messages, e.MessageID, Message{SenderKind: e.SenderKind, SenderID: e.SenderID}, false)
	case eventschema.MessageRecalled:
		if m, ok := s.Messages[e.MessageID]; ok {
			m.Recalled = true
			s.Messages = with(s.Messages, e.MessageID, m, false)
		}
	case eventschema.TransferRequested:
		if e.RequiresConfirmation {
			s.Pending = Transfer{ID: e.TransferID, FromAgentID: e.FromAgentID, ToAgentID: e.ToID,
				Reason: e.Reason, Automatic: e.Automatic, ExpiresAt: e.ExpiresAt}
		}
	case eventschema.TransferFailed:
		if s.Pending.ID == e.TransferID {
			s.Pending = Transfer{}
		}
	case eventschema.ConversationTransferred:
		if s.Pending.ID == e.TransferID {
			s.Pending = Transfer{}
		}
		if e.ToKind == "team" {
			s.TeamID = e.ToID
		}
	case eventschema.ExpertInvited:
		s.Experts = with(s.Experts, e.AgentID, true, false)
	case eventschema.ExpertRemoved:
		s.Experts = with(s.Experts, e.AgentID, false, true)
	case eventschema.ConversationTagged:
		for _, id := range e.TagIDs {
			s.Tags = with(s.Tags, id, true, false)
		}
	case eventschema.ConversationUntagged:
		for _, id := range e.TagIDs {
			s.Tags = with(s.Tags, id, false, true)
		}
	case eventschema.RatingInvited:
		if e.By == "agent" {
			s.AgentInvite = true
		}
	case eventschema.ConversationRated:
		s.Rated = true
	case eventschema.ConversationPinned:
		s.Pins = with(s.Pins, e.UserID, true, false)
	case eventschema.ConversationUnpinned:
		s.Pins = with(s.Pins, e.UserID, false, true)
	case eventschema.ConversationClosed:
		s.IsClosed = true
	}
	s.Runs = evolveRuns(s.Runs, event)
	return s
}
