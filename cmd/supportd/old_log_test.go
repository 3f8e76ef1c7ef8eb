package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"supportd/eventschema"
	"supportd/eventstore"
	"supportd/eventstore/postgres"
	"supportd/eventstore/postgres/pgtest"
)

// TestRefusesLogWithoutTenantNames: given a log written before stream
// names carried the tenant, supportd stops at start with an error naming
// such a stream, instead of serving without those objects or retrying for
// ever.
func TestRefusesLogWithoutTenantNames(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewDatabase(t)
	ctx := context.Background()
	pool := pgtest.Pool(t, dbURL)
	if err := postgres.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	tenant, conv := uuid.New(), uuid.New()
	old := "conversation-" + conv.String()
	store := postgres.New(pool)
	defer store.Close()
	if _, err := store.Append(ctx, old, eventstore.NoStream, []eventschema.Proposed{{
		ID: uuid.New(), Type: "ConversationStarted", Version: 1, Data: json.RawMessage(`{}`),
		Metadata: eventschema.Metadata{TenantID: tenant, Actor: eventschema.Actor{Kind: eventschema.ActorSystem, ID: "test"},
			OccurredAt: time.Now().UTC(), CommandID: uuid.New()},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `DELETE FROM eventstore_migrations WHERE version_id >= 2`); err != nil {
		t.Fatal(err)
	}

	cfg, err := parseConfig([]string{"--addr", "127.0.0.1:0", "--database-url", dbURL, "--db-max-conns", testServerConns,
		"--operator-token", "op-token", "--secret-key", testSecretKey}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	err = run(runCtx, cfg, slog.New(slog.DiscardHandler), nil)
	if err == nil || !strings.Contains(err.Error(), old) || !strings.Contains(err.Error(), "without their tenant") {
		t.Fatalf("supportd on an old log: %v, want a refusal naming %s", err, old)
	}
	if runCtx.Err() != nil {
		t.Fatalf("supportd kept trying on an old log until the test's deadline: %v", err)
	}
}
