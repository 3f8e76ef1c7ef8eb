package main

import (
	"fmt"
	"testing"

	"github.com/google/uuid"
)

// TestRecallOnlyInWebAndApp: a message is recalled in web and app
// conversations only, as the manual says; elsewhere the refusal says why.
func TestRecallOnlyInWebAndApp(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	_, admin := newTenant(t, op)
	for _, tc := range []struct {
		channel string
		status  int
	}{{"app", 200}, {"web", 200}, {"wechat", 409}, {"email", 409}} {
		key := admin.expect(201, "POST", "/v1/channel-keys", fmt.Sprintf(`{"channel":%q,"name":%q}`, tc.channel, tc.channel))
		admin.expect(200, "GET", "/v1/channel-keys"+at(key), "")
		customer := admin.as("none")
		k := key["key"].(string)
		conv := customer.expect(201, "POST", "/v1/channel/conversations", fmt.Sprintf(`{"customer_id":%q}`, uuid.NewString()), "X-Channel-Key", k)["conversation_id"].(string)
		msg := customer.expect(201, "POST", "/v1/channel/conversations/"+conv+"/messages", `{"type":"text","text":"oops"}`, "X-Channel-Key", k)
		p := customer.expect(tc.status, "POST", "/v1/channel/conversations/"+conv+"/messages/"+msg["message_id"].(string)+"/recall", "", "X-Channel-Key", k)
		if tc.status == 409 && p["code"] != "message.recall_channel" {
			t.Errorf("recall in a %s conversation: %v", tc.channel, p)
		}
	}
}
