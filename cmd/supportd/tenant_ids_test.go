package main

import (
	"fmt"
	"testing"

	"github.com/google/uuid"
)

// TestClientChosenIDsStayInTheirTenant: tenant A creating an object under
// an ID that tenant B already uses gets its own object; B's keeps its data,
// and A's later changes under that ID reach only A's. One row per route
// that takes a client-chosen ID in its body.
func TestClientChosenIDsStayInTheirTenant(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	_, a := newTenant(t, op)
	_, b := newTenant(t, op)
	team := func(c client) string {
		return c.expect(201, "POST", "/v1/teams", `{"name":"Entry"}`)["team_id"].(string)
	}
	aTeam, bTeam := team(a), team(b)
	cases := []struct {
		name, create, idField, list, path, update, show string
		body                                            func(id, mark, team string) string
		change                                          func(mark string) string
	}{
		{name: "webhook endpoint", create: "/v1/webhooks", idField: "endpoint_id", list: "/v1/webhooks", path: "/v1/webhooks/", update: "PUT", show: "url",
			body: func(id, mark, _ string) string {
				return fmt.Sprintf(`{"endpoint_id":%q,"url":"https://%s.example/h"}`, id, mark)
			},
			change: func(mark string) string { return fmt.Sprintf(`{"url":"https://%s.example/h"}`, mark) }},
		{name: "routing rule", create: "/v1/routing-rules", idField: "rule_id", list: "/v1/routing-rules", path: "/v1/routing-rules/", update: "PUT", show: "name",
			body: func(id, mark, team string) string {
				return fmt.Sprintf(`{"rule_id":%q,"binding":"customer_profile","name":%q,"conditions":[{"field":"level","op":"eq","values":["vip"]}],"target":{"kind":"team","id":%q}}`, id, mark, team)
			},
			change: nil},
		{name: "keyword rule", create: "/v1/keyword-rules", idField: "rule_id", list: "/v1/keyword-rules", path: "/v1/keyword-rules/", update: "PUT", show: "name",
			body: func(id, mark, _ string) string {
				return fmt.Sprintf(`{"rule_id":%q,"name":%q,"pattern":"refund","action":"prompt_agent","text":"t"}`, id, mark)
			}},
		{name: "team", create: "/v1/teams", idField: "team_id", list: "/v1/teams", path: "/v1/teams/", update: "PUT", show: "name",
			body:   func(id, mark, _ string) string { return fmt.Sprintf(`{"team_id":%q,"name":%q}`, id, mark) },
			change: func(mark string) string { return fmt.Sprintf(`{"name":%q}`, mark) }},
		{name: "time plan", create: "/v1/time-plans", idField: "plan_id", list: "/v1/time-plans", path: "/v1/time-plans/", update: "PUT", show: "name",
			body: func(id, mark, _ string) string {
				return fmt.Sprintf(`{"plan_id":%q,"name":%q,"schedule":{"weekly":{"monday":[{"from":"08:00","to":"12:00"}]}}}`, id, mark)
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, b := a, b
			a.t, b.t = t, t
			id := uuid.Must(uuid.NewV7()).String()
			bRes := b.expect(201, "POST", tc.create, tc.body(id, "bee", bTeam))
			aRes := a.expect(201, "POST", tc.create, tc.body(id, "ay", aTeam))
			if aRes[tc.idField] != id || aRes["stream"] == bRes["stream"] {
				t.Fatalf("A's create answered %v, B's %v", aRes, bRes)
			}
			show := func(c client, res map[string]any) string {
				t.Helper()
				got := c.expect(200, "GET", tc.path+id+"?min_position="+res["position"].(string), "")
				return fmt.Sprint(got[tc.show])
			}
			if got := show(b, bRes); got != "bee" && got != "https://bee.example/h" {
				t.Errorf("B's object shows %q after A's create", got)
			}
			if got := show(a, aRes); got != "ay" && got != "https://ay.example/h" {
				t.Errorf("A's object shows %q", got)
			}
			if tc.change != nil {
				res := a.expect(200, tc.update, tc.path+id, tc.change("again"))
				if got := show(b, res); got != "bee" && got != "https://bee.example/h" {
					t.Errorf("B's object shows %q after A's change", got)
				}
				if got := show(a, res); got != "again" && got != "https://again.example/h" {
					t.Errorf("A's object shows %q after its change", got)
				}
			}
			if got, p := a.do("DELETE", tc.path+id, ""); got != 200 && got != 204 {
				t.Fatalf("A's delete: %d %v", got, p)
			}
			if got := show(b, bRes); got != "bee" && got != "https://bee.example/h" {
				t.Errorf("B's object shows %q after A's delete", got)
			}
		})
	}
}

// TestNilAndMalformedIDsAreRefused: the nil UUID and a malformed ID, in a
// path or in a body, answer 422 naming the field, on reads, changes and
// creates.
func TestNilAndMalformedIDsAreRefused(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	_, admin := newTenant(t, op)
	const nilID = "00000000-0000-0000-0000-000000000000"
	cases := []struct{ method, path, body, field string }{
		{"GET", "/v1/teams/" + nilID, "", "team_id"},
		{"GET", "/v1/teams/not-a-uuid", "", "team_id"},
		{"PUT", "/v1/teams/" + nilID, `{"name":"X"}`, "team_id"},
		{"DELETE", "/v1/webhooks/" + nilID, "", "endpoint_id"},
		{"GET", "/v1/webhooks/123", "", "endpoint_id"},
		{"PUT", "/v1/routing-rules/" + nilID + "x", `{}`, "rule_id"},
		{"POST", "/v1/teams", `{"team_id":"` + nilID + `","name":"X"}`, "/team_id"},
		{"POST", "/v1/teams", `{"team_id":"team-1","name":"X"}`, "/team_id"},
		{"POST", "/v1/webhooks", `{"endpoint_id":"` + nilID + `","url":"https://x.example/h"}`, "/endpoint_id"},
		{"POST", "/v1/keyword-rules", `{"rule_id":"` + nilID + `","name":"R","pattern":"x","action":"prompt_agent","text":"t"}`, "/rule_id"},
		{"POST", "/v1/time-plans", `{"plan_id":"` + nilID + `","name":"P","schedule":{}}`, "/plan_id"},
		{"PUT", "/v1/conversation-tags/order", `{"parent_id":"` + nilID + `","order":[]}`, "/parent_id"},
		{"PUT", "/v1/routing-rules/order", `{"rule_ids":["` + nilID + `"]}`, "/rule_ids/0"},
	}
	for _, tc := range cases {
		got, p := admin.do(tc.method, tc.path, tc.body)
		if got != 422 || p["field"] != tc.field {
			t.Errorf("%s %s %s: %d %v, want 422 naming %s", tc.method, tc.path, tc.body, got, p, tc.field)
		}
	}
}

// TestIdempotencyKeysAreScoped: an Idempotency-Key names one command of one
// caller of one tenant on one route. Equal keys of two users, two tenants
// or two routes are different commands (each gets its own result, never a
// 500), the same key again from the same caller is a retry, and a retried
// sign-in answers a token that works.
func TestIdempotencyKeysAreScoped(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	tenantA, a := newTenant(t, op)
	_, b := newTenant(t, op)
	_, ann := teamUser(t, a, tenantA, "ann@acme.example", "Ann", "agent")
	const key = "Idempotency-Key"

	// Two tenants, one key, one route: two teams.
	ta := a.expect(201, "POST", "/v1/teams", `{"name":"Support"}`, key, "k-team")
	tb := b.expect(201, "POST", "/v1/teams", `{"name":"Support"}`, key, "k-team")
	if ta["team_id"] == tb["team_id"] || ta["stream"] == tb["stream"] {
		t.Errorf("two tenants' keys named one team: %v and %v", ta, tb)
	}
	// The same caller again: the same answer, nothing new.
	if again := a.expect(201, "POST", "/v1/teams", `{"name":"Support"}`, key, "k-team"); fmt.Sprint(again) != fmt.Sprint(ta) {
		t.Errorf("a retry answered %v, first %v", again, ta)
	}
	// Two users of one tenant, one key, one route: two commands.
	sa := a.expect(200, "PUT", "/v1/me/status", `{"status":"busy"}`, key, "k-status")
	sn := ann.expect(200, "PUT", "/v1/me/status", `{"status":"busy"}`, key, "k-status")
	if sa["stream"] == sn["stream"] || sn["events"] != float64(1) {
		t.Errorf("two users' keys: %v and %v", sa, sn)
	}
	// One caller, one key, two routes: two commands.
	other := a.expect(201, "POST", "/v1/time-plans", `{"name":"Hours","schedule":{"weekly":{"monday":[{"from":"08:00","to":"12:00"}]}}}`, key, "k-team")
	if other["events"] != float64(1) || other["stream"] == ta["stream"] {
		t.Errorf("a key reused on another route: %v", other)
	}
	// A retried sign-in answers a token that works.
	signIn := fmt.Sprintf(`{"tenant_id":%q,"email":"ann@acme.example","password":"agent-password"}`, tenantA)
	for i := range 2 {
		s := a.as("none").expect(201, "POST", "/v1/sessions", signIn, key, "k-sign-in")
		if got, p := a.as(s["token"].(string)).do("GET", "/v1/me", ""); got != 200 {
			t.Errorf("sign-in %d: the token answers %d %v", i+1, got, p)
		}
	}
}

// TestConversationIDsStayInTheirTenant: two tenants' channels start
// conversations under the same client-chosen ID and work on them
// (messages, a note that closes one); each tenant sees only its own
// conversation, messages and status.
func TestConversationIDsStayInTheirTenant(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	_, a := newTenant(t, op)
	_, b := newTenant(t, op)
	widget := func(admin client) func(status int, method, path, body string) map[string]any {
		key := admin.expect(201, "POST", "/v1/channel-keys", `{"channel":"web","name":"Site"}`)
		admin.expect(200, "GET", "/v1/channel-keys"+at(key), "")
		w := admin.as("none")
		return func(status int, method, path, body string) map[string]any {
			return w.expect(status, method, path, body, "X-Channel-Key", key["key"].(string))
		}
	}
	aw, bw := widget(a), widget(b)
	conv := uuid.Must(uuid.NewV7()).String()
	start := func(w func(int, string, string, string) map[string]any) map[string]any {
		return w(201, "POST", "/v1/channel/conversations", fmt.Sprintf(`{"conversation_id":%q,"customer_id":%q,"customer_name":"Cy"}`, conv, uuid.NewString()))
	}
	bStart := start(bw)
	bMsg := bw(201, "POST", "/v1/channel/conversations/"+conv+"/messages", `{"type":"text","text":"bee"}`)
	aStart := start(aw)
	if aStart["stream"] == bStart["stream"] {
		t.Fatalf("both tenants' conversations in one stream: %v", aStart["stream"])
	}
	aw(201, "POST", "/v1/channel/conversations/"+conv+"/messages", `{"type":"text","text":"ay"}`)
	aNote := aw(201, "POST", "/v1/channel/conversations/"+conv+"/note", `{"text":"Call me.","contact":"+49 30 1234"}`)

	texts := func(res map[string]any) (out []string) {
		for _, m := range res["items"].([]any) {
			if m := m.(map[string]any); m["sender_kind"] == "customer" {
				out = append(out, fmt.Sprint(m["text"]))
			}
		}
		return out
	}
	aSeen := aw(200, "GET", "/v1/channel/conversations/"+conv+"/messages"+at(aNote), "")
	if got := texts(aSeen); fmt.Sprint(got) != "[ay]" || aSeen["status"] != "closed" {
		t.Errorf("A's conversation shows %v, status %v", got, aSeen["status"])
	}
	bSeen := bw(200, "GET", "/v1/channel/conversations/"+conv+"/messages"+at(aNote), "")
	if got := texts(bSeen); fmt.Sprint(got) != "[bee]" || bSeen["status"] == "closed" {
		t.Errorf("B's conversation shows %v, status %v after A's work on the same ID", got, bSeen["status"])
	}
	detail := b.expect(200, "GET", "/v1/conversations/"+conv+at(bMsg), "")["conversation"].(map[string]any)
	if detail["status"] == "closed" {
		t.Errorf("B's conversation closed by A's note: %v", detail)
	}
}
