package tenant

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Definition describes one setting: its documented default and what values
// it accepts.
type Definition struct {
	Default json.RawMessage
	// Check validates a value and returns it in canonical JSON.
	Check func(json.RawMessage) (json.RawMessage, error)
	Doc   string
}

// SettingBool returns a boolean setting's current value.
func (s State) SettingBool(key string) bool {
	v, _ := s.Setting(key)
	return string(v) == "true"
}

// Settings is the catalogue of tenant settings, keyed by a dotted name.
// Defaults are those of the product manual (seed 002, "Function switches").
var Settings = map[string]Definition{
	"transfer.require_confirmation": boolSetting(false,
		"a transfer to an agent succeeds only after that agent accepts it"),
	"transfer.confirmation_timeout_seconds": intSetting(240, 10, 3600,
		"how long a transfer waits for the receiving agent to accept"),
	"transfer.skip_greetings": boolSetting(false,
		"team and agent greetings are not sent when a transferred conversation is picked up"),
	"agents.may_set_capacity": boolSetting(false,
		"agents set their own maximum conversations; otherwise admins do"),
	"agents.status_change_needs_approval": boolSetting(false,
		"an agent leaving online for busy, away or invisible needs an admin's approval"),
	"queue.allow_manual_join": boolSetting(true,
		"agents may join conversations from the queue list"),
	"queue.allow_viewing_queued": boolSetting(false,
		"agents may read the messages of queued conversations"),
	"dispatch.team_business_hours_only": boolSetting(false,
		"conversations are auto-assigned only during the team's working hours"),
	"dispatch.familiarity": boolSetting(false,
		"assign returning customers to the agent who served them before"),
	"conversation.inactivity_close_hours": intSetting(24, 1, 720,
		"a conversation with no message for this long is closed"),
}

func boolSetting(def bool, doc string) Definition {
	return Definition{
		Default: mustJSON(def),
		Doc:     doc,
		Check: func(v json.RawMessage) (json.RawMessage, error) {
			var b bool
			if err := strictDecode(v, &b); err != nil {
				return nil, fmt.Errorf("must be true or false")
			}
			return mustJSON(b), nil
		},
	}
}

func intSetting(def, lo, hi int, doc string) Definition {
	return Definition{
		Default: mustJSON(def),
		Doc:     fmt.Sprintf("%s (%d to %d)", doc, lo, hi),
		Check: func(v json.RawMessage) (json.RawMessage, error) {
			var n int
			if err := strictDecode(v, &n); err != nil || n < lo || n > hi {
				return nil, fmt.Errorf("must be a whole number from %d to %d", lo, hi)
			}
			return mustJSON(n), nil
		},
	}
}

func strictDecode(v json.RawMessage, into any) error {
	d := json.NewDecoder(bytes.NewReader(v))
	d.DisallowUnknownFields()
	return d.Decode(into)
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
