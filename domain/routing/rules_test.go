package routing_test

import (
	"testing"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/routing"
	"supportd/eventschema"
)

var tenantID = id(200)

// fold applies a decision's events, failing the test on a rule violation.
func fold(t *testing.T, s routing.State) func([]any, error) routing.State {
	return func(events []any, err error) routing.State {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			s = routing.Evolve(s, e)
		}
		return s
	}
}

func order(s routing.State) []uuid.UUID {
	var out []uuid.UUID
	for _, r := range s.Ordered() {
		out = append(out, r.ID)
	}
	return out
}

func TestRuleSetLifecycle(t *testing.T) {
	var s routing.State
	web := rule(1, eventschema.BindingChannel, team(sales), channels(" web", "web", "app"))
	vip := rule(2, eventschema.BindingCustomerProfile, agent(ann), func(r *eventschema.RoutingRule) {
		r.Conditions = []eventschema.RoutingCondition{{Field: "level", Op: "eq", Values: []string{"vip"}}}
	})
	s = fold(t, s)(routing.Define(s, tenantID, web.ID, web.RoutingRule, nil))
	if got := s.Rules[web.ID].Channels; len(got) != 2 || got[0] != "web" {
		t.Errorf("criteria not canonical: %v", got)
	}
	s = fold(t, s)(routing.Define(s, tenantID, vip.ID, vip.RoutingRule, nil))
	def := eventschema.RoutingRule{Target: team(fallback)}
	s = fold(t, s)(routing.SetDefault(s, tenantID, id(150), def, nil))
	if want := []uuid.UUID{web.ID, vip.ID, id(150)}; !equalIDs(order(s), want) {
		t.Fatalf("order %v, want %v", order(s), want)
	}

	// A new rule ranks last among the ranked ones, before the default.
	entry := rule(3, eventschema.BindingEntry, robot(bot), func(r *eventschema.RoutingRule) { r.Entries = []string{"pricing"} })
	s = fold(t, s)(routing.Define(s, tenantID, entry.ID, entry.RoutingRule, nil))
	if want := []uuid.UUID{web.ID, vip.ID, entry.ID, id(150)}; !equalIDs(order(s), want) {
		t.Fatalf("order %v, want %v", order(s), want)
	}

	// The default keeps its ID; setting it unchanged decides nothing.
	if ev, err := routing.SetDefault(s, tenantID, id(151), def, nil); err != nil || len(ev) != 0 {
		t.Errorf("unchanged default: %v %v", ev, err)
	}
	def.Target = team(night)
	ev, err := routing.SetDefault(s, tenantID, id(151), def, nil)
	if err != nil || ev[0].(eventschema.RoutingDefaultSet).RuleID != id(150) {
		t.Fatalf("changed default: %v %v", ev, err)
	}
	s = fold(t, s)(ev, err)
	// A PUT on the default's ID is a change of the default.
	def.Target = team(support)
	ev, err = routing.Change(s, tenantID, id(150), def, nil)
	if _, ok := ev[0].(eventschema.RoutingDefaultSet); err != nil || !ok {
		t.Fatalf("change of the default: %v %v", ev, err)
	}

	// Reorder: a permutation of every ranked rule.
	s = fold(t, s)(routing.Reorder(s, tenantID, []uuid.UUID{entry.ID, web.ID, vip.ID}))
	if want := []uuid.UUID{entry.ID, web.ID, vip.ID, id(150)}; !equalIDs(order(s), want) {
		t.Fatalf("order %v, want %v", order(s), want)
	}
	if ev, err := routing.Reorder(s, tenantID, []uuid.UUID{entry.ID, web.ID, vip.ID}); err != nil || len(ev) != 0 {
		t.Errorf("same order: %v %v", ev, err)
	}

	// Disable, then delete.
	off := s.Rules[web.ID].RoutingRule
	off.Enabled = false
	s = fold(t, s)(routing.Change(s, tenantID, web.ID, off, nil))
	if s.Rules[web.ID].Enabled {
		t.Error("still enabled")
	}
	s = fold(t, s)(routing.Delete(s, tenantID, web.ID))
	if want := []uuid.UUID{entry.ID, vip.ID, id(150)}; !equalIDs(order(s), want) {
		t.Fatalf("order %v, want %v", order(s), want)
	}
	if _, err := routing.Delete(s, tenantID, id(150)); err == nil {
		t.Errorf("the default binding was deleted")
	}
}

func TestRuleViolations(t *testing.T) {
	var s routing.State
	web := rule(1, eventschema.BindingChannel, team(sales), channels("web"))
	s = fold(t, s)(routing.Define(s, tenantID, web.ID, web.RoutingRule, nil))
	s = fold(t, s)(routing.SetDefault(s, tenantID, id(150), eventschema.RoutingRule{Target: team(fallback)}, nil))
	other := rule(2, eventschema.BindingChannel, team(sales), channels("app"))
	s = fold(t, s)(routing.Define(s, tenantID, other.ID, other.RoutingRule, nil))

	with := func(edit func(*eventschema.RoutingRule)) eventschema.RoutingRule {
		r := rule(5, eventschema.BindingChannel, team(sales), channels("web")).RoutingRule
		edit(&r)
		return r
	}
	onlySales := func(kind string, x uuid.UUID) bool { return x == sales || x == berlinPlan }
	tests := []struct {
		name  string
		err   error
		kind  domain.Kind
		code  string
		field string
	}{
		{"duplicate ID", second(routing.Define(s, tenantID, web.ID, web.RoutingRule, nil)), domain.Conflict, "routing.exists", ""},
		{"nil ID", second(routing.Define(s, tenantID, uuid.Nil, web.RoutingRule, nil)), domain.Invalid, "routing.id", "rule_id"},
		{"default via define", second(routing.Define(s, tenantID, id(5), with(func(r *eventschema.RoutingRule) { r.Binding = "default"; r.Channels = nil }), nil)), domain.Invalid, "routing.binding", "binding"},
		{"unknown binding", second(routing.Define(s, tenantID, id(5), with(func(r *eventschema.RoutingRule) { r.Binding = "weekday" }), nil)), domain.Invalid, "routing.binding", "binding"},
		{"no criteria", second(routing.Define(s, tenantID, id(5), with(func(r *eventschema.RoutingRule) { r.Channels = nil }), nil)), domain.Invalid, "routing.criteria", "channels"},
		{"criteria of another binding", second(routing.Define(s, tenantID, id(5), with(func(r *eventschema.RoutingRule) { r.Entries = []string{"x"} }), nil)), domain.Invalid, "routing.criteria", "entries"},
		{"unknown channel", second(routing.Define(s, tenantID, id(5), with(func(r *eventschema.RoutingRule) { r.Channels = []string{"fax"} }), nil)), domain.Invalid, "routing.channel", "channels"},
		{"empty account name", second(routing.Define(s, tenantID, id(5), with(func(r *eventschema.RoutingRule) {
			r.Binding, r.Channels, r.ChannelAccounts = "channel_account", nil, []string{" "}
		}), nil)), domain.Invalid, "routing.criteria", "channel_accounts"},
		{"eq with two values", second(routing.Define(s, tenantID, id(5), with(func(r *eventschema.RoutingRule) {
			r.Binding, r.Channels = "customer_profile", nil
			r.Conditions = []eventschema.RoutingCondition{{Field: "level", Op: "eq", Values: []string{"a", "b"}}}
		}), nil)), domain.Invalid, "routing.condition", "conditions"},
		{"unknown op", second(routing.Define(s, tenantID, id(5), with(func(r *eventschema.RoutingRule) {
			r.Binding, r.Channels = "customer_profile", nil
			r.Conditions = []eventschema.RoutingCondition{{Field: "level", Op: "like", Values: []string{"a"}}}
		}), nil)), domain.Invalid, "routing.condition", "conditions"},
		{"no target", second(routing.Define(s, tenantID, id(5), with(func(r *eventschema.RoutingRule) { r.Target = eventschema.RoutingTarget{} }), nil)), domain.Invalid, "routing.target", "target"},
		{"bad target kind", second(routing.Define(s, tenantID, id(5), with(func(r *eventschema.RoutingRule) { r.Target.Kind = "queue" }), nil)), domain.Invalid, "routing.target", "target"},
		{"target without ID", second(routing.Define(s, tenantID, id(5), with(func(r *eventschema.RoutingRule) { r.Target.ID = uuid.Nil }), nil)), domain.Invalid, "routing.target", "target"},
		{"unknown team", second(routing.Define(s, tenantID, id(5), with(func(r *eventschema.RoutingRule) { r.Target = team(night) }), onlySales)), domain.NotFound, "routing.target_not_found", "target"},
		{"split without non-work target", second(routing.Define(s, tenantID, id(5), with(func(r *eventschema.RoutingRule) { r.Hours = "work_split" }), nil)), domain.Invalid, "routing.target", "non_work_target"},
		{"split with unknown plan", second(routing.Define(s, tenantID, id(5), with(split(id(98), team(sales), team(sales))), onlySales)), domain.NotFound, "routing.plan_not_found", "plan_id"},
		{"all day with a plan", second(routing.Define(s, tenantID, id(5), with(func(r *eventschema.RoutingRule) { r.PlanID = berlinPlan }), nil)), domain.Invalid, "routing.plan", "plan_id"},
		{"all day with a non-work target", second(routing.Define(s, tenantID, id(5), with(func(r *eventschema.RoutingRule) { r.NonWorkTarget = team(sales) }), nil)), domain.Invalid, "routing.target", "non_work_target"},
		{"bad hours", second(routing.Define(s, tenantID, id(5), with(func(r *eventschema.RoutingRule) { r.Hours = "weekends" }), nil)), domain.Invalid, "routing.hours", "hours"},
		{"change unknown rule", second(routing.Change(s, tenantID, id(77), web.RoutingRule, nil)), domain.NotFound, "routing.not_found", ""},
		{"ranked rule cannot become default", second(routing.Change(s, tenantID, web.ID, eventschema.RoutingRule{Binding: "default", Target: team(sales)}, nil)), domain.Invalid, "routing.binding", "binding"},
		{"default stays default", second(routing.Change(s, tenantID, id(150), web.RoutingRule, nil)), domain.Invalid, "routing.binding", "binding"},
		{"default with criteria", second(routing.SetDefault(s, tenantID, id(150), eventschema.RoutingRule{Channels: []string{"web"}, Target: team(sales)}, nil)), domain.Invalid, "routing.criteria", "channels"},
		{"delete unknown rule", second(routing.Delete(s, tenantID, id(77))), domain.NotFound, "routing.not_found", ""},
		{"the default binding is kept", second(routing.Delete(s, tenantID, id(150))), domain.Conflict, "routing.default_kept", ""},
		{"reorder: unknown rule", second(routing.Reorder(s, tenantID, []uuid.UUID{other.ID, id(77)})), domain.Invalid, "routing.order", "rule_ids"},
		{"reorder: the default", second(routing.Reorder(s, tenantID, []uuid.UUID{other.ID, web.ID, id(150)})), domain.Invalid, "routing.order", "rule_ids"},
		{"reorder: twice", second(routing.Reorder(s, tenantID, []uuid.UUID{other.ID, other.ID})), domain.Invalid, "routing.order", "rule_ids"},
		{"reorder: a rule left out", second(routing.Reorder(s, tenantID, []uuid.UUID{other.ID})), domain.Conflict, "routing.order_stale", "rule_ids"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e *domain.Error
			if tc.err == nil {
				t.Fatal("no error")
			}
			if !asDomain(tc.err, &e) || e.Kind != tc.kind || e.Code != tc.code || e.Field != tc.field {
				t.Errorf("got %#v, want %v %s %s", tc.err, tc.kind, tc.code, tc.field)
			}
		})
	}
}

func second(_ []any, err error) error { return err }

func asDomain(err error, e **domain.Error) bool {
	d, ok := err.(*domain.Error)
	*e = d
	return ok
}

func equalIDs(a, b []uuid.UUID) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
