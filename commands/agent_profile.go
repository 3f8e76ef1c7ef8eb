package commands

import (
	"context"

	"github.com/google/uuid"

	"supportd/domain/agent"
)

// EditAgentProfile replaces a user's profile (nickname, real name, phone,
// employee ID, avatar, greeting, language), by an admin or by the user.
type EditAgentProfile struct {
	AgentRef
	Profile agent.Profile
}

// EditAgentProfile handles the EditAgentProfile command. The profile lives
// in the user's own stream, but only a user of the tenant's roster has one:
// the roster is asked first, so an ID of another tenant is not found.
func (h *Handler) EditAgentProfile(ctx context.Context, m Meta, c EditAgentProfile) (Result, error) {
	t, err := load(ctx, h, tenantAggregate(c.TenantID), uuid.Nil)
	if err != nil {
		return Result{}, err
	}
	if _, err := t.state.RequireAccount(c.AgentID); err != nil {
		return Result{}, err
	}
	m.TenantID = c.TenantID
	who := agent.Identity{TenantID: c.TenantID, AgentID: c.AgentID}
	return Execute(ctx, h, m, agentAggregate(m.TenantID, c.AgentID), func(s agent.State) ([]any, error) {
		return agent.EditProfile(s, who, c.Profile)
	})
}
