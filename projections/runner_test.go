package projections

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"supportd/eventschema"
	"supportd/eventstore"
	"supportd/readmodels"
)

func TestTenantsEndToEnd(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t)
	reg := prometheus.NewRegistry()
	r := newTestRunner(t, e, reg, nil, NewTenants(eventschema.Catalog()))
	startRunner(t, r)

	id := uuid.Must(uuid.NewV7())
	cat := eventschema.Catalog()
	md := eventschema.Metadata{TenantID: id, Actor: eventschema.Actor{Kind: eventschema.ActorAdmin, ID: "a"}, OccurredAt: base}
	var events []eventschema.Proposed
	for _, p := range []any{
		eventschema.TenantCreated{TenantID: id, Name: "Acme", TimeZone: "Europe/Paris"},
		eventschema.TenantSettingChanged{TenantID: id, Key: "auto_close_minutes", Value: json.RawMessage(`30`), Previous: json.RawMessage(`60`)},
		eventschema.TenantSettingChanged{TenantID: id, Key: "ratings", Value: json.RawMessage(`true`), Previous: json.RawMessage(`false`)},
		eventschema.TenantSettingChanged{TenantID: id, Key: "auto_close_minutes", Value: json.RawMessage(`45`), Previous: json.RawMessage(`30`)},
	} {
		md.OccurredAt = md.OccurredAt.Add(time.Minute)
		ev, err := cat.Encode(uuid.Must(uuid.NewV7()), p, md)
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, ev)
	}
	res, err := e.store.Append(ctx, "tenant-"+id.String(), eventstore.NoStream, events)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.WaitFor(ctx, res.Position); err != nil {
		t.Fatal(err)
	}

	tenant, err := readmodels.GetTenant(ctx, e.pool, id)
	if err != nil {
		t.Fatal(err)
	}
	if tenant.Name != "Acme" || tenant.TimeZone != "Europe/Paris" || !tenant.CreatedAt.Equal(base.Add(time.Minute)) {
		t.Errorf("tenant = %+v", tenant)
	}
	settings, err := readmodels.GetTenantSettings(ctx, e.pool, id)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		key, value string
		version    uint64
	}{{"auto_close_minutes", "45", 3}, {"ratings", "true", 2}}
	if len(settings) != len(want) {
		t.Fatalf("settings = %+v", settings)
	}
	for i, w := range want {
		s := settings[i]
		if s.Key != w.key || string(s.Value) != w.value || s.Version != w.version {
			t.Errorf("setting %d = %s %s v%d, want %s %s v%d", i, s.Key, s.Value, s.Version, w.key, w.value, w.version)
		}
	}
	if _, err := readmodels.GetTenantSetting(ctx, e.pool, id, "never_set"); !errors.Is(err, readmodels.ErrNotFound) {
		t.Errorf("unset setting: err = %v, want ErrNotFound", err)
	}

	st := statusOf(r, "tenants")
	if st.State != StateRunning || st.Checkpoint != res.Position || st.LastError != "" {
		t.Errorf("status = %+v", st)
	}
	eventually(t, "lag to settle", func() bool { return statusOf(r, "tenants").EventsBehind == 0 })
	for name, want := range map[string]float64{
		metricUp: 1, metricEvents: 4, metricFailures: 0, metricLagEv: 0, metricLagMs: 0,
	} {
		if got := metric(t, reg, name, "tenants"); got != want && !(name == metricFailures && got == -1) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
}

// A failure rolls the batch back; the event is then applied alone, in a
// savepoint per attempt. However it failed, every event's effects are
// committed exactly once.
func TestFailureRollsBackAndRedelivers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		fails int  // attempts of the chosen event that fail
		sql   bool // fail with an SQL error, which aborts the transaction
	}{
		{"once with a Go error", 1, false},
		{"once with an SQL error", 1, true},
		{"three times with a Go error", 3, false},
		{"three times with an SQL error", 3, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			ctx := testContext(t)
			positions := tenantLog(t, ctx, e.store, 4, 24, 25)
			target := positions[37] // inside the first batch of 50
			c := newCounter(t, ctx, e.pool, "counter")
			var mu sync.Mutex
			left := tc.fails
			c.hook = func(ctx context.Context, db DB, ev eventschema.Envelope) error {
				mu.Lock()
				defer mu.Unlock()
				if ev.Position != target || left == 0 {
					return nil
				}
				left--
				if tc.sql {
					return db.Exec(ctx, `SELECT 1/0`)
				}
				return errors.New("injected failure")
			}
			reg := prometheus.NewRegistry()
			r := newTestRunner(t, e, reg, nil, c)
			r.BatchSize = 50
			startRunner(t, r)
			if err := r.WaitFor(ctx, positions[len(positions)-1]); err != nil {
				t.Fatal(err)
			}
			rows, wrong := counts(t, ctx, e.pool, "counter")
			if rows != len(positions) || wrong != 0 {
				t.Errorf("%d rows, %d applied more than once; want %d, 0", rows, wrong, len(positions))
			}
			if got := metric(t, reg, metricFailures, "counter"); got != float64(tc.fails) {
				t.Errorf("failures = %v, want %d", got, tc.fails)
			}
			if st := statusOf(r, "counter"); st.State != StateRunning {
				t.Errorf("status = %+v", st)
			}
		})
	}
}

// An event that keeps failing stops its projector, which reports it; the
// other projectors go on.
func TestFailingProjectorStopsAndReports(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t)
	positions := tenantLog(t, ctx, e.store, 3, 39, 40)
	bad := positions[70]
	broken := newCounter(t, ctx, e.pool, "broken")
	broken.hook = func(ctx context.Context, db DB, ev eventschema.Envelope) error {
		if ev.Position == bad {
			return errors.New("cannot project this")
		}
		return nil
	}
	healthy := newCounter(t, ctx, e.pool, "healthy")
	reg := prometheus.NewRegistry()
	var logs bytes.Buffer
	var logMu sync.Mutex
	r := newTestRunner(t, e, reg, &lockedWriter{w: &logs, mu: &logMu}, broken, healthy)
	r.BatchSize = 50
	startRunner(t, r)

	eventually(t, "broken to stop", func() bool { return statusOf(r, "broken").State == StateStopped })
	if err := r.WaitFor(ctx, positions[len(positions)-1], "healthy"); err != nil {
		t.Fatal(err)
	}
	st := statusOf(r, "broken")
	if st.Checkpoint != positions[69] {
		t.Errorf("stopped at %s, want just before the failing event, %s", st.Checkpoint, positions[69])
	}
	if !contains(st.LastError, "cannot project this") || !contains(st.LastError, bad.String()) {
		t.Errorf("last error = %q", st.LastError)
	}
	if err := r.WaitFor(ctx, positions[len(positions)-1]); !errors.Is(err, ErrStopped) {
		t.Errorf("WaitFor all = %v, want ErrStopped", err)
	}
	// One failure in the batch, then five tries alone.
	if got := metric(t, reg, metricFailures, "broken"); got != 6 {
		t.Errorf("failures = %v, want 6", got)
	}
	if got := metric(t, reg, metricUp, "broken"); got != 0 {
		t.Errorf("up{broken} = %v, want 0", got)
	}
	if got := metric(t, reg, metricUp, "healthy"); got != 1 {
		t.Errorf("up{healthy} = %v, want 1", got)
	}
	rows, wrong := counts(t, ctx, e.pool, "broken")
	if rows != 70 || wrong != 0 {
		t.Errorf("broken: %d rows, %d wrong; want 70, 0", rows, wrong)
	}
	eventually(t, "lag of the stopped projector", func() bool {
		return metric(t, reg, metricLagEv, "broken") == float64(len(positions)-70)
	})
	logMu.Lock()
	if !contains(logs.String(), "projector stopped") {
		t.Errorf("no error logged:\n%s", logs.String())
	}
	logMu.Unlock()

	// The healthy one keeps consuming new events.
	more := tenantLog(t, ctx, e.store, 1, 5, 10)
	if err := r.WaitFor(ctx, more[len(more)-1], "healthy"); err != nil {
		t.Fatal(err)
	}
	if statusOf(r, "broken").Checkpoint != positions[69] {
		t.Error("the stopped projector moved")
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Stopping in the middle of a batch loses nothing and applies nothing
// twice: the next run starts right after the checkpoint.
func TestResumeFromCheckpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t)
	positions := tenantLog(t, ctx, e.store, 5, 99, 50)

	c := newCounter(t, ctx, e.pool, "counter")
	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var n int
	c.hook = func(ctx context.Context, db DB, ev eventschema.Envelope) error {
		if n++; n == 250 {
			cancel() // the process goes away half way through a batch
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	}
	r1 := newTestRunner(t, e, nil, nil, c)
	r1.BatchSize = 100
	if err := r1.Run(runCtx); err != nil {
		t.Fatal(err)
	}
	// Batches end where the shared reader's events end, so where the open
	// batch began is read from the checkpoint.
	cp := checkpointOf(t, ctx, e.pool, "counter")
	done := slices.Index(positions, cp) + 1
	if done == 0 || done >= 250 {
		t.Fatalf("checkpoint after the stop = %s, want one of the first 249 events", cp)
	}
	if rows, _ := counts(t, ctx, e.pool, "counter"); rows != done {
		t.Fatalf("%d rows committed, want %d: the open batch must roll back", rows, done)
	}

	c2 := c.twin()
	var first eventschema.Position
	var once sync.Once
	c2.hook = func(ctx context.Context, db DB, ev eventschema.Envelope) error {
		once.Do(func() { first = ev.Position })
		return nil
	}
	r2 := newTestRunner(t, e, nil, nil, c2)
	startRunner(t, r2)
	if err := r2.WaitFor(ctx, positions[len(positions)-1]); err != nil {
		t.Fatal(err)
	}
	if first != positions[done] {
		t.Errorf("restart began at %s, want %s", first, positions[done])
	}
	rows, wrong := counts(t, ctx, e.pool, "counter")
	if rows != len(positions) || wrong != 0 {
		t.Errorf("%d rows, %d wrong; want %d, 0", rows, wrong, len(positions))
	}
}

// Two runners on one database, as two replicas: the checkpoint row lock
// lets one apply at a time, and every event is applied once.
func TestTwoRunnersOneActive(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t)
	a := newCounter(t, ctx, e.pool, "counter")
	b := a.twin()
	ra := newTestRunner(t, e, nil, nil, a)
	rb := newTestRunner(t, e, nil, nil, b)
	ra.BatchSize, rb.BatchSize = 20, 20
	startRunner(t, ra)
	startRunner(t, rb)

	positions := tenantLog(t, ctx, e.store, 10, 99, 10) // appended while both run
	last := positions[len(positions)-1]
	for _, r := range []*Runner{ra, rb} {
		if err := r.WaitFor(ctx, last); err != nil {
			t.Fatal(err)
		}
	}
	rows, wrong := counts(t, ctx, e.pool, "counter")
	if rows != len(positions) || wrong != 0 {
		t.Errorf("%d rows, %d wrong; want %d, 0", rows, wrong, len(positions))
	}
	if m := a.maxSeen.Load(); m != 1 {
		t.Errorf("%d applications ran at once, want 1", m)
	}
	if got := a.applied.Load() + b.applied.Load(); got != int64(len(positions)) {
		t.Errorf("%d applications, want %d", got, len(positions))
	}
}

// Lag counts the events after the checkpoint and ages the oldest of them by
// the runner's clock. A stopped projector shows it (one blocked on purpose
// would hold a transaction open, which holds back the log for everyone).
func TestLag(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t)
	positions := tenantLog(t, ctx, e.store, 2, 49, 50)
	stuck := newCounter(t, ctx, e.pool, "stuck")
	stuck.hook = func(ctx context.Context, db DB, ev eventschema.Envelope) error {
		return errors.New("stuck")
	}
	fine := newCounter(t, ctx, e.pool, "fine")
	reg := prometheus.NewRegistry()
	r := newTestRunner(t, e, reg, nil, stuck, fine)
	later := time.Now().Add(time.Hour)
	r.Now = func() time.Time { return later }
	startRunner(t, r)

	eventually(t, "stuck to stop", func() bool { return statusOf(r, "stuck").State == StateStopped })
	if err := r.WaitFor(ctx, positions[len(positions)-1], "fine"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the tracker to see the log", func() bool {
		return statusOf(r, "stuck").EventsBehind == int64(len(positions))
	})
	st := statusOf(r, "stuck")
	if st.Behind < 59*time.Minute || st.Behind > 61*time.Minute {
		t.Errorf("behind %v, want about an hour", st.Behind)
	}
	if got := metric(t, reg, metricLagEv, "stuck"); got != float64(len(positions)) {
		t.Errorf("lag events = %v, want %d", got, len(positions))
	}
	if got := metric(t, reg, metricLagMs, "stuck"); got < float64(59*time.Minute/time.Millisecond) {
		t.Errorf("lag ms = %v, want about an hour", got)
	}
	eventually(t, "lag of the caught-up projector to clear", func() bool {
		st := statusOf(r, "fine")
		return st.EventsBehind == 0 && st.Behind == 0
	})
	if got := metric(t, reg, metricLagMs, "fine"); got != 0 {
		t.Errorf("lag ms of the caught-up projector = %v, want 0", got)
	}
}

func TestNewRunnerRejects(t *testing.T) {
	t.Parallel()
	e := &env{}
	reg := eventschema.Catalog()
	cases := []struct {
		name string
		ps   []Projector
	}{
		{"no projectors", nil},
		{"duplicate names", []Projector{NewTenants(reg), NewTenants(reg)}},
		{"bad name", []Projector{&counter{name: "Bad-Name"}}},
	}
	for _, tc := range cases {
		if _, err := NewRunner(e.store, nil, nil, nil, tc.ps...); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}
