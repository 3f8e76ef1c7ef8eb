package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestDefaultSetUp: a new tenant serves its first conversation with no
// set-up. Its admin is in the default team "Support", the default time plan
// works all day, and the default routing binding sends what no rule matches
// to that team: a customer's start reaches the online admin. A creation
// retried with its Idempotency-Key answers the same and sets up nothing
// twice.
func TestDefaultSetUp(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	id := uuid.Must(uuid.NewV7()).String()
	body := fmt.Sprintf(`{"tenant_id":%q,"name":"Acme","time_zone":"Asia/Tokyo","admin":{"email":"boss@acme.example","nickname":"Boss","password":"correct-horse"}}`, id)
	created := op.as("").expect(201, "POST", "/v1/tenants", body, "Idempotency-Key", "create-acme")
	if again := op.as("").expect(201, "POST", "/v1/tenants", body, "Idempotency-Key", "create-acme"); fmt.Sprint(again) != fmt.Sprint(created) {
		t.Errorf("retried creation answered %v, first %v", again, created)
	}
	s := op.as("none").expect(201, "POST", "/v1/sessions", fmt.Sprintf(`{"tenant_id":%q,"email":"boss@acme.example","password":"correct-horse"}`, id))
	admin := op.as(s["token"].(string))
	me := admin.expect(200, "GET", "/v1/me"+at(created), "")

	teams := admin.expect(200, "GET", "/v1/teams"+at(created), "")["items"].([]any)
	if len(teams) != 1 || teams[0].(map[string]any)["name"] != "Support" {
		t.Fatalf("teams of a new tenant: %v", teams)
	}
	team := teams[0].(map[string]any)["team_id"].(string)
	members := admin.expect(200, "GET", "/v1/teams/"+team+"/members", "")["items"].([]any)
	if len(members) != 1 || members[0].(map[string]any)["agent_id"] != me["agent_id"] {
		t.Errorf("members of the default team: %v", members)
	}
	plans := admin.expect(200, "GET", "/v1/time-plans", "")["items"].([]any)
	if len(plans) != 1 || plans[0].(map[string]any)["name"] != "All day" || plans[0].(map[string]any)["is_default"] != true {
		t.Errorf("time plans of a new tenant: %v", plans)
	}
	// Every hour of every day is working time, Sunday midnight included.
	plan := plans[0].(map[string]any)["plan_id"].(string)
	for _, when := range []string{"2026-12-06T00:00:00%2B09:00", "2026-12-06T23:59:59%2B09:00", "2026-12-09T12:00:00Z"} {
		if w := admin.expect(200, "GET", "/v1/time-plans/"+plan+"/working-time?at="+when, ""); w["working"] != true {
			t.Errorf("working time at %s: %v", when, w)
		}
	}
	rules := admin.expect(200, "GET", "/v1/routing-rules", "")["items"].([]any)
	if len(rules) != 1 {
		t.Fatalf("routing of a new tenant: %v", rules)
	}
	if r := rules[0].(map[string]any); r["binding"] != "default" || r["target"].(map[string]any)["id"] != team {
		t.Errorf("the default binding: %v", r)
	}

	// The first customer reaches the admin.
	online := admin.expect(200, "PUT", "/v1/me/status", `{"status":"online"}`)
	key := admin.expect(201, "POST", "/v1/channel-keys", `{"channel":"web","name":"Website"}`)
	admin.expect(200, "GET", "/v1/channel-keys"+at(key), "")
	admin.expect(200, "GET", "/v1/me"+at(online), "")
	start := op.as("none").expect(201, "POST", "/v1/channel/conversations", `{"external_id":"visitor-1","customer_name":"Lu"}`,
		"X-Channel-Key", key["key"].(string))
	conv := start["conversation_id"].(string)
	deadline := time.Now().Add(20 * time.Second)
	for {
		c := admin.expect(200, "GET", "/v1/conversations/"+conv+at(start), "")["conversation"].(map[string]any)
		if c["status"] == "serving" && c["agent_id"] == me["agent_id"] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the first conversation was not given to the admin: %v", c)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
