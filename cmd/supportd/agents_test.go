package main

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// The admin side of agents, roles and credentials, over HTTP against a real
// database: every endpoint, the rules they enforce, and who may call them.

// signIn signs a user of tenant in and answers a client acting as it.
func signIn(t testing.TB, c client, tenant, email, password string) client {
	t.Helper()
	s := c.as("none").expect(201, "POST", "/v1/sessions", fmt.Sprintf(`{"tenant_id":%q,"email":%q,"password":%q}`, tenant, email, password))
	return c.as(s["token"].(string))
}

// addAgent adds a user with extra JSON fields (`"role":"admin"` …) and
// answers its ID and the command's position.
func addAgent(c client, email, nickname, extra string) (id, position string) {
	c.t.Helper()
	body := fmt.Sprintf(`{"email":%q,"nickname":%q,"password":"agent-password"%s}`, email, nickname, extra)
	out := c.expect(201, "POST", "/v1/agents", body)
	return out["agent_id"].(string), out["position"].(string)
}

// at is a query suffix waiting for a command's effects.
func at(res map[string]any) string { return "?min_position=" + res["position"].(string) }

func TestAgentAdministration(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	tenant, admin := newTenant(t, op)

	// Add with an initial capacity: the admin decides capacities while the
	// function switch is off.
	added := admin.expect(201, "POST", "/v1/agents", `{"email":"Ann@Acme.example","nickname":"Ann","real_name":"Ann Lee","password":"agent-password","capacity":8}`)
	ann := added["agent_id"].(string)
	if added["events"] != float64(2) {
		t.Errorf("add with capacity wrote %v events, want 2", added["events"])
	}
	got := admin.expect(200, "GET", "/v1/agents/"+ann+at(added), "")
	if got["email"] != "ann@acme.example" || got["role"] != "agent" || got["enabled"] != true || got["capacity"] != float64(8) || got["status"] != "offline" {
		t.Errorf("added agent %v", got)
	}
	// A retried add (same Idempotency-Key) adds nobody new.
	first := admin.expect(201, "POST", "/v1/agents", `{"email":"bob@acme.example","nickname":"Bob","password":"agent-password"}`, "Idempotency-Key", "add-bob")
	again := admin.expect(201, "POST", "/v1/agents", `{"email":"bob@acme.example","nickname":"Bob","password":"agent-password"}`, "Idempotency-Key", "add-bob")
	if first["agent_id"] != again["agent_id"] || fmt.Sprint(first) != fmt.Sprint(again) {
		t.Errorf("retried add answered %v, first %v", again, first)
	}
	bob := first["agent_id"].(string)

	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"e-mail taken", "POST", "/v1/agents", `{"email":"ANN@acme.example","nickname":"Ann 2","password":"agent-password"}`, 409, "agent.email_taken"},
		{"unknown role", "POST", "/v1/agents", `{"email":"cy@acme.example","nickname":"Cy","password":"agent-password","role":"boss"}`, 422, "agent.role"},
		{"short password", "POST", "/v1/agents", `{"email":"cy@acme.example","nickname":"Cy","password":"short"}`, 422, ""},
		{"taken e-mail on change", "PUT", "/v1/agents/" + bob + "/email", `{"email":"ann@acme.example"}`, 409, "agent.email_taken"},
		{"bad avatar", "PUT", "/v1/agents/" + ann + "/profile", `{"nickname":"Ann","avatar_url":"ftp://x"}`, 422, "agent.avatar_url"},
		{"unknown agent", "GET", "/v1/agents/" + uuid.NewString(), "", 404, ""},
		{"unknown agent's role", "PUT", "/v1/agents/" + uuid.NewString() + "/role", `{"role":"admin"}`, 404, "agent.not_found"},
		{"the last admin stays", "PUT", "/v1/agents/" + adminID(t, admin) + "/role", `{"role":"agent"}`, 409, "tenant.last_admin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := admin.expect(tc.status, tc.method, tc.path, tc.body)
			if tc.code != "" && p["code"] != tc.code {
				t.Errorf("problem %v, want code %s", p, tc.code)
			}
		})
	}

	// Profile, e-mail, role and password by the admin.
	admin.expect(200, "PUT", "/v1/agents/"+ann+"/profile", `{"nickname":"Annie","real_name":"Ann Lee","phone":"+49 30 1234","employee_id":"E-17","avatar_url":"https://cdn.acme.example/ann.png","greeting":"Hi!","language":"en"}`)
	admin.expect(200, "PUT", "/v1/agents/"+ann+"/email", `{"email":"ann.lee@acme.example"}`)
	admin.expect(200, "PUT", "/v1/agents/"+ann+"/role", `{"role":"admin"}`)
	res := admin.expect(200, "PUT", "/v1/agents/"+ann+"/password", `{"password":"reset-password"}`)
	got = admin.expect(200, "GET", "/v1/agents/"+ann+at(res), "")
	if got["nickname"] != "Annie" || got["phone"] != "+49 30 1234" || got["email"] != "ann.lee@acme.example" || got["role"] != "admin" || got["avatar_url"] != "https://cdn.acme.example/ann.png" {
		t.Errorf("edited agent %v", got)
	}
	admin.expect(200, "PUT", "/v1/agents/"+ann+"/role", `{"role":"agent"}`)

	// The user herself: profile, and password only with the current one.
	annC := signIn(t, op, tenant, "ann.lee@acme.example", "reset-password")
	if p := annC.expect(403, "PUT", "/v1/me/password", `{"current_password":"wrong-password","password":"own-password"}`); p["code"] != "agent.current_password" {
		t.Errorf("wrong current password: %v", p)
	}
	annC.expect(200, "PUT", "/v1/me/password", `{"current_password":"reset-password","password":"own-password"}`)
	res = annC.expect(200, "PUT", "/v1/me/profile", `{"nickname":"Ann","language":"de"}`)
	if me := annC.expect(200, "GET", "/v1/me"+at(res), ""); me["nickname"] != "Ann" || me["language"] != "de" || me["phone"] != "" {
		t.Errorf("own profile %v", me)
	}
	op.as("none").expect(403, "POST", "/v1/sessions", fmt.Sprintf(`{"tenant_id":%q,"email":"ann.lee@acme.example","password":"reset-password"}`, tenant))
	annC = signIn(t, op, tenant, "ann.lee@acme.example", "own-password")

	// Capacity: the admin's change shows in the agent's own view; with the
	// switch on, agents decide and the admin is refused.
	res = admin.expect(200, "PUT", "/v1/agents/"+ann+"/capacity", `{"capacity":3}`)
	if me := annC.expect(200, "GET", "/v1/me"+at(res), ""); me["capacity"] != float64(3) {
		t.Errorf("capacity after the admin's change %v", me["capacity"])
	}
	annC.expect(403, "PUT", "/v1/me/capacity", `{"capacity":4}`)
	admin.expect(200, "PUT", "/v1/tenant/settings/agents.may_set_capacity", `{"value":true}`)
	if p := admin.expect(403, "PUT", "/v1/agents/"+ann+"/capacity", `{"capacity":6}`); p["code"] != "agent.capacity_by_agent" {
		t.Errorf("capacity by admin with the switch on: %v", p)
	}
	if p := admin.expect(403, "POST", "/v1/agents", `{"email":"cy@acme.example","nickname":"Cy","password":"agent-password","capacity":2}`); p["code"] != "agent.capacity_by_agent" {
		t.Errorf("add with capacity with the switch on: %v", p)
	}
	res = annC.expect(200, "PUT", "/v1/me/capacity", `{"capacity":4}`)
	list := admin.expect(200, "GET", "/v1/agents?q=cy%40acme"+"&min_position="+res["position"].(string), "")
	if items := list["items"].([]any); len(items) != 0 {
		t.Errorf("a refused add added %v", items)
	}
	// The admin's changes were noticed to the agent; its own was not.
	notices := annC.expect(200, "GET", "/v1/me/notifications"+at(res), "")["items"].([]any)
	var kinds []string
	for _, n := range notices {
		m := n.(map[string]any)
		d := m["detail"].(map[string]any)
		kinds = append(kinds, fmt.Sprintf("%v:%v%v", m["kind"], d["capacity"], d["to"]))
	}
	if got := strings.Join(kinds, " "); got != "capacity_changed:3<nil> role_changed:<nil>agent role_changed:<nil>admin capacity_changed:8<nil>" {
		t.Errorf("notices %s, want the admin's capacity and role changes, newest first", got)
	}
	admin.expect(200, "PUT", "/v1/tenant/settings/agents.may_set_capacity", `{"value":false}`)

	// Disabling: the live token stops working, sign-in is refused, the
	// sessions end; enabling lets the user back in.
	res = admin.expect(200, "PUT", "/v1/agents/"+ann+"/enabled", `{"enabled":false}`)
	if res["events"].(float64) < 3 { // disabled, signed out, offline
		t.Errorf("disable wrote %v events", res["events"])
	}
	got = admin.expect(200, "GET", "/v1/agents/"+ann+at(res), "")
	if got["enabled"] != false || got["status"] != "offline" {
		t.Errorf("disabled agent %v", got)
	}
	annC.expect(401, "GET", "/v1/me", "")
	if p := op.as("none").expect(403, "POST", "/v1/sessions", fmt.Sprintf(`{"tenant_id":%q,"email":"ann.lee@acme.example","password":"own-password"}`, tenant)); p["code"] != "auth.disabled" {
		t.Errorf("disabled sign-in: %v", p)
	}
	admin.expect(200, "PUT", "/v1/agents/"+ann+"/enabled", `{"enabled":true}`)
	annC = signIn(t, op, tenant, "ann.lee@acme.example", "own-password")

	// Seats: enabled accounts never exceed the licence.
	op.expect(200, "PUT", "/v1/tenants/"+tenant+"/seats", `{"licensed_seats":3}`) // boss, ann, bob
	if p := admin.expect(409, "POST", "/v1/agents", `{"email":"dee@acme.example","nickname":"Dee","password":"agent-password"}`); p["code"] != "tenant.seats_exhausted" {
		t.Errorf("add beyond seats: %v", p)
	}
	dee, _ := addAgent(admin, "dee@acme.example", "Dee", `,"enabled":false`)
	if p := admin.expect(409, "PUT", "/v1/agents/"+dee+"/enabled", `{"enabled":true}`); p["code"] != "tenant.seats_exhausted" {
		t.Errorf("enable beyond seats: %v", p)
	}
	admin.expect(200, "PUT", "/v1/agents/"+bob+"/enabled", `{"enabled":false}`)
	admin.expect(200, "PUT", "/v1/agents/"+dee+"/enabled", `{"enabled":true}`)

	// Removal: the user is gone and its token with it.
	res = admin.expect(200, "DELETE", "/v1/agents/"+ann, "", "If-Match", `"`+fmt.Sprint(tenantVersion(t, admin))+`"`)
	admin.expect(404, "GET", "/v1/agents/"+ann+at(res), "")
	annC.expect(401, "GET", "/v1/me", "")
	admin.expect(404, "DELETE", "/v1/agents/"+ann, "")
	admin.expect(412, "PUT", "/v1/agents/"+dee+"/role", `{"role":"admin"}`, "If-Match", `"1"`)
}

// adminID is the signed-in user's ID.
func adminID(t *testing.T, c client) string {
	t.Helper()
	return c.expect(200, "GET", "/v1/me", "")["agent_id"].(string)
}

// tenantVersion is the version of the caller's tenant stream, as a
// no-change command answers it.
func tenantVersion(t *testing.T, c client) uint64 {
	t.Helper()
	me := c.expect(200, "GET", "/v1/me", "")
	res := c.expect(200, "PUT", "/v1/agents/"+me["agent_id"].(string)+"/role", `{"role":"admin"}`)
	return uint64(res["version"].(float64))
}

func TestAgentListSearchSortAndPages(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	tenant, admin := newTenant(t, op)
	op.expect(200, "PUT", "/v1/tenants/"+tenant+"/seats", `{"licensed_seats":20}`)

	seed := []struct {
		nick, email, extra string
	}{
		{"zed", "zed@acme.example", `,"capacity":7`},
		{"amy", "amy@acme.example", `,"capacity":2,"real_name":"Amy Pond"`},
		{"Carl", "carl@acme.example", `,"capacity":9,"role":"admin"`},
		{"dora", "dora@acme.example", `,"capacity":0,"enabled":false`},
		{"Eve", "eve@acme.example", `,"capacity":12`},
		{"fred", "fred@acme.example", `,"capacity":2`},
		{"gus", "gus@support.example", `,"capacity":5`},
		{"hana", "hana@acme.example", `,"capacity":1,"enabled":false`},
		{"ivan", "ivan@acme.example", `,"capacity":30`},
		{"judy", "judy@acme.example", `,"capacity":4,"role":"admin"`},
		{"kurt", "kurt@acme.example", `,"capacity":6`},
		{"lena", "lena@acme.example", `,"capacity":11`},
	}
	ids := map[string]string{}
	for _, s := range seed {
		ids[s.nick], _ = addAgent(admin, s.email, s.nick, s.extra)
	}
	// The last write: waiting for it waits for every one before.
	res := admin.expect(200, "PUT", "/v1/agents/"+ids["kurt"]+"/profile", `{"nickname":"kurt","phone":"+1 555 0199","employee_id":"EMP-0042"}`)
	wait := "&min_position=" + res["position"].(string)

	// pages walks the list with limit 5 and answers every user in order.
	pages := func(query string) []map[string]any {
		t.Helper()
		var out []map[string]any
		after := ""
		for n := 0; n < 10; n++ {
			page := admin.expect(200, "GET", "/v1/agents?limit=5"+query+after+wait, "")
			items := page["items"].([]any)
			if len(items) > 5 {
				t.Fatalf("page of %d items", len(items))
			}
			for _, it := range items {
				out = append(out, it.(map[string]any))
			}
			next, _ := page["next"].(string)
			if next == "" {
				return out
			}
			after = "&after=" + next
		}
		t.Fatal("pagination does not end")
		return nil
	}
	nicks := func(items []map[string]any) []string {
		var out []string
		for _, a := range items {
			out = append(out, a["nickname"].(string))
		}
		return out
	}

	byName := nicks(pages("&sort=nickname"))
	want := []string{"amy", "Boss", "Carl", "dora", "Eve", "fred", "gus", "hana", "ivan", "judy", "kurt", "lena", "zed"}
	if fmt.Sprint(byName) != fmt.Sprint(want) {
		t.Errorf("by nickname\n got %v\nwant %v", byName, want)
	}

	byCapacity := pages("&sort=capacity")
	if len(byCapacity) != 13 {
		t.Fatalf("by capacity: %d users", len(byCapacity))
	}
	caps := make([]int, len(byCapacity))
	for i, a := range byCapacity {
		caps[i] = int(a["capacity"].(float64))
	}
	if !sort.IntsAreSorted(caps) || caps[0] != 0 || caps[12] != 30 {
		t.Errorf("by capacity %v", caps)
	}

	byRole := pages("&sort=role")
	var roles []string
	for _, a := range byRole {
		roles = append(roles, a["role"].(string))
	}
	if len(roles) != 13 || !slices.IsSorted(roles) || roles[0] != "admin" || roles[2] != "admin" || roles[3] != "agent" {
		t.Errorf("by role %v", roles)
	}

	for _, tc := range []struct {
		name, query string
		want        []string
	}{
		{"nickname, any case", "&q=EV", []string{"Eve"}},
		{"e-mail", "&q=support.example", []string{"gus"}},
		{"real name", "&q=pond", []string{"amy"}},
		{"phone", "&q=555%200199", []string{"kurt"}},
		{"employee ID", "&q=emp-0042", []string{"kurt"}},
		{"a LIKE wildcard is literal", "&q=%25", nil},
		{"disabled", "&enabled=false", []string{"dora", "hana"}},
		{"admins", "&role=admin", []string{"Boss", "Carl", "judy"}},
		{"online", "&status=online", []string{"Boss"}},
		{"search, filter and sort", "&q=acme&enabled=true&role=agent&sort=capacity", []string{"amy", "fred", "kurt", "zed", "lena", "Eve", "ivan"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := nicks(pages(tc.query)); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	admin.expect(422, "GET", "/v1/agents?sort=age", "")
	admin.expect(422, "GET", "/v1/agents?after=not-a-cursor", "")
	admin.expect(422, "GET", "/v1/agents?limit=0", "")
}

func TestRolesAndCredentials(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	tenant, admin := newTenant(t, op)

	list := admin.expect(200, "GET", "/v1/roles", "")["items"].([]any)
	if len(list) != 2 || list[0].(map[string]any)["role_id"] != "admin" || list[1].(map[string]any)["role_id"] != "agent" {
		t.Errorf("built-in roles %v", list)
	}
	if r := admin.expect(200, "GET", "/v1/roles/agent", ""); r["builtin"] != true || r["data_scope"] != "team" {
		t.Errorf("agent role %v", r)
	}
	created := admin.expect(201, "POST", "/v1/roles", `{"name":"Supervisor","capabilities":["admin.monitor","admin.agents","admin.monitor"],"data_scope":"tenant"}`)
	role := created["role_id"].(string)
	r := admin.expect(200, "GET", "/v1/roles/"+role+at(created), "")
	if r["name"] != "Supervisor" || fmt.Sprint(r["capabilities"]) != "[admin.agents admin.monitor]" || r["builtin"] != false {
		t.Errorf("custom role %v", r)
	}
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"name taken", "POST", "/v1/roles", `{"name":"supervisor","capabilities":[]}`, 409, "role.name_taken"},
		{"unknown capability", "POST", "/v1/roles", `{"name":"X","capabilities":["admin.everything"]}`, 422, "role.capability"},
		{"built-in roles are fixed", "PUT", "/v1/roles/admin", `{"name":"Boss","capabilities":[]}`, 409, "role.builtin"},
		{"built-in roles stay", "DELETE", "/v1/roles/agent", "", 409, "role.builtin"},
		{"unknown role", "PUT", "/v1/roles/" + uuid.NewString(), `{"name":"X","capabilities":[]}`, 404, "role.not_found"},
		{"not a role", "GET", "/v1/roles/boss", "", 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := admin.expect(tc.status, tc.method, tc.path, tc.body)
			if tc.code != "" && p["code"] != tc.code {
				t.Errorf("problem %v, want code %s", p, tc.code)
			}
		})
	}
	res := admin.expect(200, "PUT", "/v1/roles/"+role, `{"name":"Supervisor","capabilities":["admin.agents"],"data_scope":"team"}`)
	if r := admin.expect(200, "GET", "/v1/roles/"+role+at(res), ""); fmt.Sprint(r["capabilities"]) != "[admin.agents]" || r["data_scope"] != "team" {
		t.Errorf("redefined role %v", r)
	}

	// API tokens act with their role.
	issued := admin.expect(201, "POST", "/v1/api-tokens", `{"name":"CRM sync","role":"`+role+`"}`)
	token := op.as(issued["token"].(string))
	tokens := admin.expect(200, "GET", "/v1/api-tokens"+at(issued), "")["items"].([]any)
	if len(tokens) != 1 || tokens[0].(map[string]any)["token_id"] != issued["token_id"] || tokens[0].(map[string]any)["token"] != nil {
		t.Errorf("tokens %v", tokens)
	}
	token.expect(200, "GET", "/v1/agents", "")
	token.expect(403, "GET", "/v1/roles", "")
	token.expect(403, "GET", "/v1/me", "") // an integration is no user
	if p := admin.expect(409, "DELETE", "/v1/roles/"+role, ""); p["code"] != "role.in_use" {
		t.Errorf("delete a role a token holds: %v", p)
	}
	agentTok := admin.expect(201, "POST", "/v1/api-tokens", `{"name":"Wallboard","role":"agent"}`, "Idempotency-Key", "wallboard")
	retried := admin.expect(201, "POST", "/v1/api-tokens", `{"name":"Wallboard","role":"agent"}`, "Idempotency-Key", "wallboard")
	if retried["token_id"] != agentTok["token_id"] || retried["token"] != nil {
		t.Errorf("retried issue answered %v", retried)
	}
	admin.expect(200, "GET", "/v1/api-tokens"+at(agentTok), "")
	op.as(agentTok["token"].(string)).expect(403, "GET", "/v1/agents", "")
	res = admin.expect(200, "DELETE", "/v1/api-tokens/"+issued["token_id"].(string), "")
	admin.expect(200, "GET", "/v1/api-tokens"+at(res), "")
	token.expect(401, "GET", "/v1/agents", "")
	admin.expect(404, "DELETE", "/v1/api-tokens/"+issued["token_id"].(string), "")

	// A custom role a user holds cannot be deleted; once nobody holds it, it
	// can.
	sup, _ := addAgent(admin, "sup@acme.example", "Sup", `,"role":"`+role+`"`)
	if p := admin.expect(409, "DELETE", "/v1/roles/"+role, ""); p["code"] != "role.in_use" {
		t.Errorf("delete a role in use: %v", p)
	}
	admin.expect(200, "PUT", "/v1/agents/"+sup+"/role", `{"role":"agent"}`)
	res = admin.expect(200, "DELETE", "/v1/roles/"+role, "")
	admin.expect(404, "GET", "/v1/roles/"+role+at(res), "")

	// Channel keys.
	key := admin.expect(201, "POST", "/v1/channel-keys", `{"channel":"web","name":"Site widget"}`)
	if s, _ := key["key"].(string); len(s) < 32 {
		t.Errorf("channel key %v", key)
	}
	keys := admin.expect(200, "GET", "/v1/channel-keys"+at(key), "")["items"].([]any)
	if len(keys) != 1 || keys[0].(map[string]any)["channel"] != "web" || keys[0].(map[string]any)["key_id"] != key["key_id"] {
		t.Errorf("keys %v", keys)
	}
	admin.expect(422, "POST", "/v1/channel-keys", `{"channel":"pigeon"}`)
	// The key authenticates the customer side, and nothing else.
	widget := admin.as("none")
	channel := widget.expect(200, "GET", "/v1/channel", "", "X-Channel-Key", key["key"].(string))
	if channel["channel"] != "web" || channel["tenant_name"] != "Acme" {
		t.Errorf("channel %v", channel)
	}
	widget.expect(403, "GET", "/v1/agents", "", "X-Channel-Key", key["key"].(string))
	widget.expect(401, "GET", "/v1/channel", "", "X-Channel-Key", "not-a-key")
	admin.expect(403, "GET", "/v1/channel", "")
	res = admin.expect(200, "DELETE", "/v1/channel-keys/"+key["key_id"].(string), "")
	if keys := admin.expect(200, "GET", "/v1/channel-keys"+at(res), "")["items"].([]any); len(keys) != 0 {
		t.Errorf("revoked key still listed %v", keys)
	}
	widget.expect(401, "GET", "/v1/channel", "", "X-Channel-Key", key["key"].(string))
	_ = tenant
}

// TestAdminAccessMatrix runs every admin endpoint as callers who may not
// use it: a user of another tenant (404 on IDs, nothing of this tenant in
// lists), an agent (403), a custom role granting only the agents page (403
// outside it).
func TestAdminAccessMatrix(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	tenant, admin := newTenant(t, op)
	_, other := newTenant(t, op)

	created := admin.expect(201, "POST", "/v1/roles", `{"name":"Agent manager","capabilities":["admin.agents"],"data_scope":"tenant"}`)
	manager := created["role_id"].(string)
	addAgent(admin, "agent@acme.example", "Agent", "")
	addAgent(admin, "manager@acme.example", "Manager", `,"role":"`+manager+`"`)
	target, _ := addAgent(admin, "target@acme.example", "Target", "")
	tok := admin.expect(201, "POST", "/v1/api-tokens", `{"name":"CRM","role":"agent"}`)
	key := admin.expect(201, "POST", "/v1/channel-keys", `{"channel":"app","name":"iOS"}`)
	wait := at(key)
	agentC := signIn(t, op, tenant, "agent@acme.example", "agent-password")
	managerC := signIn(t, op, tenant, "manager@acme.example", "agent-password")

	type endpoint struct {
		method, path, body string
		cap                string // the capability the endpoint needs
		byID               bool   // names one of this tenant's things
	}
	a := "/v1/agents/" + target
	endpoints := []endpoint{
		{"GET", "/v1/agents", "", "admin.agents", false},
		{"POST", "/v1/agents", `{"email":"new@acme.example","nickname":"New","password":"agent-password","enabled":false}`, "admin.agents", false},
		{"GET", a, "", "admin.agents", true},
		{"PUT", a + "/profile", `{"nickname":"T"}`, "admin.agents", true},
		{"PUT", a + "/role", `{"role":"agent"}`, "admin.agents", true},
		{"PUT", a + "/enabled", `{"enabled":true}`, "admin.agents", true},
		{"PUT", a + "/email", `{"email":"target@acme.example"}`, "admin.agents", true},
		{"PUT", a + "/password", `{"password":"agent-password"}`, "admin.agents", true},
		{"PUT", a + "/capacity", `{"capacity":5}`, "admin.agents", true},
		{"DELETE", a, "", "admin.agents", true},
		{"GET", "/v1/roles", "", "admin.roles", false},
		{"POST", "/v1/roles", `{"name":"Other","capabilities":[]}`, "admin.roles", false},
		{"GET", "/v1/roles/" + manager, "", "admin.roles", true},
		{"PUT", "/v1/roles/" + manager, `{"name":"Agent manager","capabilities":["admin.agents"],"data_scope":"tenant"}`, "admin.roles", true},
		{"DELETE", "/v1/roles/" + manager, "", "admin.roles", true},
		{"GET", "/v1/api-tokens", "", "admin.agents", false},
		{"POST", "/v1/api-tokens", `{"name":"X","role":"agent"}`, "admin.agents", false},
		{"DELETE", "/v1/api-tokens/" + tok["token_id"].(string), "", "admin.agents", true},
		{"GET", "/v1/channel-keys", "", "admin.channels", false},
		{"POST", "/v1/channel-keys", `{"channel":"web"}`, "admin.channels", false},
		{"DELETE", "/v1/channel-keys/" + key["key_id"].(string), "", "admin.channels", true},
	}
	for _, e := range endpoints {
		name := e.method + " " + strings.ReplaceAll(e.path, "/", "_")
		t.Run(name, func(t *testing.T) {
			agentC.expect(403, e.method, e.path, e.body)
			if e.cap != "admin.agents" {
				managerC.expect(403, e.method, e.path, e.body)
			}
			if e.byID {
				if p := other.expect(404, e.method, e.path, e.body); p["detail"] != nil && strings.Contains(fmt.Sprint(p["detail"]), "another tenant") {
					t.Errorf("404 hints at the other tenant: %v", p)
				}
			}
		})
	}

	// Lists of the other tenant show none of this tenant's rows.
	for path, want := range map[string]int{"/v1/agents": 1, "/v1/roles": 2, "/v1/api-tokens": 0, "/v1/channel-keys": 0} {
		if items := other.expect(200, "GET", path+wait, "")["items"].([]any); len(items) != want {
			t.Errorf("other tenant's %s: %d items, want %d: %v", path, len(items), want, items)
		}
	}

	// Nothing above changed this tenant: the refused calls were refused.
	if items := admin.expect(200, "GET", "/v1/agents?q=new%40"+strings.Replace(wait, "?", "&", 1), "")["items"].([]any); len(items) != 0 {
		t.Errorf("a refused add added %v", items)
	}

	// The custom role may manage agents, over the whole page.
	res := managerC.expect(200, "PUT", a+"/profile", `{"nickname":"Renamed"}`)
	if got := managerC.expect(200, "GET", a+at(res), ""); got["nickname"] != "Renamed" {
		t.Errorf("manager's edit %v", got)
	}
	managerC.expect(201, "POST", "/v1/api-tokens", `{"name":"Manager's","role":"agent"}`)
	res = managerC.expect(200, "DELETE", a, "")
	admin.expect(404, "GET", a+at(res), "")
}
