package main

import (
	"fmt"
	"testing"

	"github.com/google/uuid"
)

// TestBlacklistingClosesConversations: blacklisting the customer an agent
// chats with closes the customer's ongoing conversations (reason
// blacklist) at once, or when an admin approves the agent's request.
func TestBlacklistingClosesConversations(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	tenant, admin := newTenant(t, op)
	annID, ann := teamUser(t, admin, tenant, "ann@acme.example", "Ann", "agent")
	ann.expect(200, "PUT", "/v1/me/status", `{"status":"busy"}`)
	team := admin.expect(201, "POST", "/v1/teams", `{"name":"Support"}`)["team_id"].(string)
	members := admin.expect(200, "PUT", "/v1/teams/"+team+"/members", fmt.Sprintf(`{"add":[%q]}`, annID))
	key := admin.expect(201, "POST", "/v1/channel-keys", `{"channel":"web","name":"site"}`)
	admin.expect(200, "GET", "/v1/teams/"+team+"/members"+at(members), "")
	admin.expect(200, "GET", "/v1/channel-keys"+at(key), "")
	ch := func(status int, method, path, body string) map[string]any {
		t.Helper()
		return admin.as("none").expect(status, method, path, body, "X-Channel-Key", key["key"].(string))
	}
	// Each start on its own channel account: a customer has one ongoing
	// conversation per account.
	start := func(external string) (string, map[string]any) {
		t.Helper()
		res := ch(201, "POST", "/v1/channel/conversations", fmt.Sprintf(`{"customer_id":%q,"entry_team_id":%q,"profile":{"city":"Rome"},"channel_account":%q}`,
			external, team, uuid.NewString()))
		return res["conversation_id"].(string), res
	}
	status := func(conv string, after map[string]any) (any, any) {
		t.Helper()
		c := admin.expect(200, "GET", "/v1/conversations/"+conv+at(after), "")["conversation"].(map[string]any)
		return c["status"], c["close_reason"]
	}

	// At once: both of the customer's conversations close, another's stays.
	rude := uuid.NewString()
	served, _ := start(rude)
	admin.expect(200, "POST", "/v1/queue/"+served+"/assign", fmt.Sprintf(`{"agent_id":%q}`, annID))
	waiting, _ := start(rude)
	other, started := start(uuid.NewString())
	customer := admin.expect(200, "GET", "/v1/conversations/"+served+at(started), "")["conversation"].(map[string]any)["customer_id"].(string)
	bl := ann.expect(201, "POST", "/v1/customers/"+customer+"/blacklist", `{"reason":"abusive language"}`)
	if bl["closed_conversations"] != float64(2) {
		t.Errorf("blacklisting answered %v", bl)
	}
	for _, conv := range []string{served, waiting} {
		if s, r := status(conv, bl); s != "closed" || r != "blacklist" {
			t.Errorf("conversation %s: %v (%v)", conv, s, r)
		}
	}
	if s, _ := status(other, bl); s != "queued" {
		t.Errorf("another customer's conversation is %v", s)
	}
	ch(409, "POST", "/v1/channel/conversations/"+served+"/messages", `{"type":"text","text":"still there?"}`)

	// By request: the conversation stays open until an admin approves.
	admin.expect(200, "PUT", "/v1/tenant/settings/agents.blacklist_needs_approval", `{"value":true}`)
	pending, _ := start(uuid.NewString())
	after := admin.expect(200, "POST", "/v1/queue/"+pending+"/assign", fmt.Sprintf(`{"agent_id":%q}`, annID))
	second := admin.expect(200, "GET", "/v1/conversations/"+pending+at(after), "")["conversation"].(map[string]any)["customer_id"].(string)
	rq := ann.expect(202, "POST", "/v1/customers/"+second+"/blacklist", `{"reason":"spam"}`)
	if s, _ := status(pending, rq); s != "serving" {
		t.Errorf("with a request pending the conversation is %v", s)
	}
	approved := admin.expect(200, "POST", "/v1/blacklist-requests/"+rq["request_id"].(string)+"/approve", "")
	if s, r := status(pending, approved); s != "closed" || r != "blacklist" {
		t.Errorf("after approval: %v (%v)", s, r)
	}
}
