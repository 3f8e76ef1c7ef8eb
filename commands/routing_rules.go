package commands

import (
	"context"

	"github.com/google/uuid"

	"supportd/domain/routing"
	"supportd/eventschema"
)

func routingAggregate(tenantID uuid.UUID) Aggregate[routing.State] {
	return Aggregate[routing.State]{Tenant: tenantID, Stream: routing.Stream(tenantID), Evolve: routing.Evolve}
}

// RoutingReferences tells whether a team, agent, robot or time plan
// ("plan") a rule names exists in the tenant. The API answers it from the
// read models; a reference deleted between that look-up and the append is
// not caught, which is why Decide treats a missing time plan as working
// time and the dispatcher re-checks teams and agents when it assigns.
type RoutingReferences interface {
	Exists(ctx context.Context, tenantID uuid.UUID, kind string, id uuid.UUID) (bool, error)
}

// known looks up every reference of r once, before deciding, so that the
// domain stays free of I/O. A nil refs trusts every reference.
func known(ctx context.Context, refs RoutingReferences, tenantID uuid.UUID, r eventschema.RoutingRule) (routing.Known, error) {
	if refs == nil {
		return nil, nil
	}
	type ref struct {
		kind string
		id   uuid.UUID
	}
	found := map[ref]bool{}
	check := func(kind string, id uuid.UUID) error {
		if id == uuid.Nil || kind == "" {
			return nil
		}
		ok, err := refs.Exists(ctx, tenantID, kind, id)
		found[ref{kind, id}] = ok
		return err
	}
	for _, c := range []ref{{r.Target.Kind, r.Target.ID}, {r.NonWorkTarget.Kind, r.NonWorkTarget.ID}, {"plan", r.PlanID}} {
		if err := check(c.kind, c.id); err != nil {
			return nil, err
		}
	}
	return func(kind string, id uuid.UUID) bool { return found[ref{kind, id}] }, nil
}

// DefineRoutingRule adds a ranked routing rule; it ranks last.
type DefineRoutingRule struct {
	TenantID uuid.UUID
	RuleID   uuid.UUID
	Rule     eventschema.RoutingRule
	Refs     RoutingReferences
}

// DefineRoutingRule handles the DefineRoutingRule command.
func (h *Handler) DefineRoutingRule(ctx context.Context, m Meta, c DefineRoutingRule) (Result, error) {
	k, err := known(ctx, c.Refs, c.TenantID, c.Rule)
	if err != nil {
		return Result{}, err
	}
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, routingAggregate(c.TenantID), func(s routing.State) ([]any, error) {
		return routing.Define(s, c.TenantID, c.RuleID, c.Rule, k)
	})
}

// ChangeRoutingRule replaces a rule's definition (enabling or disabling it
// too); on the default binding's ID it changes the default.
type ChangeRoutingRule struct {
	TenantID uuid.UUID
	RuleID   uuid.UUID
	Rule     eventschema.RoutingRule
	Refs     RoutingReferences
}

// ChangeRoutingRule handles the ChangeRoutingRule command.
func (h *Handler) ChangeRoutingRule(ctx context.Context, m Meta, c ChangeRoutingRule) (Result, error) {
	k, err := known(ctx, c.Refs, c.TenantID, c.Rule)
	if err != nil {
		return Result{}, err
	}
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, routingAggregate(c.TenantID), func(s routing.State) ([]any, error) {
		return routing.Change(s, c.TenantID, c.RuleID, c.Rule, k)
	})
}

// DeleteRoutingRule removes a rule, the default binding included.
type DeleteRoutingRule struct {
	TenantID uuid.UUID
	RuleID   uuid.UUID
}

// DeleteRoutingRule handles the DeleteRoutingRule command.
func (h *Handler) DeleteRoutingRule(ctx context.Context, m Meta, c DeleteRoutingRule) (Result, error) {
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, routingAggregate(c.TenantID), func(s routing.State) ([]any, error) {
		return routing.Delete(s, c.TenantID, c.RuleID)
	})
}

// ReorderRoutingRules sets the priority of every ranked rule.
type ReorderRoutingRules struct {
	TenantID uuid.UUID
	RuleIDs  []uuid.UUID
}

// ReorderRoutingRules handles the ReorderRoutingRules command.
func (h *Handler) ReorderRoutingRules(ctx context.Context, m Meta, c ReorderRoutingRules) (Result, error) {
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, routingAggregate(c.TenantID), func(s routing.State) ([]any, error) {
		return routing.Reorder(s, c.TenantID, c.RuleIDs)
	})
}

// SetDefaultRouting sets the tenant's default binding. NewRuleID names it
// the first time; later changes keep the existing ID.
type SetDefaultRouting struct {
	TenantID  uuid.UUID
	NewRuleID uuid.UUID
	Rule      eventschema.RoutingRule
	Refs      RoutingReferences
}

// SetDefaultRouting handles the SetDefaultRouting command.
func (h *Handler) SetDefaultRouting(ctx context.Context, m Meta, c SetDefaultRouting) (Result, error) {
	k, err := known(ctx, c.Refs, c.TenantID, c.Rule)
	if err != nil {
		return Result{}, err
	}
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, routingAggregate(c.TenantID), func(s routing.State) ([]any, error) {
		return routing.SetDefault(s, c.TenantID, c.NewRuleID, c.Rule, k)
	})
}

// RoutingRules reads a tenant's rules from their stream, in the order
// routing tries them. Routing a new conversation reads here rather than
// from the read model, so a rule an admin just saved applies at once.
func (h *Handler) RoutingRules(ctx context.Context, tenantID uuid.UUID) ([]routing.Rule, uint64, error) {
	l, err := load(ctx, h, routingAggregate(tenantID), uuid.Nil)
	if err != nil {
		return nil, 0, err
	}
	return l.state.Ordered(), l.version, nil
}
