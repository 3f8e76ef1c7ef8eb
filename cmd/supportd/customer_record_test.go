package main

import (
	"fmt"
	"testing"

	"github.com/google/uuid"
)

// TestEveryCustomerHasARecord: a customer who starts a conversation has a
// record from then on, profile or not (nickname, channel, first seen), and
// the customer actions work on it; a channel may name its customer by its
// own string ID, which always maps to the same customer.
func TestEveryCustomerHasARecord(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	_, admin := newTenant(t, op)
	key := admin.expect(201, "POST", "/v1/channel-keys", `{"channel":"web","name":"site"}`)
	admin.expect(200, "GET", "/v1/channel-keys"+at(key), "")
	widget := func(status int, body string) map[string]any {
		t.Helper()
		return admin.as("none").expect(status, "POST", "/v1/channel/conversations", body, "X-Channel-Key", key["key"].(string))
	}

	// A UUID customer without a profile.
	plain := uuid.NewString()
	started := widget(201, fmt.Sprintf(`{"customer_id":%q,"customer_name":"Lu"}`, plain))
	if started["customer_id"] != plain {
		t.Errorf("start answered customer %v, want %s", started["customer_id"], plain)
	}
	c := admin.expect(200, "GET", "/v1/customers/"+plain+at(started), "")
	if p := c["profile"].(map[string]any); p["nickname"] != "Lu" || c["channel"] != "web" || c["first_seen"] == "" {
		t.Errorf("the record of a customer without a profile: %v", c)
	}
	vip := admin.expect(200, "PUT", "/v1/customers/"+plain+"/vip", `{"vip":true}`)
	if c := admin.expect(200, "GET", "/v1/customers/"+plain+at(vip), ""); c["vip"] != true {
		t.Errorf("VIP on a customer known from its start: %v", c)
	}

	// A channel's own ID: the same customer each time.
	first := widget(201, `{"external_id":"webim-visitor-HYYV9","customer_name":"Visitor"}`)
	id, ok := first["customer_id"].(string)
	if !ok || uuid.Validate(id) != nil {
		t.Fatalf("start by external ID answered %v", first)
	}
	c = admin.expect(200, "GET", "/v1/customers/"+id+at(first), "")
	if p := c["profile"].(map[string]any); p["customer_id"] != "webim-visitor-HYYV9" || p["nickname"] != "Visitor" {
		t.Errorf("the record of a customer named by the channel: %v", c)
	}
	// At most one ongoing conversation per channel and account: reopening
	// the chat window is the same conversation.
	if reopened := widget(200, `{"external_id":"webim-visitor-HYYV9"}`); reopened["conversation_id"] != first["conversation_id"] ||
		reopened["ongoing"] != true || reopened["events"] != float64(0) {
		t.Errorf("second start while the first is open: %v, want %v", reopened, first["conversation_id"])
	}
	if shop := widget(201, `{"external_id":"webim-visitor-HYYV9","channel_account":"Shop"}`); shop["conversation_id"] == first["conversation_id"] || shop["ongoing"] != false {
		t.Errorf("a start on another channel account: %v", shop)
	}
	admin.expect(200, "POST", "/v1/queue/"+first["conversation_id"].(string)+"/close", "")
	again := widget(201, `{"external_id":"webim-visitor-HYYV9"}`)
	if again["customer_id"] != id {
		t.Errorf("the same external ID named customer %v, then %v", id, again["customer_id"])
	}
	if p := widget(422, `{"customer_name":"Nobody"}`); p["field"] != "customer_id" && p["code"] == nil {
		t.Errorf("a start naming no customer: %v", p)
	}
}
