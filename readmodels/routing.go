package readmodels

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// RoutingRulesTable is the table of the routing rules read model, written by
// the "routing_rules" projector.
const RoutingRulesTable = "routing_rules"

// RoutingRule is one routing rule as admins see it.
type RoutingRule struct {
	RuleID  uuid.UUID `json:"rule_id"`
	Binding string    `json:"binding"`
	// Rank is the place among the ranked rules (0 first); the default
	// binding has none and is listed last.
	Rank *int `json:"rank"`
	// Rule is the eventschema.RoutingRule as last saved.
	Rule      json.RawMessage `json:"rule"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
	// Version is the version of the tenant's rules stream that last
	// changed this rule.
	Version uint64 `json:"version"`
}

const routingRuleColumns = `rule_id, binding, is_default, rank, rule, created_at, updated_at, version`

func scanRoutingRule(r pgx.Row) (RoutingRule, error) {
	var (
		x         RoutingRule
		isDefault bool
		rank      int
		rule      []byte
		v         int64
	)
	err := r.Scan(&x.RuleID, &x.Binding, &isDefault, &rank, &rule, &x.CreatedAt, &x.UpdatedAt, &v)
	if !isDefault {
		x.Rank = &rank
	}
	x.Rule, x.Version = rule, uint64(v)
	return x, err
}

// ListRoutingRules lists a tenant's rules in the order routing tries them:
// by rank, the default binding last.
func ListRoutingRules(ctx context.Context, q Querier, tenantID uuid.UUID) ([]RoutingRule, error) {
	rows, err := q.Query(ctx, `SELECT `+routingRuleColumns+` FROM routing_rules
		WHERE tenant_id = $1 AND NOT deleted ORDER BY is_default, rank, rule_id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("list routing rules: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (RoutingRule, error) { return scanRoutingRule(r) })
	if err != nil {
		return nil, fmt.Errorf("list routing rules: %w", err)
	}
	if out == nil {
		out = []RoutingRule{}
	}
	return out, nil
}

// GetRoutingRule returns a rule of the tenant, or ErrNotFound.
func GetRoutingRule(ctx context.Context, q Querier, tenantID, ruleID uuid.UUID) (RoutingRule, error) {
	x, err := scanRoutingRule(q.QueryRow(ctx, `SELECT `+routingRuleColumns+` FROM routing_rules
		WHERE tenant_id = $1 AND rule_id = $2 AND NOT deleted`, tenantID, ruleID))
	if errors.Is(err, pgx.ErrNoRows) {
		return RoutingRule{}, fmt.Errorf("routing rule %s: %w", ruleID, ErrNotFound)
	}
	if err != nil {
		return RoutingRule{}, fmt.Errorf("routing rule %s: %w", ruleID, err)
	}
	return x, nil
}
