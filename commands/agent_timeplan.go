package commands

import (
	"context"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/agent"
	"supportd/domain/timeplan"
)

// BindAgentTimePlan sets an agent's personal time plan; the nil plan ID
// unbinds it.
type BindAgentTimePlan struct {
	TenantID uuid.UUID
	AgentID  uuid.UUID
	PlanID   uuid.UUID
}

// BindAgentTimePlan handles the BindAgentTimePlan command.
func (h *Handler) BindAgentTimePlan(ctx context.Context, m Meta, c BindAgentTimePlan) (Result, error) {
	t, err := load(ctx, h, tenantAggregate(c.TenantID), uuid.Nil)
	if err != nil {
		return Result{}, err
	}
	if _, ok := t.state.Account(c.AgentID); !ok {
		return Result{}, domain.Errorf(domain.NotFound, "agent.not_found", "", "agent %s not found", c.AgentID)
	}
	var plan timeplan.State
	if c.PlanID != uuid.Nil {
		p, err := load(ctx, h, timePlanAggregate(c.TenantID, c.PlanID), uuid.Nil)
		if err != nil {
			return Result{}, err
		}
		plan = p.state
	}
	m.TenantID = c.TenantID
	who := agent.Identity{TenantID: c.TenantID, AgentID: c.AgentID}
	return Execute(ctx, h, m, agentAggregate(m.TenantID, c.AgentID), func(s agent.State) ([]any, error) {
		return agent.BindTimePlan(s, who, c.PlanID, plan)
	})
}
