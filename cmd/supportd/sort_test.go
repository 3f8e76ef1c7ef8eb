package main

import (
	"fmt"
	"testing"

	"github.com/google/uuid"
)

// TestOngoingListSortByLastMessage: sorted by last message, a customer's
// message moves its conversation up; the agent's own messages do so only
// with agents.sort_by_agent_messages on.
func TestOngoingListSortByLastMessage(t *testing.T) {
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
	open := func() string {
		t.Helper()
		conv := ch(201, "POST", "/v1/channel/conversations", fmt.Sprintf(`{"customer_id":%q,"entry_team_id":%q}`, uuid.NewString(), team))["conversation_id"].(string)
		admin.expect(200, "POST", "/v1/queue/"+conv+"/assign", fmt.Sprintf(`{"agent_id":%q}`, annID))
		return conv
	}
	older, newer := open(), open()
	order := func(res map[string]any) string {
		t.Helper()
		var ids []any
		for _, c := range ann.expect(200, "GET", "/v1/conversations?sort=last_message&"+at(res)[1:], "")["items"].([]any) {
			ids = append(ids, c.(map[string]any)["conversation_id"])
		}
		return fmt.Sprint(ids)
	}
	asked := ch(201, "POST", "/v1/channel/conversations/"+older+"/messages", `{"type":"text","text":"Hello?"}`)
	if got, want := order(asked), fmt.Sprint([]any{older, newer}); got != want {
		t.Errorf("after the customer wrote: %s, want %s", got, want)
	}
	answered := ann.expect(201, "POST", "/v1/conversations/"+newer+"/messages", `{"type":"text","text":"Anything else?"}`)
	if got, want := order(answered), fmt.Sprint([]any{older, newer}); got != want {
		t.Errorf("the agent's message moved its conversation: %s, want %s", got, want)
	}
	on := admin.expect(200, "PUT", "/v1/tenant/settings/agents.sort_by_agent_messages", `{"value":true}`)
	if got, want := order(on), fmt.Sprint([]any{newer, older}); got != want {
		t.Errorf("with agent messages leading: %s, want %s", got, want)
	}
}
