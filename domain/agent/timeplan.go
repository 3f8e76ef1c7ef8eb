package agent

import (
	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/timeplan"
	"supportd/eventschema"
)

// BindTimePlan decides an agent's personal working hours (seed 000:
// "follow the support group's working hours or each staff member's
// personal working hours"): plan is the plan planID names, which must be a
// live plan of the tenant; the nil planID unbinds. They apply when the
// tenant's dispatch.working_hours_source is "agent".
func BindTimePlan(s State, who Identity, planID uuid.UUID, plan timeplan.State) ([]any, error) {
	if planID != uuid.Nil && !plan.Live(who.TenantID) {
		return nil, domain.Errorf(domain.Invalid, "timeplan.not_found", "plan_id", "no such time plan")
	}
	if s.PlanID == planID {
		return nil, nil
	}
	return []any{eventschema.AgentTimePlanBound{TenantID: who.TenantID, AgentID: who.AgentID, PlanID: planID}}, nil
}
