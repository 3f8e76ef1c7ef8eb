package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"supportd/domain/webhook"
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
	robot := registerRobot(t, admin, "")
	set := func(key, value string) map[string]any {
		t.Helper()
		return admin.expect(200, "PUT", "/v1/tenant/settings/"+key, `{"value":`+value+`}`)
	}
	admin.expect(422, "PUT", "/v1/tenant/settings/robot.robot_id", `{"value":"the bot"}`)
	admin.expect(422, "PUT", "/v1/tenant/settings/robot.robot_id", fmt.Sprintf(`{"value":%q}`, uuid.NewString()))
	admin.expect(422, "PUT", "/v1/tenant/settings/robot.agent_team_id", fmt.Sprintf(`{"value":%q}`, uuid.NewString()))
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

// registerRobot registers a robot (with a webhook to url, if any) and
// waits until it is projected; it answers the robot's ID.
func registerRobot(t *testing.T, admin client, url string) string {
	t.Helper()
	r := admin.expect(201, "POST", "/v1/robots", fmt.Sprintf(`{"name":"Answer bot","webhook_url":%q}`, url))
	id := r["robot_id"].(string)
	admin.expect(200, "GET", "/v1/robots/"+id+at(r), "")
	return id
}

// TestRobotSpeaks: a registered robot hosts the conversations a rule sends
// it. It is told of each (robot_conversation) and of every customer
// message on its webhook, signed with its secret; it answers with its
// token (sender robot, as the customer sees it), hands over to the agents
// and closes. It acts only on conversations it hosts now: another robot,
// a handed-over conversation, another tenant's robot are refused, and a
// robot's token opens no other route.
func TestRobotSpeaks(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	_, admin := newTenant(t, op)
	support := admin.expect(201, "POST", "/v1/teams", `{"name":"Support"}`)["team_id"].(string)
	hook := newReceiver(t)
	reg := admin.expect(201, "POST", "/v1/robots", fmt.Sprintf(`{"name":"Answer bot","avatar_url":"https://cdn.acme.example/bot.png","webhook_url":%q}`, hook.URL))
	robotID, token, secret := reg["robot_id"].(string), reg["token"].(string), reg["secret"].(string)
	if token == "" || len(secret) < 16 {
		t.Fatalf("registration answered %v", reg)
	}
	listed := admin.expect(200, "GET", "/v1/robots"+at(reg), "")["items"].([]any)
	if len(listed) != 1 || listed[0].(map[string]any)["name"] != "Answer bot" || listed[0].(map[string]any)["token"] != nil {
		t.Errorf("robots list %v", listed)
	}
	if hooks := admin.expect(200, "GET", "/v1/webhooks", "")["items"].([]any); len(hooks) != 0 {
		t.Errorf("the robot's webhook is listed among the endpoints: %v", hooks)
	}
	other := registerRobot(t, admin, "")
	bot := op.as(token)
	if me := bot.expect(200, "GET", "/v1/robot", ""); me["robot_id"] != robotID {
		t.Errorf("the robot is %v", me)
	}
	// A robot's token opens no user or admin route.
	bot.expect(403, "GET", "/v1/queue", "")
	bot.expect(403, "GET", "/v1/robots", "")
	bot.expect(403, "GET", "/v1/me", "")
	admin.expect(403, "GET", "/v1/robot", "")

	rule := admin.expect(201, "POST", "/v1/routing-rules", fmt.Sprintf(`{"binding":"channel","channels":["web"],"enabled":true,
		"target":{"kind":"robot","id":%q}}`, robotID))
	admin.expect(404, "POST", "/v1/routing-rules", fmt.Sprintf(`{"binding":"channel","channels":["app"],"enabled":true,
		"target":{"kind":"robot","id":%q}}`, uuid.NewString()))
	admin.expect(200, "PUT", "/v1/tenant/settings/robot.agent_team_id", fmt.Sprintf(`{"value":%q}`, support))
	admin.expect(200, "GET", "/v1/routing-rules"+at(rule), "")
	key := admin.expect(201, "POST", "/v1/channel-keys", `{"channel":"web","name":"site"}`)
	admin.expect(200, "GET", "/v1/channel-keys"+at(key), "")
	ch := func(status int, method, path, body string) map[string]any {
		t.Helper()
		return admin.as("none").expect(status, method, path, body, "X-Channel-Key", key["key"].(string))
	}
	start := func() string {
		t.Helper()
		return ch(201, "POST", "/v1/channel/conversations", fmt.Sprintf(`{"customer_id":%q,"customer_name":"Lu"}`, uuid.NewString()))["conversation_id"].(string)
	}

	conv := start()
	ch(201, "POST", "/v1/channel/conversations/"+conv+"/messages", `{"type":"text","text":"where is my order?"}`)
	got := hook.waitFor(t, "the conversation and the customer's message", func(r []received) bool { return len(r) >= 2 })
	if got[0].Body.Type != "robot_conversation" || got[0].Body.ConversationID.String() != conv ||
		got[1].Body.Type != "message" || !strings.Contains(string(got[1].Raw), "where is my order?") {
		t.Fatalf("robot deliveries: %s", summary(got))
	}
	for _, r := range got {
		if !webhook.Verify(secret, r.Raw, r.Signature) {
			t.Errorf("delivery %s is not signed with the robot's secret", r.Delivery)
		}
	}
	sent := bot.expect(201, "POST", "/v1/robot/conversations/"+conv+"/messages", `{"type":"text","text":"Let me look, ##dear##."}`)
	var last map[string]any
	for _, m := range ch(200, "GET", "/v1/channel/conversations/"+conv+"/messages"+at(sent), "")["items"].([]any) {
		last = m.(map[string]any)
	}
	if last["sender_kind"] != "robot" || last["sender_id"] != robotID || last["text"] != "Let me look, ##dear##." {
		t.Errorf("the customer sees %v", last)
	}
	// Another robot does not reach the conversation.
	op.as(issueToken(t, admin, other)).expect(404, "POST", "/v1/robot/conversations/"+conv+"/messages", `{"type":"text","text":"me too"}`)
	// The hand-over queues it for the robot settings' team; then the robot
	// no longer reaches it, and is told nothing more of it.
	over := bot.expect(200, "POST", "/v1/robot/conversations/"+conv+"/hand-over", "")
	queued := admin.expect(200, "GET", "/v1/queue"+at(over), "")["items"].([]any)
	if len(queued) != 1 || queued[0].(map[string]any)["team_id"] != support {
		t.Errorf("after the hand-over the queue holds %v", queued)
	}
	bot.expect(404, "POST", "/v1/robot/conversations/"+conv+"/messages", `{"type":"text","text":"still here"}`)
	bot.expect(404, "POST", "/v1/robot/conversations/"+conv+"/close", "")
	afterHandOver := ch(201, "POST", "/v1/channel/conversations/"+conv+"/messages", `{"type":"text","text":"for the agent"}`)

	// A second conversation the robot closes itself.
	second := start()
	closed := bot.expect(200, "POST", "/v1/robot/conversations/"+second+"/close", "")
	c := admin.expect(200, "GET", "/v1/conversations/"+second+at(closed), "")["conversation"].(map[string]any)
	if c["status"] != "closed" || c["close_reason"] != "robot" {
		t.Errorf("closed by the robot: %v", c)
	}
	got = hook.waitFor(t, "the second conversation and its close", func(r []received) bool { return len(r) >= 4 })
	if len(got) != 4 || got[2].Body.Type != "robot_conversation" || got[3].Body.Type != "conversation_closed" {
		t.Errorf("robot deliveries after the hand-over: %s (the message after it, at %v, is the agents')", summary(got), afterHandOver["position"])
	}
	// A new token replaces the old one; a removed robot's token stops.
	fresh := issueToken(t, admin, robotID)
	bot.expect(401, "GET", "/v1/robot", "")
	op.as(fresh).expect(200, "GET", "/v1/robot", "")
	removed := admin.expect(200, "DELETE", "/v1/robots/"+robotID, "")
	admin.expect(404, "GET", "/v1/robots/"+robotID+at(removed), "")
	op.as(fresh).expect(401, "GET", "/v1/robot", "")
}

// issueToken gives a robot a new token and waits until it works.
func issueToken(t *testing.T, admin client, robotID string) string {
	t.Helper()
	res := admin.expect(200, "POST", "/v1/robots/"+robotID+"/token", "")
	admin.expect(200, "GET", "/v1/robots/"+robotID+at(res), "")
	return res["token"].(string)
}
