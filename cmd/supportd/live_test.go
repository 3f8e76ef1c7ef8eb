package main

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// openLive opens an SSE stream and returns a channel of its "event:" names.
func openLive(t *testing.T, c client, path string) <-chan string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("live %s: %s %s", path, resp.Status, resp.Header.Get("Content-Type"))
	}
	events := make(chan string, 100)
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if name, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				events <- name
			}
		}
	}()
	return events
}

func await(t *testing.T, events <-chan string, want string) {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		select {
		case got := <-events:
			if got == want {
				return
			}
		case <-deadline:
			t.Fatalf("no %s event on the live stream", want)
		}
	}
}

// TestLiveUpdates: consoles hear of changes that concern them once the read
// models show them; a user's stream carries its own changes, the tenant's
// stream every change, for users allowed to monitor.
func TestLiveUpdates(t *testing.T) {
	t.Parallel()
	base := startServer(t, "postgres", "")
	op := client{t: t, base: base}
	tenantID, admin := newTenant(t, op)
	own := openLive(t, admin, "/v1/me/live")
	tenant := openLive(t, admin, "/v1/tenant/live")

	admin.expect(200, "PUT", "/v1/me/status", `{"status":"busy"}`)
	await(t, own, "AgentStatusChanged")
	admin.expect(200, "PUT", "/v1/tenant/settings/dispatch.familiarity", `{"value":true}`)
	await(t, tenant, "TenantSettingChanged")

	// Agents may follow their own stream, not the tenant's.
	added := admin.expect(201, "POST", "/v1/agents", `{"email":"ann@acme.example","nickname":"Ann","password":"agent-password"}`)
	ann := signIn(t, op, tenantID, "ann@acme.example", "agent-password")
	ann.expect(403, "GET", "/v1/tenant/live", "")
	annLive := openLive(t, ann, "/v1/me/live")
	admin.expect(200, "PUT", "/v1/agents/"+added["agent_id"].(string)+"/capacity", `{"capacity":2}`)
	await(t, annLive, "AgentCapacitySet")
}
