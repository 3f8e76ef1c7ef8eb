package main

import (
	"fmt"
	"testing"

	"github.com/google/uuid"
)

// TestQueueListOrder: the queue lists conversations in the order the
// dispatcher takes them: VIP first, then by channel priority when the
// tenant turned it on, then the oldest.
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
	// Pages follow the same order.
	first := admin.expect(200, "GET", "/v1/queue?limit=2", "")
	rest := admin.expect(200, "GET", "/v1/queue?limit=2&after="+first["next"].(string), "")
	if items := rest["items"].([]any); len(items) != 1 || items[0].(map[string]any)["conversation_id"] != oldWeb {
		t.Errorf("second page %v", rest)
	}
}
