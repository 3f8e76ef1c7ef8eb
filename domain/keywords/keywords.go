// Package keywords holds a tenant's content rules: keyword rules (seed 002,
// "Keyword Match": a regular expression over customers' messages that
// prompts the agent or replies as the dispatcher) and the sensitive words
// of the agent and the customer side (seed 001, "Sensitive Word Setting",
// watched from Chat Monitoring).
//
// All of it is one aggregate, stream "keywords-{tenant id}": the rules'
// order decides which rule answers a message, so two admins reordering at
// once must not both win, and a message reads the whole set at once.
//
// React (react.go) decides what a sent message sets off.
package keywords

import (
	"errors"
	"fmt"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/tenant"
	"supportd/eventschema"
)

// Stream is the stream of a tenant's keyword rules and sensitive words.
func Stream(tenantID uuid.UUID) string { return "keywords-" + tenantID.String() }

// Limits of the rule set.
const (
	// MaxRules bounds a tenant's keyword rules: every customer message is
	// matched against all of them (BenchmarkReactFullRuleSet, 100 rules and
	// 500 words: 0.14 to 0.26 ms for a 49-character message, 2.5 to 3.8 ms
	// for 1000 characters, on a busy 2-core machine).
	MaxRules = 100
	// MaxPattern bounds a pattern's length in bytes. RE2 matches in time
	// linear in the text whatever the pattern, so there are no
	// catastrophic patterns to refuse; the bound keeps compiled programs
	// small.
	MaxPattern = 500
	// MaxText bounds a prompt or reply.
	MaxText = 1000
	// MaxWords bounds one side's sensitive words; MaxWord one word.
	MaxWords = 500
	MaxWord  = 50
	// DefaultAlarmLevel is the level of a sensitive-word alarm when admins
	// choose none: the lowest, as the manual's alarm records show.
	DefaultAlarmLevel = eventschema.AlarmLow
)

// Rule is one keyword rule with its ID.
type Rule struct {
	ID uuid.UUID
	eventschema.KeywordRule
}

// Words is one side's sensitive words and the level of their alarm.
type Words struct {
	Words      []string
	AlarmLevel int
}

// State is a tenant's keyword rules and sensitive words.
type State struct {
	TenantID uuid.UUID
	Rules    map[uuid.UUID]Rule
	// Order ranks every rule, first tried first.
	Order []uuid.UUID
	// Sensitive holds the lists by side (eventschema.Side…).
	Sensitive map[string]Words
}

// Evolve folds one event into the state.
func Evolve(s State, event any) State {
	switch e := event.(type) {
	case eventschema.KeywordRuleDefined:
		s.TenantID = e.TenantID
		s.Rules = withRule(s.Rules, e.RuleID, &Rule{ID: e.RuleID, KeywordRule: e.Rule})
		s.Order = slices.Insert(slices.Clone(s.Order), min(e.Rank, len(s.Order)), e.RuleID)
	case eventschema.KeywordRuleChanged:
		s.Rules = withRule(s.Rules, e.RuleID, &Rule{ID: e.RuleID, KeywordRule: e.Rule})
	case eventschema.KeywordRuleDeleted:
		s.Rules = withRule(s.Rules, e.RuleID, nil)
		s.Order = slices.DeleteFunc(slices.Clone(s.Order), func(id uuid.UUID) bool { return id == e.RuleID })
	case eventschema.KeywordRulesReordered:
		s.Order = slices.Clone(e.RuleIDs)
	case eventschema.SensitiveWordsSet:
		s.TenantID = e.TenantID
		m := make(map[string]Words, 2)
		for k, v := range s.Sensitive {
			m[k] = v
		}
		m[e.Side] = Words{Words: slices.Clone(e.Words), AlarmLevel: e.AlarmLevel}
		s.Sensitive = m
	}
	return s
}

// withRule returns a copy of m with id set to r (deleted when r is nil): a
// state once returned never changes.
func withRule(m map[uuid.UUID]Rule, id uuid.UUID, r *Rule) map[uuid.UUID]Rule {
	out := make(map[uuid.UUID]Rule, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	if r == nil {
		delete(out, id)
	} else {
		out[id] = *r
	}
	return out
}

// Ordered lists the rules in the order they are tried.
func (s State) Ordered() []Rule {
	out := make([]Rule, 0, len(s.Order))
	for _, id := range s.Order {
		out = append(out, s.Rules[id])
	}
	return out
}

// Define adds a keyword rule; it ranks last.
func Define(s State, tenantID, ruleID uuid.UUID, r eventschema.KeywordRule) ([]any, error) {
	if ruleID == uuid.Nil {
		return nil, domain.Errorf(domain.Invalid, "keyword.id", "rule_id", "must be a UUID")
	}
	if _, ok := s.Rules[ruleID]; ok {
		return nil, domain.Errorf(domain.Conflict, "keyword.exists", "rule_id", "keyword rule %s already exists", ruleID)
	}
	if len(s.Rules) >= MaxRules {
		return nil, domain.Errorf(domain.Conflict, "keyword.too_many", "", "a tenant has at most %d keyword rules", MaxRules)
	}
	r, err := Validate(r)
	if err != nil {
		return nil, err
	}
	return []any{eventschema.KeywordRuleDefined{TenantID: tenantID, RuleID: ruleID, Rule: r, Rank: len(s.Order)}}, nil
}

// Change replaces a rule's definition (enabling or disabling it too).
func Change(s State, tenantID, ruleID uuid.UUID, r eventschema.KeywordRule) ([]any, error) {
	old, ok := s.Rules[ruleID]
	if !ok {
		return nil, notFound(ruleID)
	}
	r, err := Validate(r)
	if err != nil {
		return nil, err
	}
	if equalRule(old.KeywordRule, r) {
		return nil, nil
	}
	return []any{eventschema.KeywordRuleChanged{TenantID: tenantID, RuleID: ruleID, Rule: r}}, nil
}

// Delete removes a rule.
func Delete(s State, tenantID, ruleID uuid.UUID) ([]any, error) {
	if _, ok := s.Rules[ruleID]; !ok {
		return nil, notFound(ruleID)
	}
	return []any{eventschema.KeywordRuleDeleted{TenantID: tenantID, RuleID: ruleID}}, nil
}

// Reorder sets the order the rules are tried in. ids must name every rule
// exactly once, so that an admin working from a stale list cannot silently
// drop a rule a colleague just added.
func Reorder(s State, tenantID uuid.UUID, ids []uuid.UUID) ([]any, error) {
	seen := make(map[uuid.UUID]bool, len(ids))
	for _, id := range ids {
		switch _, ok := s.Rules[id]; {
		case !ok:
			return nil, domain.Errorf(domain.Invalid, "keyword.order", "rule_ids", "keyword rule %s does not exist", id)
		case seen[id]:
			return nil, domain.Errorf(domain.Invalid, "keyword.order", "rule_ids", "keyword rule %s is listed twice", id)
		}
		seen[id] = true
	}
	if len(ids) != len(s.Order) {
		return nil, domain.Errorf(domain.Conflict, "keyword.order_stale", "rule_ids", "the order must list all %d keyword rules; reload the rules and try again", len(s.Order))
	}
	if slices.Equal(ids, s.Order) {
		return nil, nil
	}
	return []any{eventschema.KeywordRulesReordered{TenantID: tenantID, RuleIDs: slices.Clone(ids)}}, nil
}

// SetSensitiveWords replaces one side's sensitive words and their alarm
// level (0: DefaultAlarmLevel). Words are trimmed and kept once, compared
// without case, in the admin's order; an empty list turns the side off.
func SetSensitiveWords(s State, tenantID uuid.UUID, side string, words []string, level int) ([]any, error) {
	if side != eventschema.SideAgent && side != eventschema.SideCustomer {
		return nil, domain.Errorf(domain.Invalid, "sensitive.side", "side", "must be agent or customer")
	}
	if level == 0 {
		level = DefaultAlarmLevel
	}
	if level < eventschema.AlarmLow || level > eventschema.AlarmHigh {
		return nil, domain.Errorf(domain.Invalid, "sensitive.level", "alarm_level", "must be 1 to 3")
	}
	if len(words) > MaxWords {
		return nil, domain.Errorf(domain.Invalid, "sensitive.words", "words", "at most %d words", MaxWords)
	}
	out := []string{}
	seen := map[string]bool{}
	for _, w := range words {
		w = strings.TrimSpace(w)
		if w == "" || utf8.RuneCountInString(w) > MaxWord {
			return nil, domain.Errorf(domain.Invalid, "sensitive.word", "words", "words must be 1 to %d characters", MaxWord)
		}
		if k := strings.ToLower(w); !seen[k] {
			seen[k] = true
			out = append(out, w)
		}
	}
	if old, ok := s.Sensitive[side]; ok && old.AlarmLevel == level && slices.Equal(old.Words, out) {
		return nil, nil
	}
	return []any{eventschema.SensitiveWordsSet{TenantID: tenantID, Side: side, Words: out, AlarmLevel: level}}, nil
}

// Validate checks a rule and returns it in canonical form: trimmed name
// and text, channels once each. The pattern must compile (RE2 syntax; it
// is matched ignoring case) and must not match an empty text: such a
// pattern would answer every message.
func Validate(r eventschema.KeywordRule) (eventschema.KeywordRule, error) {
	r.Name = strings.TrimSpace(r.Name)
	if r.Name == "" || utf8.RuneCountInString(r.Name) > 100 {
		return r, domain.Errorf(domain.Invalid, "keyword.name", "name", "must be 1 to 100 characters")
	}
	if r.Pattern == "" || len(r.Pattern) > MaxPattern {
		return r, domain.Errorf(domain.Invalid, "keyword.pattern", "pattern", "must be 1 to %d bytes", MaxPattern)
	}
	re, err := compile(r.Pattern)
	if err != nil {
		return r, domain.Errorf(domain.Invalid, "keyword.pattern", "pattern", "not a valid regular expression: %s", reason(err))
	}
	if re.MatchString("") {
		return r, domain.Errorf(domain.Invalid, "keyword.pattern", "pattern", "matches an empty message, so it would match every message")
	}
	switch r.Action {
	case eventschema.KeywordPromptAgent, eventschema.KeywordReplyAsDispatcher:
	default:
		return r, domain.Errorf(domain.Invalid, "keyword.action", "action", "must be prompt_agent or reply_as_dispatcher")
	}
	r.Text = strings.TrimSpace(r.Text)
	if r.Text == "" || utf8.RuneCountInString(r.Text) > MaxText {
		return r, domain.Errorf(domain.Invalid, "keyword.text", "text", "must be 1 to %d characters", MaxText)
	}
	channels := []string{}
	for _, c := range r.Channels {
		c = strings.TrimSpace(c)
		if !slices.Contains(tenant.Channels, c) {
			return r, domain.Errorf(domain.Invalid, "keyword.channel", "channels", "unknown channel %q (one of %s)", c, strings.Join(tenant.Channels, ", "))
		}
		if !slices.Contains(channels, c) {
			channels = append(channels, c)
		}
	}
	r.Channels = channels
	return r, nil
}

// reason is a compile error in the admin's terms: what is wrong and
// where, without the library's prefix.
func reason(err error) string {
	var se *syntax.Error
	if errors.As(err, &se) {
		return fmt.Sprintf("%s: `%s`", se.Code, strings.TrimPrefix(se.Expr, caseless))
	}
	return err.Error()
}

func equalRule(a, b eventschema.KeywordRule) bool {
	return a.Name == b.Name && a.Pattern == b.Pattern && a.Action == b.Action && a.Text == b.Text &&
		a.Enabled == b.Enabled && slices.Equal(a.Channels, b.Channels)
}

func notFound(id uuid.UUID) error {
	return domain.Errorf(domain.NotFound, "keyword.not_found", "", "keyword rule %s not found", id)
}
