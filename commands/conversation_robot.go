package commands

import (
	"context"

	"github.com/google/uuid"

	"supportd/domain/conversation"
	"supportd/domain/routing"
)

// RequestAgent is the customer asking for an agent while a robot hosts the
// conversation.
type RequestAgent struct {
	Scope
	ConversationID uuid.UUID
	// Profile is the customer's profile for customer-profile rules; nil
	// matches none of them.
	Profile map[string]string
	Lookups RouteLookups
}

// RequestAgent handles the RequestAgent command: the conversation is
// queued for the team routing.HandOver names (the robot settings' team
// robot.agent_team_id, else the next rule's team at this time, else the
// default team).
func (h *Handler) RequestAgent(ctx context.Context, m Meta, c RequestAgent) (Result, error) {
	t, err := load(ctx, h, tenantAggregate(c.TenantID), uuid.Nil)
	if err != nil {
		return Result{}, err
	}
	rules, _, err := h.RoutingRules(ctx, c.TenantID)
	if err != nil {
		return Result{}, err
	}
	plans := routing.Plans{}
	if c.Lookups != nil {
		if plans, err = c.Lookups.RoutingPlans(ctx, c.TenantID); err != nil {
			return Result{}, err
		}
	}
	def, robotTeam := settingUUID(t.state, "routing.default_team_id"), settingUUID(t.state, "robot.agent_team_id")
	now := h.clock.Now()
	return onConversation(ctx, h, m, c.Scope, c.ConversationID, func(s conversation.State) ([]any, error) {
		facts := routing.Facts{Channel: s.Channel, ChannelAccount: s.ChannelAccount, Entry: s.Entry, Profile: c.Profile}
		team := routing.HandOver(rules, facts, now, plans.WorkingTime, robotTeam, def)
		return conversation.RequestAgent(s, derivedID(m, "episode"), team)
	})
}
