package projections

import (
	"context"
	"errors"
	"slices"
	"testing"

	"supportd/eventschema"
)

// The rebuilt tables are row-for-row the live ones, carry the same index
// names, and the live projector goes on from the rebuilt checkpoint.
func TestRebuildMatchesLive(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t)
	positions := tenantLog(t, ctx, e.store, 30, 60, 20)
	last := positions[len(positions)-1]
	p := NewTenants(eventschema.Catalog())
	r := newTestRunner(t, e, nil, nil, NewTenants(eventschema.Catalog()))
	startRunner(t, r)
	if err := r.WaitFor(ctx, last); err != nil {
		t.Fatal(err)
	}
	live := dump(t, ctx, e.pool, p.Tables())
	liveIndexes := indexNames(t, ctx, e.pool, p.Tables())
	if len(live["tenants"]) != 30 || len(live["tenant_settings"]) != 30*7 {
		t.Fatalf("live read model has %d tenants and %d settings", len(live["tenants"]), len(live["tenant_settings"]))
	}

	var calls int
	var lastDone int64
	res, err := Rebuild(ctx, e.store, e.pool, p, func(done int64, rate float64) {
		calls++
		if done < lastDone || rate < 0 {
			t.Errorf("progress went from %d to %d at %v/s", lastDone, done, rate)
		}
		lastDone = done
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Events != int64(len(positions)) || res.Checkpoint != last {
		t.Errorf("result = %+v, want %d events up to %s", res, len(positions), last)
	}
	if calls == 0 || lastDone != int64(len(positions)) {
		t.Errorf("progress: %d calls, last %d", calls, lastDone)
	}
	sameRows(t, "rebuilt", live, dump(t, ctx, e.pool, p.Tables()))
	if got := indexNames(t, ctx, e.pool, p.Tables()); !slices.Equal(got, liveIndexes) {
		t.Errorf("indexes after rebuild %v, want %v", got, liveIndexes)
	}
	if cp := checkpointOf(t, ctx, e.pool, "tenants"); cp != last {
		t.Errorf("checkpoint %s, want %s", cp, last)
	}
	var schemas int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'rebuild_%'`).Scan(&schemas); err != nil || schemas != 0 {
		t.Errorf("%d rebuild schemas left (%v)", schemas, err)
	}

	// The live projector writes to the new tables.
	more := tenantLog(t, ctx, e.store, 2, 10, 5)
	if err := r.WaitFor(ctx, more[len(more)-1]); err != nil {
		t.Fatal(err)
	}
	live = dump(t, ctx, e.pool, p.Tables())
	if len(live["tenants"]) != 32 {
		t.Fatalf("%d tenants after the rebuild, want 32", len(live["tenants"]))
	}
	if _, err := Rebuild(ctx, e.store, e.pool, p, nil); err != nil {
		t.Fatal(err)
	}
	sameRows(t, "rebuilt again", live, dump(t, ctx, e.pool, p.Tables()))
}

// A rebuild while events are appended and projected live loses and doubles
// nothing: the swap hands over at one exact position.
func TestRebuildDuringTraffic(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t)
	p := NewTenants(eventschema.Catalog())
	r := newTestRunner(t, e, nil, nil, NewTenants(eventschema.Catalog()))
	r.BatchSize = 50
	startRunner(t, r)

	type appended struct {
		streams map[string]bool
		err     error
	}
	done := make(chan appended, 1)
	go func() {
		streams, err := appendTenants(ctx, e.store, 20, 99, 10)
		done <- appended{streams, err}
	}()
	eventually(t, "live projection to start", func() bool {
		return statusOf(r, "tenants").Checkpoint != eventschema.Start
	})
	if _, err := Rebuild(ctx, e.store, e.pool, p, nil); err != nil {
		t.Fatal(err)
	}
	a := <-done
	if a.err != nil {
		t.Fatal(a.err)
	}
	positions := positionsOf(t, ctx, e.store, a.streams, 20*100)
	if err := r.WaitFor(ctx, positions[len(positions)-1]); err != nil {
		t.Fatal(err)
	}
	live := dump(t, ctx, e.pool, p.Tables())
	if len(live["tenants"]) != 20 || len(live["tenant_settings"]) != 20*7 {
		t.Fatalf("live read model has %d tenants and %d settings", len(live["tenants"]), len(live["tenant_settings"]))
	}
	if _, err := Rebuild(ctx, e.store, e.pool, p, nil); err != nil {
		t.Fatal(err)
	}
	sameRows(t, "quiet rebuild", live, dump(t, ctx, e.pool, p.Tables()))
}

// Index and constraint names chosen by a migration survive the swap, though
// CREATE TABLE ... LIKE does not copy them.
func TestRebuildKeepsIndexNames(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t)
	if _, err := e.pool.Exec(ctx, `
		CREATE TABLE custom_applied (
			event_id uuid NOT NULL, position text NOT NULL, n int NOT NULL,
			CONSTRAINT custom_identity PRIMARY KEY (event_id),
			CONSTRAINT custom_once CHECK (n > 0));
		CREATE INDEX custom_by_position ON custom_applied (position);
		CREATE UNIQUE INDEX custom_position_unique ON custom_applied (position, event_id)`); err != nil {
		t.Fatal(err)
	}
	c := newCounter(t, ctx, e.pool, "custom")
	positions := tenantLog(t, ctx, e.store, 3, 20, 7)
	r := newTestRunner(t, e, nil, nil, c)
	startRunner(t, r)
	if err := r.WaitFor(ctx, positions[len(positions)-1]); err != nil {
		t.Fatal(err)
	}
	live := dump(t, ctx, e.pool, c.Tables())
	before := indexNames(t, ctx, e.pool, c.Tables())
	if _, err := Rebuild(ctx, e.store, e.pool, c.twin(), nil); err != nil {
		t.Fatal(err)
	}
	sameRows(t, "rebuilt", live, dump(t, ctx, e.pool, c.Tables()))
	if after := indexNames(t, ctx, e.pool, c.Tables()); !slices.Equal(after, before) {
		t.Errorf("indexes %v, want %v", after, before)
	}
	var constraints []string
	rows, err := e.pool.Query(ctx, `SELECT conname FROM pg_constraint WHERE conrelid = 'custom_applied'::regclass ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		constraints = append(constraints, s)
	}
	if want := []string{"custom_identity", "custom_once"}; !slices.Equal(constraints, want) {
		t.Errorf("constraints %v, want %v", constraints, want)
	}
}

// A rebuild that fails leaves the live tables and checkpoint as they were
// and cleans up its fresh tables.
func TestRebuildFailureLeavesLiveAlone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t)
	positions := tenantLog(t, ctx, e.store, 3, 30, 10)
	c := newCounter(t, ctx, e.pool, "counter")
	r := newTestRunner(t, e, nil, nil, c)
	startRunner(t, r)
	if err := r.WaitFor(ctx, positions[len(positions)-1]); err != nil {
		t.Fatal(err)
	}
	live := dump(t, ctx, e.pool, c.Tables())
	bad := c.twin()
	bad.hook = func(ctx context.Context, db DB, ev eventschema.Envelope) error {
		if ev.Position == positions[50] {
			return errors.New("broken projector")
		}
		return nil
	}
	if _, err := Rebuild(ctx, e.store, e.pool, bad, nil); err == nil || !contains(err.Error(), "broken projector") {
		t.Fatalf("err = %v, want the projector's failure", err)
	}
	sameRows(t, "after a failed rebuild", live, dump(t, ctx, e.pool, c.Tables()))
	if cp := checkpointOf(t, ctx, e.pool, "counter"); cp != positions[len(positions)-1] {
		t.Errorf("checkpoint moved to %s", cp)
	}
	var schemas int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM pg_namespace WHERE nspname = 'rebuild_counter'`).Scan(&schemas); err != nil || schemas != 0 {
		t.Errorf("%d rebuild schemas left (%v)", schemas, err)
	}
}

func TestRebuildOneAtATime(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t)
	conn, err := e.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtextextended('supportd.rebuild.tenants', 0))`); err != nil {
		t.Fatal(err)
	}
	if _, err := Rebuild(ctx, e.store, e.pool, NewTenants(eventschema.Catalog()), nil); !errors.Is(err, ErrRebuildRunning) {
		t.Errorf("err = %v, want ErrRebuildRunning", err)
	}
}
