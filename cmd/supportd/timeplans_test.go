package main

import (
	"fmt"
	"testing"
)

// TestTimePlansOverHTTP drives every time plan endpoint: definition,
// change, the default, working time in the tenant's zone (Europe/Berlin),
// deletion rules, tenant isolation and the role matrix.
func TestTimePlansOverHTTP(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	tenant, admin := newTenant(t, op)
	_, ann := teamUser(t, admin, tenant, "ann@acme.example", "Ann", "agent")
	_, other := newTenant(t, op)

	office := `{"name":"Office","schedule":{
		"weekly":{"monday":[{"from":"13:00","to":"20:00"},{"from":"08:00","to":"12:00"}],"sunday":[{"from":"22:00","to":"24:00"}]},
		"holidays":[{"name":"Christmas","first":"2026-12-24","last":"2026-12-26"}],
		"custom_workdays":[{"date":"2026-12-26","hours":[{"from":"10:00","to":"14:00"}]}]}}`
	def := admin.expect(201, "POST", "/v1/time-plans", office, "Idempotency-Key", "p-1")
	if again := admin.expect(201, "POST", "/v1/time-plans", office, "Idempotency-Key", "p-1"); again["plan_id"] != def["plan_id"] {
		t.Errorf("retry answered %v, first %v", again, def)
	}
	plan := def["plan_id"].(string)
	got := admin.expect(200, "GET", "/v1/time-plans/"+plan+waitFor(def), "")
	monday := got["schedule"].(map[string]any)["weekly"].(map[string]any)["monday"]
	if got["name"] != "Office" || got["is_default"] != false || fmt.Sprint(monday) != "[map[from:08:00:00 to:12:00:00] map[from:13:00:00 to:20:00:00]]" {
		t.Errorf("plan %v", got)
	}

	for _, tc := range []struct{ body, field string }{
		{`{"name":"X","schedule":{"weekly":{"monday":[{"from":"08:00","to":"25:00"}]}}}`, ""}, // refused by the document's pattern
		{`{"name":"X","schedule":{"weekly":{"monday":[{"from":"12:00","to":"08:00"}]}}}`, "schedule.weekly.monday"},
		{`{"name":"X","schedule":{"weekly":{"monday":[{"from":"08:00","to":"12:00"},{"from":"11:00","to":"13:00"}]}}}`, "schedule.weekly.monday"},
		{`{"name":"X","schedule":{"holidays":[{"first":"2026-12-26","last":"2026-12-24"}]}}`, "schedule.holidays[0]"},
		{`{"name":"X","schedule":{"custom_workdays":[{"date":"26.12.2026","hours":[]}]}}`, "schedule.custom_workdays[0].date"},
		{`{"name":" ","schedule":{}}`, "name"},
	} {
		p := admin.expect(422, "POST", "/v1/time-plans", tc.body)
		if tc.field != "" && p["field"] != tc.field {
			t.Errorf("%s: %v", tc.body, p)
		}
	}

	// Working time in Berlin (UTC+1 in winter).
	for _, tc := range []struct {
		at      string
		working bool
	}{
		{"2026-11-23T07:30:00Z", true},  // Monday 08:30 local
		{"2026-11-23T06:59:59Z", false}, // Monday 07:59:59 local
		{"2026-11-23T11:30:00Z", false}, // the lunch break
		{"2026-11-22T22:30:00Z", true},  // Sunday 23:30 local (UTC Sunday 22:30)
		{"2026-11-22T23:00:00Z", false}, // Monday 00:00 local
		{"2026-12-24T09:00:00%2B01:00", false},
		{"2026-12-26T11:00:00%2B01:00", true}, // the custom workday inside the holiday
	} {
		w := admin.expect(200, "GET", "/v1/time-plans/"+plan+"/working-time?at="+tc.at, "")
		if w["working"] != tc.working || w["time_zone"] != "Europe/Berlin" {
			t.Errorf("%s: %v, want working=%v", tc.at, w, tc.working)
		}
	}
	admin.expect(422, "GET", "/v1/time-plans/"+plan+"/working-time?at=tomorrow", "")

	// Change, then the default.
	ch := admin.expect(200, "PUT", "/v1/time-plans/"+plan, `{"name":"Office hours","schedule":{"weekly":{"tuesday":[{"from":"09:00","to":"17:00"}]}}}`)
	if ch["events"] != float64(1) {
		t.Errorf("change %v", ch)
	}
	if same := admin.expect(200, "PUT", "/v1/time-plans/"+plan, `{"name":"Office hours","schedule":{"weekly":{"tuesday":[{"from":"09:00:00","to":"17:00:00"}]}}}`); same["events"] != float64(0) {
		t.Errorf("the same plan again wrote %v", same)
	}
	w := admin.expect(200, "GET", "/v1/time-plans/"+plan+"/working-time?at=2026-11-23T07:30:00Z&min_position="+ch["position"].(string), "")
	if w["working"] != false {
		t.Errorf("after the change Monday is off: %v", w)
	}
	chosen := admin.expect(200, "PUT", "/v1/time-plans/"+plan+"/default", "")
	if chosen["events"] != float64(1) || chosen["stream"] != "tenant-"+tenant {
		t.Errorf("default %v", chosen)
	}
	evening := admin.expect(201, "POST", "/v1/time-plans", `{"name":"Evening","schedule":{}}`)
	list := admin.expect(200, "GET", "/v1/time-plans"+waitFor(evening), "")
	if fmt.Sprint(names(list, "name")) != "[Evening Office hours]" {
		t.Errorf("plans %v", list)
	}
	for _, item := range list["items"].([]any) {
		p := item.(map[string]any)
		if (p["plan_id"] == plan) != (p["is_default"] == true) {
			t.Errorf("default marked wrongly: %v", p)
		}
	}
	if p := admin.expect(409, "DELETE", "/v1/time-plans/"+plan, ""); p["code"] != "timeplan.is_default" {
		t.Errorf("deleting the default: %v", p)
	}

	// Roles and tenants.
	for _, w := range []struct{ method, path, body string }{
		{"GET", "/v1/time-plans", ""},
		{"POST", "/v1/time-plans", `{"name":"Mine","schedule":{}}`},
		{"PUT", "/v1/time-plans/" + plan, `{"name":"Mine","schedule":{}}`},
		{"DELETE", "/v1/time-plans/" + plan, ""},
		{"PUT", "/v1/time-plans/" + plan + "/default", ""},
	} {
		ann.expect(403, w.method, w.path, w.body)
	}
	if list := other.expect(200, "GET", "/v1/time-plans", ""); len(list["items"].([]any)) != 0 {
		t.Errorf("other tenant sees %v", list)
	}
	for _, w := range []struct{ method, path, body string }{
		{"GET", "/v1/time-plans/" + plan, ""},
		{"PUT", "/v1/time-plans/" + plan, `{"name":"Stolen","schedule":{}}`},
		{"DELETE", "/v1/time-plans/" + plan, ""},
		{"PUT", "/v1/time-plans/" + plan + "/default", ""},
		{"GET", "/v1/time-plans/" + plan + "/working-time?at=2026-11-23T07:30:00Z", ""},
	} {
		other.expect(404, w.method, w.path, w.body)
	}

	// Another default frees the first; then it can go.
	admin.expect(200, "PUT", "/v1/time-plans/"+evening["plan_id"].(string)+"/default", "")
	del := admin.expect(200, "DELETE", "/v1/time-plans/"+plan, "")
	admin.expect(404, "GET", "/v1/time-plans/"+plan+waitFor(del), "")
	admin.expect(404, "PUT", "/v1/time-plans/"+plan+"/default", "")
}
