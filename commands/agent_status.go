package commands

import (
	"context"

	"github.com/google/uuid"

	"supportd/domain/agent"
)

// ChangeStatus sets a signed-in user's online status.
type ChangeStatus struct {
	TenantID uuid.UUID
	AgentID  uuid.UUID
	Status   agent.Status
	// ByAdmin: the actor is an admin, exempt from approval.
	ByAdmin bool
}

// ChangeStatus handles the ChangeStatus command. It reads the tenant's
// "status change needs approval" switch.
func (h *Handler) ChangeStatus(ctx context.Context, m Meta, c ChangeStatus) (Result, error) {
	t, err := load(ctx, h, tenantAggregate(c.TenantID), uuid.Nil)
	if err != nil {
		return Result{}, err
	}
	needsApproval := t.state.SettingBool("agents.status_change_needs_approval")
	m.TenantID = c.TenantID
	who := agent.Identity{TenantID: c.TenantID, AgentID: c.AgentID}
	return Execute(ctx, h, m, agentAggregate(m.TenantID, c.AgentID), func(s agent.State) ([]any, error) {
		return agent.ChangeStatus(s, who, agent.StatusRequest{To: c.Status, ByAdmin: c.ByAdmin, NeedsApproval: needsApproval})
	})
}

// SetCapacity sets a user's maximum of auto-assigned conversations.
type SetCapacity struct {
	TenantID uuid.UUID
	AgentID  uuid.UUID
	Capacity int
	ByAdmin  bool
}

// SetCapacity handles the SetCapacity command. The tenant's "allow agents to
// set their maximum conversations" switch decides who may.
func (h *Handler) SetCapacity(ctx context.Context, m Meta, c SetCapacity) (Result, error) {
	t, err := load(ctx, h, tenantAggregate(c.TenantID), uuid.Nil)
	if err != nil {
		return Result{}, err
	}
	if _, err := t.state.RequireAccount(c.AgentID); err != nil {
		return Result{}, err
	}
	agentsMaySet := t.state.SettingBool("agents.may_set_capacity")
	m.TenantID = c.TenantID
	who := agent.Identity{TenantID: c.TenantID, AgentID: c.AgentID}
	return Execute(ctx, h, m, agentAggregate(m.TenantID, c.AgentID), func(s agent.State) ([]any, error) {
		return agent.SetCapacity(s, who, c.Capacity, c.ByAdmin, agentsMaySet)
	})
}
