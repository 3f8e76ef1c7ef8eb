package projections

import (
	"context"
	"sync/atomic"
	"testing"

	"supportd/eventschema"
)

// A projector whose database connection is terminated while it applies an
// event, in its batch and then in its first try alone (whose retries on
// the dead connection all fail), waits for the database instead of
// stopping: the event is applied once the connection survives, exactly
// once.
func TestTerminatedConnectionDoesNotStopProjector(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t)
	positions := tenantLog(t, ctx, e.store, 2, 19, 20)
	bad := positions[25]
	var terminated atomic.Int64
	flaky := newCounter(t, ctx, e.pool, "flaky")
	flaky.hook = func(ctx context.Context, db DB, ev eventschema.Envelope) error {
		if ev.Position != bad || terminated.Load() >= 2 {
			return nil
		}
		terminated.Add(1)
		// What a database restart does to the projector's connection.
		var ok bool
		return db.QueryRow(ctx, `SELECT pg_terminate_backend(pg_backend_pid())`).Scan(&ok)
	}
	r := newTestRunner(t, e, nil, nil, flaky)
	r.BatchSize = 10
	startRunner(t, r)

	eventually(t, "flaky to apply every event", func() bool {
		return !statusOf(r, "flaky").Checkpoint.Less(positions[len(positions)-1])
	})
	if st := statusOf(r, "flaky"); st.State != StateRunning {
		t.Errorf("state %s, want running: %s", st.State, st.LastError)
	}
	if n := terminated.Load(); n < 2 {
		t.Errorf("terminated %d times, want 2", n)
	}
	rows, wrong := counts(t, ctx, e.pool, "flaky")
	if rows != len(positions) || wrong != 0 {
		t.Errorf("flaky: %d rows, %d applied more than once; want %d, 0", rows, wrong, len(positions))
	}
}
