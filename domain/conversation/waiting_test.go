package conversation_test

import (
	"encoding/json"
	"testing"

	c "supportd/domain/conversation"
	"supportd/eventschema"
)

func TestParseWaitingAlert(t *testing.T) {
	def := json.RawMessage(`{"enabled":true,"threshold":10}`)
	cases := []struct {
		name  string
		value string
		want  c.WaitingAlert
	}{
		{"default", ``, c.WaitingAlert{Enabled: true, Threshold: 10}},
		{"changed", `{"enabled":true,"threshold":3}`, c.WaitingAlert{Enabled: true, Threshold: 3}},
		{"off keeps the threshold", `{"enabled":false}`, c.WaitingAlert{Enabled: false, Threshold: 10}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.ParseWaitingAlert(def, json.RawMessage(tc.value)); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestExcessiveWaiting(t *testing.T) {
	on := c.WaitingAlert{Enabled: true, Threshold: 2}
	alarm := eventschema.AlarmRaised{TenantID: tenant, ConversationID: conv, Kind: "excessive_waiting", Level: 2,
		Detail: "web: 3 conversations waiting (threshold 2)"}
	waiting := func(n int, w c.WaitingAlert) func(c.State) ([]any, error) {
		return func(s c.State) ([]any, error) { return c.ExcessiveWaiting(s, n, w) }
	}
	run(t, []tcase{
		{"above the threshold", []any{started, queued}, waiting(3, on), []any{alarm}, ""},
		{"at the threshold", []any{started, queued}, waiting(2, on), nil, ""},
		{"alerts off", []any{started, queued}, waiting(30, c.WaitingAlert{Threshold: 2}), nil, ""},
		{"served meanwhile", serving, waiting(3, on), nil, ""},
		{"closed meanwhile", []any{started, queued, closed}, waiting(3, on), nil, ""},
		{"unknown conversation", nil, waiting(3, on), nil, "conversation.not_found"},
	})
}
