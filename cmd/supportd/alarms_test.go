package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestAlarmsOverHTTP lists the alarms raised for administrators: one for
// every conversation no routing rule matched, and one excessive-waiting
// alarm when the web queue grows past the tenant's threshold, raised once
// per crossing; administrators mark them processed.
func TestAlarmsOverHTTP(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	tenant, admin := newTenant(t, op)
	_, agent := teamUser(t, admin, tenant, "ann@acme.example", "Ann", "agent")
	team := admin.expect(201, "POST", "/v1/teams", `{"name":"Support"}`)["team_id"].(string)
	admin.expect(200, "PUT", "/v1/tenant/settings/routing.default_team_id", fmt.Sprintf(`{"value":%q}`, team))
	admin.expect(422, "PUT", "/v1/tenant/settings/alerts.excessive_waiting", `{"value":{"enabled":true,"threshold":0}}`)
	set := admin.expect(200, "PUT", "/v1/tenant/settings/alerts.excessive_waiting", `{"value":{"enabled":true,"threshold":2}}`)
	admin.expect(200, "GET", "/v1/tenant/settings"+at(set), "")
	key := admin.expect(201, "POST", "/v1/channel-keys", `{"channel":"web","name":"site"}`)
	admin.expect(200, "GET", "/v1/channel-keys"+at(key), "")
	start := func() map[string]any {
		t.Helper()
		body := fmt.Sprintf(`{"customer_id":%q,"customer_name":"Lu"}`, uuid.Must(uuid.NewV7()))
		return admin.as("none").expect(201, "POST", "/v1/channel/conversations", body, "X-Channel-Key", key["key"].(string))
	}
	alarms := func(query string) []any {
		t.Helper()
		return admin.expect(200, "GET", "/v1/alarms"+query, "")["items"].([]any)
	}
	waitAlarms := func(kind string, n int) []any {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for {
			got := alarms("?kind=" + kind)
			if len(got) >= n || time.Now().After(deadline) {
				return got
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	// Two waiting conversations are within the threshold.
	start()
	last := start()
	if got := alarms("?kind=unmatched_routing_rule&min_position=" + last["position"].(string)); len(got) != 2 {
		t.Fatalf("unmatched-routing alarms %v, want 2", got)
	}
	time.Sleep(1500 * time.Millisecond) // more than a watch period
	if got := alarms("?kind=excessive_waiting"); len(got) != 0 {
		t.Errorf("alarms within the threshold: %v", got)
	}
	// The third crosses it: one alarm, on that conversation; a fourth
	// raises none while the queue stays above.
	third := start()
	got := waitAlarms("excessive_waiting", 1)
	if len(got) != 1 {
		t.Fatalf("excessive-waiting alarms %v, want 1", got)
	}
	a := got[0].(map[string]any)
	if a["conversation_id"] != third["conversation_id"] || a["level"] != float64(2) || a["detail"] != "web: 3 conversations waiting (threshold 2)" {
		t.Errorf("alarm %v", a)
	}
	start()
	time.Sleep(1500 * time.Millisecond)
	if got := alarms("?kind=excessive_waiting"); len(got) != 1 {
		t.Errorf("alarms while the queue stays above: %v", got)
	}

	// Filters and pages.
	if got := alarms("?min_level=3"); len(got) != 0 {
		t.Errorf("level 3 alarms: %v", got)
	}
	if got := alarms("?conversation_id=" + third["conversation_id"].(string)); len(got) != 2 {
		t.Errorf("alarms of the third conversation: %v", got)
	}
	first := admin.expect(200, "GET", "/v1/alarms?limit=3", "")
	if len(first["items"].([]any)) != 3 || first["next"] == nil {
		t.Fatalf("first page %v", first)
	}
	rest := admin.expect(200, "GET", "/v1/alarms?limit=3&after="+first["next"].(string), "")
	if len(rest["items"].([]any)) != 2 || rest["next"] != nil {
		t.Errorf("second page %v", rest)
	}
	// Processing: named alarms, then all the rest.
	one := got[0].(map[string]any)["id"].(string)
	admin.expect(404, "POST", "/v1/alarms/processed", fmt.Sprintf(`{"alarm_ids":[%q]}`, uuid.NewString()))
	marked := admin.expect(200, "POST", "/v1/alarms/processed", fmt.Sprintf(`{"alarm_ids":[%q,%q]}`, one, one))
	if marked["processed"] != float64(1) {
		t.Errorf("marking one: %v", marked)
	}
	if got := alarms("?processed=true&min_position=" + marked["position"].(string)); len(got) != 1 ||
		got[0].(map[string]any)["id"] != one || got[0].(map[string]any)["processed_by"] == nil {
		t.Errorf("processed alarms %v", got)
	}
	all := admin.expect(200, "POST", "/v1/alarms/processed", `{"all":true}`)
	if all["processed"] != float64(4) {
		t.Errorf("marking all: %v", all)
	}
	if got := alarms("?processed=false&min_position=" + all["position"].(string)); len(got) != 0 {
		t.Errorf("unprocessed after marking all: %v", got)
	}
	if again := admin.expect(200, "POST", "/v1/alarms/processed", `{"all":true}`); again["processed"] != float64(0) {
		t.Errorf("marking all again: %v", again)
	}
	agent.expect(403, "POST", "/v1/alarms/processed", `{"all":true}`)
	admin.expect(422, "GET", "/v1/alarms?since=yesterday", "")
	admin.expect(422, "GET", "/v1/alarms?min_level=9", "")
	agent.expect(403, "GET", "/v1/alarms", "")
}
