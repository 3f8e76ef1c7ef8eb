package commands

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/conversation"
	"supportd/domain/tenant"
	"supportd/eventschema"
)

// RequestTransfer hands a served conversation to an agent or a team.
type RequestTransfer struct {
	Scope
	ConversationID uuid.UUID
	TransferID     uuid.UUID
	By             conversation.Actor
	ToKind         string
	ToID           uuid.UUID
	Reason         string
	Automatic      bool
	// EligibleAgent is, for a team, its member with the highest idle rate
	// when one has a free slot (the dispatcher's choice); zero queues the
	// conversation for the team.
	EligibleAgent uuid.UUID
}

// RequestTransfer handles the RequestTransfer command. It reads the
// tenant's transfer.require_confirmation and its timeout, the target
// agent's status, or the target team's members.
func (h *Handler) RequestTransfer(ctx context.Context, m Meta, c RequestTransfer) (Result, error) {
	t, err := load(ctx, h, tenantAggregate(c.TenantID), uuid.Nil)
	if err != nil {
		return Result{}, err
	}
	r := conversation.TransferRequest{TransferID: c.TransferID, By: c.By, ToKind: c.ToKind, ToID: c.ToID, Reason: c.Reason,
		Automatic: c.Automatic, SegmentID: derivedID(m, "segment"), EpisodeID: derivedID(m, "episode"), EligibleAgent: c.EligibleAgent,
		Notice: transferNotice(t.state)}
	switch c.ToKind {
	case conversation.ToAgent:
		if a, ok := t.state.Account(c.ToID); ok && a.Enabled {
			ag, err := load(ctx, h, agentAggregate(c.TenantID, c.ToID), uuid.Nil)
			if err != nil {
				return Result{}, err
			}
			r.TargetAvailable = ag.state.CurrentStatus().AcceptsTransfers()
		} else if !ok {
			return Result{}, domain.Errorf(domain.NotFound, "agent.not_found", "to_id", "no such agent")
		}
		r.RequireConfirmation = t.state.SettingBool("transfer.require_confirmation")
		raw, _ := t.state.Setting("transfer.confirmation_timeout_seconds")
		r.ExpiresAt = h.clock.Now().Add(time.Duration(settingInt(raw, 240)) * time.Second)
	case conversation.ToTeam:
		tm, err := load(ctx, h, teamAggregate(c.TenantID, c.ToID), uuid.Nil)
		if err != nil {
			return Result{}, err
		}
		if !tm.state.Exists || tm.state.Deleted || tm.state.TenantID != c.TenantID {
			return Result{}, domain.Errorf(domain.NotFound, "team.not_found", "to_id", "no such team")
		}
		r.TeamMembers = len(tm.state.Members)
		if c.EligibleAgent != uuid.Nil && !tm.state.Members[c.EligibleAgent] {
			return Result{}, domain.Errorf(domain.Invalid, "transfer.eligible_agent", "to_id", "the agent is not in the team")
		}
	}
	// A transfer without confirmation seats the target at once.
	seated := uuid.Nil
	switch {
	case c.ToKind == conversation.ToAgent && !r.RequireConfirmation && r.TargetAvailable:
		seated = c.ToID
	case c.ToKind == conversation.ToTeam:
		seated = c.EligibleAgent
	}
	res, err := seat(ctx, h, m, c.Scope, c.ConversationID, seated, eventschema.JoinedTransfer, func(s conversation.State) ([]any, error) {
		return conversation.RequestTransfer(s, r)
	})
	return h.greetAfter(ctx, m, c.Scope, c.ConversationID, res, err)
}

// AnswerTransfer is the target agent's answer to a transfer request.
// TransferID zero means the conversation's waiting transfer.
type AnswerTransfer struct {
	Scope
	ConversationID uuid.UUID
	TransferID     uuid.UUID
	AgentID        uuid.UUID
}

func (c AnswerTransfer) transfer(s conversation.State) uuid.UUID {
	if c.TransferID == uuid.Nil {
		return s.Pending.ID
	}
	return c.TransferID
}

// transferNotice is the tenant's transfer notice: the text of
// transfer.notice_message when transfer.notify_customer is on, else none.
func transferNotice(t tenant.State) string {
	if !t.SettingBool("transfer.notify_customer") {
		return ""
	}
	var text string
	if raw, ok := t.Setting("transfer.notice_message"); ok {
		_ = json.Unmarshal(raw, &text)
	}
	return text
}

// AcceptTransfer handles the target agent's acceptance.
func (h *Handler) AcceptTransfer(ctx context.Context, m Meta, c AnswerTransfer) (Result, error) {
	t, err := load(ctx, h, tenantAggregate(c.TenantID), uuid.Nil)
	if err != nil {
		return Result{}, err
	}
	now, notice := h.clock.Now(), transferNotice(t.state)
	res, err := seat(ctx, h, m, c.Scope, c.ConversationID, c.AgentID, eventschema.JoinedTransfer, func(s conversation.State) ([]any, error) {
		return conversation.AcceptTransfer(s, c.transfer(s), c.AgentID, derivedID(m, "segment"), notice, now)
	})
	return h.greetAfter(ctx, m, c.Scope, c.ConversationID, res, err)
}

// RejectTransfer handles the target agent's refusal.
func (h *Handler) RejectTransfer(ctx context.Context, m Meta, c AnswerTransfer) (Result, error) {
	return onConversation(ctx, h, m, c.Scope, c.ConversationID, func(s conversation.State) ([]any, error) {
		return conversation.RejectTransfer(s, c.transfer(s), c.AgentID)
	})
}

// ExpireTransfer ends a transfer request nobody answered in time; the
// durable timer of transfer confirmations runs it.
func (h *Handler) ExpireTransfer(ctx context.Context, m Meta, sc Scope, conversationID, transferID uuid.UUID) (Result, error) {
	now := h.clock.Now()
	return onConversation(ctx, h, m, sc, conversationID, func(s conversation.State) ([]any, error) {
		return conversation.ExpireTransfer(s, transferID, now)
	})
}

// Expert invites an agent into a conversation as an expert, or removes it.
type Expert struct {
	Scope
	ConversationID uuid.UUID
	AgentID        uuid.UUID
	By             conversation.Actor
}

// InviteExpert handles the InviteExpert command.
func (h *Handler) InviteExpert(ctx context.Context, m Meta, c Expert) (Result, error) {
	t, err := load(ctx, h, tenantAggregate(c.TenantID), uuid.Nil)
	if err != nil {
		return Result{}, err
	}
	if _, err := t.state.RequireAccount(c.AgentID); err != nil {
		return Result{}, err
	}
	notice := expertNotice(t.state, conversation.NoticeExpertInvited, "conversation.expert_invited_message")
	return onConversation(ctx, h, m, c.Scope, c.ConversationID, func(s conversation.State) ([]any, error) {
		return withNotice(conversation.InviteExpert(s, c.AgentID, c.By))(s, derivedID(m, "notice"), notice)
	})
}

// expertNotice is what the customer is told of an expert's coming or
// going: the setting's text with conversation.notify_experts on, else nothing.
func expertNotice(t tenant.State, kind, textKey string) *conversation.Notice {
	if !t.SettingBool("conversation.notify_experts") {
		return nil
	}
	n := &conversation.Notice{Kind: kind}
	if raw, ok := t.Setting(textKey); ok {
		_ = json.Unmarshal(raw, &n.Text)
	}
	return n
}

// withNotice adds a system notice after a decision that decided something.
func withNotice(out []any, err error) func(s conversation.State, of uuid.UUID, n *conversation.Notice) ([]any, error) {
	return func(s conversation.State, of uuid.UUID, n *conversation.Notice) ([]any, error) {
		if err != nil || len(out) == 0 || n == nil {
			return out, err
		}
		sent, err := conversation.SendNotices(fold(s, out), of, []conversation.Notice{*n})
		return append(out, sent...), err
	}
}

// RemoveExpert handles the RemoveExpert command.
func (h *Handler) RemoveExpert(ctx context.Context, m Meta, c Expert) (Result, error) {
	t, err := load(ctx, h, tenantAggregate(c.TenantID), uuid.Nil)
	if err != nil {
		return Result{}, err
	}
	notice := expertNotice(t.state, conversation.NoticeExpertRemoved, "conversation.expert_removed_message")
	return onConversation(ctx, h, m, c.Scope, c.ConversationID, func(s conversation.State) ([]any, error) {
		return withNotice(conversation.RemoveExpert(s, c.AgentID, c.By))(s, derivedID(m, "notice"), notice)
	})
}
