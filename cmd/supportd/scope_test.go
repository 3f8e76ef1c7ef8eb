package main

import (
	"fmt"
	"testing"

	"github.com/google/uuid"
)

// TestConversationScopeAndPins: who reads a conversation (the agents who
// took part, a team-scoped lead within its teams, agents in their teams'
// queue when the tenant allows it), the queue with customer tags, and
// per-user pins that lead the list.
func TestConversationScopeAndPins(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	tenant, admin := newTenant(t, op)
	annID, ann := teamUser(t, admin, tenant, "ann@acme.example", "Ann", "agent")
	bobID, bob := teamUser(t, admin, tenant, "bob@acme.example", "Bob", "agent")
	cidID, cid := teamUser(t, admin, tenant, "cid@acme.example", "Cid", "agent")
	role := admin.expect(201, "POST", "/v1/roles", `{"name":"Lead","capabilities":["agent.conversations","admin.ongoing"],"data_scope":"team"}`)["role_id"].(string)
	leadID, lead := teamUser(t, admin, tenant, "lea@acme.example", "Lea", role)

	teamA := admin.expect(201, "POST", "/v1/teams", `{"name":"A"}`)["team_id"].(string)
	teamB := admin.expect(201, "POST", "/v1/teams", `{"name":"B"}`)["team_id"].(string)
	admin.expect(200, "PUT", "/v1/teams/"+teamA+"/members", fmt.Sprintf(`{"add":[%q,%q,%q]}`, annID, bobID, leadID))
	members := admin.expect(200, "PUT", "/v1/teams/"+teamB+"/members", fmt.Sprintf(`{"add":[%q]}`, cidID))
	key := admin.expect(201, "POST", "/v1/channel-keys", `{"channel":"web","name":"site"}`)
	admin.expect(200, "GET", "/v1/teams/"+teamB+"/members"+at(members), "")
	admin.expect(200, "GET", "/v1/channel-keys"+at(key), "")
	// The lead signs in again: team membership is read at sign-in.
	lead = lead.as(admin.as("none").expect(201, "POST", "/v1/sessions",
		fmt.Sprintf(`{"tenant_id":%q,"email":"lea@acme.example","password":"agent-password"}`, tenant))["token"].(string))
	for _, a := range []client{ann, bob, cid, lead} {
		a.expect(200, "PUT", "/v1/me/status", `{"status":"busy"}`) // the queue stays for this test to drive
	}
	var lastStart map[string]any
	start := func(team string) string {
		t.Helper()
		body := fmt.Sprintf(`{"customer_id":%q,"customer_name":"Lu","entry_team_id":%q,"profile":{"city":"Berlin"}}`, uuid.NewString(), team)
		lastStart = admin.as("none").expect(201, "POST", "/v1/channel/conversations", body, "X-Channel-Key", key["key"].(string))
		return lastStart["conversation_id"].(string)
	}
	assign := func(conv, agent string) map[string]any {
		t.Helper()
		return admin.expect(200, "POST", "/v1/queue/"+conv+"/assign", fmt.Sprintf(`{"agent_id":%q}`, agent))
	}
	convA := start(teamA)
	assign(convA, annID)
	convB := start(teamB)
	assign(convB, cidID)
	newer := start(teamA)
	assign(newer, annID)
	queued := start(teamA)

	visible := []struct {
		name string
		who  client
		conv string
		want int
	}{
		{"the serving agent", ann, convA, 200},
		{"a team mate who did not take part", bob, convA, 404},
		{"an agent of another team", cid, convA, 404},
		{"the admin", admin, convB, 200},
		{"a team-scoped lead, own team", lead, convA, 200},
		{"a team-scoped lead, another team", lead, convB, 404},
		{"a team mate, queue viewing off", bob, queued, 404},
	}
	for _, v := range visible {
		if code, _ := v.who.do("GET", "/v1/conversations/"+v.conv+at(lastStart), ""); code != v.want {
			t.Errorf("%s: GET = %d, want %d", v.name, code, v.want)
		}
	}
	allowed := admin.expect(200, "PUT", "/v1/tenant/settings/queue.allow_viewing_queued", `{"value":true}`)
	bob.expect(200, "GET", "/v1/conversations/"+queued+at(allowed), "")
	cid.expect(404, "GET", "/v1/conversations/"+queued, "")

	// The queue shows the customer's tags.
	entry := admin.expect(200, "GET", "/v1/queue", "")["items"].([]any)[0].(map[string]any)
	gold := admin.expect(201, "POST", "/v1/customer-tags", `{"name":"Gold","color":"#ffd700"}`)["id"].(string)
	tagged := admin.expect(200, "POST", "/v1/customers/"+entry["customer_id"].(string)+"/tags", fmt.Sprintf(`{"tag_id":%q}`, gold))
	entry = bob.expect(200, "GET", "/v1/queue"+at(tagged), "")["items"].([]any)[0].(map[string]any)
	if entry["conversation_id"] != queued || fmt.Sprint(entry["customer_tags"]) != "["+gold+"]" {
		t.Errorf("queue entry %v", entry)
	}
	// The admins' current session monitor filters the ongoing list.
	monitor := []struct {
		query string
		want  int
	}{
		{"", 4},
		{"?customer_tag_id=" + gold, 1},
		{"?customer_name=LU", 4},
		{"?customer_name=nobody", 0},
		{"?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z", 4},
		{"?from=2100-01-01T00:00:00Z", 0},
	}
	for _, m := range monitor {
		if got := len(admin.expect(200, "GET", "/v1/conversations"+m.query, "")["items"].([]any)); got != m.want {
			t.Errorf("monitor %q lists %d, want %d", m.query, got, m.want)
		}
	}
	admin.expect(422, "GET", "/v1/conversations?from=yesterday", "")

	// The lead's list holds its teams' conversations only.
	ids := func(c client, query string) []string {
		t.Helper()
		var out []string
		for _, item := range c.expect(200, "GET", "/v1/conversations"+query, "")["items"].([]any) {
			out = append(out, item.(map[string]any)["conversation_id"].(string))
		}
		return out
	}
	if got := ids(lead, "?status=serving"); fmt.Sprint(got) != fmt.Sprint([]string{newer, convA}) {
		t.Errorf("lead lists %v, want %v", got, []string{newer, convA})
	}
	if got := ids(admin, "?status=serving"); len(got) != 3 {
		t.Errorf("admin lists %v", got)
	}

	// Pins are per user and lead that user's list.
	if got := ids(ann, ""); fmt.Sprint(got) != fmt.Sprint([]string{newer, convA}) {
		t.Fatalf("Ann's list %v", got)
	}
	pinned := ann.expect(200, "POST", "/v1/conversations/"+convA+"/pin", "")
	if again := ann.expect(200, "POST", "/v1/conversations/"+convA+"/pin", ""); again["events"] != float64(0) {
		t.Errorf("pinning twice wrote %v events", again["events"])
	}
	if got := ids(ann, at(pinned)); fmt.Sprint(got) != fmt.Sprint([]string{convA, newer}) {
		t.Errorf("Ann's list with a pin %v", got)
	}
	if d := ann.expect(200, "GET", "/v1/conversations/"+convA+at(pinned), "")["conversation"].(map[string]any); d["pinned"] != true {
		t.Errorf("detail for Ann: pinned %v", d["pinned"])
	}
	if d := admin.expect(200, "GET", "/v1/conversations/"+convA, "")["conversation"].(map[string]any); d["pinned"] != false {
		t.Errorf("detail for the admin: pinned %v", d["pinned"])
	}
	if got := ids(lead, "?status=serving"); got[0] != newer {
		t.Errorf("another user's pin moved the lead's list: %v", got)
	}
	bob.expect(404, "POST", "/v1/conversations/"+convA+"/pin", "")
	unpinned := ann.expect(200, "DELETE", "/v1/conversations/"+convA+"/pin", "")
	if got := ids(ann, at(unpinned)); fmt.Sprint(got) != fmt.Sprint([]string{newer, convA}) {
		t.Errorf("Ann's list after unpinning %v", got)
	}
}
