// Package routing holds the routing rules of a tenant (seed 002, "Assign
// Conversation"): which robot, team or agent a new conversation goes to.
//
// The rules of one tenant are one aggregate, stream "routingrules-{tenant
// id}", because their priority order and the single default binding are
// facts about the whole set: two admins reordering at once must not both
// win. Admins rank the non-default rules freely (channel, channel-account,
// entry and customer-profile bindings in any order); the default binding is
// always tried last.
//
// Decide (decide.go) is the pure routing decision; HandOver answers the
// team a robot hands a conversation over to.
package routing

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/tenant"
	"supportd/eventschema"
)

// Stream is the stream of a tenant's routing rules.
func Stream(tenantID uuid.UUID) string { return "routingrules-" + tenantID.String() }

// Target kinds.
const (
	TargetRobot = "robot"
	TargetTeam  = "team"
	TargetAgent = "agent"
)

// Rule is one routing rule with its ID.
type Rule struct {
	ID uuid.UUID
	eventschema.RoutingRule
}

// IsDefault tells the default binding apart from the ranked rules.
func (r Rule) IsDefault() bool { return r.Binding == eventschema.BindingDefault }

// State is a tenant's rule set.
type State struct {
	TenantID uuid.UUID
	// Rules holds every live rule, the default binding included.
	Rules map[uuid.UUID]Rule
	// Order ranks the non-default rules, highest priority first.
	Order []uuid.UUID
	// Default is the default binding's rule ID, or nil.
	Default uuid.UUID
}

// Evolve folds one event into the state.
func Evolve(s State, event any) State {
	if s.Rules == nil {
		s.Rules = map[uuid.UUID]Rule{}
	}
	switch e := event.(type) {
	case eventschema.RoutingRuleDefined:
		s.TenantID = e.TenantID
		s.Rules[e.RuleID] = Rule{ID: e.RuleID, RoutingRule: e.Rule}
		s.Order = slices.Insert(slices.Clone(s.Order), min(e.Rank, len(s.Order)), e.RuleID)
	case eventschema.RoutingRuleChanged:
		s.Rules[e.RuleID] = Rule{ID: e.RuleID, RoutingRule: e.Rule}
	case eventschema.RoutingRuleDeleted:
		delete(s.Rules, e.RuleID)
		s.Order = slices.DeleteFunc(slices.Clone(s.Order), func(id uuid.UUID) bool { return id == e.RuleID })
		if s.Default == e.RuleID {
			s.Default = uuid.Nil
		}
	case eventschema.RoutingRulesReordered:
		s.Order = slices.Clone(e.RuleIDs)
	case eventschema.RoutingDefaultSet:
		s.TenantID = e.TenantID
		s.Rules[e.RuleID] = Rule{ID: e.RuleID, RoutingRule: e.Rule}
		s.Default = e.RuleID
	}
	return s
}

// Ordered lists the rules in the order Decide tries them: the ranked rules,
// then the default binding.
func (s State) Ordered() []Rule {
	out := make([]Rule, 0, len(s.Rules))
	for _, id := range s.Order {
		out = append(out, s.Rules[id])
	}
	if d, ok := s.Rules[s.Default]; ok && s.Default != uuid.Nil {
		out = append(out, d)
	}
	return out
}

// Known reports whether a referenced team, agent, robot or time plan
// ("plan") exists in the tenant. Commands look the references up before
// deciding; nil trusts every reference.
type Known func(kind string, id uuid.UUID) bool

// Define adds a ranked (non-default) rule; it ranks last among them.
func Define(s State, tenantID, ruleID uuid.UUID, r eventschema.RoutingRule, known Known) ([]any, error) {
	if ruleID == uuid.Nil {
		return nil, domain.Errorf(domain.Invalid, "routing.id", "rule_id", "must be a UUID")
	}
	if _, ok := s.Rules[ruleID]; ok {
		return nil, domain.Errorf(domain.Conflict, "routing.exists", "", "routing rule %s already exists", ruleID)
	}
	if r.Binding == eventschema.BindingDefault {
		return nil, domain.Errorf(domain.Invalid, "routing.binding", "binding", "the default binding is set with PUT /v1/routing-rules/default")
	}
	r, err := Validate(r, known)
	if err != nil {
		return nil, err
	}
	return []any{eventschema.RoutingRuleDefined{TenantID: tenantID, RuleID: ruleID, Rule: r, Rank: len(s.Order)}}, nil
}

// Change replaces a rule's definition. A ranked rule may change its
// binding but cannot become the default, and the default stays the
// default: the one default binding and its last place are not negotiable.
func Change(s State, tenantID, ruleID uuid.UUID, r eventschema.RoutingRule, known Known) ([]any, error) {
	old, ok := s.Rules[ruleID]
	if !ok {
		return nil, notFound(ruleID)
	}
	if old.IsDefault() {
		if r.Binding == "" {
			r.Binding = eventschema.BindingDefault
		}
		if r.Binding != eventschema.BindingDefault {
			return nil, domain.Errorf(domain.Invalid, "routing.binding", "binding", "the default binding stays the default")
		}
		return SetDefault(s, tenantID, ruleID, r, known)
	}
	if r.Binding == eventschema.BindingDefault {
		return nil, domain.Errorf(domain.Invalid, "routing.binding", "binding", "a ranked rule cannot become the default binding; set the default with PUT /v1/routing-rules/default")
	}
	r, err := Validate(r, known)
	if err != nil {
		return nil, err
	}
	if equalRule(old.RoutingRule, r) {
		return nil, nil
	}
	return []any{eventschema.RoutingRuleChanged{TenantID: tenantID, RuleID: ruleID, Rule: r}}, nil
}

// Delete removes a ranked rule. The default binding stays, as the manual
// keeps it last in every list: it can be changed, never deleted, so a
// conversation no rule matches always has somewhere to go.
func Delete(s State, tenantID, ruleID uuid.UUID) ([]any, error) {
	old, ok := s.Rules[ruleID]
	if !ok {
		return nil, notFound(ruleID)
	}
	if old.IsDefault() {
		return nil, domain.Errorf(domain.Conflict, "routing.default_kept", "", "the default binding cannot be deleted; change its target with PUT /v1/routing-rules/default")
	}
	return []any{eventschema.RoutingRuleDeleted{TenantID: tenantID, RuleID: ruleID, Binding: old.Binding}}, nil
}

// Reorder sets the priority of the ranked rules. ids must name every
// ranked rule exactly once, so that an admin working from a stale list
// cannot silently drop a rule a colleague just added.
func Reorder(s State, tenantID uuid.UUID, ids []uuid.UUID) ([]any, error) {
	seen := make(map[uuid.UUID]bool, len(ids))
	for _, id := range ids {
		r, ok := s.Rules[id]
		switch {
		case !ok:
			return nil, domain.Errorf(domain.Invalid, "routing.order", "rule_ids", "rule %s does not exist", id)
		case r.IsDefault():
			return nil, domain.Errorf(domain.Invalid, "routing.order", "rule_ids", "the default binding is always last and is not ranked")
		case seen[id]:
			return nil, domain.Errorf(domain.Invalid, "routing.order", "rule_ids", "rule %s is listed twice", id)
		}
		seen[id] = true
	}
	if len(ids) != len(s.Order) {
		return nil, domain.Errorf(domain.Conflict, "routing.order_stale", "rule_ids", "the order must list all %d ranked rules; reload the rules and try again", len(s.Order))
	}
	if slices.Equal(ids, s.Order) {
		return nil, nil
	}
	return []any{eventschema.RoutingRulesReordered{TenantID: tenantID, RuleIDs: slices.Clone(ids)}}, nil
}

// SetDefault sets the default binding. The first one takes newID; later
// ones keep the existing default's ID, so there is only ever one.
func SetDefault(s State, tenantID, newID uuid.UUID, r eventschema.RoutingRule, known Known) ([]any, error) {
	if r.Binding == "" {
		r.Binding = eventschema.BindingDefault
	}
	if r.Binding != eventschema.BindingDefault {
		return nil, domain.Errorf(domain.Invalid, "routing.binding", "binding", "must be default")
	}
	r, err := Validate(r, known)
	if err != nil {
		return nil, err
	}
	id := s.Default
	if id == uuid.Nil {
		id = newID
	} else if equalRule(s.Rules[id].RoutingRule, r) {
		return nil, nil
	}
	if id == uuid.Nil {
		return nil, domain.Errorf(domain.Invalid, "routing.id", "rule_id", "must be a UUID")
	}
	return []any{eventschema.RoutingDefaultSet{TenantID: tenantID, RuleID: id, Rule: r}}, nil
}

// Validate checks a rule and returns it in canonical form: trimmed and
// de-duplicated criteria, non-nil lists, an unused non-work target empty.
// A rule must have the criteria of its binding and only those, and a
// target for every hour it covers.
func Validate(r eventschema.RoutingRule, known Known) (eventschema.RoutingRule, error) {
	r.Name = strings.TrimSpace(r.Name)
	if utf8.RuneCountInString(r.Name) > 100 {
		return r, domain.Errorf(domain.Invalid, "routing.name", "name", "must be at most 100 characters")
	}
	var err error
	if r.Channels, err = names(r.Channels, "channels"); err != nil {
		return r, err
	}
	for _, c := range r.Channels {
		if !slices.Contains(tenant.Channels, c) {
			return r, domain.Errorf(domain.Invalid, "routing.channel", "channels", "unknown channel %q (one of %s)", c, strings.Join(tenant.Channels, ", "))
		}
	}
	if r.ChannelAccounts, err = names(r.ChannelAccounts, "channel_accounts"); err != nil {
		return r, err
	}
	if r.Entries, err = names(r.Entries, "entries"); err != nil {
		return r, err
	}
	if r.Conditions, err = conditions(r.Conditions); err != nil {
		return r, err
	}
	criteria := map[string]int{
		eventschema.BindingChannel:         len(r.Channels),
		eventschema.BindingChannelAccount:  len(r.ChannelAccounts),
		eventschema.BindingEntry:           len(r.Entries),
		eventschema.BindingCustomerProfile: len(r.Conditions),
	}
	fields := map[string]string{
		eventschema.BindingChannel: "channels", eventschema.BindingChannelAccount: "channel_accounts",
		eventschema.BindingEntry: "entries", eventschema.BindingCustomerProfile: "conditions",
	}
	if _, ok := criteria[r.Binding]; !ok && r.Binding != eventschema.BindingDefault {
		return r, domain.Errorf(domain.Invalid, "routing.binding", "binding", "must be channel, channel_account, entry, customer_profile or default")
	}
	for b, n := range criteria {
		if b == r.Binding && n == 0 {
			return r, domain.Errorf(domain.Invalid, "routing.criteria", fields[b], "a %s binding needs at least one", b)
		}
		if b != r.Binding && n > 0 {
			return r, domain.Errorf(domain.Invalid, "routing.criteria", fields[b], "only the criteria of the %s binding may be given", r.Binding)
		}
	}
	if r.Hours == "" {
		r.Hours = eventschema.RoutingAllDay
	}
	if err := target(r.Target, "target", known); err != nil {
		return r, err
	}
	switch r.Hours {
	case eventschema.RoutingAllDay:
		if r.NonWorkTarget != (eventschema.RoutingTarget{}) {
			return r, domain.Errorf(domain.Invalid, "routing.target", "non_work_target", "only a work_split rule has a non-work target")
		}
		if r.PlanID != uuid.Nil {
			return r, domain.Errorf(domain.Invalid, "routing.plan", "plan_id", "only a work_split rule uses a time plan")
		}
	case eventschema.RoutingWorkSplit:
		if err := target(r.NonWorkTarget, "non_work_target", known); err != nil {
			return r, err
		}
		if r.PlanID != uuid.Nil && known != nil && !known("plan", r.PlanID) {
			return r, domain.Errorf(domain.NotFound, "routing.plan_not_found", "plan_id", "time plan %s not found", r.PlanID)
		}
	default:
		return r, domain.Errorf(domain.Invalid, "routing.hours", "hours", "must be all_day or work_split")
	}
	return r, nil
}

func target(t eventschema.RoutingTarget, field string, known Known) error {
	switch t.Kind {
	case TargetRobot, TargetTeam, TargetAgent:
	case "":
		return domain.Errorf(domain.Invalid, "routing.target", field, "a target is required")
	default:
		return domain.Errorf(domain.Invalid, "routing.target", field, "kind must be robot, team or agent")
	}
	if t.ID == uuid.Nil {
		return domain.Errorf(domain.Invalid, "routing.target", field, "id must be a UUID")
	}
	if known != nil && !known(t.Kind, t.ID) {
		return domain.Errorf(domain.NotFound, "routing.target_not_found", field, "%s %s not found", t.Kind, t.ID)
	}
	return nil
}

// names trims, drops duplicates and keeps the admin's order.
func names(in []string, field string) ([]string, error) {
	out := []string{}
	for _, n := range in {
		n = strings.TrimSpace(n)
		if n == "" || utf8.RuneCountInString(n) > 200 {
			return nil, domain.Errorf(domain.Invalid, "routing.criteria", field, "names must be 1 to 200 characters")
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

func conditions(in []eventschema.RoutingCondition) ([]eventschema.RoutingCondition, error) {
	out := []eventschema.RoutingCondition{}
	for _, c := range in {
		c.Field = strings.TrimSpace(c.Field)
		if c.Field == "" {
			return nil, domain.Errorf(domain.Invalid, "routing.condition", "conditions", "a condition needs a field")
		}
		vals, err := names(c.Values, "conditions")
		if err != nil {
			return nil, err
		}
		c.Values = vals
		switch {
		case c.Op == "eq" && len(vals) != 1:
			return nil, domain.Errorf(domain.Invalid, "routing.condition", "conditions", "%s: eq takes exactly one value", c.Field)
		case c.Op == "in" && len(vals) == 0:
			return nil, domain.Errorf(domain.Invalid, "routing.condition", "conditions", "%s: in takes at least one value", c.Field)
		case c.Op != "eq" && c.Op != "in":
			return nil, domain.Errorf(domain.Invalid, "routing.condition", "conditions", "%s: op must be eq or in", c.Field)
		}
		out = append(out, c)
	}
	return out, nil
}

func equalRule(a, b eventschema.RoutingRule) bool {
	return a.Binding == b.Binding && a.Name == b.Name && a.Enabled == b.Enabled &&
		slices.Equal(a.Channels, b.Channels) && slices.Equal(a.ChannelAccounts, b.ChannelAccounts) &&
		slices.Equal(a.Entries, b.Entries) &&
		slices.EqualFunc(a.Conditions, b.Conditions, func(x, y eventschema.RoutingCondition) bool {
			return x.Field == y.Field && x.Op == y.Op && slices.Equal(x.Values, y.Values)
		}) &&
		a.Hours == b.Hours && a.PlanID == b.PlanID && a.Target == b.Target && a.NonWorkTarget == b.NonWorkTarget
}

func notFound(id uuid.UUID) error {
	return domain.Errorf(domain.NotFound, "routing.not_found", "", "routing rule %s not found", id)
}
