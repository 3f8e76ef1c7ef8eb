package conversation

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/eventschema"
)

// MaxTags bounds the tags one request adds.
const MaxTags = 50

// Tag decides conversation tags with a remark. Tags may be changed during
// the conversation and after its close.
func Tag(s State, tagIDs []uuid.UUID, remark string) ([]any, error) {
	if !s.Exists {
		return nil, errMissing()
	}
	if len(tagIDs) == 0 || len(tagIDs) > MaxTags || slices.Contains(tagIDs, uuid.Nil) {
		return nil, domain.Errorf(domain.Invalid, "tag.ids", "tag_ids", "name 1 to %d tags", MaxTags)
	}
	if utf8.RuneCountInString(remark) > MaxRemark {
		return nil, domain.Errorf(domain.Invalid, "tag.remark", "remark", "must be at most %d characters", MaxRemark)
	}
	ids := slices.Clone(tagIDs)
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	ids = slices.Compact(ids)
	return []any{eventschema.ConversationTagged{TenantID: s.TenantID, ConversationID: s.ID, TagIDs: ids, Remark: remark}}, nil
}

// Untag decides removing tags; tags the conversation does not carry are
// ignored, so removing twice is harmless.
func Untag(s State, tagIDs []uuid.UUID) ([]any, error) {
	if !s.Exists {
		return nil, errMissing()
	}
	var ids []uuid.UUID
	for _, id := range tagIDs {
		if s.Tags[id] && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return []any{eventschema.ConversationUntagged{TenantID: s.TenantID, ConversationID: s.ID, TagIDs: ids}}, nil
}

// InviteRating decides the serving agent's invitation to rate: once per
// conversation.
func InviteRating(s State, agentID uuid.UUID) ([]any, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	if agentID != s.Segment.AgentID {
		return nil, domain.Errorf(domain.Forbidden, "rating.not_serving_agent", "", "only the serving agent invites a rating")
	}
	if s.AgentInvite {
		return nil, domain.Errorf(domain.Conflict, "rating.already_invited", "", "the agent invites a rating once per conversation")
	}
	return []any{eventschema.RatingInvited{TenantID: s.TenantID, ConversationID: s.ID, By: "agent", AgentID: agentID}}, nil
}

// Rating is a customer's rating.
type Rating struct {
	Stars    int
	Labels   []string
	Remark   string
	Resolved *bool
}

// RatingRules are the tenant's rating settings and the times they apply to.
type RatingRules struct {
	// Accept is rating.accept: "first" keeps the first rating, "last" lets a
	// later one replace it.
	Accept string
	// Window is rating.window_minutes, measured from the close.
	Window time.Duration
	// ClosedAt is when the conversation closed (zero while open); Now the
	// clock's time.
	ClosedAt, Now time.Time
}

// Rate decides the customer's rating: 1 to 5 stars with labels, a remark
// and whether the problem was solved. During the conversation, or within
// the window after its close; with the "first rating counts" rule only
// once.
func Rate(s State, r Rating, rules RatingRules) ([]any, error) {
	if !s.Exists {
		return nil, errMissing()
	}
	if r.Stars < 1 || r.Stars > 5 {
		return nil, domain.Errorf(domain.Invalid, "rating.stars", "stars", "must be 1 to 5")
	}
	if len(r.Labels) > MaxLabels {
		return nil, domain.Errorf(domain.Invalid, "rating.labels", "labels", "at most %d labels", MaxLabels)
	}
	for _, l := range r.Labels {
		if l == "" || utf8.RuneCountInString(l) > 100 {
			return nil, domain.Errorf(domain.Invalid, "rating.labels", "labels", "labels are 1 to 100 characters")
		}
	}
	if utf8.RuneCountInString(r.Remark) > MaxRemark {
		return nil, domain.Errorf(domain.Invalid, "rating.remark", "remark", "must be at most %d characters", MaxRemark)
	}
	if s.Rated && rules.Accept == "first" {
		return nil, domain.Errorf(domain.Conflict, "rating.already_rated", "", "the conversation is rated; the first rating counts")
	}
	if s.IsClosed && rules.Now.Sub(rules.ClosedAt) > rules.Window {
		return nil, domain.Errorf(domain.Conflict, "rating.window_closed", "", "ratings are accepted within %s of the close", rules.Window)
	}
	labels := r.Labels
	if labels == nil {
		labels = []string{}
	}
	return []any{eventschema.ConversationRated{TenantID: s.TenantID, ConversationID: s.ID, Stars: r.Stars,
		Labels: labels, Remark: r.Remark, Resolved: r.Resolved}}, nil
}

// CloseRequest is who ends the conversation and why.
type CloseRequest struct {
	// Reason is one of eventschema.ClosedBy…
	Reason string
	// By is the closer's ID (agent, admin or customer), or a system name.
	By string
	// ForceTag is the setting conversation.force_tag: an agent closes only a
	// tagged conversation.
	ForceTag bool
}

var closeReasons = []string{eventschema.ClosedByAgent, eventschema.ClosedByCustomer, eventschema.ClosedByBlacklist,
	eventschema.ClosedByCustomerNoReply, eventschema.ClosedByInactivity, eventschema.ClosedByNote,
	eventschema.ClosedByAdmin, eventschema.ClosedByRobot}

// Close decides the end of the conversation. The serving agent closes its
// conversation (tagged first when the tenant forces tags), the customer
// its own; admins, the blacklist and timeouts close any. What is open ends
// first, so segments and episodes stay well nested: a waiting transfer
// fails, the segment ends (AgentLeft closed), the episode is abandoned.
func Close(s State, c CloseRequest) ([]any, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	if !slices.Contains(closeReasons, c.Reason) {
		return nil, domain.Errorf(domain.Invalid, "close.reason", "reason", "unknown close reason %q", c.Reason)
	}
	switch c.Reason {
	case eventschema.ClosedByAgent:
		if c.By != s.Segment.AgentID.String() {
			return nil, domain.Errorf(domain.Forbidden, "close.not_serving_agent", "", "only the serving agent closes the conversation")
		}
		if c.ForceTag && len(s.Tags) == 0 {
			return nil, domain.Errorf(domain.Conflict, "close.tag_required", "", "add at least one conversation tag before closing")
		}
	case eventschema.ClosedByRobot:
		if s.Robot == uuid.Nil || c.By != s.Robot.String() {
			return nil, domain.Errorf(domain.Forbidden, "close.not_robot_host", "", "only the robot hosting the conversation closes it as a robot")
		}
	case eventschema.ClosedByCustomer, eventschema.ClosedByNote:
		if c.By != s.CustomerID.String() {
			return nil, domain.Errorf(domain.Forbidden, "close.not_customer", "", "only the conversation's customer closes it as the customer")
		}
	}
	var out []any
	if s.Pending.ID != uuid.Nil {
		out = append(out, eventschema.TransferFailed{TenantID: s.TenantID, ConversationID: s.ID, TransferID: s.Pending.ID,
			Outcome: eventschema.TransferRefused})
	}
	if s.Segment.ID != uuid.Nil {
		out = append(out, eventschema.AgentLeft{TenantID: s.TenantID, ConversationID: s.ID, AgentID: s.Segment.AgentID,
			SegmentID: s.Segment.ID, How: eventschema.LeftClosed})
	}
	if s.Episode.ID != uuid.Nil {
		reason := eventschema.AbandonedClosed
		switch c.Reason {
		case eventschema.ClosedByCustomer:
			reason = eventschema.AbandonedCustomerLeft
		case eventschema.ClosedByBlacklist:
			reason = eventschema.AbandonedBlacklisted
		case eventschema.ClosedByNote:
			reason = eventschema.AbandonedNote
		}
		out = append(out, eventschema.ConversationLeftQueue{TenantID: s.TenantID, ConversationID: s.ID,
			EpisodeID: s.Episode.ID, Reason: reason})
	}
	return append(out, eventschema.ConversationClosed{TenantID: s.TenantID, ConversationID: s.ID,
		Reason: c.Reason, ClosedBy: c.By}), nil
}

// LeaveNote decides a customer's note instead of waiting: the note is
// recorded and the conversation closes (its queue episode abandoned with
// reason note). A conversation an agent already serves takes no note.
func LeaveNote(s State, noteID uuid.UUID, customerID uuid.UUID, text, contact string) ([]any, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	if strings.TrimSpace(text) == "" || utf8.RuneCountInString(text) > MaxText {
		return nil, domain.Errorf(domain.Invalid, "note.text", "text", "must be 1 to %d characters", MaxText)
	}
	if utf8.RuneCountInString(contact) > 200 {
		return nil, domain.Errorf(domain.Invalid, "note.contact", "contact", "must be at most 200 characters")
	}
	if s.Segment.ID != uuid.Nil {
		return nil, domain.Errorf(domain.Conflict, "note.serving", "", "an agent serves the conversation; write to the agent instead")
	}
	closing, err := Close(s, CloseRequest{Reason: eventschema.ClosedByNote, By: customerID.String()})
	if err != nil {
		return nil, err
	}
	note := eventschema.NoteLeft{TenantID: s.TenantID, ConversationID: s.ID, NoteID: noteID, Text: text, Contact: contact}
	return append([]any{note}, closing...), nil
}
