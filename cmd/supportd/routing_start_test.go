package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"supportd/commands"
	"supportd/eventschema"
	"supportd/eventstore"
	"supportd/eventstore/postgres"
	"supportd/eventstore/postgres/pgtest"
)

// TestRoutingAtStartOverHTTP starts conversations against the tenant's
// routing rules on a real database: a channel rule's team, the non-work
// branch of a split rule outside a plan's hours, the default team with an
// alarm for what no rule matches, a robot that hands over when the customer
// asks for an agent; then the welcome message, the greetings with ##dear##
// replaced, the closing notice and the automatic rating invitation.
func TestRoutingAtStartOverHTTP(t *testing.T) {
	t.Parallel()
	base, dbURL := startServerDB(t, "postgres", "")
	op := client{t: t, base: base}
	tenant, admin := newTenant(t, op)
	annID, ann := teamUser(t, admin, tenant, "ann@acme.example", "Ann", "agent")

	newTeam := func(body string) string {
		t.Helper()
		return admin.expect(201, "POST", "/v1/teams", body)["team_id"].(string)
	}
	support := newTeam(`{"name":"Support","greeting":"Welcome to Support, ##dear##."}`)
	night := newTeam(`{"name":"Night"}`)
	day := newTeam(`{"name":"Day"}`)
	front := newTeam(`{"name":"Front desk"}`)
	members := admin.expect(200, "PUT", "/v1/teams/"+support+"/members", fmt.Sprintf(`{"add":[%q]}`, annID))
	admin.expect(200, "GET", "/v1/teams/"+support+"/members"+at(members), "")
	profile := admin.expect(200, "PUT", "/v1/agents/"+annID+"/profile", `{"nickname":"Ann","greeting":"##dear##, I'm Ann. How can I help?"}`)
	admin.expect(200, "GET", "/v1/agents/"+annID+at(profile), "")
	// A plan with no working hours at all: now is always outside them.
	never := admin.expect(201, "POST", "/v1/time-plans", `{"name":"Never","schedule":{"weekly":{}}}`)
	admin.expect(200, "GET", "/v1/time-plans/"+never["plan_id"].(string)+at(never), "")
	robot := registerRobot(t, admin, "")

	admin.expect(201, "POST", "/v1/routing-rules", fmt.Sprintf(`{"binding":"channel","channels":["web"],"enabled":true,
		"target":{"kind":"team","id":%q}}`, support))
	admin.expect(201, "POST", "/v1/routing-rules", fmt.Sprintf(`{"binding":"channel","channels":["app"],"enabled":true,
		"hours":"work_split","plan_id":%q,"target":{"kind":"team","id":%q},"non_work_target":{"kind":"team","id":%q}}`,
		never["plan_id"], day, night))
	admin.expect(201, "POST", "/v1/routing-rules", fmt.Sprintf(`{"binding":"channel","channels":["line"],"enabled":true,
		"target":{"kind":"robot","id":%q}}`, robot))
	admin.expect(201, "POST", "/v1/routing-rules", fmt.Sprintf(`{"binding":"channel_account","channel_accounts":["bot-desk"],"enabled":true,
		"target":{"kind":"team","id":%q}}`, front))
	admin.expect(422, "PUT", "/v1/tenant/settings/routing.default_team_id", `{"value":"front desk"}`)
	for key, value := range map[string]string{
		"routing.default_team_id":               fmt.Sprintf("%q", front),
		"welcome.enabled":                       `true`,
		"welcome.message":                       `"Hello! An agent will be with you shortly."`,
		"conversation.notify_on_manual_close":   `true`,
		"rating.auto_invite":                    `{"web":true}`,
		"greetings.default_address":             `"Dear customer"`,
		"alerts.unmatched_routing_rule":         `true`,
		"conversation.closing_message":          `"Thanks for chatting with us."`,
		"rating.skip_single_message":            `true`,
		"rating.skip_when_auto_closed":          `false`,
		"queue.allow_manual_join":               `true`,
		"transfer.skip_greetings":               `true`,
		"conversation.recall_window_seconds":    `120`,
		"conversation.inactivity_close_hours":   `24`,
		"conversation.inactivity_close_enabled": `true`,
	} {
		admin.expect(200, "PUT", "/v1/tenant/settings/"+key, `{"value":`+value+`}`)
	}

	channel := func(ch string) func(status int, method, path, body string) map[string]any {
		res := admin.expect(201, "POST", "/v1/channel-keys", fmt.Sprintf(`{"channel":%q,"name":%q}`, ch, ch))
		admin.expect(200, "GET", "/v1/channel-keys"+at(res), "")
		key := res["key"].(string)
		return func(status int, method, path, body string) map[string]any {
			t.Helper()
			return admin.as("none").expect(status, method, path, body, "X-Channel-Key", key)
		}
	}
	web, app, line := channel("web"), channel("app"), channel("line")
	start := func(ch func(int, string, string, string) map[string]any, body string) (string, map[string]any) {
		t.Helper()
		res := ch(201, "POST", "/v1/channel/conversations", body)
		return res["conversation_id"].(string), res
	}

	ctx := context.Background()
	pool := pgtest.Pool(t, dbURL)
	store := postgres.New(pool)
	reg := eventschema.Catalog()
	events := func(id string) []any {
		t.Helper()
		env, err := store.ReadStream(ctx, objectStream("conversation", tenant, id), eventstore.Forwards, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]any, len(env))
		for i, e := range env {
			if out[i], err = reg.Decode(e); err != nil {
				t.Fatal(err)
			}
		}
		return out
	}
	routedOf := func(id string) (eventschema.ConversationRouted, []eventschema.ConversationQueued, []eventschema.AlarmRaised) {
		t.Helper()
		var r eventschema.ConversationRouted
		var q []eventschema.ConversationQueued
		var a []eventschema.AlarmRaised
		for _, e := range events(id) {
			switch e := e.(type) {
			case eventschema.ConversationRouted:
				r = e
			case eventschema.ConversationQueued:
				q = append(q, e)
			case eventschema.AlarmRaised:
				a = append(a, e)
			}
		}
		return r, q, a
	}

	// A channel rule routes to its team; the start saves the profile and
	// the web customer is welcomed.
	customer := uuid.Must(uuid.NewV7()).String()
	webConv, webStart := start(web, fmt.Sprintf(`{"customer_id":%q,"customer_name":"Lu","profile":{"company":"Acme","city":"Berlin","age":41}}`, customer))
	if r, q, a := routedOf(webConv); r.TargetID.String() != support || r.Binding != "channel" || r.Unmatched ||
		len(q) != 1 || q[0].TeamID.String() != support || q[0].Reason != "routed" || len(a) != 0 {
		t.Errorf("web: routed %+v, queued %+v, alarms %+v", r, q, a)
	}
	seen := web(200, "GET", "/v1/channel/conversations/"+webConv+"/messages"+at(webStart), "")["items"].([]any)
	// The first message is the welcome; greetings follow if an agent has
	// already joined, which the dispatcher may do at any moment.
	if len(seen) == 0 || seen[0].(map[string]any)["notice"] != "welcome" || seen[0].(map[string]any)["sender_kind"] != "system" ||
		seen[0].(map[string]any)["text"] != "Hello! An agent will be with you shortly." {
		t.Errorf("welcome: %v", seen)
	}
	saved := admin.expect(200, "GET", "/v1/customers/"+customer+at(webStart), "")
	if p, _ := saved["profile"].(map[string]any); p["company"] != "Acme" || p["city"] != nil {
		t.Errorf("saved customer %v", saved)
	}

	// A split rule outside its plan's hours: the non-work team.
	appConv, _ := start(app, fmt.Sprintf(`{"customer_id":%q}`, uuid.Must(uuid.NewV7()).String()))
	if r, q, _ := routedOf(appConv); r.TargetID.String() != night || r.WorkTime || len(q) != 1 || q[0].TeamID.String() != night {
		t.Errorf("app: routed %+v, queued %+v", r, q)
	}

	// No rule matches e-mail: the default team, and an alarm.
	mail := channel("email")
	mailConv, _ := start(mail, fmt.Sprintf(`{"customer_id":%q,"entry":"/contact"}`, uuid.Must(uuid.NewV7()).String()))
	if r, q, a := routedOf(mailConv); !r.Unmatched || r.Binding != "default" || len(q) != 1 || q[0].TeamID.String() != front ||
		len(a) != 1 || a[0].Kind != "unmatched_routing_rule" || a[0].Level != 1 {
		t.Errorf("email: routed %+v, queued %+v, alarms %+v", r, q, a)
	}
	// An entry team takes the default's place: no alarm.
	entryConv, _ := start(mail, fmt.Sprintf(`{"customer_id":%q,"entry_team_id":%q}`, uuid.Must(uuid.NewV7()).String(), day))
	if r, q, a := routedOf(entryConv); r.ConversationID != uuid.Nil || len(q) != 1 || q[0].TeamID.String() != day || len(a) != 0 {
		t.Errorf("entry team: routed %+v, queued %+v, alarms %+v", r, q, a)
	}

	// A robot hosts LINE conversations until the customer asks for an
	// agent; then the next rule with a team takes over (the account rule).
	lineConv, lineStart := start(line, fmt.Sprintf(`{"customer_id":%q,"channel_account":"bot-desk"}`, uuid.Must(uuid.NewV7()).String()))
	if r, q, _ := routedOf(lineConv); r.TargetKind != "robot" || r.TargetID.String() != robot || len(q) != 0 {
		t.Errorf("line: routed %+v, queued %+v", r, q)
	}
	if s := line(200, "GET", "/v1/channel/conversations/"+lineConv+"/messages"+at(lineStart), "")["status"]; s != "open" {
		t.Errorf("robot-hosted status %v", s)
	}
	web(404, "POST", "/v1/channel/conversations/"+lineConv+"/agent-request", "")
	if p := web(409, "POST", "/v1/channel/conversations/"+webConv+"/agent-request", ""); p["code"] != "conversation.not_with_robot" {
		t.Errorf("agent request without a robot: %v", p)
	}
	handed := line(200, "POST", "/v1/channel/conversations/"+lineConv+"/agent-request", "")
	if _, q, _ := routedOf(lineConv); len(q) != 1 || q[0].TeamID.String() != front || q[0].Reason != "handed_over_by_robot" {
		t.Errorf("hand-over queued %+v", q)
	}
	if s := line(200, "GET", "/v1/channel/conversations/"+lineConv+"/messages"+at(handed), "")["status"]; s != "queued" {
		t.Errorf("handed-over status %v", s)
	}
	line(409, "POST", "/v1/channel/conversations/"+lineConv+"/agent-request", "")

	// serve has Ann serve a conversation: she joins it from the queue,
	// unless the dispatcher assigned it to her first (she is online and the
	// only member of Support).
	serve := func(conv string) {
		t.Helper()
		status, res := ann.do("POST", "/v1/queue/"+conv+"/join", "")
		if status != 200 && (status != 409 || res["code"] != "conversation.already_serving") {
			t.Fatalf("join %s: %d %v", conv, status, res)
		}
	}

	// Ann serves the web conversation; the greetings, as every join sends
	// them, address the customer by name.
	serve(webConv)
	cmds := commands.NewHandler(store, reg, commands.SystemClock{})
	tenantID, convID := uuid.MustParse(tenant), uuid.MustParse(webConv)
	meta := commands.Meta{Actor: eventschema.Actor{Kind: eventschema.ActorAgent, ID: annID}, CommandID: uuid.Must(uuid.NewV7())}
	// The join already greeted; greeting the same segment again sends
	// nothing (and answers where the stream stands).
	greeted, err := cmds.GreetJoined(ctx, meta, commands.Scope{TenantID: tenantID}, convID)
	if err != nil || greeted.Events != 0 {
		t.Fatalf("greet after the join: %+v, %v", greeted, err)
	}
	meta.CommandID = uuid.Must(uuid.NewV7())
	if again, err := cmds.GreetJoined(ctx, meta, commands.Scope{TenantID: tenantID}, convID); err != nil || again.Events != 0 {
		t.Errorf("greeting twice: %+v, %v", again, err)
	}
	pos := map[string]any{"position": greeted.Position.String()}
	var texts []string
	for _, m := range web(200, "GET", "/v1/channel/conversations/"+webConv+"/messages"+at(pos), "")["items"].([]any) {
		m := m.(map[string]any)
		texts = append(texts, fmt.Sprintf("%s:%s", m["notice"], m["text"]))
	}
	want := []string{"welcome:Hello! An agent will be with you shortly.", "team_greeting:Welcome to Support, Lu.",
		"agent_greeting:Lu, I'm Ann. How can I help?"}
	if fmt.Sprint(texts) != fmt.Sprint(want) {
		t.Errorf("messages %q, want %q", texts, want)
	}

	// Messages both ways; Ann closes: the closing notice, then the
	// automatic invitation of the web channel.
	web(201, "POST", "/v1/channel/conversations/"+webConv+"/messages", `{"type":"text","text":"Where is my parcel?"}`)
	ann.expect(201, "POST", "/v1/conversations/"+webConv+"/messages", `{"type":"text","text":"On its way."}`)
	closed := ann.expect(200, "POST", "/v1/conversations/"+webConv+"/close", "")
	if c := admin.expect(200, "GET", "/v1/conversations/"+webConv+at(closed), "")["conversation"].(map[string]any); c["rating_invited"] != true || c["status"] != "closed" {
		t.Errorf("closed conversation %v", c)
	}
	var tail []string
	for _, e := range events(webConv) {
		switch e := e.(type) {
		case eventschema.MessageSent:
			if e.Notice == "closing_notice" {
				tail = append(tail, "notice:"+e.Text)
			}
		case eventschema.ConversationClosed:
			tail = append(tail, "closed")
		case eventschema.RatingInvited:
			tail = append(tail, "invited:"+e.By)
		}
	}
	if fmt.Sprint(tail) != fmt.Sprint([]string{"notice:Thanks for chatting with us.", "invited:auto", "closed"}) {
		t.Errorf("close: %v", tail)
	}

	// A single message exchanged: no invitation.
	quiet, _ := start(web, fmt.Sprintf(`{"customer_id":%q}`, uuid.Must(uuid.NewV7()).String()))
	serve(quiet)
	web(201, "POST", "/v1/channel/conversations/"+quiet+"/messages", `{"type":"text","text":"Never mind."}`)
	ann.expect(200, "POST", "/v1/conversations/"+quiet+"/close", "")
	for _, e := range events(quiet) {
		if _, ok := e.(eventschema.RatingInvited); ok {
			t.Errorf("invited after a single message")
		}
	}
	for _, id := range []string{webConv, quiet} {
		env, err := store.ReadStream(ctx, objectStream("conversation", tenant, id), eventstore.Forwards, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		checkNesting(t, id, env)
	}
	// Every read model rebuilt from this log equals the live one.
	requireRebuildEqualsLive(t, ctx, pool)
}
