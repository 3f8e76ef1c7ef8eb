package main

import (
	"fmt"
	"testing"
)

// teamUser adds a user to the tenant, signs it in and answers its ID and a
// client acting as it.
func teamUser(t *testing.T, admin client, tenant, email, nickname, role string) (string, client) {
	t.Helper()
	out := admin.expect(201, "POST", "/v1/agents", fmt.Sprintf(`{"email":%q,"nickname":%q,"password":"agent-password","role":%q}`, email, nickname, role))
	s := admin.as("none").expect(201, "POST", "/v1/sessions", fmt.Sprintf(`{"tenant_id":%q,"email":%q,"password":"agent-password"}`, tenant, email))
	return out["agent_id"].(string), admin.as(s["token"].(string))
}

func waitFor(res map[string]any) string { return "?min_position=" + res["position"].(string) }

func names(list map[string]any, key string) []string {
	var out []string
	for _, item := range list["items"].([]any) {
		out = append(out, item.(map[string]any)[key].(string))
	}
	return out
}

// TestTeamsOverHTTP drives every team endpoint, the tenant isolation, the
// role matrix and the team data scope.
func TestTeamsOverHTTP(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	tenant, admin := newTenant(t, op)
	annID, ann := teamUser(t, admin, tenant, "ann@acme.example", "Ann", "agent")
	bobID, _ := teamUser(t, admin, tenant, "bob@acme.example", "Bob", "agent")
	_, other := newTenant(t, op)

	// Create, with an Idempotency-Key: the retry names the same team.
	created := admin.expect(201, "POST", "/v1/teams", `{"name":"Billing","greeting":"Hello ##dear##"}`, "Idempotency-Key", "t-1")
	again := admin.expect(201, "POST", "/v1/teams", `{"name":"Billing","greeting":"Hello ##dear##"}`, "Idempotency-Key", "t-1")
	billing := created["team_id"].(string)
	if again["team_id"] != billing || again["version"] != created["version"] {
		t.Errorf("retry answered %v, first %v", again, created)
	}
	sales := admin.expect(201, "POST", "/v1/teams", `{"name":"Sales"}`)
	salesID := sales["team_id"].(string)
	admin.expect(200, "GET", "/v1/teams/"+salesID+waitFor(sales), "")

	if p := admin.expect(409, "POST", "/v1/teams", `{"name":"billing"}`); p["code"] != "team.name_taken" || p["field"] != "name" {
		t.Errorf("duplicate name: %v", p)
	}
	if p := admin.expect(422, "POST", "/v1/teams", `{"name":"X","greeting":"Hi ##name##"}`); p["field"] != "greeting" {
		t.Errorf("bad placeholder: %v", p)
	}
	admin.expect(422, "POST", "/v1/teams", `{"name":""}`)

	// Edit: rename and greeting, then the list shows both.
	edit := admin.expect(200, "PUT", "/v1/teams/"+billing, `{"name":"Payments","greeting":"Hi ##dear##!"}`)
	if edit["events"] != float64(2) {
		t.Errorf("edit %v", edit)
	}
	admin.expect(409, "PUT", "/v1/teams/"+billing, `{"name":"Sales"}`)
	got := admin.expect(200, "GET", "/v1/teams/"+billing+waitFor(edit), "")
	if got["name"] != "Payments" || got["greeting"] != "Hi ##dear##!" || got["plan_id"] != nil {
		t.Errorf("team %v", got)
	}
	if list := admin.expect(200, "GET", "/v1/teams", ""); fmt.Sprint(names(list, "name")) != "[Payments Sales]" {
		t.Errorf("teams %v", list)
	}

	// Members in one batch; only the tenant's users.
	upd := admin.expect(200, "PUT", "/v1/teams/"+billing+"/members", fmt.Sprintf(`{"add":[%q,%q]}`, annID, bobID))
	if upd["events"] != float64(1) {
		t.Errorf("members %v", upd)
	}
	members := admin.expect(200, "GET", "/v1/teams/"+billing+"/members"+waitFor(upd), "")
	if fmt.Sprint(names(members, "nickname")) != "[Ann Bob]" || members["next"] != nil {
		t.Errorf("members %v", members)
	}
	if m := admin.expect(200, "GET", "/v1/teams/"+billing+"/members?q=BOB@", ""); fmt.Sprint(names(m, "nickname")) != "[Bob]" {
		t.Errorf("search by e-mail %v", m)
	}
	if m := admin.expect(200, "GET", "/v1/teams/"+billing+"/members?q=an", ""); fmt.Sprint(names(m, "nickname")) != "[Ann]" {
		t.Errorf("search by nickname %v", m)
	}
	// Ann signed in (online); Bob too: both online. Offline filter finds none.
	if m := admin.expect(200, "GET", "/v1/teams/"+billing+"/members?status=offline", ""); len(m["items"].([]any)) != 0 {
		t.Errorf("offline members %v", m)
	}
	if m := admin.expect(200, "GET", "/v1/teams/"+billing+"/members?status=online&limit=1", ""); len(m["items"].([]any)) != 1 || m["next"] == nil {
		t.Errorf("first page %v", m)
	} else {
		rest := admin.expect(200, "GET", "/v1/teams/"+billing+"/members?status=online&limit=1&after="+m["next"].(string), "")
		if fmt.Sprint(names(rest, "nickname")) != "[Bob]" {
			t.Errorf("second page %v", rest)
		}
	}
	if p := admin.expect(422, "PUT", "/v1/teams/"+billing+"/members", `{"add":["0190f3b0-0000-7000-8000-0000000000ff"]}`); p["field"] != "add[0]" {
		t.Errorf("unknown member %v", p)
	}
	if n := admin.expect(200, "PUT", "/v1/teams/"+billing+"/members", fmt.Sprintf(`{"add":[%q]}`, annID)); n["events"] != float64(0) {
		t.Errorf("re-adding a member wrote %v", n)
	}
	upd = admin.expect(200, "PUT", "/v1/teams/"+billing+"/members", fmt.Sprintf(`{"remove":[%q]}`, bobID))
	if m := admin.expect(200, "GET", "/v1/teams/"+billing+"/members"+waitFor(upd), ""); fmt.Sprint(names(m, "nickname")) != "[Ann]" {
		t.Errorf("after removal %v", m)
	}
	if list := admin.expect(200, "GET", "/v1/teams", ""); list["items"].([]any)[0].(map[string]any)["member_count"] != float64(1) {
		t.Errorf("member count %v", list)
	}

	// Time plan binding.
	plan := admin.expect(201, "POST", "/v1/time-plans", `{"name":"Office","schedule":{"weekly":{"monday":[{"from":"08:00","to":"20:00"}]}}}`)
	planID := plan["plan_id"].(string)
	bound := admin.expect(200, "PUT", "/v1/teams/"+billing+"/time-plan", fmt.Sprintf(`{"plan_id":%q}`, planID))
	if got := admin.expect(200, "GET", "/v1/teams/"+billing+waitFor(bound), ""); got["plan_id"] != planID {
		t.Errorf("bound team %v", got)
	}
	admin.expect(422, "PUT", "/v1/teams/"+billing+"/time-plan", `{"plan_id":"0190f3b0-0000-7000-8000-0000000000ff"}`)
	unbound := admin.expect(200, "PUT", "/v1/teams/"+salesID+"/time-plan", `{"plan_id":null}`)
	if unbound["events"] != float64(0) {
		t.Errorf("unbinding an unbound team wrote %v", unbound)
	}

	// The agent role: team-scoped, sees Ann's team only, and may not write.
	if list := ann.expect(200, "GET", "/v1/teams", ""); fmt.Sprint(names(list, "name")) != "[Payments]" {
		t.Errorf("agent sees %v", list)
	}
	ann.expect(200, "GET", "/v1/teams/"+billing+"/members", "")
	ann.expect(404, "GET", "/v1/teams/"+salesID, "")
	ann.expect(404, "GET", "/v1/teams/"+salesID+"/members", "")
	for _, w := range []struct{ method, path, body string }{
		{"POST", "/v1/teams", `{"name":"Mine"}`},
		{"PUT", "/v1/teams/" + billing, `{"name":"Mine"}`},
		{"DELETE", "/v1/teams/" + billing, ""},
		{"PUT", "/v1/teams/" + billing + "/members", `{"remove":[]}`},
		{"PUT", "/v1/teams/" + billing + "/time-plan", `{}`},
	} {
		ann.expect(403, w.method, w.path, w.body)
	}

	// A custom role with the team scope and team management.
	role := admin.expect(201, "POST", "/v1/roles", `{"name":"Team lead","capabilities":["admin.teams"],"data_scope":"team"}`)
	leadID, _ := teamUser(t, admin, tenant, "lea@acme.example", "Lea", role["role_id"].(string))
	upd = admin.expect(200, "PUT", "/v1/teams/"+salesID+"/members", fmt.Sprintf(`{"add":[%q]}`, leadID))
	admin.expect(200, "GET", "/v1/teams/"+salesID+"/members"+waitFor(upd), "")
	s := admin.as("none").expect(201, "POST", "/v1/sessions", fmt.Sprintf(`{"tenant_id":%q,"email":"lea@acme.example","password":"agent-password"}`, tenant))
	lead := admin.as(s["token"].(string))
	if list := lead.expect(200, "GET", "/v1/teams", ""); fmt.Sprint(names(list, "name")) != "[Sales]" {
		t.Errorf("team lead sees %v", list)
	}
	lead.expect(404, "GET", "/v1/teams/"+billing, "")
	lead.expect(200, "PUT", "/v1/teams/"+salesID, `{"name":"Sales","greeting":"Welcome ##dear##"}`)

	// Another tenant: no team of this one, every ID route 404.
	if list := other.expect(200, "GET", "/v1/teams", ""); len(list["items"].([]any)) != 0 {
		t.Errorf("other tenant sees %v", list)
	}
	for _, w := range []struct{ method, path, body string }{
		{"GET", "/v1/teams/" + billing, ""},
		{"PUT", "/v1/teams/" + billing, `{"name":"Stolen"}`},
		{"DELETE", "/v1/teams/" + billing, ""},
		{"GET", "/v1/teams/" + billing + "/members", ""},
		{"PUT", "/v1/teams/" + billing + "/members", `{"remove":[]}`},
		{"PUT", "/v1/teams/" + billing + "/time-plan", `{}`},
	} {
		other.expect(404, w.method, w.path, w.body)
	}

	// The plan cannot go while the team is bound to it.
	if p := admin.expect(409, "DELETE", "/v1/time-plans/"+planID, ""); p["code"] != "timeplan.in_use" {
		t.Errorf("deleting a bound plan: %v", p)
	}

	// Delete: gone from the list, its members with it.
	del := admin.expect(200, "DELETE", "/v1/teams/"+billing, "")
	admin.expect(404, "GET", "/v1/teams/"+billing+waitFor(del), "")
	admin.expect(404, "DELETE", "/v1/teams/"+billing, "")
	if list := admin.expect(200, "GET", "/v1/teams", ""); fmt.Sprint(names(list, "name")) != "[Sales]" {
		t.Errorf("after delete %v", list)
	}
	if list := ann.expect(200, "GET", "/v1/teams", ""); len(list["items"].([]any)) != 0 {
		t.Errorf("agent still sees %v", list)
	}
	admin.expect(200, "DELETE", "/v1/time-plans/"+planID, "")
}
