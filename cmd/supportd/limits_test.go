package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// TestSlowClientsAreCutOff: a request body that never ends and an idle
// keep-alive connection are closed by the server's read and idle
// timeouts, while a live stream outlives the write timeout.
func TestSlowClientsAreCutOff(t *testing.T) {
	t.Parallel()
	// The request timeout leaves the set-up requests room on a loaded
	// machine (5 s was not enough once); the write timeout must exceed it.
	base, _ := startServerWith(t, "postgres", "", "--read-timeout", "1s", "--idle-timeout", "1s",
		"--request-timeout", "20s", "--write-timeout", "21s")
	op := client{t: t, base: base}
	_, admin := newTenant(t, op)
	addr := strings.TrimPrefix(base, "http://")

	// closedWithin dials, sends what, and requires the server to close the
	// connection within limit (what it answers first does not matter).
	closedWithin := func(what string, limit time.Duration) {
		t.Helper()
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, what); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_ = conn.SetReadDeadline(start.Add(limit + 5*time.Second)) // a failing test ends too
		_, err = io.Copy(io.Discard, conn)
		if took := time.Since(start); err != nil || took > limit {
			t.Errorf("%q: connection still open after %s (err %v), want closed within %s", what[:20], took, err, limit)
		}
	}
	// A body announced but never sent.
	closedWithin("PUT /v1/me/status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+admin.token+
		"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"sta", 3*time.Second)
	// Headers that never end.
	closedWithin("GET /healthz HTTP/1.1\r\nHost: x\r\n", 8*time.Second)
	// An idle keep-alive connection after a complete exchange.
	closedWithin("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 3*time.Second)

	// A live stream lasts past the write timeout and still carries changes.
	own := openLive(t, admin, "/v1/me/live")
	time.Sleep(22 * time.Second) // longer than --write-timeout: the test is of a timeout
	admin.expect(200, "PUT", "/v1/me/status", `{"status":"busy"}`)
	await(t, own, "AgentStatusChanged")
}

// TestStalledDatabaseAnswers503: with the event log locked (a stalled
// database), a command answers 503 with Retry-After once the request
// timeout passes, instead of hanging; once the lock goes, it succeeds.
func TestStalledDatabaseAnswers503(t *testing.T) {
	t.Parallel()
	// Room for the set-up requests on a loaded machine, as above.
	base, dbURL := startServerWith(t, "postgres", "", "--request-timeout", "12s", "--write-timeout", "14s")
	op := client{t: t, base: base}
	_, admin := newTenant(t, op)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// EXCLUSIVE blocks appends and lets reads through. Unlike ACCESS
	// EXCLUSIVE it takes no transaction ID, which would hold back the log
	// of every database on the cluster (other tests' too) while it lasts.
	if _, err := tx.Exec(ctx, `LOCK TABLE events IN EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct{ method, path, body string }{
		{"PUT", "/v1/me/status", `{"status":"busy"}`},
		{"POST", "/v1/agents", `{"email":"ann@acme.example","nickname":"Ann","password":"agent-password"}`},
	} {
		start := time.Now()
		req, _ := http.NewRequest(r.method, base+r.path, strings.NewReader(r.body))
		req.Header.Set("Authorization", "Bearer "+admin.token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if took := time.Since(start); resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || took > 17*time.Second ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s %s with the log locked: %d Retry-After %q after %s: %s", r.method, r.path, resp.StatusCode, resp.Header.Get("Retry-After"), took, body)
		}
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	admin.expect(200, "PUT", "/v1/me/status", `{"status":"busy"}`)
}

// TestLiveStreamLimits: past its limit, a user's or a channel key's next
// live stream is refused with 429 and Retry-After; closing one makes room.
func TestLiveStreamLimits(t *testing.T) {
	t.Parallel()
	base, _ := startServerWith(t, "postgres", "", "--max-streams-per-user", "2", "--max-streams-per-channel-key", "1")
	op := client{t: t, base: base}
	_, admin := newTenant(t, op)

	// open answers the status of a new stream and a func that closes it.
	open := func(path string, headers ...string) (int, string, func()) {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", base+path, nil)
		if admin.token != "" && len(headers) == 0 {
			req.Header.Set("Authorization", "Bearer "+admin.token)
		}
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		req.Header.Set("Accept", "text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode == 200 {
			// The stream is registered before its headers go out.
			go func() { _, _ = bufio.NewReader(resp.Body).ReadString(0) }()
		}
		closeIt := func() { cancel(); resp.Body.Close() }
		t.Cleanup(closeIt)
		return resp.StatusCode, resp.Header.Get("Retry-After"), closeIt
	}
	// A user's streams, own and tenant's together.
	if code, _, _ := open("/v1/me/live"); code != 200 {
		t.Fatalf("first stream: %d", code)
	}
	_, _, closeSecond := open("/v1/tenant/live")
	if code, retry, _ := open("/v1/me/live"); code != 429 || retry == "" {
		t.Errorf("third stream of a user: %d Retry-After %q, want 429", code, retry)
	}
	closeSecond()
	eventually(t, "a closed stream makes room", func() bool {
		code, _, closeIt := open("/v1/me/live")
		closeIt()
		return code == 200
	})

	// A channel key's streams.
	team := admin.expect(201, "POST", "/v1/teams", `{"name":"Support"}`)["team_id"].(string)
	set := admin.expect(200, "PUT", "/v1/tenant/settings/routing.default_team_id", fmt.Sprintf(`{"value":%q}`, team))
	admin.expect(200, "GET", "/v1/tenant/settings"+at(set), "")
	key := admin.expect(201, "POST", "/v1/channel-keys", `{"channel":"web","name":"site"}`)
	admin.expect(200, "GET", "/v1/channel-keys"+at(key), "")
	k := key["key"].(string)
	conv := admin.as("none").expect(201, "POST", "/v1/channel/conversations",
		fmt.Sprintf(`{"customer_id":%q,"customer_name":"Lu"}`, uuid.Must(uuid.NewV7())), "X-Channel-Key", k)
	path := "/v1/channel/conversations/" + conv["conversation_id"].(string) + "/live"
	if code, _, _ := open(path, "X-Channel-Key", k); code != 200 {
		t.Fatalf("first channel stream: %d", code)
	}
	if code, retry, _ := open(path, "X-Channel-Key", k); code != 429 || retry == "" {
		t.Errorf("second stream of a channel key: %d Retry-After %q, want 429", code, retry)
	}
}

// eventually polls ok until it holds, failing the test after 15 s.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
	}
}
