package eventschema

import "github.com/google/uuid"

// Routing rules of a tenant live in one stream, "routingrules-{tenant id}":
// their priority order and the single default binding are facts about the
// whole set, so one stream keeps them consistent without multi-stream
// transactions.

// Effective hours of a routing rule's targets.
const (
	// RoutingAllDay: one target at every hour.
	RoutingAllDay = "all_day"
	// RoutingWorkSplit: one target in the working hours of a time plan,
	// another outside them.
	RoutingWorkSplit = "work_split"
)

// RoutingTarget is where a rule sends a conversation: a robot, a team or an
// agent. The empty kind (with the nil ID) is the unused non-work target of
// a rule that serves all day.
type RoutingTarget struct {
	Kind string    `json:"kind" jsonschema:"enum=robot,enum=team,enum=agent,enum="`
	ID   uuid.UUID `json:"id"`
}

// RoutingCondition tests one customer-profile field: "eq" wants the field
// to equal the single value, "in" to equal one of the values.
type RoutingCondition struct {
	Field  string   `json:"field" jsonschema:"minLength=1"`
	Op     string   `json:"op" jsonschema:"enum=eq,enum=in"`
	Values []string `json:"values"`
}

// RoutingRule is the whole definition of one rule, as admins last saved
// it. Only the criteria of its binding are set: channel names for a
// channel binding, channel accounts for a channel-account binding, entry
// names for an entry binding, profile conditions (all must hold) for a
// customer-profile binding, none for the default binding.
type RoutingRule struct {
	Binding         string             `json:"binding" jsonschema:"enum=channel,enum=channel_account,enum=entry,enum=customer_profile,enum=default"`
	Name            string             `json:"name" jsonschema:"maxLength=100"`
	Enabled         bool               `json:"enabled"`
	Channels        []string           `json:"channels"`
	ChannelAccounts []string           `json:"channel_accounts"`
	Entries         []string           `json:"entries"`
	Conditions      []RoutingCondition `json:"conditions"`
	// Hours is all_day or work_split.
	Hours string `json:"hours" jsonschema:"enum=all_day,enum=work_split"`
	// PlanID is the time plan splitting work from non-work hours; the nil
	// UUID means the tenant's default plan.
	PlanID uuid.UUID `json:"plan_id"`
	// Target serves all day, or in working hours when split.
	Target RoutingTarget `json:"target"`
	// NonWorkTarget serves outside working hours (work_split only; empty
	// otherwise).
	NonWorkTarget RoutingTarget `json:"non_work_target"`
}

// RoutingRuleDefined records a new non-default rule. New rules rank last
// among the non-default rules: Rank is its 0-based place after this event.
type RoutingRuleDefined struct {
	TenantID uuid.UUID   `json:"tenant_id"`
	RuleID   uuid.UUID   `json:"rule_id"`
	Rule     RoutingRule `json:"rule"`
	Rank     int         `json:"rank" jsonschema:"minimum=0"`
}

// RoutingRuleChanged records a rule's new definition, whole (criteria,
// targets, enabled); its rank stays.
type RoutingRuleChanged struct {
	TenantID uuid.UUID   `json:"tenant_id"`
	RuleID   uuid.UUID   `json:"rule_id"`
	Rule     RoutingRule `json:"rule"`
}

// RoutingRuleDeleted records the removal of a rule (the default binding
// too: then unmatched conversations go to the tenant's default team).
type RoutingRuleDeleted struct {
	TenantID uuid.UUID `json:"tenant_id"`
	RuleID   uuid.UUID `json:"rule_id"`
	Binding  string    `json:"binding"`
}

// RoutingRulesReordered records the admin-set priority of every
// non-default rule, highest first. The default binding is not listed: it
// is always last.
type RoutingRulesReordered struct {
	TenantID uuid.UUID   `json:"tenant_id"`
	RuleIDs  []uuid.UUID `json:"rule_ids"`
}

// RoutingDefaultSet records the tenant's default binding, whole. RuleID is
// the same for every later change of the default.
type RoutingDefaultSet struct {
	TenantID uuid.UUID   `json:"tenant_id"`
	RuleID   uuid.UUID   `json:"rule_id"`
	Rule     RoutingRule `json:"rule"`
}

func registerRouting(r *Registry) {
	Register[RoutingRuleDefined](r, "RoutingRuleDefined", 1)
	Register[RoutingRuleChanged](r, "RoutingRuleChanged", 1)
	Register[RoutingRuleDeleted](r, "RoutingRuleDeleted", 1)
	Register[RoutingRulesReordered](r, "RoutingRulesReordered", 1)
	Register[RoutingDefaultSet](r, "RoutingDefaultSet", 1)
}
