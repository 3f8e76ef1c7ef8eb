package main

import (
	"fmt"
	"testing"

	"github.com/google/uuid"
)

// TestUnroutedConversationIsNoDeadEnd: a conversation no rule or team
// takes waits unrouted; an admin assigns it to an agent, who serves it.
// An agent may not take it on its own: it is in none of its teams.
func TestUnroutedConversationIsNoDeadEnd(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	tenant, admin := newTenant(t, op)
	annID, ann := teamUser(t, admin, tenant, "ann@acme.example", "Ann", "agent")
	key := admin.expect(201, "POST", "/v1/channel-keys", `{"channel":"web","name":"site"}`)
	admin.expect(200, "GET", "/v1/channel-keys"+at(key), "")
	started := admin.as("none").expect(201, "POST", "/v1/channel/conversations", fmt.Sprintf(`{"customer_id":%q}`, uuid.NewString()),
		"X-Channel-Key", key["key"].(string))
	conv := started["conversation_id"].(string)
	c := admin.expect(200, "GET", "/v1/conversations/"+conv+at(started), "")["conversation"].(map[string]any)
	if c["status"] == "queued" || c["status"] == "serving" {
		t.Fatalf("the conversation was routed: %v", c)
	}
	// Outside every team, it is outside an agent's data scope.
	ann.expect(404, "POST", "/v1/queue/"+conv+"/join", "")
	assigned := admin.expect(200, "POST", "/v1/queue/"+conv+"/assign", fmt.Sprintf(`{"agent_id":%q}`, annID))
	c = admin.expect(200, "GET", "/v1/conversations/"+conv+at(assigned), "")["conversation"].(map[string]any)
	if c["status"] != "serving" || c["agent_id"] != annID {
		t.Errorf("after the admin's assignment: %v", c)
	}
	ann.expect(201, "POST", "/v1/conversations/"+conv+"/messages", `{"type":"text","text":"Hello!"}`)
}
