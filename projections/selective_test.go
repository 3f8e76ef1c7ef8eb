package projections

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"supportd/eventschema"
)

// untouchable is a DB that records every statement and runs none.
type untouchable struct{ calls []string }

var errUntouchable = errors.New("statement on an event type the projector does not declare")

func (d *untouchable) Exec(_ context.Context, sql string, _ ...any) error {
	d.calls = append(d.calls, sql)
	return nil
}

func (d *untouchable) Query(_ context.Context, sql string, _ ...any) (pgx.Rows, error) {
	d.calls = append(d.calls, sql)
	return nil, errUntouchable
}

func (d *untouchable) QueryRow(_ context.Context, sql string, _ ...any) pgx.Row {
	d.calls = append(d.calls, sql)
	return errRow{errUntouchable}
}

// samples loads the stored sample of every registered event type version
// (eventschema/testdata/samples), as the log returns them.
func samples(t *testing.T) []eventschema.Envelope {
	t.Helper()
	files, err := filepath.Glob("../eventschema/testdata/samples/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no event samples: %v", err)
	}
	out := make([]eventschema.Envelope, 0, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var e eventschema.Envelope
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, e)
	}
	return out
}

// Every projector of supportd declares the types it projects, and leaves
// every other registered type alone: the pipeline does not even hand them
// over, so a type missing from a declaration would silently not be
// projected. A sample of each undeclared type goes through Apply, which
// must not touch the database.
func TestDeclaredTypesAreComplete(t *testing.T) {
	reg := eventschema.Catalog()
	all := samples(t)
	for _, p := range All(reg) {
		t.Run(p.Name(), func(t *testing.T) {
			declared := selection(p)
			if declared == nil {
				t.Fatalf("%s does not declare its event types (Selective)", p.Name())
			}
			for typ := range declared {
				if _, ok := reg.Lookup(typ); !ok {
					t.Errorf("declares %s, which is no registered event type", typ)
				}
			}
			for _, e := range all {
				if declared[e.Type] {
					continue
				}
				db := &untouchable{}
				if err := p.Apply(context.Background(), db, e); err != nil || len(db.calls) > 0 {
					t.Errorf("%s v%d is not declared, yet Apply ran %q (err %v): declare it", e.Type, e.Version, db.calls, err)
				}
			}
		})
	}
}

// watcher is a projector that declares some types and records the types it
// is handed.
type watcher struct {
	*counter
	types []string

	mu   sync.Mutex
	seen map[string]int
}

func (w *watcher) EventTypes() []string { return w.types }

func (w *watcher) Apply(ctx context.Context, db DB, e eventschema.Envelope) error {
	w.mu.Lock()
	if w.seen == nil {
		w.seen = map[string]int{}
	}
	w.seen[e.Type]++
	w.mu.Unlock()
	return w.counter.Apply(ctx, db, e)
}

// A projector is handed the types it declares only. The events it skips
// count as applied at once (WaitFor), cost it no transaction, and its
// checkpoint row follows them lazily, never past an event it has not
// applied.
func TestProjectorGetsDeclaredTypesOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t)
	// Count the checkpoint's writes, one per transaction that moved it.
	if _, err := e.pool.Exec(ctx, `
		CREATE TABLE checkpoint_writes (projector text, n int);
		CREATE FUNCTION count_checkpoint_write() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN INSERT INTO checkpoint_writes VALUES (NEW.projector, 1); RETURN NEW; END $$;
		CREATE TRIGGER count_writes AFTER UPDATE ON projection_checkpoints
		FOR EACH ROW EXECUTE FUNCTION count_checkpoint_write();`); err != nil {
		t.Fatal(err)
	}
	w := &watcher{counter: newCounter(t, ctx, e.pool, "watcher"), types: []string{"TenantCreated"}}
	r := newTestRunner(t, e, nil, nil, w)
	r.BatchSize = 20
	startRunner(t, r)

	const tenants, changes = 4, 149
	positions := tenantLog(t, ctx, e.store, tenants, changes, 50)
	last := positions[len(positions)-1]
	if err := r.WaitFor(ctx, last); err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	seen := w.seen
	w.mu.Unlock()
	if len(seen) != 1 || seen["TenantCreated"] != tenants {
		t.Errorf("handed %v, want %d TenantCreated only", seen, tenants)
	}
	if rows, wrong := counts(t, ctx, e.pool, "watcher"); rows != tenants || wrong != 0 {
		t.Errorf("%d rows, %d wrong; want %d, 0", rows, wrong, tenants)
	}
	eventually(t, "the checkpoint row past the skipped events", func() bool {
		return checkpointOf(t, ctx, e.pool, "watcher") == last
	})
	var writes int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM checkpoint_writes WHERE projector = 'watcher'`).Scan(&writes); err != nil {
		t.Fatal(err)
	}
	// Without skipping, every batch of 20 would write it: 30 times.
	if total := len(positions) / r.BatchSize; writes > tenants+total/10+2 {
		t.Errorf("checkpoint written %d times for %d events in batches of %d: skipped batches must not write", writes, len(positions), r.BatchSize)
	}
}

// Two replicas of a projector that skips most events: whichever moves the
// checkpoint row, past applied or skipped events, the other follows it, and
// every declared event is applied once.
func TestTwoRunnersSkipping(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t)
	c := newCounter(t, ctx, e.pool, "watcher")
	a := &watcher{counter: c, types: []string{"TenantCreated"}}
	b := &watcher{counter: c.twin(), types: []string{"TenantCreated"}}
	ra := newTestRunner(t, e, nil, nil, a)
	rb := newTestRunner(t, e, nil, nil, b)
	ra.BatchSize, rb.BatchSize = 20, 20
	startRunner(t, ra)
	startRunner(t, rb)

	const tenants = 10
	positions := tenantLog(t, ctx, e.store, tenants, 99, 10) // appended while both run
	last := positions[len(positions)-1]
	for _, r := range []*Runner{ra, rb} {
		if err := r.WaitFor(ctx, last); err != nil {
			t.Fatal(err)
		}
	}
	if rows, wrong := counts(t, ctx, e.pool, "watcher"); rows != tenants || wrong != 0 {
		t.Errorf("%d rows, %d wrong; want %d, 0", rows, wrong, tenants)
	}
	if got := a.applied.Load() + b.applied.Load(); got != tenants {
		t.Errorf("%d applications, want %d", got, tenants)
	}
	eventually(t, "the checkpoint row past the skipped events", func() bool {
		return checkpointOf(t, ctx, e.pool, "watcher") == last
	})
}
