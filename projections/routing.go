package projections

import (
	"context"
	"encoding/json"

	"supportd/eventschema"
	"supportd/readmodels"
)

// RoutingRules projects the tenants' routing rule streams into the routing
// rules read model (readmodels/routing.go). Ranks stay 0..n-1 without gaps,
// as the domain counts them: a deletion moves the rules below it up.
type RoutingRules struct {
	reg *eventschema.Registry
}

// NewRoutingRules returns the routing rules projector.
func NewRoutingRules(reg *eventschema.Registry) *RoutingRules { return &RoutingRules{reg: reg} }

// Name implements Projector.
func (*RoutingRules) Name() string { return "routing_rules" }

// Tables implements Projector.
func (*RoutingRules) Tables() []string { return []string{readmodels.RoutingRulesTable} }

var routingEvents = map[string]bool{
	"RoutingRuleDefined": true, "RoutingRuleChanged": true, "RoutingRuleDeleted": true,
	"RoutingRulesReordered": true, "RoutingDefaultSet": true,
}

// Apply implements Projector.
func (p *RoutingRules) Apply(ctx context.Context, db DB, e eventschema.Envelope) error {
	if !routingEvents[e.Type] {
		return nil
	}
	payload, err := p.reg.Decode(e)
	if err != nil {
		return err
	}
	v, at := int64(e.StreamVersion), occurredAt(e)
	switch ev := payload.(type) {
	case eventschema.RoutingRuleDefined:
		rule, err := json.Marshal(ev.Rule)
		if err != nil {
			return err
		}
		return db.Exec(ctx, `
			INSERT INTO routing_rules (rule_id, tenant_id, binding, is_default, rank, rule, created_at, updated_at, version)
			VALUES ($1, $3, $4, false, $5, $6, $7, $7, $2) ON CONFLICT (tenant_id, rule_id) DO NOTHING`,
			ev.RuleID, v, ev.TenantID, ev.Rule.Binding, ev.Rank, rule, at)
	case eventschema.RoutingRuleChanged:
		rule, err := json.Marshal(ev.Rule)
		if err != nil {
			return err
		}
		return db.Exec(ctx, `UPDATE routing_rules SET binding = $3, rule = $4, updated_at = $5, version = $2
			WHERE tenant_id = $6 AND rule_id = $1 AND version < $2`, ev.RuleID, v, ev.Rule.Binding, rule, at, ev.TenantID)
	case eventschema.RoutingRuleDeleted:
		if err := db.Exec(ctx, `UPDATE routing_rules o SET rank = o.rank - 1, version = $2
			FROM routing_rules d
			WHERE d.tenant_id = $3 AND d.rule_id = $1 AND NOT d.deleted AND NOT d.is_default AND o.tenant_id = d.tenant_id
			  AND NOT o.is_default AND NOT o.deleted AND o.rank > d.rank AND o.version < $2`, ev.RuleID, v, ev.TenantID); err != nil {
			return err
		}
		return db.Exec(ctx, `UPDATE routing_rules SET deleted = true, updated_at = $3, version = $2
			WHERE tenant_id = $4 AND rule_id = $1 AND version < $2`, ev.RuleID, v, at, ev.TenantID)
	case eventschema.RoutingRulesReordered:
		return db.Exec(ctx, `UPDATE routing_rules SET rank = array_position($2::uuid[], rule_id) - 1, version = $3
			WHERE tenant_id = $1 AND rule_id = ANY($2::uuid[]) AND version < $3`, ev.TenantID, ev.RuleIDs, v)
	case eventschema.RoutingDefaultSet:
		rule, err := json.Marshal(ev.Rule)
		if err != nil {
			return err
		}
		return db.Exec(ctx, `
			INSERT INTO routing_rules (rule_id, tenant_id, binding, is_default, rank, rule, created_at, updated_at, version)
			VALUES ($1, $3, 'default', true, 0, $4, $5, $5, $2)
			ON CONFLICT (tenant_id, rule_id) DO UPDATE SET rule = excluded.rule, updated_at = excluded.updated_at, version = excluded.version
			WHERE routing_rules.version < excluded.version`, ev.RuleID, v, ev.TenantID, rule, at)
	}
	return nil
}

// EventTypes implements Selective.
func (*RoutingRules) EventTypes() []string { return typesOf(routingEvents) }
