package routing_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"supportd/domain/routing"
	"supportd/domain/timeplan"
	"supportd/eventschema"
)

func id(n byte) uuid.UUID { return uuid.UUID{0x01, 0x90, 15: n} }

var (
	sales, support, night, fallback = id(1), id(2), id(3), id(4)
	bot, ann, bob                   = id(10), id(11), id(12)
	berlinPlan                      = id(20)
)

func team(t uuid.UUID) eventschema.RoutingTarget {
	return eventschema.RoutingTarget{Kind: routing.TargetTeam, ID: t}
}
func robot(t uuid.UUID) eventschema.RoutingTarget {
	return eventschema.RoutingTarget{Kind: routing.TargetRobot, ID: t}
}
func agent(t uuid.UUID) eventschema.RoutingTarget {
	return eventschema.RoutingTarget{Kind: routing.TargetAgent, ID: t}
}

func rule(n byte, binding string, target eventschema.RoutingTarget, edit func(*eventschema.RoutingRule)) routing.Rule {
	r := routing.Rule{ID: id(100 + n), RoutingRule: eventschema.RoutingRule{
		Binding: binding, Enabled: true, Hours: eventschema.RoutingAllDay, Target: target}}
	if edit != nil {
		edit(&r.RoutingRule)
	}
	return r
}

func channels(cs ...string) func(*eventschema.RoutingRule) {
	return func(r *eventschema.RoutingRule) { r.Channels = cs }
}

func split(plan uuid.UUID, work, nonWork eventschema.RoutingTarget) func(*eventschema.RoutingRule) {
	return func(r *eventschema.RoutingRule) {
		r.Hours, r.PlanID, r.Target, r.NonWorkTarget = eventschema.RoutingWorkSplit, plan, work, nonWork
	}
}

// berlin is a plan of weekdays 09:00–18:00 in Europe/Berlin; it is also
// the tenant's default plan.
func berlin(t *testing.T) routing.Plans {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	var p timeplan.Plan
	for wd := time.Monday; wd <= time.Friday; wd++ {
		p.Weekly[wd] = []timeplan.Range{timeplan.HM(9, 0, 18, 0)}
	}
	return routing.Plans{Location: loc, Default: berlinPlan, ByID: map[uuid.UUID]timeplan.Plan{berlinPlan: p}}
}

// at returns a Berlin wall-clock instant.
func at(t *testing.T, plans routing.Plans, y int, m time.Month, d, hh, mm, ss int) time.Time {
	t.Helper()
	return time.Date(y, m, d, hh, mm, ss, 0, plans.Location)
}

func TestDecide(t *testing.T) {
	plans := berlin(t)
	monday := func(hh, mm, ss int) time.Time { return at(t, plans, 2026, time.November, 23, hh, mm, ss) }
	if monday(9, 0, 0).Weekday() != time.Monday || monday(9, 0, 0).UTC().Hour() != 8 {
		t.Fatal("the fixture assumes Monday 23 November 2026 in CET")
	}
	summer := func(hh, mm, ss int) time.Time { return at(t, plans, 2026, time.July, 6, hh, mm, ss) } // a Monday in CEST
	noon := monday(12, 0, 0)

	web := rule(1, eventschema.BindingChannel, team(sales), channels("web", "app"))
	wa := rule(2, eventschema.BindingChannelAccount, team(support), func(r *eventschema.RoutingRule) { r.ChannelAccounts = []string{"+49 30 555 0100"} })
	entry := rule(3, eventschema.BindingEntry, robot(bot), func(r *eventschema.RoutingRule) { r.Entries = []string{"pricing page"} })
	vip := rule(4, eventschema.BindingCustomerProfile, agent(ann), func(r *eventschema.RoutingRule) {
		r.Conditions = []eventschema.RoutingCondition{
			{Field: "level", Op: "eq", Values: []string{"VIP"}},
			{Field: "country", Op: "in", Values: []string{"DE", "AT"}},
		}
	})
	def := rule(9, eventschema.BindingDefault, team(fallback), nil)
	line := rule(5, eventschema.BindingChannel, team(support), split(berlinPlan, team(support), team(night)))
	line.Channels = []string{"line"}
	onDefault := rule(6, eventschema.BindingChannel, team(support), split(uuid.Nil, team(support), robot(bot)))
	onDefault.Channels = []string{"messenger"}
	gone := rule(7, eventschema.BindingChannel, team(support), split(id(99), team(support), team(night)))
	gone.Channels = []string{"email"}
	disabled := web
	disabled.Enabled = false

	all := []routing.Rule{web, wa, entry, vip, line, onDefault, gone, def}
	german := map[string]string{"level": "vip", "country": " DE "}

	tests := []struct {
		name  string
		rules []routing.Rule
		facts routing.Facts
		now   time.Time
		opts  routing.Options
		want  routing.Decision
	}{
		{"channel binding", all, routing.Facts{Channel: "Web"}, noon, routing.Options{},
			routing.Decision{RuleID: web.ID, Binding: "channel", TargetKind: "team", TargetID: sales}},
		{"channel account binding", all, routing.Facts{Channel: "whatsapp", ChannelAccount: "+49 30 555 0100"}, noon, routing.Options{},
			routing.Decision{RuleID: wa.ID, Binding: "channel_account", TargetKind: "team", TargetID: support}},
		{"entry binding to a robot", all, routing.Facts{Channel: "whatsapp", Entry: "pricing page"}, noon, routing.Options{},
			routing.Decision{RuleID: entry.ID, Binding: "entry", TargetKind: "robot", TargetID: bot}},
		{"customer profile: every condition holds", all, routing.Facts{Channel: "whatsapp", Profile: german}, noon, routing.Options{},
			routing.Decision{RuleID: vip.ID, Binding: "customer_profile", TargetKind: "agent", TargetID: ann}},
		{"customer profile: one condition fails", all, routing.Facts{Channel: "whatsapp", Profile: map[string]string{"level": "vip", "country": "FR"}}, noon, routing.Options{},
			routing.Decision{RuleID: def.ID, Binding: "default", TargetKind: "team", TargetID: fallback}},
		{"customer profile: a missing field fails", all, routing.Facts{Channel: "whatsapp", Profile: map[string]string{"level": "vip"}}, noon, routing.Options{},
			routing.Decision{RuleID: def.ID, Binding: "default", TargetKind: "team", TargetID: fallback}},
		{"priority: the first matching rule wins", all, routing.Facts{Channel: "web", ChannelAccount: "+49 30 555 0100", Profile: german}, noon, routing.Options{},
			routing.Decision{RuleID: web.ID, Binding: "channel", TargetKind: "team", TargetID: sales}},
		{"priority: reordered, the profile rule wins", []routing.Rule{vip, wa, web, def}, routing.Facts{Channel: "web", ChannelAccount: "+49 30 555 0100", Profile: german}, noon, routing.Options{},
			routing.Decision{RuleID: vip.ID, Binding: "customer_profile", TargetKind: "agent", TargetID: ann}},
		{"disabled rules are skipped", []routing.Rule{disabled, wa, def}, routing.Facts{Channel: "web"}, noon, routing.Options{},
			routing.Decision{RuleID: def.ID, Binding: "default", TargetKind: "team", TargetID: fallback}},
		{"the default binding is last wherever it stands", []routing.Rule{def, web}, routing.Facts{Channel: "web"}, noon, routing.Options{},
			routing.Decision{RuleID: web.ID, Binding: "channel", TargetKind: "team", TargetID: sales}},
		{"unmatched without a default", []routing.Rule{web, wa}, routing.Facts{Channel: "line"}, noon, routing.Options{DefaultTeam: fallback},
			routing.Decision{Binding: "default", TargetKind: "team", TargetID: fallback, Unmatched: true}},
		{"unmatched with a disabled default", []routing.Rule{web, func() routing.Rule { d := def; d.Enabled = false; return d }()}, routing.Facts{Channel: "line"}, noon, routing.Options{DefaultTeam: night},
			routing.Decision{Binding: "default", TargetKind: "team", TargetID: night, Unmatched: true}},
		{"no rules at all", nil, routing.Facts{Channel: "web"}, noon, routing.Options{DefaultTeam: fallback},
			routing.Decision{Binding: "default", TargetKind: "team", TargetID: fallback, Unmatched: true}},

		// Work and non-work hours around the plan's opening and closing.
		{"split: a second before opening", all, routing.Facts{Channel: "line"}, monday(8, 59, 59), routing.Options{},
			routing.Decision{RuleID: line.ID, Binding: "channel", TargetKind: "team", TargetID: night}},
		{"split: at opening", all, routing.Facts{Channel: "line"}, monday(9, 0, 0), routing.Options{},
			routing.Decision{RuleID: line.ID, Binding: "channel", TargetKind: "team", TargetID: support, WorkTime: true}},
		{"split: a second before closing", all, routing.Facts{Channel: "line"}, monday(17, 59, 59), routing.Options{},
			routing.Decision{RuleID: line.ID, Binding: "channel", TargetKind: "team", TargetID: support, WorkTime: true}},
		{"split: at closing", all, routing.Facts{Channel: "line"}, monday(18, 0, 0), routing.Options{},
			routing.Decision{RuleID: line.ID, Binding: "channel", TargetKind: "team", TargetID: night}},
		{"split: summer time, before opening", all, routing.Facts{Channel: "line"}, summer(8, 59, 59), routing.Options{},
			routing.Decision{RuleID: line.ID, Binding: "channel", TargetKind: "team", TargetID: night}},
		{"split: summer time, at opening (07:00 UTC)", all, routing.Facts{Channel: "line"}, summer(9, 0, 0).UTC(), routing.Options{},
			routing.Decision{RuleID: line.ID, Binding: "channel", TargetKind: "team", TargetID: support, WorkTime: true}},
		{"split: Saturday is non-work", all, routing.Facts{Channel: "line"}, at(t, plans, 2026, time.November, 28, 12, 0, 0), routing.Options{},
			routing.Decision{RuleID: line.ID, Binding: "channel", TargetKind: "team", TargetID: night}},
		{"split on the tenant's default plan", all, routing.Facts{Channel: "messenger"}, monday(20, 0, 0), routing.Options{},
			routing.Decision{RuleID: onDefault.ID, Binding: "channel", TargetKind: "robot", TargetID: bot}},
		{"split on a plan that is gone counts as working time", all, routing.Facts{Channel: "email"}, monday(20, 0, 0), routing.Options{},
			routing.Decision{RuleID: gone.ID, Binding: "channel", TargetKind: "team", TargetID: support, WorkTime: true}},

		// Bot reception first.
		{"bot first: the robot receives, the rule stays recorded", all, routing.Facts{Channel: "line"}, monday(10, 0, 0), routing.Options{BotFirst: true, Robot: bot},
			routing.Decision{RuleID: line.ID, Binding: "channel", TargetKind: "robot", TargetID: bot, WorkTime: true}},
		{"bot first without a robot changes nothing", all, routing.Facts{Channel: "web"}, noon, routing.Options{BotFirst: true},
			routing.Decision{RuleID: web.ID, Binding: "channel", TargetKind: "team", TargetID: sales}},
		{"bot first, unmatched: still alerted", []routing.Rule{web}, routing.Facts{Channel: "line"}, noon, routing.Options{BotFirst: true, Robot: bot, DefaultTeam: fallback},
			routing.Decision{Binding: "default", TargetKind: "robot", TargetID: bot, Unmatched: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := routing.Decide(tc.rules, tc.facts, tc.now, plans.WorkingTime, tc.opts)
			if got != tc.want {
				t.Errorf("Decide\n got %+v\nwant %+v", got, tc.want)
			}
			ev := got.Event(id(50), id(51))
			if ev.RuleID != got.RuleID || ev.Binding != got.Binding || ev.TargetKind != got.TargetKind ||
				ev.TargetID != got.TargetID || ev.WorkTime != got.WorkTime || ev.Unmatched != got.Unmatched {
				t.Errorf("event %+v does not carry %+v", ev, got)
			}
		})
	}
}

// TestHandOver: when the customer asks a robot for an agent, the robot
// settings' team wins, else the next matching rule that targets a team.
func TestHandOver(t *testing.T) {
	plans := berlin(t)
	open := at(t, plans, 2026, time.November, 23, 10, 0, 0)
	closed := at(t, plans, 2026, time.November, 23, 19, 0, 0)
	botRule := rule(1, eventschema.BindingChannel, robot(bot), channels("web"))
	teamRule := rule(2, eventschema.BindingChannel, team(sales), channels("web", "app"))
	splitRule := rule(3, eventschema.BindingChannel, team(support), split(berlinPlan, team(support), robot(bot)))
	splitRule.Channels = []string{"web"}
	agentRule := rule(4, eventschema.BindingChannel, agent(ann), channels("web"))
	def := rule(9, eventschema.BindingDefault, team(fallback), nil)

	tests := []struct {
		name      string
		rules     []routing.Rule
		now       time.Time
		robotTeam uuid.UUID
		want      uuid.UUID
	}{
		{"the robot settings' team", []routing.Rule{botRule, teamRule}, open, night, night},
		{"the next rule's team", []routing.Rule{botRule, teamRule, def}, open, uuid.Nil, sales},
		{"a split rule in working hours", []routing.Rule{botRule, splitRule, teamRule}, open, uuid.Nil, support},
		{"a split rule's robot after hours is skipped", []routing.Rule{botRule, splitRule, teamRule}, closed, uuid.Nil, sales},
		{"agent targets are skipped", []routing.Rule{botRule, agentRule, def}, open, uuid.Nil, fallback},
		{"bot first on a team rule: that team", []routing.Rule{teamRule, botRule}, open, uuid.Nil, sales},
		{"nothing: the tenant's default team", []routing.Rule{botRule}, open, uuid.Nil, night},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defaultTeam := uuid.Nil
			if tc.robotTeam == uuid.Nil {
				defaultTeam = night
			}
			got := routing.HandOver(tc.rules, routing.Facts{Channel: "web"}, tc.now, plans.WorkingTime, tc.robotTeam, defaultTeam)
			if got != tc.want {
				t.Errorf("HandOver = %v, want %v", got, tc.want)
			}
		})
	}
}
