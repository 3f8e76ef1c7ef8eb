package main

import (
	"encoding/json"
	"strings"
	"testing"

	"supportd/domain/tenant"
)

// TestSettingsCatalogueOverHTTP: the settings list shows every key of the
// catalogue with its documented default; each kind accepts a good value
// and answers a bad one with 422 naming the key.
func TestSettingsCatalogueOverHTTP(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	_, admin := newTenant(t, op)

	list := admin.expect(200, "GET", "/v1/tenant/settings", "")
	listed := map[string]bool{}
	for _, item := range list["items"].([]any) {
		m := item.(map[string]any)
		key := m["key"].(string)
		listed[key] = true
		def, ok := tenant.Settings[key]
		if !ok {
			t.Errorf("listed %s is not in the catalogue", key)
			continue
		}
		value, _ := json.Marshal(m["value"])
		dflt, _ := json.Marshal(m["default"])
		if !sameJSON(value, def.Default) || !sameJSON(dflt, def.Default) || m["description"] == "" {
			t.Errorf("%s: value %s default %s, want %s with a description", key, value, dflt, def.Default)
		}
	}
	for key := range tenant.Settings {
		if !listed[key] {
			t.Errorf("%s is not listed", key)
		}
	}

	cases := []struct {
		key, good, bad string
	}{
		{"conversation.force_tag", `true`, `"yes"`},
		{"rating.window_minutes", `60`, `0`},
		{"rating.accept", `"first"`, `"best"`},
		{"welcome.message", `"Welcome! How can we help?"`, `"` + strings.Repeat("x", 501) + `"`},
		{"rating.auto_invite", `{"web":true,"app":true}`, `{"fax":true}`},
		{"dispatch.channel_priority", `{"enabled":true,"order":["whatsapp","web"]}`, `{"order":["web","web"]}`},
		{"queue.remind_customers", `{"enabled":true,"message":"Thanks for waiting","effective_time":"work_hours","remind_after_seconds":120,"count":3,"interval_seconds":60}`, `{"effective_time":"never"}`},
		{"conversation.customer_no_reply", `{"enabled":true,"actions":["remind_customer"],"message":"Still there?"}`, `{"enabled":true,"actions":["remind_customer"]}`},
		{"alerts.excessive_waiting", `{"enabled":true,"threshold":25}`, `{"threshold":0}`},
	}
	var last map[string]any
	for _, tc := range cases {
		last = admin.expect(200, "PUT", "/v1/tenant/settings/"+tc.key, `{"value":`+tc.good+`}`)
		p := admin.expect(422, "PUT", "/v1/tenant/settings/"+tc.key, `{"value":`+tc.bad+`}`)
		if p["field"] != tc.key {
			t.Errorf("%s: problem %v", tc.key, p)
		}
	}
	list = admin.expect(200, "GET", "/v1/tenant/settings"+waitFor(last), "")
	values := map[string]json.RawMessage{}
	for _, item := range list["items"].([]any) {
		m := item.(map[string]any)
		values[m["key"].(string)], _ = json.Marshal(m["value"])
	}
	for _, tc := range cases {
		want, _ := tenant.Settings[tc.key].Check(json.RawMessage(tc.good))
		if !sameJSON(values[tc.key], want) {
			t.Errorf("%s = %s, want %s", tc.key, values[tc.key], want)
		}
	}
}

func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}
