package routing

import (
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"supportd/domain/timeplan"
	"supportd/eventschema"
)

// Facts are what routing knows about a new conversation when it starts.
type Facts struct {
	Channel        string
	ChannelAccount string
	Entry          string
	// Profile holds the customer's profile fields by key.
	Profile map[string]string
}

// WorkingTime answers whether t lies in the working hours of a time plan;
// the nil plan ID stands for the tenant's default plan. known is false when
// there is no such plan.
type WorkingTime func(planID uuid.UUID, t time.Time) (working, known bool)

// Plans answers WorkingTime from plans held in memory, in the tenant's time
// zone.
type Plans struct {
	Location *time.Location
	// Default is the tenant's default plan.
	Default uuid.UUID
	ByID    map[uuid.UUID]timeplan.Plan
}

// WorkingTime implements the WorkingTime function type.
func (p Plans) WorkingTime(planID uuid.UUID, t time.Time) (bool, bool) {
	if planID == uuid.Nil {
		planID = p.Default
	}
	plan, ok := p.ByID[planID]
	if !ok {
		return false, false
	}
	loc := p.Location
	if loc == nil {
		loc = time.UTC
	}
	return plan.IsWorkingTime(t, loc), true
}

// Options are the tenant's switches and the per-conversation candidates
// that bend the rules' choice.
type Options struct {
	// DefaultTeam receives what no rule matches.
	DefaultTeam uuid.UUID
	// BotFirst is "prioritize bot reception": Robot receives every new
	// conversation first and hands it over when the customer asks for an
	// agent (see HandOver).
	BotFirst bool
	Robot    uuid.UUID
}

// Decision is where a new conversation goes and which rule said so, field
// for field eventschema.ConversationRouted.
type Decision struct {
	RuleID     uuid.UUID `json:"rule_id"`
	Binding    string    `json:"binding"`
	TargetKind string    `json:"target_kind"`
	TargetID   uuid.UUID `json:"target_id"`
	WorkTime   bool      `json:"work_time"`
	Unmatched  bool      `json:"unmatched"`
}

// Event is the decision as the conversation's routing fact.
func (d Decision) Event(tenantID, conversationID uuid.UUID) eventschema.ConversationRouted {
	return eventschema.ConversationRouted{TenantID: tenantID, ConversationID: conversationID, RuleID: d.RuleID,
		Binding: d.Binding, TargetKind: d.TargetKind, TargetID: d.TargetID, WorkTime: d.WorkTime, Unmatched: d.Unmatched}
}

// Decide routes a new conversation. Enabled rules are tried in the order
// given, except that the default binding is tried after every other rule
// wherever it stands; the first rule whose criteria match decides. Without
// a match (and without an enabled default) the conversation goes to
// o.DefaultTeam, marked Unmatched so that admins are alerted.
//
// Then, with bot reception first, the robot receives it (the rule and its
// branch stay recorded, so the hand-over knows where it came from).
// Familiarity is not routing's: the dispatcher prefers a familiar agent
// among the team's eligible ones when it assigns (domain/dispatch).
func Decide(rules []Rule, f Facts, now time.Time, working WorkingTime, o Options) Decision {
	d, ok := match(rules, f, now, working)
	if !ok {
		d = Decision{Binding: eventschema.BindingDefault, TargetKind: TargetTeam, TargetID: o.DefaultTeam, Unmatched: true}
	}
	if o.BotFirst && o.Robot != uuid.Nil {
		d.TargetKind, d.TargetID = TargetRobot, o.Robot
	}
	return d
}

// HandOver answers the team a robot hands a conversation over to when the
// customer asks for an agent: the team of the robot's settings if it names
// one, else the team of the first matching rule that targets a team now
// (the manual: "the team bound with the routing rule with a lower
// priority"; a robot never hands over to a robot), else defaultTeam.
func HandOver(rules []Rule, f Facts, now time.Time, working WorkingTime, robotTeam, defaultTeam uuid.UUID) uuid.UUID {
	if robotTeam != uuid.Nil {
		return robotTeam
	}
	for _, r := range tryOrder(rules) {
		if !r.Enabled || !matches(r, f) {
			continue
		}
		if t, _ := targetAt(r, now, working); t.Kind == TargetTeam {
			return t.ID
		}
	}
	return defaultTeam
}

func match(rules []Rule, f Facts, now time.Time, working WorkingTime) (Decision, bool) {
	for _, r := range tryOrder(rules) {
		if !r.Enabled || !matches(r, f) {
			continue
		}
		t, work := targetAt(r, now, working)
		return Decision{RuleID: r.ID, Binding: r.Binding, TargetKind: t.Kind, TargetID: t.ID, WorkTime: work}, true
	}
	return Decision{}, false
}

// tryOrder keeps the admin's order and moves the default binding last.
func tryOrder(rules []Rule) []Rule {
	out := slices.Clone(rules)
	slices.SortStableFunc(out, func(a, b Rule) int {
		switch {
		case a.IsDefault() == b.IsDefault():
			return 0
		case a.IsDefault():
			return 1
		}
		return -1
	})
	return out
}

// targetAt picks a rule's target at now. A split rule whose time plan is
// gone (or a tenant without a default plan) counts as in working hours:
// the admin's primary target keeps receiving conversations instead of the
// after-hours one taking over unannounced.
func targetAt(r Rule, now time.Time, working WorkingTime) (eventschema.RoutingTarget, bool) {
	if r.Hours != eventschema.RoutingWorkSplit {
		return r.Target, false
	}
	w, known := false, false
	if working != nil {
		w, known = working(r.PlanID, now)
	}
	if w || !known {
		return r.Target, true
	}
	return r.NonWorkTarget, false
}

// matches tests a rule's criteria against the facts. Channel names and
// profile values compare without regard to case and surrounding space,
// since customers and integrations spell them inconsistently; channel
// accounts and entries are identifiers and compare exactly.
func matches(r Rule, f Facts) bool {
	switch r.Binding {
	case eventschema.BindingChannel:
		return slices.ContainsFunc(r.Channels, func(c string) bool { return same(c, f.Channel) })
	case eventschema.BindingChannelAccount:
		return f.ChannelAccount != "" && slices.Contains(r.ChannelAccounts, strings.TrimSpace(f.ChannelAccount))
	case eventschema.BindingEntry:
		return f.Entry != "" && slices.Contains(r.Entries, strings.TrimSpace(f.Entry))
	case eventschema.BindingCustomerProfile:
		for _, c := range r.Conditions {
			v, ok := f.Profile[c.Field]
			if !ok || !slices.ContainsFunc(c.Values, func(want string) bool { return same(want, v) }) {
				return false
			}
		}
		return len(r.Conditions) > 0
	case eventschema.BindingDefault:
		return true
	}
	return false
}

func same(a, b string) bool { return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b)) }
