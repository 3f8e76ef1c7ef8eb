package main

import (
	"fmt"
	"testing"

	"github.com/google/uuid"
)

// TestTeamScopedActions: a user of a team-scoped role lists and acts on its
// own teams' conversations only; another team's, like another tenant's, is
// not found, on every route that takes a conversation: the queue's list,
// join, assign and close, and the conversation's own actions. A
// tenant-scoped admin acts on every team's.
func TestTeamScopedActions(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	tenant, admin := newTenant(t, op)
	annID, ann := teamUser(t, admin, tenant, "ann@acme.example", "Ann", "agent")
	cidID, cid := teamUser(t, admin, tenant, "cid@acme.example", "Cid", "agent")
	role := admin.expect(201, "POST", "/v1/roles",
		`{"name":"Team lead","capabilities":["agent.conversations","agent.queue","admin.monitor","admin.ongoing"],"data_scope":"team"}`)["role_id"].(string)
	leadID, lead := teamUser(t, admin, tenant, "lea@acme.example", "Lea", role)
	teamA := admin.expect(201, "POST", "/v1/teams", `{"name":"A"}`)["team_id"].(string)
	teamB := admin.expect(201, "POST", "/v1/teams", `{"name":"B"}`)["team_id"].(string)
	admin.expect(200, "PUT", "/v1/teams/"+teamA+"/members", fmt.Sprintf(`{"add":[%q,%q]}`, annID, leadID))
	members := admin.expect(200, "PUT", "/v1/teams/"+teamB+"/members", fmt.Sprintf(`{"add":[%q]}`, cidID))
	key := admin.expect(201, "POST", "/v1/channel-keys", `{"channel":"web","name":"site"}`)
	admin.expect(200, "GET", "/v1/teams/"+teamB+"/members"+at(members), "")
	admin.expect(200, "GET", "/v1/channel-keys"+at(key), "")
	// Team membership is read at sign-in.
	lead = lead.as(admin.as("none").expect(201, "POST", "/v1/sessions",
		fmt.Sprintf(`{"tenant_id":%q,"email":"lea@acme.example","password":"agent-password"}`, tenant))["token"].(string))
	cid = cid.as(admin.as("none").expect(201, "POST", "/v1/sessions",
		fmt.Sprintf(`{"tenant_id":%q,"email":"cid@acme.example","password":"agent-password"}`, tenant))["token"].(string))
	for _, a := range []client{ann, cid, lead} {
		a.expect(200, "PUT", "/v1/me/status", `{"status":"busy"}`) // the queue stays for the test to drive
	}
	var last map[string]any
	start := func(team string) string {
		t.Helper()
		last = admin.as("none").expect(201, "POST", "/v1/channel/conversations",
			fmt.Sprintf(`{"customer_id":%q,"customer_name":"Lu","entry_team_id":%q}`, uuid.NewString(), team), "X-Channel-Key", key["key"].(string))
		return last["conversation_id"].(string)
	}
	queuedA, queuedB, servedB := start(teamA), start(teamB), start(teamB)
	served := admin.expect(200, "POST", "/v1/queue/"+servedB+"/assign", fmt.Sprintf(`{"agent_id":%q}`, cidID))

	queue := func(who client) []string {
		t.Helper()
		var ids []string
		for _, e := range who.expect(200, "GET", "/v1/queue"+at(served), "")["items"].([]any) {
			ids = append(ids, e.(map[string]any)["conversation_id"].(string))
		}
		return ids
	}
	if got, want := fmt.Sprint(queue(lead)), fmt.Sprint([]string{queuedA}); got != want {
		t.Errorf("the lead's queue %s, want its team's only %s", got, want)
	}
	if got := queue(admin); len(got) != 2 {
		t.Errorf("the admin's queue %v, want both teams'", got)
	}
	if got := lead.expect(200, "GET", "/v1/queue?team_id="+teamB, "")["items"].([]any); len(got) != 0 {
		t.Errorf("the lead reads team B's queue by asking: %v", got)
	}

	// Every route that takes another team's conversation: not found.
	for _, r := range []struct{ method, path, body string }{
		{"POST", "/v1/queue/" + queuedB + "/join", ""},
		{"POST", "/v1/queue/" + queuedB + "/assign", fmt.Sprintf(`{"agent_id":%q}`, cidID)},
		{"POST", "/v1/queue/" + queuedB + "/close", ""},
		{"GET", "/v1/conversations/" + servedB, ""},
		{"POST", "/v1/conversations/" + servedB + "/close", ""},
		{"POST", "/v1/conversations/" + servedB + "/whisper", `{"text":"psst"}`},
		{"POST", "/v1/conversations/" + servedB + "/transfer", fmt.Sprintf(`{"to_kind":"agent","to_id":%q}`, leadID)},
		{"POST", "/v1/conversations/" + servedB + "/experts", fmt.Sprintf(`{"agent_id":%q}`, leadID)},
		{"POST", "/v1/conversations/" + servedB + "/rating-invitation", ""},
		{"POST", "/v1/conversations/" + servedB + "/pin", ""},
		{"POST", "/v1/conversations/" + servedB + "/messages", `{"type":"text","text":"hi"}`},
	} {
		if code, body := lead.do(r.method, r.path, r.body); code != 404 {
			t.Errorf("the lead: %s %s = %d %v, want 404", r.method, r.path, code, body)
		}
	}
	// An agent of team B on team A's queued conversation, likewise.
	if code, body := cid.do("POST", "/v1/queue/"+queuedA+"/join", ""); code != 404 {
		t.Errorf("an agent of another team joins: %d %v, want 404", code, body)
	}

	// Within its team the lead acts; the tenant's admin acts on any team's.
	lead.expect(200, "POST", "/v1/queue/"+queuedA+"/assign", fmt.Sprintf(`{"agent_id":%q}`, annID))
	admin.expect(200, "POST", "/v1/queue/"+queuedB+"/close", "")
	admin.expect(200, "POST", "/v1/conversations/"+servedB+"/whisper", `{"text":"psst"}`)
	// The agent who serves acts on its conversation whatever its team.
	cid.expect(201, "POST", "/v1/conversations/"+servedB+"/messages", `{"type":"text","text":"hello"}`)
}
