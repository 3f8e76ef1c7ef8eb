package main

import (
	"fmt"
	"testing"

	"github.com/google/uuid"
)

// TestQueueListOrder: the queue lists conversations in the order the
// dispatcher takes them: VIP first (the channel's flag or the customer's),
// then by channel priority when the tenant turned it on, then the oldest.
func TestQueueListOrder(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	_, admin := newTenant(t, op)
	team := admin.expect(201, "POST", "/v1/teams", `{"name":"Support"}`)["team_id"].(string)
	keys := map[string]string{}
	for _, ch := range []string{"web", "app"} {
		res := admin.expect(201, "POST", "/v1/channel-keys", fmt.Sprintf(`{"channel":%q,"name":%q}`, ch, ch))
		admin.expect(200, "GET", "/v1/channel-keys"+at(res), "")
		keys[ch] = res["key"].(string)
	}
	var last map[string]any
	start := func(ch string, vip bool) string {
		t.Helper()
		last = admin.as("none").expect(201, "POST", "/v1/channel/conversations",
			fmt.Sprintf(`{"customer_id":%q,"entry_team_id":%q,"vip":%v}`, uuid.NewString(), team, vip), "X-Channel-Key", keys[ch])
		return last["conversation_id"].(string)
	}
	oldWeb := start("web", false)
	app := start("app", false)
	vipWeb := start("web", true)
	order := func(query string) string {
		t.Helper()
		var ids []any
		for _, e := range admin.expect(200, "GET", "/v1/queue"+query, "")["items"].([]any) {
			ids = append(ids, e.(map[string]any)["conversation_id"])
		}
		return fmt.Sprint(ids)
	}
	if got, want := order(at(last)), fmt.Sprint([]any{vipWeb, oldWeb, app}); got != want {
		t.Errorf("queue %s, want VIP then the oldest %s", got, want)
	}
	set := admin.expect(200, "PUT", "/v1/tenant/settings/dispatch.channel_priority", `{"value":{"enabled":true,"order":["app","web"]}}`)
	if got, want := order(at(set)), fmt.Sprint([]any{vipWeb, app, oldWeb}); got != want {
		t.Errorf("queue %s, want VIP, then app before web %s", got, want)
	}
	// A customer marked VIP is a VIP whatever the channel says.
	regular := uuid.NewString()
	body := fmt.Sprintf(`{"customer_id":%q,"entry_team_id":%q,"profile":{"city":"Oslo"}}`, regular, team)
	first := admin.as("none").expect(201, "POST", "/v1/channel/conversations", body, "X-Channel-Key", keys["web"])
	customer := admin.expect(200, "GET", "/v1/conversations/"+first["conversation_id"].(string)+at(first), "")["conversation"].(map[string]any)["customer_id"].(string)
	admin.expect(200, "PUT", "/v1/customers/"+customer+"/vip", `{"vip":true}`)
	// (on another channel account: the first is still ongoing on its own)
	body = fmt.Sprintf(`{"customer_id":%q,"entry_team_id":%q,"profile":{"city":"Oslo"},"channel_account":"Shop"}`, regular, team)
	again := admin.as("none").expect(201, "POST", "/v1/channel/conversations", body, "X-Channel-Key", keys["web"])
	head := admin.expect(200, "GET", "/v1/queue"+at(again), "")["items"].([]any)
	if e := head[0].(map[string]any); e["conversation_id"] != vipWeb && e["conversation_id"] != again["conversation_id"] || e["vip"] != true {
		t.Errorf("queue head %v", e)
	}
	if c := admin.expect(200, "GET", "/v1/conversations/"+again["conversation_id"].(string), "")["conversation"].(map[string]any); c["vip"] != true {
		t.Errorf("a VIP customer's conversation: %v", c["vip"])
	}
	admin.expect(200, "POST", "/v1/queue/"+first["conversation_id"].(string)+"/close", "")
	closed := admin.expect(200, "POST", "/v1/queue/"+again["conversation_id"].(string)+"/close", "")
	admin.expect(200, "GET", "/v1/queue"+at(closed), "")

	// Pages follow the same order.
	page := admin.expect(200, "GET", "/v1/queue?limit=2", "")
	rest := admin.expect(200, "GET", "/v1/queue?limit=2&after="+page["next"].(string), "")
	if items := rest["items"].([]any); len(items) != 1 || items[0].(map[string]any)["conversation_id"] != oldWeb {
		t.Errorf("second page %v", rest)
	}
}
