package commands

import (
	"context"

	"github.com/google/uuid"

	"supportd/domain/tenant"
	"supportd/domain/timeplan"
	"supportd/eventschema"
)

func timePlanAggregate(tenantID, id uuid.UUID) Aggregate[timeplan.State] {
	return Aggregate[timeplan.State]{Tenant: tenantID, Stream: timeplan.Stream(tenantID, id), Evolve: timeplan.Evolve}
}

// defaultsAggregate is the tenant stream seen for its default time plan.
func defaultsAggregate(tenantID uuid.UUID) Aggregate[timeplan.Defaults] {
	return Aggregate[timeplan.Defaults]{Tenant: tenantID, Stream: tenant.Stream(tenantID), Evolve: timeplan.EvolveDefaults}
}

// DefineTimePlan creates a named time plan.
type DefineTimePlan struct {
	TenantID uuid.UUID
	PlanID   uuid.UUID
	Name     string
	Schedule eventschema.TimePlanSchedule
}

// DefineTimePlan handles the DefineTimePlan command.
func (h *Handler) DefineTimePlan(ctx context.Context, m Meta, c DefineTimePlan) (Result, error) {
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, timePlanAggregate(m.TenantID, c.PlanID), func(s timeplan.State) ([]any, error) {
		return timeplan.Define(s, c.TenantID, c.PlanID, c.Name, c.Schedule)
	})
}

// ChangeTimePlan replaces a plan's name and schedule.
type ChangeTimePlan struct {
	TenantID uuid.UUID
	PlanID   uuid.UUID
	Name     string
	Schedule eventschema.TimePlanSchedule
}

// ChangeTimePlan handles the ChangeTimePlan command.
func (h *Handler) ChangeTimePlan(ctx context.Context, m Meta, c ChangeTimePlan) (Result, error) {
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, timePlanAggregate(m.TenantID, c.PlanID), func(s timeplan.State) ([]any, error) {
		return timeplan.Change(s, c.TenantID, c.Name, c.Schedule)
	})
}

// DeleteTimePlan removes a plan.
type DeleteTimePlan struct {
	TenantID uuid.UUID
	PlanID   uuid.UUID
	// BoundTeams are the teams bound to the plan, from the teams read
	// model (see timeplan.Delete for why that suffices).
	BoundTeams []uuid.UUID
	// BoundAgents are the agents whose personal plan it is, from the
	// agents read model.
	BoundAgents []uuid.UUID
}

// DeleteTimePlan handles the DeleteTimePlan command. It reads the tenant's
// default plan from the tenant stream.
func (h *Handler) DeleteTimePlan(ctx context.Context, m Meta, c DeleteTimePlan) (Result, error) {
	d, err := load(ctx, h, defaultsAggregate(c.TenantID), uuid.Nil)
	if err != nil {
		return Result{}, err
	}
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, timePlanAggregate(m.TenantID, c.PlanID), func(s timeplan.State) ([]any, error) {
		return timeplan.Delete(s, c.TenantID, d.state.Plan == c.PlanID, c.BoundTeams, c.BoundAgents)
	})
}

// ChooseDefaultTimePlan makes a plan the tenant's default.
type ChooseDefaultTimePlan struct {
	TenantID uuid.UUID
	PlanID   uuid.UUID
}

// ChooseDefaultTimePlan handles the ChooseDefaultTimePlan command: it reads
// the plan, then decides on the tenant stream.
func (h *Handler) ChooseDefaultTimePlan(ctx context.Context, m Meta, c ChooseDefaultTimePlan) (Result, error) {
	p, err := load(ctx, h, timePlanAggregate(c.TenantID, c.PlanID), uuid.Nil)
	if err != nil {
		return Result{}, err
	}
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, defaultsAggregate(c.TenantID), func(d timeplan.Defaults) ([]any, error) {
		return timeplan.ChooseDefault(d, p.state)
	})
}
