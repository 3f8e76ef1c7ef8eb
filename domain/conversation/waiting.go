package conversation

import (
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"supportd/eventschema"
)

// WaitingAlert is the tenant's alerts.excessive_waiting setting: alert the
// administrators when more than Threshold conversations of one channel
// wait in the queue.
type WaitingAlert struct {
	Enabled   bool `json:"enabled"`
	Threshold int  `json:"threshold"`
}

// ParseWaitingAlert reads the setting's value over its default (both JSON
// objects; a value may omit fields).
func ParseWaitingAlert(def, value json.RawMessage) WaitingAlert {
	var w WaitingAlert
	_ = json.Unmarshal(def, &w)
	if len(value) > 0 {
		_ = json.Unmarshal(value, &w)
	}
	return w
}

// Exceeded says whether waiting conversations of one channel are too many.
func (w WaitingAlert) Exceeded(waiting int) bool { return w.Enabled && waiting > w.Threshold }

// ExcessiveWaiting decides the alarm raised when the waiting conversations
// of s's channel exceed the threshold: recorded on s, the conversation
// whose arrival crossed it (the newest waiting one). A conversation closed
// or served meanwhile decides nothing: the queue is being worked off.
func ExcessiveWaiting(s State, waiting int, w WaitingAlert) ([]any, error) {
	if !s.Exists {
		return nil, errMissing()
	}
	if s.IsClosed || s.Episode.ID == uuid.Nil || !w.Exceeded(waiting) {
		return nil, nil
	}
	return []any{alarm(s, eventschema.AlarmExcessiveWaiting, eventschema.AlarmMedium,
		fmt.Sprintf("%s: %d conversations waiting (threshold %d)", s.Channel, waiting, w.Threshold))}, nil
}
