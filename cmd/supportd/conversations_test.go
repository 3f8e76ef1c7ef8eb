package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"supportd/eventschema"
	"supportd/eventstore"
	"supportd/eventstore/postgres"
	"supportd/eventstore/postgres/pgtest"
)

// The conversation core over HTTP, on a real database: a customer starts
// through a channel key, the conversation waits for its team, an agent
// joins, messages go both ways, transfers, experts, tags, rating, close and
// notes; then the log of every conversation is checked for well-nested
// segments and queue episodes.
func TestConversationsOverHTTP(t *testing.T) {
	t.Parallel()
	base, dbURL := startServerDB(t, "postgres", "")
	op := client{t: t, base: base}
	tenant, admin := newTenant(t, op)
	annID, ann := teamUser(t, admin, tenant, "ann@acme.example", "Ann", "agent")
	bobID, bob := teamUser(t, admin, tenant, "bob@acme.example", "Bob", "agent")
	// Busy agents keep their conversations and take transfers but get no
	// auto-assignment: the queue stays for this test to drive by hand.
	ann.expect(200, "PUT", "/v1/me/status", `{"status":"busy"}`)
	bob.expect(200, "PUT", "/v1/me/status", `{"status":"busy"}`)
	_, other := newTenant(t, op)

	team := admin.expect(201, "POST", "/v1/teams", `{"name":"Support"}`)["team_id"].(string)
	members := admin.expect(200, "PUT", "/v1/teams/"+team+"/members", fmt.Sprintf(`{"add":[%q,%q]}`, annID, bobID))
	empty := admin.expect(201, "POST", "/v1/teams", `{"name":"Nobody"}`)["team_id"].(string)
	key := admin.expect(201, "POST", "/v1/channel-keys", `{"channel":"web","name":"Widget"}`)
	appKey := admin.expect(201, "POST", "/v1/channel-keys", `{"channel":"app","name":"iOS"}`)
	admin.expect(200, "GET", "/v1/channel-keys"+at(appKey), "")
	admin.expect(200, "GET", "/v1/teams/"+team+"/members"+at(members), "")
	widget := admin.as("none")
	ch := func(status int, method, path, body string) map[string]any {
		t.Helper()
		return widget.expect(status, method, path, body, "X-Channel-Key", key["key"].(string))
	}

	// A customer starts; the conversation waits for the entry team. A VIP
	// who comes later goes first.
	customer := uuid.Must(uuid.NewV7()).String()
	start := ch(201, "POST", "/v1/channel/conversations", fmt.Sprintf(
		`{"customer_id":%q,"customer_name":"Lu","entry":"/pricing","entry_team_id":%q,"channel_account":"Main site","profile":{"city":"Berlin"}}`, customer, team))
	conv := start["conversation_id"].(string)
	if start["events"] != float64(2) {
		t.Errorf("start: %v", start)
	}
	vip := ch(201, "POST", "/v1/channel/conversations", fmt.Sprintf(`{"customer_id":%q,"vip":true,"entry_team_id":%q}`, uuid.Must(uuid.NewV7()).String(), team))
	queue := ann.expect(200, "GET", "/v1/queue"+at(vip), "")["items"].([]any)
	if len(queue) != 2 || queue[0].(map[string]any)["conversation_id"] != vip["conversation_id"] ||
		queue[1].(map[string]any)["conversation_id"] != conv || queue[1].(map[string]any)["channel"] != "web" ||
		queue[1].(map[string]any)["team_id"] != team {
		t.Fatalf("queue %v", queue)
	}

	// Agents may not use the admins' queue endpoints, nor whisper.
	ann.expect(403, "POST", "/v1/queue/"+conv+"/assign", fmt.Sprintf(`{"agent_id":%q}`, annID))
	ann.expect(403, "POST", "/v1/queue/"+conv+"/close", "")
	ann.expect(403, "POST", "/v1/conversations/"+conv+"/whisper", `{"text":"x"}`)
	// Another tenant sees nothing of it.
	other.expect(404, "GET", "/v1/conversations/"+conv, "")
	other.expect(404, "POST", "/v1/queue/"+conv+"/join", "")
	other.expect(404, "POST", "/v1/conversations/"+conv+"/close", "")
	// Another channel's key does not reach it either.
	widget.expect(404, "GET", "/v1/channel/conversations/"+conv+"/messages", "", "X-Channel-Key", appKey["key"].(string))

	// The admin closes the VIP conversation from the queue; Ann joins hers.
	admin.expect(200, "POST", "/v1/queue/"+vip["conversation_id"].(string)+"/close", "")
	join := ann.expect(200, "POST", "/v1/queue/"+conv+"/join", "")
	ann.expect(409, "POST", "/v1/queue/"+conv+"/join", "")
	if q := ann.expect(200, "GET", "/v1/queue"+at(join), "")["items"].([]any); len(q) != 0 {
		t.Errorf("queue after join %v", q)
	}

	// Messages both ways; the agent's list counts the customer's unread
	// ones until the agent answers.
	asked := ch(201, "POST", "/v1/channel/conversations/"+conv+"/messages", `{"type":"text","text":"Where is my order?"}`)
	mine := ann.expect(200, "GET", "/v1/conversations"+at(asked), "")["items"].([]any)
	if len(mine) != 1 || mine[0].(map[string]any)["unread"] != float64(1) || mine[0].(map[string]any)["last_message_text"] != "Where is my order?" {
		t.Fatalf("ongoing %v", mine)
	}
	answer := ann.expect(201, "POST", "/v1/conversations/"+conv+"/messages", `{"type":"text","text":"Let me check."}`)
	mine = ann.expect(200, "GET", "/v1/conversations"+at(answer), "")["items"].([]any)
	if mine[0].(map[string]any)["unread"] != float64(0) {
		t.Errorf("unread after answering %v", mine)
	}
	if bobList := bob.expect(200, "GET", "/v1/conversations"+at(answer), "")["items"].([]any); len(bobList) != 0 {
		t.Errorf("Bob lists Ann's conversation: %v", bobList)
	}
	if all := admin.expect(200, "GET", "/v1/conversations"+at(answer)+"&team_id="+team, "")["items"].([]any); len(all) != 1 {
		t.Errorf("admin's ongoing list %v", all)
	}
	ann.expect(422, "POST", "/v1/conversations/"+conv+"/messages", `{"type":"image","file":{"url":"https://files.example/a.png","size":10485761}}`)
	ann.expect(201, "POST", "/v1/conversations/"+conv+"/messages", `{"type":"image","file":{"url":"https://files.example/a.png","mime":"image/png","size":10485760}}`)
	ann.expect(201, "POST", "/v1/conversations/"+conv+"/messages", `{"type":"location","location":{"latitude":52.5,"longitude":13.4,"label":"Shop"}}`)
	if p := bob.expect(403, "POST", "/v1/conversations/"+conv+"/messages", `{"type":"text","text":"hi"}`); p["code"] != "message.not_participant" {
		t.Errorf("Bob writes: %v", p)
	}
	oops := ann.expect(201, "POST", "/v1/conversations/"+conv+"/messages", `{"type":"text","text":"wrong chat"}`)
	bob.expect(403, "POST", "/v1/conversations/"+conv+"/messages/"+oops["message_id"].(string)+"/recall", "")
	recalled := ann.expect(200, "POST", "/v1/conversations/"+conv+"/messages/"+oops["message_id"].(string)+"/recall", "")
	whisper := admin.expect(200, "POST", "/v1/conversations/"+conv+"/whisper", `{"text":"Offer the voucher."}`)
	seen := ch(200, "GET", "/v1/channel/conversations/"+conv+"/messages"+at(whisper), "")["items"].([]any)
	for _, m := range seen {
		m := m.(map[string]any)
		if m["whisper"] == true || m["text"] == "Offer the voucher." {
			t.Errorf("the customer sees a whisper: %v", m)
		}
		if m["message_id"] == oops["message_id"] && (m["recalled"] != true || m["text"] != "") {
			t.Errorf("recalled message shown to the customer: %v", m)
		}
	}
	if len(seen) != 5 {
		t.Errorf("customer sees %d messages, want 5", len(seen))
	}
	detail := ann.expect(200, "GET", "/v1/conversations/"+conv+at(recalled), "")
	whispers := 0
	for _, m := range detail["messages"].([]any) {
		m := m.(map[string]any)
		if m["whisper"] == true {
			whispers++
		}
		if m["message_id"] == oops["message_id"] && (m["recalled"] != true || m["text"] != "") {
			t.Errorf("the conversation's detail shows a recalled message: %v", m)
		}
	}
	if whispers != 1 {
		t.Errorf("the agent sees %d whispers, want 1", whispers)
	}

	// Transfer without confirmation: Bob serves at once.
	// The customer is told (transfer.notify_customer is on by default).
	admin.expect(200, "PUT", "/v1/tenant/settings/transfer.notice_message", `{"value":"Bob takes over."}`)
	moved := ann.expect(200, "POST", "/v1/conversations/"+conv+"/transfer", fmt.Sprintf(`{"to_kind":"agent","to_id":%q,"reason":"billing"}`, bobID))
	if moved["events"] != float64(4) {
		t.Errorf("transfer %v", moved)
	}
	notices := func(res map[string]any) (texts []any) {
		t.Helper()
		for _, m := range ch(200, "GET", "/v1/channel/conversations/"+conv+"/messages"+at(res), "")["items"].([]any) {
			if m := m.(map[string]any); m["notice"] == "transfer_notice" {
				texts = append(texts, m["text"])
			}
		}
		return texts
	}
	if n := notices(moved); fmt.Sprint(n) != "[Bob takes over.]" {
		t.Errorf("transfer notices the customer sees: %v", n)
	}
	servedBy := func(res map[string]any) any {
		t.Helper()
		return admin.expect(200, "GET", "/v1/conversations/"+conv+at(res), "")["conversation"].(map[string]any)["agent_id"]
	}
	if a := servedBy(moved); a != bobID {
		t.Errorf("served by %v after the transfer, want Bob", a)
	}
	ann.expect(403, "POST", "/v1/conversations/"+conv+"/transfer", fmt.Sprintf(`{"to_kind":"agent","to_id":%q}`, annID))
	if p := bob.expect(409, "POST", "/v1/conversations/"+conv+"/transfer", fmt.Sprintf(`{"to_kind":"team","to_id":%q}`, empty)); p["code"] != "transfer.team_empty" {
		t.Errorf("to an empty team: %v", p)
	}

	// With confirmation: rejected, it stays; accepted, it moves (silently:
	// the tenant turns the notice off).
	admin.expect(200, "PUT", "/v1/tenant/settings/transfer.require_confirmation", `{"value":true}`)
	admin.expect(200, "PUT", "/v1/tenant/settings/transfer.notify_customer", `{"value":false}`)
	asking := bob.expect(200, "POST", "/v1/conversations/"+conv+"/transfer", fmt.Sprintf(`{"to_kind":"agent","to_id":%q}`, annID))
	if asking["events"] != float64(1) {
		t.Errorf("transfer request %v", asking)
	}
	if p := bob.expect(409, "POST", "/v1/conversations/"+conv+"/transfer", fmt.Sprintf(`{"to_kind":"agent","to_id":%q}`, annID)); p["code"] != "transfer.pending" {
		t.Errorf("second request: %v", p)
	}
	bob.expect(403, "POST", "/v1/conversations/"+conv+"/transfer/accept", "")
	rejected := ann.expect(200, "POST", "/v1/conversations/"+conv+"/transfer/reject", "")
	if a := servedBy(rejected); a != bobID {
		t.Errorf("served by %v after a rejection, want Bob", a)
	}
	bob.expect(200, "POST", "/v1/conversations/"+conv+"/transfer", fmt.Sprintf(`{"to_kind":"agent","to_id":%q}`, annID))
	accepted := ann.expect(200, "POST", "/v1/conversations/"+conv+"/transfer/accept", "")
	if a := servedBy(accepted); a != annID {
		t.Errorf("served by %v after acceptance, want Ann", a)
	}
	records := admin.expect(200, "GET", "/v1/conversations/"+conv+at(accepted), "")["transfers"].([]any)
	var statuses []any
	for _, r := range records {
		statuses = append(statuses, r.(map[string]any)["status"])
	}
	if fmt.Sprint(statuses) != "[transferred rejected transferred]" {
		t.Errorf("transfer records %v", statuses)
	}
	if n := notices(accepted); len(n) != 1 {
		t.Errorf("transfer notices after a silent transfer: %v", n)
	}

	// Experts write without serving. With the switch on, the customer is
	// told of each coming and going; with it off (the default), not.
	expertNotices := func(res map[string]any) (kinds []any) {
		t.Helper()
		for _, m := range ch(200, "GET", "/v1/channel/conversations/"+conv+"/messages"+at(res), "")["items"].([]any) {
			if m := m.(map[string]any); m["notice"] == "expert_invited" || m["notice"] == "expert_removed" {
				kinds = append(kinds, m["notice"])
			}
		}
		return kinds
	}
	quiet := ann.expect(200, "POST", "/v1/conversations/"+conv+"/experts", fmt.Sprintf(`{"agent_id":%q}`, bobID))
	if n := expertNotices(quiet); len(n) != 0 {
		t.Errorf("expert notices with the switch off: %v", n)
	}
	ann.expect(200, "DELETE", "/v1/conversations/"+conv+"/experts/"+bobID, "")
	admin.expect(200, "PUT", "/v1/tenant/settings/conversation.notify_experts", `{"value":true}`)
	ann.expect(200, "POST", "/v1/conversations/"+conv+"/experts", fmt.Sprintf(`{"agent_id":%q}`, bobID))
	bob.expect(201, "POST", "/v1/conversations/"+conv+"/messages", `{"type":"text","text":"Expert here."}`)
	gone := ann.expect(200, "DELETE", "/v1/conversations/"+conv+"/experts/"+bobID, "")
	bob.expect(403, "POST", "/v1/conversations/"+conv+"/messages", `{"type":"text","text":"still here?"}`)
	if n := expertNotices(gone); fmt.Sprint(n) != "[expert_invited expert_removed]" {
		t.Errorf("expert notices with the switch on: %v", n)
	}

	// Force tag, rating invitation once, close.
	admin.expect(200, "PUT", "/v1/tenant/settings/conversation.force_tag", `{"value":true}`)
	if p := ann.expect(409, "POST", "/v1/conversations/"+conv+"/close", ""); p["code"] != "close.tag_required" {
		t.Errorf("close untagged: %v", p)
	}
	// Only enabled tags of the tenant's tree are added.
	tag := admin.expect(201, "POST", "/v1/conversation-tags", `{"name":"Order status"}`)["id"].(string)
	later := admin.expect(201, "POST", "/v1/conversation-tags", `{"name":"Delivery"}`)["id"].(string)
	retired := admin.expect(201, "POST", "/v1/conversation-tags", `{"name":"Old"}`)["id"].(string)
	admin.expect(200, "PATCH", "/v1/conversation-tags/"+retired, `{"enabled":false}`)
	if p := ann.expect(422, "POST", "/v1/conversations/"+conv+"/tags", fmt.Sprintf(`{"tag_ids":[%q]}`, uuid.NewString())); p["code"] != "tag.unknown" {
		t.Errorf("unknown tag: %v", p)
	}
	if p := ann.expect(422, "POST", "/v1/conversations/"+conv+"/tags", fmt.Sprintf(`{"tag_ids":[%q,%q]}`, tag, retired)); p["code"] != "tag.disabled" {
		t.Errorf("disabled tag: %v", p)
	}
	ann.expect(200, "POST", "/v1/conversations/"+conv+"/tags", fmt.Sprintf(`{"tag_ids":[%q],"remark":"order status"}`, tag))
	ann.expect(200, "POST", "/v1/conversations/"+conv+"/rating-invitation", "")
	ann.expect(409, "POST", "/v1/conversations/"+conv+"/rating-invitation", "")
	closed := ann.expect(200, "POST", "/v1/conversations/"+conv+"/close", "")
	ch(409, "POST", "/v1/channel/conversations/"+conv+"/messages", `{"type":"text","text":"one more thing"}`)
	// Tags still change after the close; the first rating counts.
	ann.expect(200, "POST", "/v1/conversations/"+conv+"/tags", fmt.Sprintf(`{"tag_ids":[%q]}`, later))
	admin.expect(200, "PUT", "/v1/tenant/settings/rating.accept", `{"value":"first"}`)
	ch(422, "POST", "/v1/channel/conversations/"+conv+"/rating", `{"stars":6}`)
	rated := ch(200, "POST", "/v1/channel/conversations/"+conv+"/rating", `{"stars":5,"labels":["fast"],"remark":"Thanks","resolved":true}`)
	if p := ch(409, "POST", "/v1/channel/conversations/"+conv+"/rating", `{"stars":1}`); p["code"] != "rating.already_rated" {
		t.Errorf("second rating: %v", p)
	}
	final := admin.expect(200, "GET", "/v1/conversations/"+conv+at(rated), "")["conversation"].(map[string]any)
	if final["status"] != "closed" || final["rating_stars"] != float64(5) || len(final["tag_ids"].([]any)) != 2 || final["close_reason"] != "agent" {
		t.Errorf("closed conversation %v", final)
	}
	if mine := ann.expect(200, "GET", "/v1/conversations"+at(closed), "")["items"].([]any); len(mine) != 0 {
		t.Errorf("closed conversation still ongoing: %v", mine)
	}

	// A note instead of waiting closes the queued conversation.
	waiting := ch(201, "POST", "/v1/channel/conversations", fmt.Sprintf(`{"customer_id":%q,"entry_team_id":%q}`, customer, team))
	noteConv := waiting["conversation_id"].(string)
	ch(422, "POST", "/v1/channel/conversations/"+noteConv+"/note", `{"text":""}`)
	note := ch(201, "POST", "/v1/channel/conversations/"+noteConv+"/note", `{"text":"Please call me back.","contact":"+49 30 1234"}`)
	if ch(200, "GET", "/v1/channel/conversations/"+noteConv+"/messages"+at(note), "")["status"] != "closed" {
		t.Errorf("the note did not close the conversation")
	}
	if q := admin.expect(200, "GET", "/v1/queue"+at(note), "")["items"].([]any); len(q) != 0 {
		t.Errorf("queue after the note %v", q)
	}
	// The customer ends a chat an agent serves.
	third := ch(201, "POST", "/v1/channel/conversations", fmt.Sprintf(`{"customer_id":%q,"entry_team_id":%q}`, customer, team))
	assign := admin.expect(200, "POST", "/v1/queue/"+third["conversation_id"].(string)+"/assign", fmt.Sprintf(`{"agent_id":%q}`, bobID))
	if a := admin.expect(200, "GET", "/v1/conversations/"+third["conversation_id"].(string)+at(assign), "")["conversation"].(map[string]any)["agent_id"]; a != bobID {
		t.Errorf("assigned to %v, want Bob", a)
	}
	ch(201, "POST", "/v1/channel/conversations/"+third["conversation_id"].(string)+"/messages", `{"type":"emoji","text":"👋"}`)
	ch(200, "POST", "/v1/channel/conversations/"+third["conversation_id"].(string)+"/close", "")

	// The log: segments and episodes well nested in every conversation.
	ctx := context.Background()
	pool := pgtest.Pool(t, dbURL)
	store := postgres.New(pool)
	for _, id := range []string{conv, vip["conversation_id"].(string), noteConv, third["conversation_id"].(string)} {
		events, err := store.ReadStream(ctx, objectStream("conversation", tenant, id), eventstore.Forwards, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		checkNesting(t, id, events)
	}
	// Every read model rebuilt from this log equals the live one.
	requireRebuildEqualsLive(t, ctx, pool)
}

// checkNesting folds a conversation's events and asserts what the reports
// rely on: at most one segment open, every AgentLeft closing the open one;
// every queue episode ending exactly once (by the AgentJoined naming it or
// by ConversationLeftQueue); every message carrying the open segment;
// nothing open at the close and nothing but tags and ratings after it.
func checkNesting(t *testing.T, id string, events []eventschema.Envelope) {
	t.Helper()
	reg := eventschema.Catalog()
	var segment, episode uuid.UUID
	ended := map[uuid.UUID]bool{}
	closed := false
	fail := func(e eventschema.Envelope, format string, args ...any) {
		t.Helper()
		t.Errorf("conversation %s, event %d %s: %s", id, e.StreamVersion, e.Type, fmt.Sprintf(format, args...))
	}
	for _, e := range events {
		p, err := reg.Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		if closed {
			switch p.(type) {
			case eventschema.ConversationTagged, eventschema.ConversationUntagged, eventschema.ConversationRated:
			default:
				fail(e, "after the close")
			}
		}
		switch ev := p.(type) {
		case eventschema.ConversationQueued:
			if episode != uuid.Nil || segment != uuid.Nil {
				fail(e, "queued while queued or served")
			}
			episode = ev.EpisodeID
		case eventschema.ConversationLeftQueue:
			if ev.EpisodeID != episode || ended[episode] {
				fail(e, "ends episode %s, open is %s", ev.EpisodeID, episode)
			}
			ended[episode], episode = true, uuid.Nil
		case eventschema.AgentJoined:
			if segment != uuid.Nil {
				fail(e, "joins while segment %s is open", segment)
			}
			if ev.EpisodeID != episode {
				fail(e, "names episode %s, open is %s", ev.EpisodeID, episode)
			}
			if episode != uuid.Nil {
				ended[episode], episode = true, uuid.Nil
			}
			segment = ev.SegmentID
		case eventschema.AgentLeft:
			if ev.SegmentID != segment || segment == uuid.Nil {
				fail(e, "closes segment %s, open is %s", ev.SegmentID, segment)
			}
			segment = uuid.Nil
		case eventschema.MessageSent:
			if ev.SegmentID != segment {
				fail(e, "message in segment %s, open is %s", ev.SegmentID, segment)
			}
		case eventschema.ConversationClosed:
			if segment != uuid.Nil || episode != uuid.Nil {
				fail(e, "closed with segment %s or episode %s open", segment, episode)
			}
			closed = true
		}
	}
	if !closed {
		t.Errorf("conversation %s never closed", id)
	}
}
