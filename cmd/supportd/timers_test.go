package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"supportd/cmd/internal/connect"
	"supportd/eventstore"
	"supportd/eventstore/postgres/pgtest"
)

// serveOn runs a server on an existing database until stop is called.
func serveOn(t *testing.T, dbURL string) (base string, stop func()) {
	t.Helper()
	cfg, err := parseConfig([]string{"--addr", "127.0.0.1:0", "--database-url", dbURL,
		"--db-max-conns", testServerConns, "--operator-token", "op-token", "--password-cost", "4", "--webhooks-allow-private"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr, done := make(chan string, 1), make(chan error, 1)
	go func() { done <- run(ctx, cfg, slog.New(slog.DiscardHandler), func(a string) { addr <- a }) }()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("server stopped with %v", err)
			}
		}
	}
	t.Cleanup(stop)
	select {
	case a := <-addr:
		return "http://" + a, stop
	case err := <-done:
		t.Fatalf("server did not start: %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("server did not start in time")
	}
	return "", stop
}

// TestTransferTimeoutSurvivesRestart requests a transfer that needs
// confirmation, stops the server while it is pending, starts a new one on
// the same database, and checks that the timeout fires exactly once after
// the restart: the transfer fails as expired and the conversation stays with
// its agent.
func TestTransferTimeoutSurvivesRestart(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewDatabase(t)
	base, stop := serveOn(t, dbURL)
	op := client{t: t, base: base}
	tenant, admin := newTenant(t, op)
	annID, ann := teamUser(t, admin, tenant, "ann@acme.example", "Ann", "agent")
	bobID, bob := teamUser(t, admin, tenant, "bob@acme.example", "Bob", "agent")
	team := admin.expect(201, "POST", "/v1/teams", `{"name":"Support"}`)["team_id"].(string)
	admin.expect(200, "PUT", "/v1/teams/"+team+"/members", fmt.Sprintf(`{"add":[%q,%q]}`, annID, bobID))
	admin.expect(200, "PUT", "/v1/tenant/settings/transfer.require_confirmation", `{"value":true}`)
	admin.expect(200, "PUT", "/v1/tenant/settings/transfer.confirmation_timeout_seconds", `{"value":10}`)
	key := admin.expect(201, "POST", "/v1/channel-keys", `{"channel":"web","name":"Widget"}`)
	admin.expect(200, "GET", "/v1/channel-keys"+at(key), "")
	start := admin.as("none").expect(201, "POST", "/v1/channel/conversations",
		fmt.Sprintf(`{"customer_id":%q,"customer_name":"Lu","entry_team_id":%q}`, uuid.NewString(), team), "X-Channel-Key", key["key"].(string))
	conv := start["conversation_id"].(string)

	// Ann serves it: she joins from the queue, unless it was assigned to
	// one of the two already; the one serving asks the other to take over.
	ann.do("POST", "/v1/queue/"+conv+"/join"+at(start), "")
	serving := func() any {
		var agent any
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			_, d := admin.do("GET", "/v1/conversations/"+conv, "")
			if c, ok := d["conversation"].(map[string]any); ok && c["agent_id"] != nil && c["agent_id"] != "" {
				agent = c["agent_id"]
				break
			}
		}
		return agent
	}
	from, toID := ann, bobID
	if serving() == bobID {
		from, toID = bob, annID
	}
	fromID := serving()
	asked := from.expect(200, "POST", "/v1/conversations/"+conv+"/transfer", fmt.Sprintf(`{"to_kind":"agent","to_id":%q}`, toID))
	from.expect(200, "GET", "/v1/conversations/"+conv+at(asked), "")

	// The server goes down with the timeout pending, and a new one comes up.
	stop()
	base, _ = serveOn(t, dbURL)
	admin.base = base

	ctx := context.Background()
	pool := pgtest.Pool(t, dbURL)
	store, release, err := connect.EventStore(ctx, "postgres", pool, "")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	failed := func() (n int) {
		events, err := store.ReadStream(ctx, objectStream("conversation", tenant, conv), eventstore.Forwards, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if e.Type == "TransferFailed" {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(time.Minute)
	for failed() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the pending transfer did not expire after the restart")
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second) // a few more scheduler ticks: nothing fires twice
	if n := failed(); n != 1 {
		t.Fatalf("TransferFailed recorded %d times, want once", n)
	}
	if got := serving(); got != fromID {
		t.Errorf("served by %v after the expiry, want %v", got, fromID)
	}
}
