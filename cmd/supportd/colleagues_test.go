package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"supportd/eventstore/postgres/pgtest"
)

// Colleague chat over HTTP, on a real database: an agent writes to an
// offline colleague, whose console fetches the waiting messages when it
// comes online and marks them delivered; new messages reach the
// colleague's live stream; the colleague list shows statuses and waiting
// counts; the history pages back in time; other tenants, disabled
// colleagues, API tokens and channels are kept out.
func TestColleagueChatOverHTTP(t *testing.T) {
	t.Parallel()
	base, dbURL := startServerDB(t, "postgres", "")
	op := client{t: t, base: base}
	tenant, admin := newTenant(t, op)
	annID, ann := teamUser(t, admin, tenant, "ann@acme.example", "Ann", "agent")
	// Bob is added but not signed in: he is offline.
	bobID, _ := addAgent(admin, "bob@acme.example", "Bob", "")
	carlID, carlPos := addAgent(admin, "carl@acme.example", "Carl", "")
	admin.expect(200, "PUT", "/v1/agents/"+carlID+"/enabled", `{"enabled":false}`)
	otherTenant, other := newTenant(t, op)
	strangerID, _ := teamUser(t, other, otherTenant, "sam@other.example", "Sam", "agent")
	key := admin.expect(201, "POST", "/v1/channel-keys", `{"channel":"web","name":"Widget"}`)
	token := admin.expect(201, "POST", "/v1/api-tokens", `{"name":"Wallboard","role":"agent"}`)
	admin.expect(200, "GET", "/v1/api-tokens"+at(token), "")

	// Ann's colleagues: everyone enabled but herself, with their status.
	list := ann.expect(200, "GET", "/v1/colleagues?min_position="+carlPos, "")["items"].([]any)
	var got []string
	for _, c := range list {
		c := c.(map[string]any)
		got = append(got, fmt.Sprint(c["nickname"], "/", c["status"], "/", c["waiting"], "/", c["last_message"]))
	}
	if want := "Bob/offline/0/<nil>,Boss/online/0/<nil>"; strings.Join(got, ",") != want {
		t.Errorf("colleagues %v, want %s", got, want)
	}

	// Ann writes to offline Bob; a retried message is the same message.
	first := ann.expect(201, "POST", "/v1/colleagues/"+bobID+"/messages", `{"text":"Can you take the Müller case?"}`, "Idempotency-Key", "c-1")
	retry := ann.expect(201, "POST", "/v1/colleagues/"+bobID+"/messages", `{"text":"Can you take the Müller case?"}`, "Idempotency-Key", "c-1")
	if retry["message_id"] != first["message_id"] || retry["version"] != first["version"] {
		t.Errorf("retry %v, first %v", retry, first)
	}
	second := ann.expect(201, "POST", "/v1/colleagues/"+bobID+"/messages", `{"type":"file","file":{"url":"https://files.example/case.pdf","name":"case.pdf","size":2048}}`)
	third := ann.expect(201, "POST", "/v1/colleagues/"+bobID+"/messages", `{"type":"emoji","text":"🙏"}`)

	// What is refused.
	if p := ann.expect(422, "POST", "/v1/colleagues/"+annID+"/messages", `{"text":"me"}`); p["code"] != "colleague.self" {
		t.Errorf("to oneself: %v", p)
	}
	ann.expect(422, "POST", "/v1/colleagues/"+bobID+"/messages", `{"text":"  "}`)
	ann.expect(422, "POST", "/v1/colleagues/"+bobID+"/messages", `{"type":"image","file":{"url":"https://files.example/a.png","size":10485761}}`)
	if p := ann.expect(409, "POST", "/v1/colleagues/"+carlID+"/messages", `{"text":"hi"}`); p["code"] != "colleague.disabled" {
		t.Errorf("to a disabled colleague: %v", p)
	}
	ann.expect(404, "POST", "/v1/colleagues/"+strangerID+"/messages", `{"text":"hi"}`)
	ann.expect(404, "GET", "/v1/colleagues/"+strangerID+"/messages", "")
	other.expect(404, "POST", "/v1/colleagues/"+bobID+"/messages", `{"text":"hi"}`)
	other.expect(404, "GET", "/v1/colleagues/"+bobID+"/messages", "")
	other.expect(404, "POST", "/v1/colleagues/"+annID+"/messages/delivered", "")
	op.as(token["token"].(string)).expect(403, "GET", "/v1/colleagues", "")
	op.as(token["token"].(string)).expect(403, "POST", "/v1/colleagues/"+bobID+"/messages", `{"text":"hi"}`)
	admin.as("none").expect(403, "GET", "/v1/colleagues", "", "X-Channel-Key", key["key"].(string))

	// Bob comes online: his console fetches what waited for him, oldest
	// first, in pages, and his colleague list shows Ann's red dot.
	bob := signIn(t, admin, tenant, "bob@acme.example", "agent-password")
	bobLive := openLive(t, bob, "/v1/me/live")
	annLive := openLive(t, ann, "/v1/me/live")
	page1 := bob.expect(200, "GET", "/v1/me/colleague-messages"+at(third)+"&limit=2", "")
	page2 := bob.expect(200, "GET", "/v1/me/colleague-messages?limit=2&after="+page1["next"].(string), "")
	if page2["next"] != nil {
		t.Errorf("a third page: %v", page2)
	}
	waiting := append(page1["items"].([]any), page2["items"].([]any)...)
	if len(waiting) != 3 || waiting[0].(map[string]any)["message_id"] != first["message_id"] ||
		waiting[1].(map[string]any)["message_id"] != second["message_id"] || waiting[2].(map[string]any)["message_id"] != third["message_id"] {
		t.Fatalf("waiting %v", waiting)
	}
	if m := waiting[1].(map[string]any); m["type"] != "file" || m["file"].(map[string]any)["name"] != "case.pdf" ||
		m["from_agent_id"] != annID || m["to_agent_id"] != bobID || m["delivered_at"] != nil || m["seq"] != float64(2) {
		t.Errorf("file message %v", m)
	}
	ann.expect(200, "GET", "/v1/me/colleague-messages", "") // nothing waits for Ann
	annRow := func(c client, pos string) map[string]any {
		t.Helper()
		for _, c := range c.expect(200, "GET", "/v1/colleagues?q=an"+pos, "")["items"].([]any) {
			if c := c.(map[string]any); c["agent_id"] == annID {
				return c
			}
		}
		t.Fatalf("Ann is not Bob's colleague")
		return nil
	}
	if row := annRow(bob, ""); row["waiting"] != float64(3) || row["status"] != "online" ||
		row["last_message"].(map[string]any)["message_id"] != third["message_id"] {
		t.Errorf("Ann seen by Bob: %v", row)
	}

	// He marks them delivered, up to the second, then the rest; again
	// records nothing. Ann hears of it.
	part := bob.expect(200, "POST", "/v1/colleagues/"+annID+"/messages/delivered", fmt.Sprintf(`{"up_to":%q}`, second["message_id"]))
	if row := annRow(bob, "&min_position="+part["position"].(string)); row["waiting"] != float64(1) {
		t.Errorf("after the first delivery: %v", row)
	}
	await(t, annLive, "ColleagueMessagesDelivered")
	bob.expect(404, "POST", "/v1/colleagues/"+annID+"/messages/delivered", fmt.Sprintf(`{"up_to":%q}`, key["key_id"]))
	rest := bob.expect(200, "POST", "/v1/colleagues/"+annID+"/messages/delivered", "")
	if again := bob.expect(200, "POST", "/v1/colleagues/"+annID+"/messages/delivered", ""); again["events"] != float64(0) {
		t.Errorf("delivered twice: %v", again)
	}
	if left := bob.expect(200, "GET", "/v1/me/colleague-messages"+at(rest), "")["items"].([]any); len(left) != 0 {
		t.Errorf("still waiting %v", left)
	}

	// Now online, Bob hears of a new message at once; he answers.
	fourth := ann.expect(201, "POST", "/v1/colleagues/"+bobID+"/messages", `{"text":"Thanks!"}`)
	await(t, bobLive, "ColleagueMessageSent")
	answer := bob.expect(201, "POST", "/v1/colleagues/"+annID+"/messages", `{"text":"You're welcome."}`)
	await(t, annLive, "ColleagueMessageSent")

	// The history, newest first, pages back in time; both see the same.
	var history []string
	after := ""
	for pages := 0; ; pages++ {
		path := "/v1/colleagues/" + bobID + "/messages" + at(answer) + "&limit=2"
		if after != "" {
			path += "&after=" + after
		}
		p := ann.expect(200, "GET", path, "")
		for _, m := range p["items"].([]any) {
			m := m.(map[string]any)
			history = append(history, fmt.Sprint(m["seq"], " ", m["type"], " ", m["delivered_at"] != nil))
		}
		if p["next"] == nil || pages > 5 {
			break
		}
		after = p["next"].(string)
	}
	if want := "5 text false,4 text false,3 emoji true,2 file true,1 text true"; strings.Join(history, ",") != want {
		t.Errorf("history %v, want %s", history, want)
	}
	mine := bob.expect(200, "GET", "/v1/colleagues/"+annID+"/messages"+at(answer)+"&limit=1", "")
	if items := mine["items"].([]any); len(items) != 1 || items[0].(map[string]any)["message_id"] != answer["message_id"] || mine["next"] == nil {
		t.Errorf("Bob's view %v", mine)
	}
	if left := bob.expect(200, "GET", "/v1/me/colleague-messages"+at(fourth), "")["items"].([]any); len(left) != 1 {
		t.Errorf("waiting for Bob %v", left)
	}
	ann.expect(422, "GET", "/v1/colleagues/"+bobID+"/messages?after=garbage", "")

	// The read models rebuilt from the log equal the live ones.
	ctx := context.Background()
	pool := pgtest.Pool(t, dbURL)
	requireRebuildEqualsLive(t, ctx, pool)
}
