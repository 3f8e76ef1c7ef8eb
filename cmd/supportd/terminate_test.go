package main

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestDatabaseConnectionsTerminated: PostgreSQL ends every connection of
// the server again and again for 3 s (what a restart or a failover does:
// "terminating connection due to administrator command"), while the
// server is idle, its readers of the log polling. The server stays up: its
// readers resume, a command then succeeds, the live stream carries it and
// /readyz answers 200.
func TestDatabaseConnectionsTerminated(t *testing.T) {
	t.Parallel()
	base, dbURL := startServerDB(t, "postgres", "")
	op := client{t: t, base: base}
	_, admin := newTenant(t, op)
	own := openLive(t, admin, "/v1/me/live")
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	terminated := 0
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		terminated += n
	}
	if terminated == 0 {
		t.Fatal("no connection was terminated")
	}
	eventually(t, "a command succeeds after the connections were terminated", func() bool {
		code, _ := admin.do("PUT", "/v1/me/status", `{"status":"busy"}`)
		return code == 200
	})
	await(t, own, "AgentStatusChanged")
	eventually(t, "readyz answers 200", func() bool {
		code, _ := op.do("GET", "/readyz", "")
		return code == 200
	})
	t.Logf("%d connections terminated", terminated)
}
