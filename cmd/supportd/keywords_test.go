package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"supportd/eventstore"
	"supportd/eventstore/postgres"
	"supportd/eventstore/postgres/pgtest"
)

// Keyword rules and sensitive words over HTTP, on a real database: admins
// manage them (agents may not, another tenant sees nothing), patterns are
// checked on save, and a customer's or agent's message sets off the
// dispatcher's reply, the agent's prompt and sensitive-word alarms, in the
// conversation's log and on the agent's live stream.
func TestKeywordRulesOverHTTP(t *testing.T) {
	t.Parallel()
	base, dbURL := startServerDB(t, "postgres", "")
	op := client{t: t, base: base}
	tenant, admin := newTenant(t, op)
	annID, ann := teamUser(t, admin, tenant, "ann@acme.example", "Ann", "agent")
	// A busy agent gets no auto-assignment: this test joins by hand.
	ann.expect(200, "PUT", "/v1/me/status", `{"status":"busy"}`)
	_, other := newTenant(t, op)

	// Agents may not manage the rules, nor read them.
	ann.expect(403, "GET", "/v1/keyword-rules", "")
	ann.expect(403, "POST", "/v1/keyword-rules", `{"name":"R","pattern":"x","action":"prompt_agent","text":"t"}`)
	ann.expect(403, "PUT", "/v1/sensitive-words/agent", `{"words":["x"]}`)
	ann.expect(403, "GET", "/v1/sensitive-words", "")

	// Patterns are checked on save, naming the field.
	for _, bad := range []string{`[a-z`, `(?<n>x)\1`, `a*`, `x{1001}`} {
		p := admin.expect(422, "POST", "/v1/keyword-rules", fmt.Sprintf(`{"name":"Bad","pattern":%q,"action":"prompt_agent","text":"t"}`, bad))
		if p["field"] != "pattern" || p["code"] != "keyword.pattern" {
			t.Errorf("pattern %q: %v", bad, p)
		}
	}
	if p := admin.expect(422, "POST", "/v1/keyword-rules", `{"name":"R","pattern":"x","action":"shout","text":"t"}`); p["field"] != "action" {
		t.Errorf("bad action: %v", p)
	}
	if p := admin.expect(422, "POST", "/v1/keyword-rules", `{"name":"R","pattern":"x","action":"prompt_agent","text":"t","channels":["fax"]}`); p["field"] != "channels" {
		t.Errorf("bad channel: %v", p)
	}

	// Three rules, in order; the retry of a definition is the same rule.
	refund := admin.expect(201, "POST", "/v1/keyword-rules",
		`{"name":"Refunds","pattern":"\\brefund(s|ed)?\\b","action":"reply_as_dispatcher","text":"Refunds take 3 to 5 working days.","channels":["web"]}`,
		"Idempotency-Key", "kw-1")
	again := admin.expect(201, "POST", "/v1/keyword-rules",
		`{"name":"Refunds","pattern":"\\brefund(s|ed)?\\b","action":"reply_as_dispatcher","text":"Refunds take 3 to 5 working days.","channels":["web"]}`,
		"Idempotency-Key", "kw-1")
	if again["rule_id"] != refund["rule_id"] || again["version"] != refund["version"] {
		t.Errorf("retry %v, first %v", again, refund)
	}
	invoice := admin.expect(201, "POST", "/v1/keyword-rules", `{"name":"Invoices","pattern":"invoice|receipt","action":"prompt_agent","text":"Point them to the billing portal."}`)
	spare := admin.expect(201, "POST", "/v1/keyword-rules", `{"name":"Spare","pattern":"^hello$","action":"reply_as_dispatcher","text":"Hi!","enabled":false}`)
	refundID, invoiceID, spareID := refund["rule_id"].(string), invoice["rule_id"].(string), spare["rule_id"].(string)
	list := admin.expect(200, "GET", "/v1/keyword-rules"+at(spare), "")
	if got := names(list, "rule_id"); strings.Join(got, ",") != strings.Join([]string{refundID, invoiceID, spareID}, ",") {
		t.Fatalf("order %v", got)
	}
	first := list["items"].([]any)[0].(map[string]any)
	if first["pattern"] != `\brefund(s|ed)?\b` || first["action"] != "reply_as_dispatcher" || first["enabled"] != true || first["rank"] != float64(0) {
		t.Errorf("rule %v", first)
	}
	if third := list["items"].([]any)[2].(map[string]any); third["enabled"] != false || len(third["channels"].([]any)) != 0 {
		t.Errorf("rule %v", third)
	}
	admin.expect(409, "PUT", "/v1/keyword-rules/order", fmt.Sprintf(`{"rule_ids":[%q,%q]}`, invoiceID, refundID))
	reordered := admin.expect(200, "PUT", "/v1/keyword-rules/order", fmt.Sprintf(`{"rule_ids":[%q,%q,%q]}`, invoiceID, spareID, refundID))
	deleted := admin.expect(200, "DELETE", "/v1/keyword-rules/"+spareID, "")
	admin.expect(404, "DELETE", "/v1/keyword-rules/"+spareID, "")
	list = admin.expect(200, "GET", "/v1/keyword-rules"+at(deleted), "")
	if got := names(list, "rule_id"); strings.Join(got, ",") != invoiceID+","+refundID {
		t.Fatalf("order after reorder %v and delete %v: %v", reordered, deleted, got)
	}
	if r := admin.expect(200, "GET", "/v1/keyword-rules/"+refundID+at(deleted), ""); r["rank"] != float64(1) {
		t.Errorf("refund rule after the delete %v", r)
	}
	admin.expect(404, "GET", "/v1/keyword-rules/"+spareID, "")
	// A change is whole; the same definition again records nothing.
	same := admin.expect(200, "PUT", "/v1/keyword-rules/"+invoiceID, `{"name":"Invoices","pattern":"invoice|receipt","action":"prompt_agent","text":"Point them to the billing portal."}`)
	if same["events"] != float64(0) {
		t.Errorf("unchanged rule: %v", same)
	}
	admin.expect(422, "PUT", "/v1/keyword-rules/"+invoiceID, `{"name":"Invoices","pattern":"(","action":"prompt_agent","text":"x"}`)

	// Another tenant sees and touches none of it.
	if items := other.expect(200, "GET", "/v1/keyword-rules", "")["items"].([]any); len(items) != 0 {
		t.Errorf("another tenant lists %v", items)
	}
	other.expect(404, "GET", "/v1/keyword-rules/"+refundID, "")
	other.expect(404, "PUT", "/v1/keyword-rules/"+refundID, `{"name":"X","pattern":"x","action":"prompt_agent","text":"x"}`)
	other.expect(404, "DELETE", "/v1/keyword-rules/"+refundID, "")

	// Sensitive words of both sides; the agent side alarms at the default
	// level.
	admin.expect(422, "PUT", "/v1/sensitive-words/customer", `{"words":["lawyer"],"alarm_level":4}`)
	admin.expect(422, "PUT", "/v1/sensitive-words/robot", `{"words":["x"]}`)
	admin.expect(200, "PUT", "/v1/sensitive-words/customer", `{"words":["Lawyer"," police","lawyer"],"alarm_level":3}`)
	words := admin.expect(200, "PUT", "/v1/sensitive-words/agent", `{"words":["stupid"]}`)
	sides := admin.expect(200, "GET", "/v1/sensitive-words"+at(words), "")["items"].([]any)
	if a, c := sides[0].(map[string]any), sides[1].(map[string]any); a["side"] != "agent" || a["alarm_level"] != float64(1) ||
		fmt.Sprint(a["words"]) != "[stupid]" || c["side"] != "customer" || c["alarm_level"] != float64(3) || fmt.Sprint(c["words"]) != "[Lawyer police]" {
		t.Errorf("sensitive words %v", sides)
	}
	if items := other.expect(200, "GET", "/v1/sensitive-words", "")["items"].([]any); fmt.Sprint(items[0].(map[string]any)["words"]) != "[]" {
		t.Errorf("another tenant sees %v", items)
	}

	// A dry run.
	dry := admin.expect(200, "POST", "/v1/keyword-rules/evaluate", `{"channel":"web","text":"A REFUND or my lawyer calls","agent_serves":false}`)
	if r, _ := dry["rule"].(map[string]any); r == nil || r["rule_id"] != refundID || fmt.Sprint(dry["sensitive"].(map[string]any)["customer"]) != "[Lawyer]" {
		t.Errorf("dry run %v", dry)
	}
	if dry := admin.expect(200, "POST", "/v1/keyword-rules/evaluate", `{"channel":"app","text":"refund"}`); dry["rule"] != nil {
		t.Errorf("a web-only rule answers on app: %v", dry)
	}

	// The dispatcher's nickname names its replies.
	admin.expect(200, "PUT", "/v1/tenant/settings/agents.scheduler_nickname", `{"value":"Dispatch Desk"}`)

	// A conversation Ann serves.
	team := admin.expect(201, "POST", "/v1/teams", `{"name":"Support"}`)["team_id"].(string)
	members := admin.expect(200, "PUT", "/v1/teams/"+team+"/members", fmt.Sprintf(`{"add":[%q]}`, annID))
	key := admin.expect(201, "POST", "/v1/channel-keys", `{"channel":"web","name":"Widget"}`)
	admin.expect(200, "GET", "/v1/teams/"+team+"/members"+at(members), "")
	admin.expect(200, "GET", "/v1/channel-keys"+at(key), "")
	ch := func(status int, method, path, body string) map[string]any {
		t.Helper()
		return admin.as("none").expect(status, method, path, body, "X-Channel-Key", key["key"].(string))
	}
	start := ch(201, "POST", "/v1/channel/conversations", fmt.Sprintf(`{"customer_id":%q,"customer_name":"Lu","entry_team_id":%q}`, uuid.Must(uuid.NewV7()), team))
	conv := start["conversation_id"].(string)
	live := openLive(t, ann, "/v1/me/live")

	// Before an agent serves, a prompt rule has nobody to prompt: the
	// refund rule, next in order, replies as the dispatcher.
	asked := ch(201, "POST", "/v1/channel/conversations/"+conv+"/messages", `{"type":"text","text":"Invoice and refund, please"}`)
	if asked["events"] != float64(2) {
		t.Errorf("message with a keyword reply: %v", asked)
	}
	ann.expect(200, "POST", "/v1/queue/"+conv+"/join", "")

	// Served: the invoice rule prompts Ann; the customer sees nothing of it.
	prompted := ch(201, "POST", "/v1/channel/conversations/"+conv+"/messages", `{"type":"text","text":"Where is my RECEIPT?"}`)
	await(t, live, "KeywordPrompted")
	prompts := ann.expect(200, "GET", "/v1/conversations/"+conv+"/keyword-prompts"+at(prompted), "")["items"].([]any)
	if len(prompts) != 1 {
		t.Fatalf("prompts %v", prompts)
	}
	if p := prompts[0].(map[string]any); p["agent_id"] != annID || p["rule_id"] != invoiceID || p["text"] != "Point them to the billing portal." ||
		p["message_id"] != prompted["message_id"] {
		t.Errorf("prompt %v", p)
	}
	other.expect(404, "GET", "/v1/conversations/"+conv+"/keyword-prompts", "")

	// Sensitive words alarm; the messages are delivered all the same.
	angry := ch(201, "POST", "/v1/channel/conversations/"+conv+"/messages", `{"type":"text","text":"My LAWYER will hear of this"}`)
	rude := ann.expect(201, "POST", "/v1/conversations/"+conv+"/messages", `{"type":"text","text":"What a stupid question"}`)
	if angry["events"] != float64(2) || rude["events"] != float64(2) {
		t.Errorf("messages with alarms: %v %v", angry, rude)
	}
	seen := ch(200, "GET", "/v1/channel/conversations/"+conv+"/messages"+at(rude), "")["items"].([]any)
	var texts []string
	for _, m := range seen {
		m := m.(map[string]any)
		texts = append(texts, fmt.Sprint(m["sender_kind"], "/", m["sender_id"], "/", m["notice"], ": ", m["text"]))
	}
	customer := start["customer_id"]
	if customer == nil {
		customer = seen[0].(map[string]any)["sender_id"]
	}
	want := []string{
		fmt.Sprint("customer/", customer, "/<nil>: Invoice and refund, please"),
		"system/Dispatch Desk/keyword_reply: Refunds take 3 to 5 working days.",
		fmt.Sprint("customer/", customer, "/<nil>: Where is my RECEIPT?"),
		fmt.Sprint("customer/", customer, "/<nil>: My LAWYER will hear of this"),
		fmt.Sprint("agent/", annID, "/<nil>: What a stupid question"),
	}
	if strings.Join(texts, "\n") != strings.Join(want, "\n") {
		t.Errorf("the customer sees\n%s\nwant\n%s", strings.Join(texts, "\n"), strings.Join(want, "\n"))
	}
	alarms := admin.expect(200, "GET", "/v1/alarms"+at(rude)+"&kind=sensitive_word&conversation_id="+conv, "")["items"].([]any)
	var got []string
	for _, a := range alarms {
		a := a.(map[string]any)
		got = append(got, fmt.Sprint(a["level"], " ", a["detail"]))
	}
	wantAlarms := []string{
		fmt.Sprintf(`1 agent side: agent %s wrote the sensitive word "stupid"`, annID),
		`3 customer side: the customer wrote the sensitive word "Lawyer"`,
	}
	if strings.Join(got, "\n") != strings.Join(wantAlarms, "\n") {
		t.Errorf("alarms\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantAlarms, "\n"))
	}

	// The reply, the prompt and the alarms keep the conversation's log well
	// nested, and the read models rebuilt from the log equal the live ones.
	ann.expect(200, "POST", "/v1/conversations/"+conv+"/close", "")
	ctx := context.Background()
	pool := pgtest.Pool(t, dbURL)
	events, err := postgres.New(pool).ReadStream(ctx, objectStream("conversation", tenant, conv), eventstore.Forwards, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	checkNesting(t, conv, events)
	requireRebuildEqualsLive(t, ctx, pool)
}
