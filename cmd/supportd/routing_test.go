package main

import (
	"fmt"
	"testing"
)

// TestRoutingRulesOverHTTP drives the routing rule endpoints: CRUD, the
// priority order with the default last, the dry run across a time plan's
// opening, tenant isolation and the role check.
func TestRoutingRulesOverHTTP(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	tenant, admin := newTenant(t, op)
	_, agent := teamUser(t, admin, tenant, "ann@acme.example", "Ann", "agent")
	_, other := newTenant(t, op)

	sales := admin.expect(201, "POST", "/v1/teams", `{"name":"Sales"}`)
	night := admin.expect(201, "POST", "/v1/teams", `{"name":"Night"}`)
	fallback := admin.expect(201, "POST", "/v1/teams", `{"name":"Front desk"}`)
	plan := admin.expect(201, "POST", "/v1/time-plans", `{"name":"Office","schedule":{"weekly":{
		"monday":[{"from":"09:00","to":"18:00"}],"tuesday":[{"from":"09:00","to":"18:00"}],"wednesday":[{"from":"09:00","to":"18:00"}],
		"thursday":[{"from":"09:00","to":"18:00"}],"friday":[{"from":"09:00","to":"18:00"}]}}}`)
	salesID, nightID, fallbackID, planID := sales["team_id"].(string), night["team_id"].(string), fallback["team_id"].(string), plan["plan_id"].(string)
	admin.expect(200, "GET", "/v1/time-plans/"+planID+waitFor(plan), "")
	admin.expect(200, "GET", "/v1/teams/"+fallbackID+waitFor(fallback), "")
	bot := registerRobot(t, admin, "")

	// Define: a channel rule split by the plan, an account rule, a profile rule.
	line := admin.expect(201, "POST", "/v1/routing-rules", fmt.Sprintf(`{"binding":"channel","name":"Line","channels":["line"],
		"hours":"work_split","plan_id":%q,"target":{"kind":"team","id":%q},"non_work_target":{"kind":"team","id":%q}}`, planID, salesID, nightID),
		"Idempotency-Key", "r-1")
	again := admin.expect(201, "POST", "/v1/routing-rules", `{"binding":"channel","channels":["line"],"target":{"kind":"team","id":"`+salesID+`"}}`,
		"Idempotency-Key", "r-1")
	lineID := line["rule_id"].(string)
	if again["rule_id"] != lineID {
		t.Errorf("retry answered %v, first %v", again, line)
	}
	acct := admin.expect(201, "POST", "/v1/routing-rules", fmt.Sprintf(`{"binding":"channel_account","channel_accounts":["+49 30 555 0100"],
		"target":{"kind":"robot","id":%q}}`, bot))
	vip := admin.expect(201, "POST", "/v1/routing-rules", fmt.Sprintf(`{"binding":"customer_profile",
		"conditions":[{"field":"level","op":"eq","values":["vip"]},{"field":"country","op":"in","values":["DE","AT"]}],
		"target":{"kind":"team","id":%q}}`, nightID))
	def := admin.expect(200, "PUT", "/v1/routing-rules/default", fmt.Sprintf(`{"target":{"kind":"team","id":%q}}`, fallbackID))
	acctID, vipID := acct["rule_id"].(string), vip["rule_id"].(string)

	// Invalid rules.
	for _, tc := range []struct{ body, field string }{
		{`{"binding":"channel","channels":[],"target":{"kind":"team","id":"` + salesID + `"}}`, "channels"},
		{`{"binding":"channel","channels":["web"],"entries":["x"],"target":{"kind":"team","id":"` + salesID + `"}}`, "entries"},
		{`{"binding":"channel","channels":["web"],"hours":"work_split","target":{"kind":"team","id":"` + salesID + `"}}`, "non_work_target"},
		{`{"binding":"customer_profile","conditions":[{"field":"a","op":"eq","values":["1","2"]}],"target":{"kind":"team","id":"` + salesID + `"}}`, "conditions"},
		{`{"binding":"default","target":{"kind":"team","id":"` + salesID + `"}}`, "binding"},
	} {
		if p := admin.expect(422, "POST", "/v1/routing-rules", tc.body); p["field"] != tc.field {
			t.Errorf("%s: %v", tc.body, p)
		}
	}
	if p := admin.expect(404, "POST", "/v1/routing-rules", `{"binding":"channel","channels":["web"],"target":{"kind":"team","id":"0190f3b0-0000-7000-8000-0000000000ff"}}`); p["field"] != "target" {
		t.Errorf("unknown team: %v", p)
	}

	// The list: admin order, the default last.
	list := admin.expect(200, "GET", "/v1/routing-rules"+waitFor(def), "")
	defID := list["items"].([]any)[3].(map[string]any)["rule_id"].(string)
	if got, want := fmt.Sprint(names(list, "rule_id")), fmt.Sprint([]string{lineID, acctID, vipID, defID}); got != want {
		t.Fatalf("order %s, want %s", got, want)
	}
	if d := list["items"].([]any)[3].(map[string]any); d["binding"] != "default" || d["rank"] != nil {
		t.Errorf("default %v", d)
	}

	// Reorder; the default cannot be ranked and every rule must be listed.
	admin.expect(422, "PUT", "/v1/routing-rules/order", fmt.Sprintf(`{"rule_ids":[%q,%q,%q,%q]}`, vipID, lineID, acctID, defID))
	admin.expect(409, "PUT", "/v1/routing-rules/order", fmt.Sprintf(`{"rule_ids":[%q,%q]}`, vipID, lineID))
	re := admin.expect(200, "PUT", "/v1/routing-rules/order", fmt.Sprintf(`{"rule_ids":[%q,%q,%q]}`, vipID, lineID, acctID))
	list = admin.expect(200, "GET", "/v1/routing-rules"+waitFor(re), "")
	if got, want := fmt.Sprint(names(list, "rule_id")), fmt.Sprint([]string{vipID, lineID, acctID, defID}); got != want {
		t.Fatalf("order %s, want %s", got, want)
	}

	// Dry runs: Monday 23 November 2026, Berlin opens at 08:00 UTC.
	evaluate := func(body string) map[string]any {
		t.Helper()
		return admin.expect(200, "POST", "/v1/routing-rules/evaluate", body)["decision"].(map[string]any)
	}
	for _, tc := range []struct{ name, body, want string }{
		{"before opening", `{"channel":"line","at":"2026-11-23T07:59:59Z"}`, "channel team " + nightID + " false false"},
		{"at opening", `{"channel":"line","at":"2026-11-23T08:00:00Z"}`, "channel team " + salesID + " true false"},
		{"profile first", `{"channel":"line","profile":{"level":"VIP","country":"AT"},"at":"2026-11-23T08:00:00Z"}`, "customer_profile team " + nightID + " false false"},
		{"account to the robot", `{"channel":"whatsapp","channel_account":"+49 30 555 0100"}`, "channel_account robot " + bot + " false false"},
		{"default last", `{"channel":"web"}`, "default team " + fallbackID + " false false"},
	} {
		d := evaluate(tc.body)
		if got := fmt.Sprint(d["binding"], " ", d["target_kind"], " ", d["target_id"], " ", d["work_time"], " ", d["unmatched"]); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
	// The robot hands over to the next matching rule's team.
	if out := admin.expect(200, "POST", "/v1/routing-rules/evaluate", `{"channel":"line","channel_account":"+49 30 555 0100","bot_first":true,
		"robot_id":"`+bot+`","at":"2026-11-23T10:00:00Z"}`); out["hand_over_team_id"] != salesID {
		t.Errorf("hand over %v", out)
	}

	// Disable, change, delete; then unmatched without a default.
	admin.expect(200, "PUT", "/v1/routing-rules/"+vipID, fmt.Sprintf(`{"binding":"customer_profile","enabled":false,
		"conditions":[{"field":"level","op":"eq","values":["vip"]}],"target":{"kind":"team","id":%q}}`, nightID))
	if d := evaluate(`{"channel":"line","profile":{"level":"vip","country":"AT"},"at":"2026-11-23T08:00:00Z"}`); d["binding"] != "channel" {
		t.Errorf("disabled rule still applies: %v", d)
	}
	got := admin.expect(200, "GET", "/v1/routing-rules/"+vipID+"?min_position="+admin.expect(200, "DELETE", "/v1/routing-rules/"+acctID, "")["position"].(string), "")
	if got["enabled"] != false || got["rank"] != float64(0) {
		t.Errorf("rule %v", got)
	}
	// The default binding is kept: no conversation is left without a way.
	if p := admin.expect(409, "DELETE", "/v1/routing-rules/"+defID, ""); p["code"] != "routing.default_kept" {
		t.Errorf("deleting the default binding: %v", p)
	}
	list = admin.expect(200, "GET", "/v1/routing-rules", "")
	if got, want := fmt.Sprint(names(list, "rule_id")), fmt.Sprint([]string{vipID, lineID, defID}); got != want {
		t.Errorf("after deletes %s, want %s", got, want)
	}
	if d := evaluate(`{"channel":"web","default_team_id":"` + salesID + `"}`); d["binding"] != "default" || d["target_id"] != fallbackID {
		t.Errorf("unmatched %v", d)
	}
	admin.expect(404, "DELETE", "/v1/routing-rules/"+acctID, "")

	// Another tenant sees none of it; an agent may not manage settings.
	other.expect(404, "GET", "/v1/routing-rules/"+lineID, "")
	other.expect(404, "PUT", "/v1/routing-rules/"+lineID, `{"binding":"channel","channels":["web"],"target":{"kind":"robot","id":"`+bot+`"}}`)
	other.expect(404, "DELETE", "/v1/routing-rules/"+lineID, "")
	if l := other.expect(200, "GET", "/v1/routing-rules", ""); len(l["items"].([]any)) != 0 {
		t.Errorf("other tenant sees %v", l)
	}
	agent.expect(403, "GET", "/v1/routing-rules", "")
	agent.expect(403, "POST", "/v1/routing-rules/evaluate", `{"channel":"web"}`)
}
