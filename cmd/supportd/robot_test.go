package main

import (
	"fmt"
	"testing"

	"github.com/google/uuid"
)

// TestBotFirstOverHTTP: with "Prioritize Bot Reception" on, new
// conversations start with the tenant's robot whatever the rules say, and
// the customer's request for an agent queues them for the robot settings'
// team, else for the team of the rule that matched.
func TestBotFirstOverHTTP(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	_, admin := newTenant(t, op)
	support := admin.expect(201, "POST", "/v1/teams", `{"name":"Support"}`)["team_id"].(string)
	created := admin.expect(201, "POST", "/v1/teams", `{"name":"Sales"}`)
	sales := created["team_id"].(string)
	admin.expect(200, "GET", "/v1/teams"+at(created), "")
	admin.expect(201, "POST", "/v1/routing-rules", fmt.Sprintf(`{"binding":"channel","channels":["web"],"enabled":true,
		"target":{"kind":"team","id":%q}}`, support))
	robot := uuid.NewString()
	set := func(key, value string) map[string]any {
		t.Helper()
		return admin.expect(200, "PUT", "/v1/tenant/settings/"+key, `{"value":`+value+`}`)
	}
	admin.expect(422, "PUT", "/v1/tenant/settings/robot.robot_id", `{"value":"the bot"}`)
	set("robot.robot_id", fmt.Sprintf("%q", robot))
	set("robot.bot_first", `true`)
	key := admin.expect(201, "POST", "/v1/channel-keys", `{"channel":"web","name":"site"}`)
	admin.expect(200, "GET", "/v1/channel-keys"+at(key), "")
	ch := func(status int, method, path, body string) map[string]any {
		t.Helper()
		return admin.as("none").expect(status, method, path, body, "X-Channel-Key", key["key"].(string))
	}
	start := func() (string, map[string]any) {
		t.Helper()
		res := ch(201, "POST", "/v1/channel/conversations", fmt.Sprintf(`{"customer_id":%q}`, uuid.NewString()))
		return res["conversation_id"].(string), res
	}
	queuedFor := func(res map[string]any, conv string) any {
		t.Helper()
		for _, e := range admin.expect(200, "GET", "/v1/queue"+at(res), "")["items"].([]any) {
			if e := e.(map[string]any); e["conversation_id"] == conv {
				return e["team_id"]
			}
		}
		return nil
	}

	// The robot receives; asking for an agent goes to the next rule's team.
	hosted, started := start()
	if s := ch(200, "GET", "/v1/channel/conversations/"+hosted+"/messages"+at(started), "")["status"]; s != "open" {
		t.Errorf("robot-hosted conversation is %v", s)
	}
	if team := queuedFor(ch(200, "POST", "/v1/channel/conversations/"+hosted+"/agent-request", ""), hosted); team != support {
		t.Errorf("handed over to %v, want the rule's team %s", team, support)
	}
	// The robot settings' team takes precedence.
	set("robot.agent_team_id", fmt.Sprintf("%q", sales))
	toSales, _ := start()
	if team := queuedFor(ch(200, "POST", "/v1/channel/conversations/"+toSales+"/agent-request", ""), toSales); team != sales {
		t.Errorf("handed over to %v, want the robot's team %s", team, sales)
	}
	// Switched off, the rule's team receives at once.
	set("robot.bot_first", `false`)
	direct := ch(201, "POST", "/v1/channel/conversations", fmt.Sprintf(`{"customer_id":%q}`, uuid.NewString()))
	if team := queuedFor(direct, direct["conversation_id"].(string)); team != support {
		t.Errorf("without bot reception queued for %v, want %s", team, support)
	}
}
