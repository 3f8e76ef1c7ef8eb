package conversation

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/eventschema"
)

// Transfer targets.
const (
	ToAgent = "agent"
	ToTeam  = "team"
)

// TransferRequest is a serving agent (or an admin, or the system on an
// agent's no-reply timeout) handing the conversation over.
type TransferRequest struct {
	TransferID uuid.UUID
	By         Actor // Kind "agent" (must be the serving agent), "admin" or "system"
	ToKind     string
	ToID       uuid.UUID
	Reason     string
	Automatic  bool
	// SegmentID opens the new agent's segment, EpisodeID the team's queue
	// episode: whichever the decision needs.
	SegmentID, EpisodeID uuid.UUID

	// To an agent: TargetAvailable says the agent is in the tenant and
	// accepts transfers (not offline); RequireConfirmation and ExpiresAt
	// come from transfer.require_confirmation and its timeout.
	TargetAvailable     bool
	RequireConfirmation bool
	ExpiresAt           time.Time

	// To a team: TeamMembers counts its agents; EligibleAgent is the member
	// with the highest idle rate, if one is free (zero: none is).
	TeamMembers   int
	EligibleAgent uuid.UUID

	// Notice is the transfer notice sent to the customer when the transfer
	// happens (transfer.notify_customer, transfer.notice_message); empty
	// sends none. Automatic transfers send none: the setting is about an
	// agent's manual transfer.
	Notice string
}

// RequestTransfer decides a transfer. To an agent: with confirmation
// required the request waits for the agent (TransferRequested), else the
// conversation is handed over at once. To a team: refused when the team has
// no agents; handed to the eligible agent if there is one, else queued for
// the team. Only one transfer waits at a time.
func RequestTransfer(s State, r TransferRequest) ([]any, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	if s.Segment.ID == uuid.Nil {
		return nil, domain.Errorf(domain.Conflict, "conversation.not_serving", "", "only a served conversation is transferred")
	}
	if r.By.Kind == "agent" && r.By.ID != s.Segment.AgentID.String() {
		return nil, domain.Errorf(domain.Forbidden, "transfer.not_serving_agent", "", "only the serving agent transfers the conversation")
	}
	if utf8.RuneCountInString(r.Reason) > MaxRemark {
		return nil, domain.Errorf(domain.Invalid, "transfer.reason", "reason", "must be at most %d characters", MaxRemark)
	}
	if r.ToID == uuid.Nil {
		return nil, domain.Errorf(domain.Invalid, "transfer.target", "to_id", "is required")
	}
	if s.Pending.ID != uuid.Nil {
		return nil, domain.Errorf(domain.Conflict, "transfer.pending", "", "a transfer already waits for confirmation")
	}
	from := s.Segment.AgentID
	transferred := eventschema.ConversationTransferred{TenantID: s.TenantID, ConversationID: s.ID, TransferID: r.TransferID,
		FromAgentID: from, ToKind: r.ToKind, ToID: r.ToID, Reason: r.Reason, Confirmation: "none", Automatic: r.Automatic}
	left := eventschema.AgentLeft{TenantID: s.TenantID, ConversationID: s.ID, AgentID: from, SegmentID: s.Segment.ID,
		How: eventschema.LeftTransferred}
	switch r.ToKind {
	case ToAgent:
		if r.ToID == from {
			return nil, domain.Errorf(domain.Invalid, "transfer.same_agent", "to_id", "the agent already serves the conversation")
		}
		if !r.TargetAvailable {
			return nil, domain.Errorf(domain.Conflict, "transfer.target_unavailable", "to_id", "the agent is offline or not in the tenant")
		}
		if r.RequireConfirmation {
			return []any{eventschema.TransferRequested{TenantID: s.TenantID, ConversationID: s.ID, TransferID: r.TransferID,
				FromAgentID: from, ToKind: ToAgent, ToID: r.ToID, Reason: r.Reason, RequiresConfirmation: true,
				ExpiresAt: r.ExpiresAt, Automatic: r.Automatic}}, nil
		}
		return s.withNotice(r.TransferID, r.Notice, r.Automatic, transferred, left,
			s.joined(r.ToID, r.SegmentID, eventschema.JoinedTransfer, s.TeamID, r.TransferID, uuid.Nil))
	case ToTeam:
		if r.TeamMembers == 0 {
			return nil, domain.Errorf(domain.Conflict, "transfer.team_empty", "to_id", "the team has no agents")
		}
		if r.EligibleAgent == from {
			return nil, domain.Errorf(domain.Invalid, "transfer.same_agent", "to_id", "the agent already serves the conversation")
		}
		if r.EligibleAgent != uuid.Nil {
			return s.withNotice(r.TransferID, r.Notice, r.Automatic, transferred, left,
				s.joined(r.EligibleAgent, r.SegmentID, eventschema.JoinedTransfer, r.ToID, r.TransferID, uuid.Nil))
		}
		return s.withNotice(r.TransferID, r.Notice, r.Automatic, transferred, left, eventschema.ConversationQueued{TenantID: s.TenantID,
			ConversationID: s.ID, EpisodeID: r.EpisodeID, TeamID: r.ToID, VIP: s.VIP, Reason: eventschema.QueuedTransferredTeam})
	}
	return nil, domain.Errorf(domain.Invalid, "transfer.kind", "to_kind", "must be agent or team")
}

// withNotice returns the events of a transfer that happens: the
// ConversationTransferred, then the transfer notice to the customer (a
// system message, still in the old agent's segment, whose ID derives from
// the transfer), then the rest. Automatic transfers and empty notices send
// nothing.
func (s State) withNotice(transferID uuid.UUID, notice string, automatic bool, transferred eventschema.ConversationTransferred, rest ...any) ([]any, error) {
	out := []any{transferred}
	if !automatic && strings.TrimSpace(notice) != "" {
		sent, err := SendNotices(fold(s, out), transferID, []Notice{{Kind: NoticeTransfer, Text: strings.TrimSpace(notice)}})
		if err != nil {
			return nil, err
		}
		out = append(out, sent...)
	}
	return append(out, rest...), nil
}

// pending finds the waiting transfer id.
func (s State) pending(id uuid.UUID) error {
	if err := s.live(); err != nil {
		return err
	}
	if s.Pending.ID == uuid.Nil || s.Pending.ID != id {
		return domain.Errorf(domain.NotFound, "transfer.not_found", "transfer_id", "no transfer waits for confirmation")
	}
	return nil
}

// AcceptTransfer decides the target agent's acceptance before the request
// expires: the old segment closes, the target's opens; notice is the
// transfer notice (see TransferRequest.Notice).
func AcceptTransfer(s State, transferID, agentID, segmentID uuid.UUID, notice string, now time.Time) ([]any, error) {
	if err := s.pending(transferID); err != nil {
		return nil, err
	}
	p := s.Pending
	if agentID != p.ToAgentID {
		return nil, domain.Errorf(domain.Forbidden, "transfer.not_target", "", "only the agent the transfer names accepts it")
	}
	if !now.Before(p.ExpiresAt) {
		return nil, domain.Errorf(domain.Conflict, "transfer.expired", "", "the transfer request expired")
	}
	return s.withNotice(p.ID, notice, p.Automatic,
		eventschema.ConversationTransferred{TenantID: s.TenantID, ConversationID: s.ID, TransferID: p.ID,
			FromAgentID: p.FromAgentID, ToKind: ToAgent, ToID: p.ToAgentID, Reason: p.Reason, Confirmation: "accepted", Automatic: p.Automatic},
		eventschema.AgentLeft{TenantID: s.TenantID, ConversationID: s.ID, AgentID: s.Segment.AgentID, SegmentID: s.Segment.ID,
			How: eventschema.LeftTransferred},
		s.joined(p.ToAgentID, segmentID, eventschema.JoinedTransfer, s.TeamID, p.ID, uuid.Nil),
	)
}

// RejectTransfer decides the target agent's refusal: the conversation stays
// where it was.
func RejectTransfer(s State, transferID, agentID uuid.UUID) ([]any, error) {
	if err := s.pending(transferID); err != nil {
		return nil, err
	}
	if agentID != s.Pending.ToAgentID {
		return nil, domain.Errorf(domain.Forbidden, "transfer.not_target", "", "only the agent the transfer names rejects it")
	}
	return []any{eventschema.TransferFailed{TenantID: s.TenantID, ConversationID: s.ID, TransferID: transferID,
		Outcome: eventschema.TransferRejected}}, nil
}

// ExpireTransfer decides the timeout of a transfer request. A timer firing
// for a transfer already decided, or early, decides nothing.
func ExpireTransfer(s State, transferID uuid.UUID, now time.Time) ([]any, error) {
	if !s.Exists {
		return nil, errMissing()
	}
	if s.Pending.ID != transferID || transferID == uuid.Nil || now.Before(s.Pending.ExpiresAt) {
		return nil, nil
	}
	return []any{eventschema.TransferFailed{TenantID: s.TenantID, ConversationID: s.ID, TransferID: transferID,
		Outcome: eventschema.TransferExpired}}, nil
}

// InviteExpert decides an agent invited to help. Experts open no segment.
func InviteExpert(s State, agentID uuid.UUID, by Actor) ([]any, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	if by.Kind == "agent" && by.ID != s.Segment.AgentID.String() {
		return nil, domain.Errorf(domain.Forbidden, "expert.not_serving_agent", "", "only the serving agent invites experts")
	}
	if agentID == uuid.Nil {
		return nil, domain.Errorf(domain.Invalid, "expert.agent", "agent_id", "is required")
	}
	if agentID == s.Segment.AgentID {
		return nil, domain.Errorf(domain.Invalid, "expert.serving", "agent_id", "the agent serves the conversation")
	}
	if s.Experts[agentID] {
		return nil, domain.Errorf(domain.Conflict, "expert.exists", "agent_id", "the agent is already an expert here")
	}
	inviter, _ := uuid.Parse(by.ID)
	return []any{eventschema.ExpertInvited{TenantID: s.TenantID, ConversationID: s.ID, AgentID: agentID, InvitedBy: inviter}}, nil
}

// RemoveExpert decides an expert leaving: the serving agent or an admin
// removes it, or the expert leaves.
func RemoveExpert(s State, agentID uuid.UUID, by Actor) ([]any, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	if !s.Experts[agentID] {
		return nil, domain.Errorf(domain.NotFound, "expert.not_found", "agent_id", "the agent is not an expert here")
	}
	if by.Kind == "agent" && by.ID != s.Segment.AgentID.String() && by.ID != agentID.String() {
		return nil, domain.Errorf(domain.Forbidden, "expert.not_serving_agent", "", "only the serving agent removes experts")
	}
	return []any{eventschema.ExpertRemoved{TenantID: s.TenantID, ConversationID: s.ID, AgentID: agentID}}, nil
}
