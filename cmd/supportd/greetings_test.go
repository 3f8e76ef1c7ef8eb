package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestGreetingsOnJoin: whichever way an agent joins (here: the dispatcher
// assigns, then a transfer without confirmation), the team's and the
// agent's greetings reach the customer, with ##dear## replaced by the
// customer's name, once per join; and so is ##dear## in an agent's own
// message.
func TestGreetingsOnJoin(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	tenant, admin := newTenant(t, op)
	annID, ann := teamUser(t, admin, tenant, "ann@acme.example", "Ann", "agent")
	bobID, bob := teamUser(t, admin, tenant, "bob@acme.example", "Bob", "agent")
	bob.expect(200, "PUT", "/v1/me/status", `{"status":"busy"}`) // Ann gets the conversation
	ann.expect(200, "PUT", "/v1/me/profile", `{"nickname":"Ann","greeting":"I'm Ann, ##dear##."}`)
	bob.expect(200, "PUT", "/v1/me/profile", `{"nickname":"Bob","greeting":"Bob here, ##dear##."}`)
	team := admin.expect(201, "POST", "/v1/teams", `{"name":"Support","greeting":"Hello ##dear##, welcome to Support."}`)["team_id"].(string)
	admin.expect(200, "PUT", "/v1/teams/"+team+"/members", fmt.Sprintf(`{"add":[%q,%q]}`, annID, bobID))
	key := admin.expect(201, "POST", "/v1/channel-keys", `{"channel":"web","name":"Widget"}`)
	admin.expect(200, "GET", "/v1/channel-keys"+at(key), "")
	widget := func(status int, method, path, body string) map[string]any {
		t.Helper()
		return admin.as("none").expect(status, method, path, body, "X-Channel-Key", key["key"].(string))
	}
	conv := widget(201, "POST", "/v1/channel/conversations",
		fmt.Sprintf(`{"customer_id":%q,"customer_name":"Lu","entry_team_id":%q}`, uuid.NewString(), team))["conversation_id"].(string)

	texts := func() []string {
		var out []string
		status, body := admin.as("none").do("GET", "/v1/channel/conversations/"+conv+"/messages", "", "X-Channel-Key", key["key"].(string))
		if status != 200 {
			return nil // not projected yet
		}
		for _, m := range body["items"].([]any) {
			out = append(out, fmt.Sprint(m.(map[string]any)["text"]))
		}
		return out
	}
	// until waits for the messages to hold each text the given number of
	// times.
	until := func(want map[string]int) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for {
			got := strings.Join(texts(), " | ")
			ok := true
			for w, n := range want {
				ok = ok && strings.Count(got, w) == n
			}
			if ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("messages %q, want %v", got, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	until(map[string]int{"Hello Lu, welcome to Support.": 1, "I'm Ann, Lu.": 1})

	moved := ann.expect(200, "POST", "/v1/conversations/"+conv+"/transfer", fmt.Sprintf(`{"to_kind":"agent","to_id":%q}`, bobID))
	admin.expect(200, "GET", "/v1/conversations/"+conv+at(moved), "")
	// A transfer greets again, team and agent, as the manual describes
	// (unless transfer.skip_greetings is on).
	until(map[string]int{"Hello Lu, welcome to Support.": 2, "I'm Ann, Lu.": 1, "Bob here, Lu.": 1})

	// ##dear## in any message an agent sends addresses the customer too.
	bob.expect(201, "POST", "/v1/conversations/"+conv+"/messages", `{"type":"text","text":"Anything else, ##dear##?"}`)
	until(map[string]int{"Anything else, Lu?": 1, "##dear##": 0})
}
