package main

import (
	"fmt"
	"testing"

	"github.com/google/uuid"
)

// TestRatingOptions: the tenant's rating options (prompts and labels per
// star level) apply to every conversation, a team's own options to the
// conversations routed to it; a star level with labels is rated only with
// one of its labels, on the customer's side as the chat window shows them.
func TestRatingOptions(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	_, admin := newTenant(t, op)
	created := admin.expect(201, "POST", "/v1/teams", `{"name":"Support"}`)
	team := created["team_id"].(string)
	admin.expect(200, "GET", "/v1/teams"+at(created), "")
	key := admin.expect(201, "POST", "/v1/channel-keys", `{"channel":"web","name":"site"}`)
	admin.expect(200, "GET", "/v1/channel-keys"+at(key), "")
	ch := func(status int, method, path, body string) map[string]any {
		t.Helper()
		return admin.as("none").expect(status, method, path, body, "X-Channel-Key", key["key"].(string))
	}
	conv := ch(201, "POST", "/v1/channel/conversations", fmt.Sprintf(`{"customer_id":%q,"entry_team_id":%q}`, uuid.NewString(), team))["conversation_id"].(string)
	rate := func(status int, body string) map[string]any {
		t.Helper()
		return ch(status, "POST", "/v1/channel/conversations/"+conv+"/rating", body)
	}
	labelsOf := func(opts map[string]any, stars int) any {
		return opts["stars"].([]any)[stars-1].(map[string]any)["labels"]
	}

	// The manual's prompts, no labels: any rating goes.
	if o := ch(200, "GET", "/v1/channel/conversations/"+conv+"/rating-options", ""); o["stars"].([]any)[4].(map[string]any)["prompt"] != "Very satisfied" {
		t.Errorf("default options %v", o)
	}
	rate(200, `{"stars":1}`)

	// The tenant's labels for one star.
	admin.expect(422, "PUT", "/v1/tenant/settings/rating.options", `{"value":{"stars":[{"stars":7}]}}`)
	admin.expect(200, "PUT", "/v1/tenant/settings/rating.options", `{"value":{"stars":[{"stars":1,"prompt":"Awful","labels":["Slow","Rude"]}]}}`)
	if l := labelsOf(ch(200, "GET", "/v1/channel/conversations/"+conv+"/rating-options", ""), 1); fmt.Sprint(l) != "[Slow Rude]" {
		t.Errorf("tenant labels %v", l)
	}
	if p := rate(422, `{"stars":1}`); p["code"] != "rating.label_required" {
		t.Errorf("a 1-star rating without a label: %v", p)
	}
	if p := rate(422, `{"stars":1,"labels":["Fast"]}`); p["code"] != "rating.labels" {
		t.Errorf("a 1-star rating with another label: %v", p)
	}
	rate(200, `{"stars":1,"labels":["Slow"]}`)

	// The team's own options replace the tenant's for its conversations.
	admin.expect(422, "PUT", "/v1/teams/"+team+"/rating-options", `{"options":{"stars":[{"stars":5,"labels":[""]}]}}`)
	set := admin.expect(200, "PUT", "/v1/teams/"+team+"/rating-options", `{"options":{"stars":[{"stars":5,"prompt":"Great","labels":["Fast"]}]}}`)
	if o := admin.expect(200, "GET", "/v1/teams/"+team+"/rating-options"+at(set), ""); o["own"] != true || fmt.Sprint(labelsOf(o["options"].(map[string]any), 5)) != "[Fast]" {
		t.Errorf("team options %v", o)
	}
	rate(200, `{"stars":1}`) // the team has no labels for one star
	if p := rate(422, `{"stars":5}`); p["code"] != "rating.label_required" {
		t.Errorf("a 5-star rating without the team's label: %v", p)
	}
	rate(200, `{"stars":5,"labels":["Fast"]}`)

	// Back to the tenant's.
	reset := admin.expect(200, "PUT", "/v1/teams/"+team+"/rating-options", `{"options":null}`)
	if o := admin.expect(200, "GET", "/v1/teams/"+team+"/rating-options"+at(reset), ""); o["own"] != false {
		t.Errorf("team options after reset %v", o)
	}
	rate(422, `{"stars":1}`)
	rate(200, `{"stars":5}`)
}
