package main

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"supportd/domain/access"
)

// Customers over HTTP against a real database: a channel saves customer
// info (creating the customer), agents edit profiles against the field
// catalogue, tag from the tag catalogue, set VIP, and blacklist — at once
// with the approval switch off, by request with it on — while admins
// approve, reject and remove. Another tenant finds none of it, and agents
// get 403 on admin endpoints.

// channelCustomer saves a customer through a channel key and answers the
// channel's answer.
func channelCustomer(c client, key, body string) map[string]any {
	c.t.Helper()
	return c.as("none").expect(200, "POST", "/v1/channel/customers", body, "X-Channel-Key", key)
}

func TestCustomersOverHTTP(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	tenant, admin := newTenant(t, op)
	_, stranger := newTenant(t, op)
	// Ann's role reaches every customer of the tenant (tenant scope): this
	// test is about the customer rules, TestCapabilityRouteWalk about a
	// team-scoped role's reach.
	caps, _ := json.Marshal(access.AgentMode)
	role := admin.expect(201, "POST", "/v1/roles", fmt.Sprintf(`{"name":"Front office","capabilities":%s,"data_scope":"tenant"}`, caps))
	admin.expect(200, "GET", "/v1/roles"+at(role), "")
	addAgent(admin, "ann@acme.example", "Ann", fmt.Sprintf(`,"role":%q`, role["role_id"]))
	agent := signIn(t, op, tenant, "ann@acme.example", "agent-password")

	// The catalogues the customer is checked against.
	tier := admin.expect(201, "POST", "/v1/profile-fields", `{"name":"Tier","type":"select","options":["Basic","Pro"],"enabled":true}`)["id"].(string)
	admin.expect(200, "PUT", "/v1/profile-fields/phone", `{"enabled":true,"read_only":true}`)
	gold := admin.expect(201, "POST", "/v1/customer-tags", `{"name":"Gold","color":"#ffd700"}`)["id"].(string)
	key := admin.expect(201, "POST", "/v1/channel-keys", `{"channel":"web","name":"Site widget"}`)
	admin.expect(200, "GET", "/v1/channel-keys"+at(key), "")
	k := key["key"].(string)

	// A channel saves what it knows; the same external ID is the same
	// customer, and the first save creates it.
	saved := channelCustomer(admin, k, `{"external_id":"webim-visitor-HYYV9","profile":{"nickname":"webim-visitor-HYYV9","phone":"+49 1","shoe":"42"}}`)
	id := saved["customer_id"].(string)
	if saved["blacklisted"] != false || saved["events"] != float64(1) {
		t.Errorf("channel save %v", saved)
	}
	if again := channelCustomer(admin, k, `{"external_id":"webim-visitor-HYYV9","profile":{"nickname":"webim-visitor-HYYV9"}}`); again["customer_id"] != id || again["events"] != float64(0) {
		t.Errorf("same external ID %v", again)
	}
	other := channelCustomer(admin, k, fmt.Sprintf(`{"customer_id":%q,"profile":{"nickname":"Arya","email":"arya@example.com"}}`, uuid.NewString()))
	otherID := other["customer_id"].(string)

	got := agent.expect(200, "GET", "/v1/customers/"+id+at(other), "")
	if p := got["profile"].(map[string]any); p["nickname"] != "webim-visitor-HYYV9" || p["phone"] != "+49 1" || p["shoe"] != nil {
		t.Errorf("customer %v", got)
	}

	// Agents edit the profile against the field catalogue.
	res := agent.expect(200, "PUT", "/v1/customers/"+id+"/profile", fmt.Sprintf(`{"fields":{"nickname":"Jo","real_name":"Jo Chen",%q:"Pro"}}`, tier))
	if p := agent.expect(422, "PUT", "/v1/customers/"+id+"/profile", fmt.Sprintf(`{"fields":{%q:"Gold"}}`, tier)); p["code"] != "customer.profile_value" {
		t.Errorf("bad option %v", p)
	}
	if p := agent.expect(403, "PUT", "/v1/customers/"+id+"/profile", `{"fields":{"phone":"+49 2"}}`); p["code"] != "customer.profile_field_read_only" {
		t.Errorf("read-only %v", p)
	}
	if p := agent.expect(422, "PUT", "/v1/customers/"+id+"/profile", `{"fields":{"shoe":"42"}}`); p["code"] != "customer.profile_field_unknown" {
		t.Errorf("unknown field %v", p)
	}
	agent.expect(422, "PUT", "/v1/customers/"+id+"/profile", `{"fields":{"email":"not mail"}}`)
	// A later automatic save keeps the agent's nickname and fills the rest.
	res = channelCustomer(admin, k, `{"external_id":"webim-visitor-HYYV9","profile":{"nickname":"webim-visitor-HYYV9","company":"Acme"}}`)
	p := agent.expect(200, "GET", "/v1/customers/"+id+at(res), "")["profile"].(map[string]any)
	if p["nickname"] != "Jo" || p["real_name"] != "Jo Chen" || p[tier] != "Pro" || p["company"] != "Acme" {
		t.Errorf("merged profile %v", p)
	}

	// Tags from the catalogue, and VIP.
	agent.expect(200, "POST", "/v1/customers/"+id+"/tags", fmt.Sprintf(`{"tag_id":%q}`, gold))
	if p := agent.expect(422, "POST", "/v1/customers/"+id+"/tags", fmt.Sprintf(`{"tag_id":%q}`, uuid.NewString())); p["code"] != "customer.tag_unknown" {
		t.Errorf("unknown tag %v", p)
	}
	res = agent.expect(200, "PUT", "/v1/customers/"+id+"/vip", `{"vip":true}`)
	got = agent.expect(200, "GET", "/v1/customers/"+id+at(res), "")
	if fmt.Sprint(got["tags"]) != "["+gold+"]" || got["vip"] != true {
		t.Errorf("tagged VIP %v", got)
	}
	for q, want := range map[string]string{
		"?q=jo%20chen": "[" + id + "]", "?q=ARYA@": "[" + otherID + "]", "?tag_id=" + gold: "[" + id + "]",
		"?vip=false": "[" + otherID + "]", "?q=" + id[:13]: "[" + id + "]", "": "[" + otherID + " " + id + "]",
	} {
		if got := fmt.Sprint(ids(agent.expect(200, "GET", "/v1/customers"+q, ""), "customer_id")); got != want {
			t.Errorf("list %s: %s, want %s", q, got, want)
		}
	}
	first := agent.expect(200, "GET", "/v1/customers?limit=1", "")
	second := agent.expect(200, "GET", "/v1/customers?limit=1&after="+first["next"].(string), "")
	if fmt.Sprint(ids(first, "customer_id"), ids(second, "customer_id")) != fmt.Sprintf("[%s] [%s]", otherID, id) || second["next"] != nil {
		t.Errorf("pages %v %v", first, second)
	}
	agent.expect(422, "GET", "/v1/customers?after=garbage", "")
	res = agent.expect(200, "DELETE", "/v1/customers/"+id+"/tags/"+gold, "")
	if got := agent.expect(200, "GET", "/v1/customers/"+id+at(res), ""); len(got["tags"].([]any)) != 0 {
		t.Errorf("untagged %v", got)
	}

	// Blacklist with the approval switch off: at once; the channel learns it.
	bl := agent.expect(201, "POST", "/v1/customers/"+otherID+"/blacklist", `{"reason":"abusive language"}`)
	if bl["status"] != "blacklisted" {
		t.Errorf("blacklist %v", bl)
	}
	agent.expect(409, "POST", "/v1/customers/"+otherID+"/blacklist", `{"reason":"again"}`)
	if again := channelCustomer(admin, k, fmt.Sprintf(`{"customer_id":%q}`, otherID)); again["blacklisted"] != true {
		t.Errorf("channel sees %v", again)
	}
	list := admin.expect(200, "GET", "/v1/blacklist"+at(bl), "")
	if items := list["items"].([]any); len(items) != 1 || items[0].(map[string]any)["reason"] != "abusive language" || items[0].(map[string]any)["nickname"] != "Arya" {
		t.Errorf("blacklist %v", list)
	}
	if fmt.Sprint(ids(agent.expect(200, "GET", "/v1/customers?blacklisted=true", ""), "customer_id")) != "["+otherID+"]" {
		t.Error("blacklisted filter")
	}
	// Removing takes agent.unblacklist (the built-in agent role has it) or
	// admin rights: a role without it may not.
	helperRole := admin.expect(201, "POST", "/v1/roles", `{"name":"Helper","capabilities":["agent.customers"],"data_scope":"tenant"}`)
	admin.expect(200, "GET", "/v1/roles"+at(helperRole), "")
	_, helper := teamUser(t, admin, tenant, "helper@acme.example", "Helper", helperRole["role_id"].(string))
	helper.expect(403, "DELETE", "/v1/customers/"+otherID+"/blacklist", "")
	res = agent.expect(200, "DELETE", "/v1/customers/"+otherID+"/blacklist", "")
	if n := len(admin.expect(200, "GET", "/v1/blacklist"+at(res), "")["items"].([]any)); n != 0 {
		t.Errorf("%d on the blacklist after removal", n)
	}
	admin.expect(409, "DELETE", "/v1/customers/"+otherID+"/blacklist", "")

	// With the switch on, an agent's blacklisting is a request.
	admin.expect(200, "PUT", "/v1/tenant/settings/agents.blacklist_needs_approval", `{"value":true}`)
	rq := agent.expect(202, "POST", "/v1/customers/"+id+"/blacklist", `{"reason":"No civilization"}`)
	if p := agent.expect(409, "POST", "/v1/customers/"+id+"/blacklist", `{"reason":"twice"}`); p["code"] != "blacklist.request_pending" {
		t.Errorf("second request %v", p)
	}
	reqs := admin.expect(200, "GET", "/v1/blacklist-requests?status=pending&min_position="+rq["position"].(string), "")
	if got := ids(reqs, "request_id"); fmt.Sprint(got) != "["+rq["request_id"].(string)+"]" {
		t.Errorf("pending %v", reqs)
	}
	if got := agent.expect(200, "GET", "/v1/customers/"+id, ""); got["blacklisted"] != false {
		t.Errorf("requested customer %v", got)
	}
	agent.expect(403, "GET", "/v1/blacklist-requests", "")
	agent.expect(403, "POST", "/v1/blacklist-requests/"+rq["request_id"].(string)+"/approve", "")
	stranger.expect(404, "POST", "/v1/blacklist-requests/"+rq["request_id"].(string)+"/approve", "")
	res = admin.expect(200, "POST", "/v1/blacklist-requests/"+rq["request_id"].(string)+"/reject", `{"remark":"not enough"}`)
	admin.expect(409, "POST", "/v1/blacklist-requests/"+rq["request_id"].(string)+"/approve"+at(res), "")
	rejected := admin.expect(200, "GET", "/v1/blacklist-requests?status=rejected"+"&min_position="+res["position"].(string), "")["items"].([]any)
	if len(rejected) != 1 || rejected[0].(map[string]any)["remark"] != "not enough" {
		t.Errorf("rejected %v", rejected)
	}
	rq = agent.expect(202, "POST", "/v1/customers/"+id+"/blacklist", `{"reason":"No civilization"}`)
	res = admin.expect(200, "POST", "/v1/blacklist-requests/"+rq["request_id"].(string)+"/approve?min_position="+rq["position"].(string), "")
	entry := admin.expect(200, "GET", "/v1/blacklist"+at(res), "")["items"].([]any)[0].(map[string]any)
	if entry["customer_id"] != id || entry["request_id"] != rq["request_id"] || entry["added_by"] != agentIDOf(t, agent) {
		t.Errorf("approved entry %v", entry)
	}
	if got := agent.expect(200, "GET", "/v1/customers/"+id, ""); got["blacklisted"] != true {
		t.Errorf("approved customer %v", got)
	}
	// Admins are not affected by the switch.
	if bl := admin.expect(201, "POST", "/v1/customers/"+otherID+"/blacklist", `{"reason":"spam"}`); bl["status"] != "blacklisted" {
		t.Errorf("admin blacklists %v", bl)
	}

	// The requester is told each decision; the log holds every step.
	notices := agent.expect(200, "GET", "/v1/me/notifications"+at(res), "")["items"].([]any)
	var decisions []string
	for _, n := range notices {
		if n := n.(map[string]any); n["kind"] == "blacklist_decided" {
			decisions = append(decisions, n["detail"].(map[string]any)["decision"].(string))
		}
	}
	if fmt.Sprint(decisions) != "[approved rejected]" {
		t.Errorf("the requester's notices: %v", notices)
	}
	logged := admin.expect(200, "GET", "/v1/blacklist/log?customer_id="+id, "")["items"].([]any)
	var actions []string
	for _, l := range logged {
		actions = append(actions, l.(map[string]any)["action"].(string))
	}
	if fmt.Sprint(actions) != "[added requested rejected requested]" {
		t.Errorf("blacklist log of the customer, newest first: %v", logged)
	}
	if r := logged[2].(map[string]any); r["reason"] != "not enough" || r["by"] == nil {
		t.Errorf("the rejection's line: %v", r)
	}
	removed := admin.expect(200, "GET", "/v1/blacklist/log?action=removed", "")["items"].([]any)
	if len(removed) != 1 || removed[0].(map[string]any)["by"] != agentIDOf(t, agent) || removed[0].(map[string]any)["customer_id"] != otherID {
		t.Errorf("removals: %v", removed)
	}
	if page := admin.expect(200, "GET", "/v1/blacklist/log?limit=2", ""); len(page["items"].([]any)) != 2 || page["next"] == nil {
		t.Errorf("first page of the log: %v", page)
	}
	admin.expect(422, "GET", "/v1/blacklist/log?action=deleted", "")
	agent.expect(403, "GET", "/v1/blacklist/log", "")

	// Another tenant finds none of it.
	if got := stranger.expect(200, "GET", "/v1/customers", "")["items"].([]any); len(got) != 0 {
		t.Errorf("another tenant sees %v", got)
	}
	if got := stranger.expect(200, "GET", "/v1/blacklist", "")["items"].([]any); len(got) != 0 {
		t.Errorf("another tenant's blacklist %v", got)
	}
	stranger.expect(404, "GET", "/v1/customers/"+id, "")
	stranger.expect(404, "PUT", "/v1/customers/"+id+"/profile", `{"fields":{"nickname":"Mine"}}`)
	stranger.expect(404, "POST", "/v1/customers/"+id+"/tags", fmt.Sprintf(`{"tag_id":%q}`, gold))
	stranger.expect(404, "DELETE", "/v1/customers/"+id+"/tags/"+gold, "")
	stranger.expect(404, "PUT", "/v1/customers/"+id+"/vip", `{"vip":false}`)
	stranger.expect(404, "POST", "/v1/customers/"+otherID+"/blacklist", `{"reason":"x"}`)
	stranger.expect(404, "DELETE", "/v1/customers/"+id+"/blacklist", "")
	stranger.expect(404, "POST", "/v1/blacklist-requests/"+rq["request_id"].(string)+"/reject", "")
	agent.expect(404, "GET", "/v1/customers/"+uuid.NewString(), "")
	agent.expect(404, "PUT", "/v1/customers/"+uuid.NewString()+"/vip", `{"vip":true}`)

	// Agents get 403 on the admin endpoints; channels on the agents' ones.
	agent.expect(403, "GET", "/v1/blacklist", "")
	agent.expect(403, "POST", "/v1/blacklist-requests/"+rq["request_id"].(string)+"/reject", "")
	admin.as("none").expect(403, "GET", "/v1/customers", "", "X-Channel-Key", k)
	agent.expect(403, "POST", "/v1/channel/customers", `{"external_id":"x"}`)
}

// agentIDOf is the signed-in user's ID.
func agentIDOf(t *testing.T, c client) string {
	t.Helper()
	return c.expect(200, "GET", "/v1/me", "")["agent_id"].(string)
}
