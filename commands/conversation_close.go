package commands

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"supportd/domain/conversation"
	"supportd/domain/satisfaction"
	"supportd/domain/tags"
	"supportd/domain/tenant"
	"supportd/eventschema"
)

// TagConversation adds tags (with a remark) to a conversation, or removes
// them (Remove).
type TagConversation struct {
	Scope
	ConversationID uuid.UUID
	TagIDs         []uuid.UUID
	Remark         string
	Remove         bool
}

// TagConversation handles the Tag and Untag commands. Added tags must be
// enabled tags of the tenant's conversation-tag tree.
func (h *Handler) TagConversation(ctx context.Context, m Meta, c TagConversation) (Result, error) {
	if !c.Remove {
		tree, err := load(ctx, h, Aggregate[tags.Tree]{Tenant: c.TenantID, Stream: tags.TreeStream(c.TenantID), Evolve: tags.EvolveTree}, uuid.Nil)
		if err != nil {
			return Result{}, err
		}
		if err := tree.state.CheckUsable(c.TagIDs); err != nil {
			return Result{}, err
		}
	}
	return onConversation(ctx, h, m, c.Scope, c.ConversationID, func(s conversation.State) ([]any, error) {
		if c.Remove {
			return conversation.Untag(s, c.TagIDs)
		}
		return conversation.Tag(s, c.TagIDs, c.Remark)
	})
}

// InviteRating is the serving agent inviting the customer to rate.
func (h *Handler) InviteRating(ctx context.Context, m Meta, sc Scope, conversationID, agentID uuid.UUID) (Result, error) {
	return onConversation(ctx, h, m, sc, conversationID, func(s conversation.State) ([]any, error) {
		return conversation.InviteRating(s, agentID)
	})
}

// Rate is the customer's rating of a conversation.
type Rate struct {
	Scope
	ConversationID uuid.UUID
	Rating         conversation.Rating
}

// Rate handles the Rate command. It reads the tenant's rating.accept rule
// and rating.window_minutes, measured from the close.
func (h *Handler) Rate(ctx context.Context, m Meta, c Rate) (Result, error) {
	t, err := load(ctx, h, tenantAggregate(c.TenantID), uuid.Nil)
	if err != nil {
		return Result{}, err
	}
	var accept string
	if raw, ok := t.state.Setting("rating.accept"); ok {
		_ = json.Unmarshal(raw, &accept)
	}
	raw, _ := t.state.Setting("rating.window_minutes")
	at, err := h.conversationTimes(ctx, c.TenantID, c.ConversationID)
	if err != nil {
		return Result{}, err
	}
	rules := conversation.RatingRules{Accept: accept, Window: time.Duration(settingInt(raw, 480)) * time.Minute,
		ClosedAt: at.closedAt, Now: h.clock.Now()}
	return onConversation(ctx, h, m, c.Scope, c.ConversationID, func(s conversation.State) ([]any, error) {
		// The labels the options in force ask for (the team's the
		// conversation is routed to, else the tenant's).
		opts, _, err := h.RatingOptions(ctx, c.TenantID, s.TeamID)
		if err != nil {
			return nil, err
		}
		if err := satisfaction.CheckRating(opts, c.Rating.Stars, c.Rating.Labels); err != nil {
			return nil, err
		}
		return conversation.Rate(s, c.Rating, rules)
	})
}

// CloseConversation ends a conversation.
type CloseConversation struct {
	Scope
	ConversationID uuid.UUID
	// Reason is an eventschema.ClosedBy… constant; By the closer's ID. A
	// customer closer with an empty By is the conversation's customer.
	Reason string
	By     string
}

// CloseConversation handles the Close command. It reads the tenant's
// conversation.force_tag switch, the closing notices
// (conversation.notify_on_manual_close with conversation.closing_message,
// conversation.inactivity_close_message,
// conversation.close_on_customer_no_reply) and the rating.* settings of the
// automatic rating invitation.
func (h *Handler) CloseConversation(ctx context.Context, m Meta, c CloseConversation) (Result, error) {
	t, err := load(ctx, h, tenantAggregate(c.TenantID), uuid.Nil)
	if err != nil {
		return Result{}, err
	}
	force := t.state.SettingBool("conversation.force_tag")
	notices := closeNotices(t.state)
	return onConversation(ctx, h, m, c.Scope, c.ConversationID, func(s conversation.State) ([]any, error) {
		by := c.By
		if c.Reason == eventschema.ClosedByCustomer && by == "" {
			by = s.CustomerID.String()
		}
		return conversation.CloseWithNotices(s, conversation.CloseRequest{Reason: c.Reason, By: by, ForceTag: force}, notices)
	})
}

// closeNotices reads the settings of what a close sends.
func closeNotices(t tenant.State) conversation.CloseNotices {
	text := func(key string) string {
		var v string
		if raw, ok := t.Setting(key); ok {
			_ = json.Unmarshal(raw, &v)
		}
		return v
	}
	var noReply struct {
		CloseMessage string `json:"close_message"`
	}
	if raw, ok := t.Setting("conversation.close_on_customer_no_reply"); ok {
		_ = json.Unmarshal(raw, &noReply)
	}
	var channels map[string]bool
	if raw, ok := t.Setting("rating.auto_invite"); ok {
		_ = json.Unmarshal(raw, &channels)
	}
	return conversation.CloseNotices{
		Closing: conversation.ClosingTexts{NotifyOnManualClose: t.SettingBool("conversation.notify_on_manual_close"),
			Manual: text("conversation.closing_message"), Inactivity: text("conversation.inactivity_close_message"),
			NoReply: noReply.CloseMessage},
		Invite: conversation.AutoInvite{Channels: channels, SkipSingleMessage: t.SettingBool("rating.skip_single_message"),
			SkipAutoClosed: t.SettingBool("rating.skip_when_auto_closed"), RobotOnly: t.SettingBool("rating.invite_robot_only")},
	}
}

// LeaveNote is a customer's note instead of waiting; it closes the
// conversation.
type LeaveNote struct {
	Scope
	ConversationID uuid.UUID
	NoteID         uuid.UUID
	Text           string
	Contact        string
}

// LeaveNote handles the LeaveNote command.
func (h *Handler) LeaveNote(ctx context.Context, m Meta, c LeaveNote) (Result, error) {
	return onConversation(ctx, h, m, c.Scope, c.ConversationID, func(s conversation.State) ([]any, error) {
		return conversation.LeaveNote(s, c.NoteID, s.CustomerID, c.Text, c.Contact)
	})
}
