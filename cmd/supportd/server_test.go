package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"supportd/eventstore/kurrentdb/kurrentdbdouble"
	"supportd/eventstore/postgres/pgtest"
)

// startServer runs the whole server on a fresh database and returns its
// base URL.
func startServer(t *testing.T, eventStore, kurrentURL string) string {
	t.Helper()
	cfg, err := parseConfig([]string{
		"--addr", "127.0.0.1:0",
		"--database-url", pgtest.NewDatabase(t),
		"--event-store", eventStore,
		"--kurrentdb-url", kurrentURL,
		"--operator-token", "op-token",
	}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg, slog.New(slog.DiscardHandler), func(a string) { addr <- a }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server stopped with %v", err)
		}
	})
	select {
	case a := <-addr:
		return "http://" + a
	case err := <-done:
		t.Fatalf("server did not start: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start in time")
	}
	return ""
}

type client struct {
	t    *testing.T
	base string
}

// do sends a request and decodes the JSON answer into a map.
func (c client) do(method, path, body string, headers ...string) (int, map[string]any) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer op-token")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(bytes.TrimSpace(raw)) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &out); err != nil {
			c.t.Fatalf("%s %s: bad JSON %q", method, path, raw)
		}
	} else {
		out = map[string]any{"raw": string(raw)}
	}
	return resp.StatusCode, out
}

func (c client) expect(status int, method, path, body string, headers ...string) map[string]any {
	c.t.Helper()
	got, out := c.do(method, path, body, headers...)
	if got != status {
		c.t.Fatalf("%s %s: status %d, want %d: %v", method, path, got, status, out)
	}
	return out
}

// TestTenantLifecycleOverHTTP drives the write path, the projections and the
// read path end to end, once per event store.
func TestTenantLifecycleOverHTTP(t *testing.T) {
	stores := map[string]func(t *testing.T) string{
		"postgres":  func(t *testing.T) string { return startServer(t, "postgres", "") },
		"kurrentdb": func(t *testing.T) string { return startServer(t, "kurrentdb", kurrentdbdouble.StartT(t).URL()) },
	}
	for name, start := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := client{t: t, base: start(t)}
			id := uuid.Must(uuid.NewV7()).String()
			tenantPath := "/v1/tenants/" + id

			created := c.expect(201, "POST", "/v1/tenants", fmt.Sprintf(`{"tenant_id":%q,"name":"Acme","time_zone":"Europe/Berlin","admin":{"email":"boss@acme.example","nickname":"Boss","password":"correct-horse"}}`, id))
			pos := created["position"].(string)
			got := c.expect(200, "GET", tenantPath+"?min_position="+pos, "")
			if got["name"] != "Acme" || got["time_zone"] != "Europe/Berlin" {
				t.Errorf("tenant %v", got)
			}
			problem := c.expect(409, "POST", "/v1/tenants", fmt.Sprintf(`{"tenant_id":%q,"name":"Again","admin":{"email":"boss@acme.example","nickname":"Boss","password":"correct-horse"}}`, id))
			if problem["code"] != "tenant.exists" {
				t.Errorf("problem %v", problem)
			}

			setting := tenantPath + "/settings/transfer.require_confirmation"
			first := c.expect(200, "PUT", setting, `{"value":true}`, "Idempotency-Key", "k-1")
			if first["events"] != float64(1) || first["version"] != float64(2) {
				t.Errorf("change %v", first)
			}
			again := c.expect(200, "PUT", setting, `{"value":true}`, "Idempotency-Key", "k-1")
			if fmt.Sprint(again) != fmt.Sprint(first) {
				t.Errorf("retry answered %v, first %v", again, first)
			}
			c.expect(412, "PUT", setting, `{"value":false}`, "If-Match", `"1"`)
			c.expect(200, "PUT", tenantPath+"/settings/conversation.inactivity_close_hours", `{"value":48}`, "If-Match", `"2"`)
			bad := c.expect(422, "PUT", tenantPath+"/settings/transfer.confirmation_timeout_seconds", `{"value":"soon"}`)
			if bad["field"] != "transfer.confirmation_timeout_seconds" {
				t.Errorf("problem %v", bad)
			}
			last := c.expect(200, "PUT", tenantPath+"/settings/queue.allow_manual_join", `{"value":false}`)

			list := c.expect(200, "GET", tenantPath+"/settings?min_position="+last["position"].(string), "")
			values := map[string]string{}
			for _, item := range list["items"].([]any) {
				m := item.(map[string]any)
				v, _ := json.Marshal(m["value"])
				values[m["key"].(string)] = string(v)
			}
			want := map[string]string{
				"transfer.require_confirmation":       "true",
				"conversation.inactivity_close_hours": "48",
				"queue.allow_manual_join":             "false",
				"dispatch.familiarity":                "false", // a default
			}
			for k, v := range want {
				if values[k] != v {
					t.Errorf("setting %s = %s, want %s", k, values[k], v)
				}
			}

			c.expect(404, "GET", "/v1/tenants/"+uuid.NewString(), "")
			c.expect(404, "GET", "/v1/tenants/"+uuid.NewString()+"/settings", "")
			ready := c.expect(200, "GET", "/readyz", "")
			if ready["status"] != "ok" || len(ready["projectors"].([]any)) == 0 {
				t.Errorf("readyz %v", ready)
			}
			metrics := c.expect(200, "GET", "/metrics", "")["raw"].(string)
			for _, m := range []string{"supportd_projector_lag_events", "supportd_projector_up"} {
				if !strings.Contains(metrics, m) {
					t.Errorf("metrics lack %s", m)
				}
			}
		})
	}
}

func TestParseConfig(t *testing.T) {
	env := map[string]string{"SUPPORTD_ADDR": ":9999", "SUPPORTD_EVENT_STORE": "kurrentdb"}
	cfg, err := parseConfig(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil || cfg.Addr != ":9999" || cfg.EventStore != "kurrentdb" {
		t.Errorf("env: %+v, %v", cfg, err)
	}
	cfg, err = parseConfig([]string{"--addr", ":1"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil || cfg.Addr != ":1" {
		t.Errorf("flag must win over env: %+v, %v", cfg, err)
	}
	if _, err := parseConfig([]string{"--event-store", "mysql"}, func(string) string { return "" }, io.Discard); err == nil {
		t.Error("unknown event store accepted")
	}
}
