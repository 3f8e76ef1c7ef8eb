package tenant_test

import (
	"encoding/json"
	"strings"
	"testing"

	"supportd/domain/tenant"
)

// TestSettingKinds checks each kind of setting through a key of that kind:
// what it accepts, its canonical form, and what it rejects with which
// message.
func TestSettingKinds(t *testing.T) {
	cases := []struct {
		name, key, value string
		want             string // canonical value; "" when rejected
		errHas           string
	}{
		{"bool", "queue.allow_manual_join", `false`, `false`, ""},
		{"bool rejects a string", "queue.allow_manual_join", `"no"`, "", "true or false"},
		{"int", "rating.window_minutes", `60`, `60`, ""},
		{"int below range", "rating.window_minutes", `0`, "", "from 1 to 10080"},
		{"int above range", "conversation.recall_window_seconds", `601`, "", "from 0 to 600"},
		{"int rejects a fraction", "rating.window_minutes", `1.5`, "", "whole number"},
		{"enum", "rating.accept", `"first"`, `"first"`, ""},
		{"enum rejects others", "rating.accept", `"best"`, "", "one of first, last"},
		{"text trimmed", "welcome.message", `"  Hello!  "`, `"Hello!"`, ""},
		{"text counts characters, not bytes", "welcome.message", `"` + strings.Repeat("好", 500) + `"`, `"` + strings.Repeat("好", 500) + `"`, ""},
		{"text too long", "welcome.message", `"` + strings.Repeat("a", 501) + `"`, "", "0 to 500 characters"},
		{"text too short", "agents.scheduler_nickname", `"  "`, "", "1 to 50 characters"},
		{"text rejects a number", "welcome.message", `5`, "", "must be a string"},
		{"list keeps order", "dispatch.channel_priority", `{"enabled":true,"order":["app","web"]}`, `{"enabled":true,"order":["app","web"]}`, ""},
		{"list rejects duplicates", "rating.receipt_channels", `["web","web"]`, "", `"web" is listed twice`},
		{"list rejects unknown values", "rating.receipt_channels", `["fax"]`, "", `"fax" is not one of`},
		{"list rejects null", "rating.receipt_channels", `null`, "", "list of strings"},
		{"channel flags fill the rest with defaults", "rating.auto_invite", `{"web":true}`,
			`{"app":false,"email":false,"line":false,"messenger":false,"web":true,"wechat":false,"weibo":false,"whatsapp":false}`, ""},
		{"channel flags reject unknown channels", "rating.auto_invite", `{"fax":true}`, "", `unknown property "fax"`},
		{"object", "queue.remind_customers",
			`{"enabled":true,"message":"Still there?","effective_time":"work_hours","remind_after_seconds":120,"count":3,"interval_seconds":60}`,
			`{"count":3,"effective_time":"work_hours","enabled":true,"interval_seconds":60,"message":"Still there?","note_button":false,"remind_after_seconds":120}`, ""},
		{"object names the bad property", "queue.remind_customers", `{"effective_time":"sometimes"}`, "", "effective_time: must be one of all_day, work_hours, non_work_hours"},
		{"object bounds nested numbers", "queue.remind_customers", `{"count":11}`, "", "count: must be a whole number from 1 to 10"},
		{"object rule: enabled reminder needs a message", "queue.remind_customers", `{"enabled":true}`, "", "message: must not be empty"},
		{"object rejects an array", "alerts.excessive_waiting", `[1]`, "", "must be an object"},
		{"no-reply action needs its message", "conversation.customer_no_reply", `{"enabled":true,"actions":["remind_customer"]}`, "", "message: must not be empty when remind_customer"},
		{"no-reply actions are an enum list", "conversation.agent_no_reply", `{"actions":["shout"]}`, "", `actions: "shout" is not one of`},
		{"no-reply", "conversation.customer_no_reply", `{"enabled":true,"timeout_seconds":300,"actions":["remind_agent","remind_customer"],"message":"Are you there?"}`,
			`{"actions":["remind_agent","remind_customer"],"enabled":true,"message":"Are you there?","timeout_seconds":300}`, ""},
		{"uuid", "routing.default_team_id", `"0190F3B0-0000-7000-8000-000000000004"`, `"0190f3b0-0000-7000-8000-000000000004"`, ""},
		{"uuid may be empty", "routing.default_team_id", `"  "`, `""`, ""},
		{"uuid rejects other text", "routing.default_team_id", `"support"`, "", "must be a UUID"},
		{"uuid rejects the nil UUID", "routing.default_team_id", `"00000000-0000-0000-0000-000000000000"`, "", "must be a UUID"},
		{"uuid rejects a number", "routing.default_team_id", `4`, "", "must be a UUID"},
		{"default address", "greetings.default_address", `" Friend "`, `"Friend"`, ""},
		{"default address not empty", "greetings.default_address", `""`, "", "1 to 50 characters"},
		{"closing message", "conversation.closing_message", `""`, `""`, ""},
		{"trailing data", "queue.allow_manual_join", `true false`, "", "true or false"},
		{"uuid list", "conversation.inactivity_close_tag_ids", `["0190F3B0-0000-7000-8000-000000000004"," 0190f3b0-0000-7000-8000-000000000003"]`,
			`["0190f3b0-0000-7000-8000-000000000004","0190f3b0-0000-7000-8000-000000000003"]`, ""},
		{"uuid list may be empty", "conversation.inactivity_close_tag_ids", `[]`, `[]`, ""},
		{"uuid list rejects duplicates", "conversation.inactivity_close_tag_ids", `["0190f3b0-0000-7000-8000-000000000004","0190F3B0-0000-7000-8000-000000000004"]`, "", "listed twice"},
		{"uuid list rejects other text", "conversation.inactivity_close_tag_ids", `["vip"]`, "", `"vip" is not a UUID`},
		{"uuid list rejects the nil UUID", "conversation.inactivity_close_tag_ids", `["00000000-0000-0000-0000-000000000000"]`, "", "is not a UUID"},
		{"uuid list rejects null", "conversation.inactivity_close_tag_ids", `null`, "", "list of UUIDs"},
		{"uuid list is bounded", "conversation.inactivity_close_tag_ids", `[` + strings.TrimSuffix(strings.Repeat(`"0190f3b0-0000-7000-8000-000000000004",`, 51), ",") + `]`, "", "at most 50"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			def, ok := tenant.Settings[tc.key]
			if !ok {
				t.Fatalf("no setting %s", tc.key)
			}
			got, err := def.Check(json.RawMessage(tc.value))
			if tc.want == "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("err = %v, want one saying %q", err, tc.errHas)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Fatalf("got %s, %v; want %s", got, err, tc.want)
			}
		})
	}
}

// TestEverySettingIsDocumented: the settings list shows each key's
// description, and a key outside the documented groups would be lost in
// the consoles.
func TestEverySettingIsDocumented(t *testing.T) {
	groups := []string{"transfer.", "queue.", "dispatch.", "conversation.", "rating.", "agents.", "alerts.", "welcome.", "greetings.", "routing.", "robot."}
	for key, def := range tenant.Settings {
		if def.Doc == "" {
			t.Errorf("%s has no description", key)
		}
		ok := false
		for _, g := range groups {
			ok = ok || strings.HasPrefix(key, g)
		}
		if !ok {
			t.Errorf("%s is in no group", key)
		}
		// A canonical value is a fixed point of its check.
		c, err := def.Check(def.Default)
		if err != nil {
			continue // reported by TestEveryDefaultPassesItsOwnCheck
		}
		if string(c) != string(def.Default) {
			t.Errorf("%s: default %s is not canonical (%s)", key, def.Default, c)
		}
	}
}

// TestManualDefaults pins the defaults the product manual states.
func TestManualDefaults(t *testing.T) {
	want := map[string]string{
		"transfer.require_confirmation":         `false`,
		"transfer.confirmation_timeout_seconds": `240`,
		"queue.allow_manual_join":               `true`,
		"queue.allow_viewing_queued":            `false`,
		"dispatch.familiarity":                  `false`,
		"agents.sort_by_agent_messages":         `false`,
		"conversation.inactivity_close_hours":   `24`,
		"conversation.recall_window_seconds":    `120`,
		"rating.window_minutes":                 `480`,
		"rating.accept":                         `"last"`,
		"conversation.force_tag":                `false`,
	}
	for key, v := range want {
		if got := string(tenant.Settings[key].Default); got != v {
			t.Errorf("%s default = %s, want %s", key, got, v)
		}
	}
	var q map[string]any
	_ = json.Unmarshal(tenant.Settings["queue.remind_customers"].Default, &q)
	if q["enabled"] != false || q["remind_after_seconds"] != float64(180) || q["count"] != float64(1) || q["effective_time"] != "all_day" {
		t.Errorf("queue reminder default %v", q)
	}
}
