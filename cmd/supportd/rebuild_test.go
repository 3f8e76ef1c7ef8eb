package main

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"supportd/eventschema"
	"supportd/eventstore/postgres"
	"supportd/projections"
)

// requireRebuildEqualsLive rebuilds every read model from the log of the
// database at dbURL, while the server's projectors run, and requires each
// table to hold exactly the rows the live projectors wrote. Call it at the
// end of a scenario: it first waits for the live projectors to apply the
// whole log.
func requireRebuildEqualsLive(t *testing.T, ctx context.Context, pool *pgxpool.Pool) {
	t.Helper()
	store := postgres.New(pool)
	awaitProjectors(t, ctx, pool, store)
	for _, p := range projections.All(eventschema.Catalog()) {
		live := dumpTables(t, ctx, pool, p.Tables())
		if _, err := projections.Rebuild(ctx, store, pool, p, nil); err != nil {
			t.Fatalf("rebuild %s: %v", p.Name(), err)
		}
		rebuilt := dumpTables(t, ctx, pool, p.Tables())
		for _, table := range p.Tables() {
			if !slices.Equal(live[table], rebuilt[table]) {
				t.Errorf("%s: rebuilt table %s differs from the live one\nlive:    %q\nrebuilt: %q", p.Name(), table, live[table], rebuilt[table])
			}
		}
	}
}

// dumpTables reads every row of tables as JSON text, in a fixed order.
func dumpTables(t *testing.T, ctx context.Context, pool *pgxpool.Pool, tables []string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range tables {
		rows, err := pool.Query(ctx, `SELECT to_jsonb(t)::text FROM `+table+` t ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var row string
			if err := rows.Scan(&row); err != nil {
				t.Fatal(err)
			}
			out[table] = append(out[table], row)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// awaitProjectors waits until every projector's checkpoint is at the end of
// the log.
func awaitProjectors(t *testing.T, ctx context.Context, pool *pgxpool.Pool, store *postgres.Store) {
	t.Helper()
	var last eventschema.Position
	for {
		page, err := store.ReadAll(ctx, last, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		last = page[len(page)-1].Position
	}
	deadline := time.Now().Add(time.Minute)
	for {
		var done int
		err := pool.QueryRow(ctx, `SELECT count(*) FROM projection_checkpoints
			WHERE (commit_position, prepare_position) >= ($1, $2)`, int64(last.Commit), int64(last.Prepare)).Scan(&done)
		if err != nil {
			t.Fatal(err)
		}
		behind := len(projections.All(eventschema.Catalog())) - done
		if behind <= 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d projectors still behind %s", behind, last)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
