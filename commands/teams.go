package commands

import (
	"context"

	"github.com/google/uuid"

	"supportd/domain/team"
	"supportd/domain/timeplan"
)

func teamAggregate(tenantID, id uuid.UUID) Aggregate[team.State] {
	return Aggregate[team.State]{Tenant: tenantID, Stream: team.Stream(tenantID, id), Evolve: team.Evolve, Cache: true}
}

// CreateTeam creates a team.
type CreateTeam struct {
	TenantID uuid.UUID
	TeamID   uuid.UUID
	Name     string
	Greeting string
	// Others are the tenant's teams by ID, from the teams read model, for
	// the unique-name rule.
	Others team.Others
}

// CreateTeam handles the CreateTeam command.
func (h *Handler) CreateTeam(ctx context.Context, m Meta, c CreateTeam) (Result, error) {
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, teamAggregate(m.TenantID, c.TeamID), func(s team.State) ([]any, error) {
		return team.Create(s, c.TenantID, c.TeamID, c.Name, c.Greeting, c.Others)
	})
}

// EditTeam sets a team's name and greeting.
type EditTeam struct {
	TenantID uuid.UUID
	TeamID   uuid.UUID
	Name     string
	Greeting string
	Others   team.Others
}

// EditTeam handles the EditTeam command.
func (h *Handler) EditTeam(ctx context.Context, m Meta, c EditTeam) (Result, error) {
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, teamAggregate(m.TenantID, c.TeamID), func(s team.State) ([]any, error) {
		return team.Edit(s, c.TenantID, c.Name, c.Greeting, c.Others)
	})
}

// UpdateTeamMembers adds and removes members in one batch.
type UpdateTeamMembers struct {
	TenantID uuid.UUID
	TeamID   uuid.UUID
	Add      []uuid.UUID
	Remove   []uuid.UUID
}

// UpdateTeamMembers handles the UpdateTeamMembers command. The tenant's
// roster says who its users are.
func (h *Handler) UpdateTeamMembers(ctx context.Context, m Meta, c UpdateTeamMembers) (Result, error) {
	t, err := load(ctx, h, tenantAggregate(c.TenantID), uuid.Nil)
	if err != nil {
		return Result{}, err
	}
	isAgent := func(id uuid.UUID) bool {
		_, ok := t.state.Account(id)
		return ok
	}
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, teamAggregate(m.TenantID, c.TeamID), func(s team.State) ([]any, error) {
		return team.UpdateMembers(s, c.TenantID, c.Add, c.Remove, isAgent)
	})
}

// BindTeamTimePlan binds a team to a time plan; the nil plan ID unbinds it.
type BindTeamTimePlan struct {
	TenantID uuid.UUID
	TeamID   uuid.UUID
	PlanID   uuid.UUID
}

// BindTeamTimePlan handles the BindTeamTimePlan command.
func (h *Handler) BindTeamTimePlan(ctx context.Context, m Meta, c BindTeamTimePlan) (Result, error) {
	var plan timeplan.State
	if c.PlanID != uuid.Nil {
		p, err := load(ctx, h, timePlanAggregate(c.TenantID, c.PlanID), uuid.Nil)
		if err != nil {
			return Result{}, err
		}
		plan = p.state
	}
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, teamAggregate(m.TenantID, c.TeamID), func(s team.State) ([]any, error) {
		return team.BindTimePlan(s, c.TenantID, c.PlanID, plan)
	})
}

// DeleteTeam removes a team.
type DeleteTeam struct {
	TenantID uuid.UUID
	TeamID   uuid.UUID
}

// DeleteTeam handles the DeleteTeam command.
func (h *Handler) DeleteTeam(ctx context.Context, m Meta, c DeleteTeam) (Result, error) {
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, teamAggregate(m.TenantID, c.TeamID), func(s team.State) ([]any, error) {
		return team.Delete(s, c.TenantID)
	})
}
