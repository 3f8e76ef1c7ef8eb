package keywords_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/conversation"
	"supportd/domain/domaintest"
	"supportd/domain/keywords"
	"supportd/eventschema"
)

func id(n int) uuid.UUID { return uuid.MustParse(fmt.Sprintf("0190f3b0-0000-7000-8000-%012d", n)) }

var (
	tenant   = id(1)
	conv     = id(2)
	customer = id(3)
	ann      = id(11)
	bob      = id(12)
	r1       = id(21)
	r2       = id(22)
	r3       = id(23)
	msg      = id(51)
)

func rule(name, pattern, action string, edit ...func(*eventschema.KeywordRule)) eventschema.KeywordRule {
	r := eventschema.KeywordRule{Name: name, Pattern: pattern, Action: action, Text: "text of " + name, Channels: []string{}, Enabled: true}
	for _, e := range edit {
		e(&r)
	}
	return r
}

func given(events ...any) keywords.State { return domaintest.Given(keywords.Evolve, events...) }

type tcase struct {
	name   string
	given  []any
	decide func(keywords.State) ([]any, error)
	want   []any
	code   string
	field  string
}

func run(t *testing.T, cases []tcase) {
	t.Helper()
	for _, tc := range cases {
		domaintest.Case[keywords.State]{Name: tc.name, Given: tc.given, When: tc.decide, Then: tc.want, Code: tc.code, Field: tc.field}.Run(t, keywords.Evolve)
	}
}

var (
	refund   = rule("Refund", `refund`, eventschema.KeywordReplyAsDispatcher)
	invoice  = rule("Invoice", `invoice`, eventschema.KeywordPromptAgent)
	defined1 = eventschema.KeywordRuleDefined{TenantID: tenant, RuleID: r1, Rule: refund, Rank: 0}
	defined2 = eventschema.KeywordRuleDefined{TenantID: tenant, RuleID: r2, Rule: invoice, Rank: 1}
)

func TestRuleLifecycle(t *testing.T) {
	define := func(rid uuid.UUID, r eventschema.KeywordRule) func(keywords.State) ([]any, error) {
		return func(s keywords.State) ([]any, error) { return keywords.Define(s, tenant, rid, r) }
	}
	run(t, []tcase{
		{"a rule is defined, trimmed", nil, define(r1, rule(" Refund ", `refund`, eventschema.KeywordReplyAsDispatcher, func(r *eventschema.KeywordRule) {
			r.Text = " text of Refund "
		})), []any{defined1}, "", ""},
		{"the next ranks last", []any{defined1}, define(r2, invoice), []any{defined2}, "", ""},
		{"channels are known and kept once", nil, define(r1, rule("Refund", `refund`, eventschema.KeywordReplyAsDispatcher, func(r *eventschema.KeywordRule) {
			r.Channels = []string{"web", " app", "web"}
		})), []any{eventschema.KeywordRuleDefined{TenantID: tenant, RuleID: r1, Rank: 0,
			Rule: rule("Refund", `refund`, eventschema.KeywordReplyAsDispatcher, func(r *eventschema.KeywordRule) { r.Channels = []string{"web", "app"} })}}, "", ""},
		{"an unknown channel", nil, define(r1, rule("R", `x`, eventschema.KeywordPromptAgent, func(r *eventschema.KeywordRule) { r.Channels = []string{"fax"} })), nil, "keyword.channel", "channels"},
		{"the same ID twice", []any{defined1}, define(r1, invoice), nil, "keyword.exists", "rule_id"},
		{"a nil ID", nil, define(uuid.Nil, invoice), nil, "keyword.id", "rule_id"},
		{"a name is required", nil, define(r1, rule(" ", `x`, eventschema.KeywordPromptAgent)), nil, "keyword.name", "name"},
		{"a text is required", nil, define(r1, rule("R", `x`, eventschema.KeywordPromptAgent, func(r *eventschema.KeywordRule) { r.Text = " " })), nil, "keyword.text", "text"},
		{"an unknown action", nil, define(r1, rule("R", `x`, "shout")), nil, "keyword.action", "action"},
		{"change", []any{defined1}, func(s keywords.State) ([]any, error) {
			return keywords.Change(s, tenant, r1, rule("Refund", `refund`, eventschema.KeywordReplyAsDispatcher, func(r *eventschema.KeywordRule) { r.Enabled = false }))
		}, []any{eventschema.KeywordRuleChanged{TenantID: tenant, RuleID: r1,
			Rule: rule("Refund", `refund`, eventschema.KeywordReplyAsDispatcher, func(r *eventschema.KeywordRule) { r.Enabled = false })}}, "", ""},
		{"a change to the same definition records nothing", []any{defined1}, func(s keywords.State) ([]any, error) {
			return keywords.Change(s, tenant, r1, refund)
		}, nil, "", ""},
		{"change an unknown rule", nil, func(s keywords.State) ([]any, error) { return keywords.Change(s, tenant, r1, refund) }, nil, "keyword.not_found", ""},
		{"delete", []any{defined1}, func(s keywords.State) ([]any, error) { return keywords.Delete(s, tenant, r1) },
			[]any{eventschema.KeywordRuleDeleted{TenantID: tenant, RuleID: r1}}, "", ""},
		{"delete twice", []any{defined1, eventschema.KeywordRuleDeleted{TenantID: tenant, RuleID: r1}}, func(s keywords.State) ([]any, error) {
			return keywords.Delete(s, tenant, r1)
		}, nil, "keyword.not_found", ""},
		{"reorder", []any{defined1, defined2}, func(s keywords.State) ([]any, error) { return keywords.Reorder(s, tenant, []uuid.UUID{r2, r1}) },
			[]any{eventschema.KeywordRulesReordered{TenantID: tenant, RuleIDs: []uuid.UUID{r2, r1}}}, "", ""},
		{"reorder to the same order", []any{defined1, defined2}, func(s keywords.State) ([]any, error) { return keywords.Reorder(s, tenant, []uuid.UUID{r1, r2}) }, nil, "", ""},
		{"reorder from a stale list", []any{defined1, defined2}, func(s keywords.State) ([]any, error) { return keywords.Reorder(s, tenant, []uuid.UUID{r2}) }, nil, "keyword.order_stale", "rule_ids"},
		{"reorder twice the same", []any{defined1, defined2}, func(s keywords.State) ([]any, error) { return keywords.Reorder(s, tenant, []uuid.UUID{r2, r2}) }, nil, "keyword.order", "rule_ids"},
		{"reorder an unknown rule", []any{defined1}, func(s keywords.State) ([]any, error) { return keywords.Reorder(s, tenant, []uuid.UUID{r3}) }, nil, "keyword.order", "rule_ids"},
	})

	// Deleting moves the rules below up; a reorder is the new order.
	s := given(defined1, defined2, eventschema.KeywordRuleDefined{TenantID: tenant, RuleID: r3, Rule: refund, Rank: 2},
		eventschema.KeywordRuleDeleted{TenantID: tenant, RuleID: r1}, eventschema.KeywordRulesReordered{TenantID: tenant, RuleIDs: []uuid.UUID{r3, r2}})
	if o := s.Ordered(); len(o) != 2 || o[0].ID != r3 || o[1].ID != r2 {
		t.Errorf("order %v", o)
	}
}

// Patterns are validated on save, with the field named: RE2 syntax, a
// bounded length, never one that matches every message.
func TestPatternValidation(t *testing.T) {
	cases := []struct {
		pattern string
		ok      bool
		detail  string
	}{
		{`refund`, true, ""},
		{`^\s*(refund|money back)\b`, true, ""},
		{`(?-i)VIP`, true, ""},
		{`[a-z`, false, "missing closing ]"},
		{`(unclosed`, false, "missing closing )"},
		{`a**`, false, "invalid nested repetition"},
		{`(?<name>x)\1`, false, "invalid escape"}, // back-references are not RE2
		{`x{1001}`, false, "invalid repeat count"},
		{`a*`, false, "matches an empty message"},
		{`^`, false, "matches an empty message"},
		{`x|`, false, "matches an empty message"},
		{strings.Repeat("a", keywords.MaxPattern), true, ""},
		{strings.Repeat("a", keywords.MaxPattern+1), false, "must be 1 to 500 bytes"},
		{``, false, "must be 1 to 500 bytes"},
		{`(a+)+$`, true, ""}, // catastrophic with backtracking, linear in RE2
	}
	for _, tc := range cases {
		_, err := keywords.Validate(rule("R", tc.pattern, eventschema.KeywordPromptAgent))
		if tc.ok {
			if err != nil {
				t.Errorf("%q: %v", tc.pattern, err)
			}
			continue
		}
		de, ok := err.(*domain.Error)
		if !ok || de.Field != "pattern" || de.Kind != domain.Invalid || !strings.Contains(de.Message, tc.detail) {
			t.Errorf("%q: err %#v, want an invalid pattern saying %q", tc.pattern, err, tc.detail)
		}
	}
}

// A catastrophic pattern for a backtracking engine answers at once.
func TestNoCatastrophicBacktracking(t *testing.T) {
	r := keywords.Rule{ID: r1, KeywordRule: rule("R", `(a+)+$`, eventschema.KeywordPromptAgent)}
	text := strings.Repeat("a", conversation.MaxText-1) + "!"
	if r.Applies("web", text) {
		t.Error("matched")
	}
}

func TestApplies(t *testing.T) {
	cases := []struct {
		pattern  string
		channels []string
		enabled  bool
		channel  string
		text     string
		want     bool
	}{
		{`refund`, nil, true, "web", "I want a REFUND now", true},       // ignores case
		{`^refund`, nil, true, "web", "Refund please", true},            // anchored at the start
		{`^refund`, nil, true, "web", "I want a refund", false},         // not at the start
		{`refund$`, nil, true, "web", "give me my refund", true},        // anchored at the end
		{`^refund$`, nil, true, "web", "refund", true},                  // the whole text
		{`^refund$`, nil, true, "web", "refund!", false},                // not the whole text
		{`\brefund\b`, nil, true, "web", "refunded", false},             // word boundary
		{`(?-i)VIP`, nil, true, "web", "vip", false},                    // case turned back on
		{`退款`, nil, true, "wechat", "我要退款", true},                       // text without spaces
		{`refund`, []string{"app"}, true, "web", "refund", false},       // another channel
		{`refund`, []string{"web", "app"}, true, "app", "refund", true}, // in scope
		{`refund`, nil, false, "web", "refund", false},                  // disabled
		{`refund`, nil, true, "web", "", false},                         // no text (a file)
		{`order\s+#?\d{6}`, nil, true, "web", "where is order #123456", true},
	}
	for _, tc := range cases {
		r := keywords.Rule{ID: r1, KeywordRule: rule("R", tc.pattern, eventschema.KeywordPromptAgent, func(r *eventschema.KeywordRule) {
			r.Channels, r.Enabled = tc.channels, tc.enabled
		})}
		if got := r.Applies(tc.channel, tc.text); got != tc.want {
			t.Errorf("%q %v on %s %q: %v, want %v", tc.pattern, tc.channels, tc.channel, tc.text, got, tc.want)
		}
	}
}

func TestSensitiveWords(t *testing.T) {
	set := func(side string, words []string, level int) func(keywords.State) ([]any, error) {
		return func(s keywords.State) ([]any, error) {
			return keywords.SetSensitiveWords(s, tenant, side, words, level)
		}
	}
	agentWords := eventschema.SensitiveWordsSet{TenantID: tenant, Side: "agent", Words: []string{"stupid", "shut up"}, AlarmLevel: 2}
	run(t, []tcase{
		{"a side's list, trimmed, once each regardless of case", nil, set("agent", []string{" stupid", "shut up", "STUPID"}, 2), []any{agentWords}, "", ""},
		{"the level defaults to 1", nil, set("customer", []string{"lawyer"}, 0),
			[]any{eventschema.SensitiveWordsSet{TenantID: tenant, Side: "customer", Words: []string{"lawyer"}, AlarmLevel: 1}}, "", ""},
		{"the same list again records nothing", []any{agentWords}, set("agent", []string{"stupid", "shut up"}, 2), nil, "", ""},
		{"an empty list turns a side off", []any{agentWords}, set("agent", nil, 2),
			[]any{eventschema.SensitiveWordsSet{TenantID: tenant, Side: "agent", Words: []string{}, AlarmLevel: 2}}, "", ""},
		{"an unknown side", nil, set("robot", []string{"x"}, 1), nil, "sensitive.side", "side"},
		{"a level out of range", nil, set("agent", []string{"x"}, 4), nil, "sensitive.level", "alarm_level"},
		{"a blank word", nil, set("agent", []string{"x", " "}, 1), nil, "sensitive.word", "words"},
		{"a long word", nil, set("agent", []string{strings.Repeat("x", keywords.MaxWord+1)}, 1), nil, "sensitive.word", "words"},
	})

	s := given(agentWords)
	if got := s.SensitiveIn("agent", "Shut UP, that is a stupid question"); !reflect.DeepEqual(got, []string{"stupid", "shut up"}) {
		t.Errorf("found %v", got)
	}
	if got := s.SensitiveIn("customer", "stupid"); got != nil {
		t.Errorf("customer side found %v in an agent-side list", got)
	}
	many := make([]string, 8)
	for i := range many {
		many[i] = fmt.Sprintf("w%d", i)
	}
	s = given(eventschema.SensitiveWordsSet{TenantID: tenant, Side: "customer", Words: many, AlarmLevel: 1})
	if got := s.SensitiveIn("customer", strings.Join(many, " ")); len(got) != keywords.MaxAlarmsPerMessage {
		t.Errorf("found %d words, want at most %d", len(got), keywords.MaxAlarmsPerMessage)
	}
}

// React: what a sent message sets off, given the conversation and the
// tenant's rules.
func TestReact(t *testing.T) {
	started := eventschema.ConversationStarted{TenantID: tenant, ConversationID: conv, Channel: "web", CustomerID: customer}
	joined := eventschema.AgentJoined{TenantID: tenant, ConversationID: conv, AgentID: ann, SegmentID: id(31), How: "manual"}
	expert := eventschema.ExpertInvited{TenantID: tenant, ConversationID: conv, AgentID: bob, InvitedBy: ann}
	onApp := func(r *eventschema.KeywordRule) { r.Channels = []string{"app"} }
	off := func(r *eventschema.KeywordRule) { r.Enabled = false }
	customerSays := func(text string) eventschema.MessageSent {
		return eventschema.MessageSent{TenantID: tenant, ConversationID: conv, MessageID: msg, SenderKind: "customer",
			SenderID: customer.String(), Type: "text", Text: text}
	}
	agentSays := func(agent uuid.UUID, text string) eventschema.MessageSent {
		return eventschema.MessageSent{TenantID: tenant, ConversationID: conv, MessageID: msg, SenderKind: "agent",
			SenderID: agent.String(), Type: "text", Text: text, SegmentID: id(31)}
	}
	reply := func(text string, segment uuid.UUID) eventschema.MessageSent {
		return eventschema.MessageSent{TenantID: tenant, ConversationID: conv, MessageID: keywords.ReplyID(msg), SenderKind: "system",
			SenderID: "Dispatch", Type: "text", Text: text, SegmentID: segment, Notice: "keyword_reply"}
	}
	prompt := func(rule uuid.UUID, text string) eventschema.KeywordPrompted {
		return eventschema.KeywordPrompted{TenantID: tenant, ConversationID: conv, MessageID: msg, RuleID: rule, AgentID: ann, Text: text}
	}
	alarm := func(level int, detail string) eventschema.AlarmRaised {
		return eventschema.AlarmRaised{TenantID: tenant, ConversationID: conv, Kind: "sensitive_word", Level: level, Detail: detail}
	}
	customerWords := eventschema.SensitiveWordsSet{TenantID: tenant, Side: "customer", Words: []string{"lawyer"}, AlarmLevel: 3}
	agentWords := eventschema.SensitiveWordsSet{TenantID: tenant, Side: "agent", Words: []string{"stupid"}, AlarmLevel: 2}

	cases := []struct {
		name  string
		rules []any
		conv  []any
		sent  eventschema.MessageSent
		want  []any
	}{
		{"no rules, nothing", nil, []any{started, joined}, customerSays("refund"), nil},
		{"a reply as the dispatcher", []any{defined1}, []any{started}, customerSays("I want a Refund"),
			[]any{reply("text of Refund", uuid.Nil)}},
		{"the reply belongs to the open segment", []any{defined1}, []any{started, joined}, customerSays("refund?"),
			[]any{reply("text of Refund", id(31))}},
		{"a prompt for the serving agent", []any{defined2}, []any{started, joined}, customerSays("my invoice"),
			[]any{prompt(r2, "text of Invoice")}},
		{"no prompt while nobody serves", []any{defined2}, []any{started}, customerSays("my invoice"), nil},
		{"nobody to prompt: a later rule replies", []any{defined2, eventschema.KeywordRuleDefined{TenantID: tenant, RuleID: r1, Rule: refund, Rank: 1}},
			[]any{started}, customerSays("invoice refund"), []any{reply("text of Refund", uuid.Nil)}},
		{"the first matching rule in order decides, once", []any{defined1, defined2}, []any{started, joined}, customerSays("refund my invoice"),
			[]any{reply("text of Refund", id(31))}},
		{"after a reorder the other one", []any{defined1, defined2, eventschema.KeywordRulesReordered{TenantID: tenant, RuleIDs: []uuid.UUID{r2, r1}}},
			[]any{started, joined}, customerSays("refund my invoice"), []any{prompt(r2, "text of Invoice")}},
		{"a disabled rule is passed over", []any{eventschema.KeywordRuleDefined{TenantID: tenant, RuleID: r1, Rule: rule("Refund", `refund`, eventschema.KeywordReplyAsDispatcher, off)}},
			[]any{started}, customerSays("refund"), nil},
		{"a rule of another channel is passed over", []any{eventschema.KeywordRuleDefined{TenantID: tenant, RuleID: r1, Rule: rule("Refund", `refund`, eventschema.KeywordReplyAsDispatcher, onApp)}},
			[]any{started}, customerSays("refund"), nil},
		{"agents' messages trigger no keyword rule", []any{defined1}, []any{started, joined}, agentSays(ann, "refund"), nil},
		{"a customer's sensitive word alarms at the side's level, and the rule still answers", []any{customerWords, defined1}, []any{started}, customerSays("My LAWYER wants a refund"),
			[]any{alarm(3, `customer side: the customer wrote the sensitive word "lawyer"`), reply("text of Refund", uuid.Nil)}},
		{"an agent's sensitive word", []any{agentWords, customerWords}, []any{started, joined}, agentSays(ann, "What a stupid lawyer"),
			[]any{alarm(2, fmt.Sprintf(`agent side: agent %s wrote the sensitive word "stupid"`, ann))}},
		{"an expert is on the agent side", []any{agentWords}, []any{started, joined, expert}, agentSays(bob, "stupid"),
			[]any{alarm(2, fmt.Sprintf(`agent side: agent %s wrote the sensitive word "stupid"`, bob))}},
		{"the robot sets nothing off", []any{agentWords, customerWords, defined1}, []any{started},
			eventschema.MessageSent{TenantID: tenant, ConversationID: conv, MessageID: msg, SenderKind: "robot", Type: "text", Text: "refund lawyer stupid"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var s conversation.State
			for _, e := range tc.conv {
				s = conversation.Evolve(s, e)
			}
			got, err := keywords.React(given(tc.rules...), s, tc.sent, "Dispatch")
			if err != nil {
				t.Fatal(err)
			}
			if g, w := domaintest.AsJSON(got), domaintest.AsJSON(tc.want); !reflect.DeepEqual(g, w) {
				t.Errorf("events\n got %v\nwant %v", g, w)
			}
		})
	}
}
