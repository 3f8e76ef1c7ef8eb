package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"supportd/eventschema"
	"supportd/eventstore"
	"supportd/eventstore/postgres"
	"supportd/eventstore/postgres/pgtest"
	"supportd/readmodels"
)

// env is one test's database: event store and read models side by side.
type env struct {
	url   string
	pool  *pgxpool.Pool
	store *postgres.Store
}

func newEnv(t testing.TB) *env {
	t.Helper()
	url := pgtest.NewDatabase(t)
	pool := openPool(t, url)
	ctx := testContext(t)
	if err := postgres.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if err := readmodels.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	store := postgres.New(pool)
	t.Cleanup(store.Close)
	return &env{url: url, pool: pool, store: store}
}

func openPool(t testing.TB, url string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 6
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// testLogger discards logs unless PROJECTIONS_TEST_LOG is set.
func testLogger(w io.Writer) *slog.Logger {
	if os.Getenv("PROJECTIONS_TEST_LOG") != "" {
		w = io.MultiWriter(w, os.Stderr)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

var base = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// tenantLog appends a deterministic log of tenant events (see
// appendTenants) and returns the positions of the events it appended, in
// log order.
func tenantLog(t testing.TB, ctx context.Context, store eventstore.Store, tenants, changes, chunk int) []eventschema.Position {
	t.Helper()
	streams, err := appendTenants(ctx, store, tenants, changes, chunk)
	if err != nil {
		t.Fatal(err)
	}
	return positionsOf(t, ctx, store, streams, tenants*(changes+1))
}

// appendTenants appends tenants streams, each a TenantCreated followed by
// changes setting changes spread over a few keys (so most change an
// existing row), chunk events per append, round robin over the tenants. It
// returns the names of the streams.
func appendTenants(ctx context.Context, store eventstore.Store, tenants, changes, chunk int) (map[string]bool, error) {
	reg := eventschema.Catalog()
	ids := make([]uuid.UUID, tenants)
	next := make([]int, tenants) // next change per tenant; -1 before creation
	own := map[string]bool{}
	for i := range ids {
		ids[i] = uuid.Must(uuid.NewV7())
		next[i] = -1
		own["tenant-"+ids[i].String()] = true
	}
	for remaining := tenants * (changes + 1); remaining > 0; {
		for ti, id := range ids {
			if next[ti] >= changes {
				continue
			}
			var batch []eventschema.Proposed
			expected := eventstore.NoStream
			if next[ti] >= 0 {
				expected = eventstore.Exact(uint64(next[ti]))
			}
			for len(batch) < chunk && next[ti] < changes {
				md := eventschema.Metadata{
					TenantID:   id,
					Actor:      eventschema.Actor{Kind: eventschema.ActorAdmin, ID: "admin-1"},
					OccurredAt: base.Add(time.Duration(ti)*time.Hour + time.Duration(next[ti]+1)*time.Second),
				}
				var payload any
				if next[ti] < 0 {
					payload = eventschema.TenantCreated{TenantID: id, Name: fmt.Sprintf("Tenant %d", ti), TimeZone: "Asia/Shanghai"}
				} else {
					j := next[ti]
					payload = eventschema.TenantSettingChanged{
						TenantID: id,
						Key:      fmt.Sprintf("setting_%d", j%7),
						Value:    json.RawMessage(fmt.Sprintf(`{"n":%d,"on":%t}`, j, j%2 == 0)),
						Previous: json.RawMessage(`null`),
					}
				}
				p, err := reg.Encode(uuid.Must(uuid.NewV7()), payload, md)
				if err != nil {
					return nil, err
				}
				batch = append(batch, p)
				next[ti]++
			}
			if _, err := store.Append(ctx, "tenant-"+id.String(), expected, batch); err != nil {
				return nil, err
			}
			remaining -= len(batch)
		}
	}
	return own, nil
}

// positionsOf reads the log until it has seen want events of streams and
// returns their positions in log order. The store holds back events while
// older transactions anywhere on the server run, so it waits for them.
func positionsOf(t testing.TB, ctx context.Context, store eventstore.Store, streams map[string]bool, want int) []eventschema.Position {
	t.Helper()
	var positions []eventschema.Position
	after := eventschema.Start
	deadline := time.Now().Add(time.Minute)
	for len(positions) < want {
		events, err := store.ReadAll(ctx, after, 5000)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if streams[e.Stream] {
				positions = append(positions, e.Position)
			}
			after = e.Position
		}
		if len(events) == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("log shows %d events, want %d", len(positions), want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	if len(positions) != want {
		t.Fatalf("log has %d events, want %d", len(positions), want)
	}
	return positions
}

// dump returns every row of every table, as text, sorted.
func dump(t testing.TB, ctx context.Context, pool *pgxpool.Pool, tables []string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range tables {
		rows, err := pool.Query(ctx, `SELECT t::text FROM `+ident(table)+` t ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		out[table] = []string{}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out[table] = append(out[table], s)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// sameRows fails the test unless a and b hold the same rows.
func sameRows(t testing.TB, what string, a, b map[string][]string) {
	t.Helper()
	for table, ra := range a {
		rb := b[table]
		if len(ra) != len(rb) {
			t.Fatalf("%s: table %s has %d rows, want %d", what, table, len(rb), len(ra))
		}
		for i := range ra {
			if ra[i] != rb[i] {
				t.Fatalf("%s: table %s row %d differs:\n got %s\nwant %s", what, table, i, rb[i], ra[i])
			}
		}
	}
}

// indexNames lists the index names of tables, sorted.
func indexNames(t testing.TB, ctx context.Context, pool *pgxpool.Pool, tables []string) []string {
	t.Helper()
	rows, err := pool.Query(ctx, `SELECT indexname FROM pg_indexes WHERE tablename = ANY($1) ORDER BY 1`, tables)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// startRunner runs r until the test ends.
func startRunner(t testing.TB, r *Runner) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func newTestRunner(t testing.TB, e *env, reg prometheus.Registerer, logs io.Writer, ps ...Projector) *Runner {
	t.Helper()
	if logs == nil {
		logs = io.Discard
	}
	r, err := NewRunner(e.store, e.pool, testLogger(logs), reg, ps...)
	if err != nil {
		t.Fatal(err)
	}
	r.Retry.InitialInterval = time.Millisecond
	r.Retry.MaxInterval = 5 * time.Millisecond
	return r
}

// eventually polls cond until it holds, failing the test after a generous
// deadline (a hang, not a slow machine).
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func statusOf(r *Runner, name string) Status {
	for _, s := range r.Health() {
		if s.Name == name {
			return s
		}
	}
	return Status{}
}

// metric returns the value of the sample of name labelled projector.
func metric(t testing.TB, g prometheus.Gatherer, name, projector string) float64 {
	t.Helper()
	families, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if labelValue(m, "projector") == projector {
				switch {
				case m.GetGauge() != nil:
					return m.GetGauge().GetValue()
				case m.GetCounter() != nil:
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return -1
}

func labelValue(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// counter is a test projector that counts how often each event's effects
// were committed: one row per event, n incremented on every application.
// Exactly-once in effect means every n is 1.
type counter struct {
	name string
	// hook, when set, runs before each application; an error fails it
	// after the row was written, so a rollback must undo the write.
	hook func(ctx context.Context, db DB, e eventschema.Envelope) error

	applied  atomic.Int64
	inFlight *atomic.Int64 // shared between instances of one name
	maxSeen  *atomic.Int64
}

func newCounter(t testing.TB, ctx context.Context, pool *pgxpool.Pool, name string) *counter {
	t.Helper()
	if _, err := pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+ident(name+"_applied")+` (
		event_id uuid PRIMARY KEY, position text NOT NULL, n int NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	return &counter{name: name, inFlight: new(atomic.Int64), maxSeen: new(atomic.Int64)}
}

// twin returns another instance sharing c's table and concurrency gauge, as
// the same projector in another replica would be.
func (c *counter) twin() *counter {
	return &counter{name: c.name, hook: c.hook, inFlight: c.inFlight, maxSeen: c.maxSeen}
}

func (c *counter) Name() string     { return c.name }
func (c *counter) Tables() []string { return []string{c.name + "_applied"} }

func (c *counter) Apply(ctx context.Context, db DB, e eventschema.Envelope) error {
	n := c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	for {
		m := c.maxSeen.Load()
		if n <= m || c.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	table := ident(c.name + "_applied")
	if err := db.Exec(ctx, `INSERT INTO `+table+` AS t (event_id, position, n) VALUES ($1, $2, 1)
		ON CONFLICT (event_id) DO UPDATE SET n = t.n + 1`, e.ID, e.Position.String()); err != nil {
		return err
	}
	if c.hook != nil {
		if err := c.hook(ctx, db, e); err != nil {
			return err
		}
	}
	c.applied.Add(1)
	return nil
}

// counts returns the committed rows of a counter: event count and how many
// have n != 1.
func counts(t testing.TB, ctx context.Context, pool *pgxpool.Pool, name string) (rows, wrong int) {
	t.Helper()
	if err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE n <> 1) FROM `+ident(name+"_applied")).Scan(&rows, &wrong); err != nil {
		t.Fatal(err)
	}
	return rows, wrong
}

func checkpointOf(t testing.TB, ctx context.Context, pool *pgxpool.Pool, name string) eventschema.Position {
	t.Helper()
	cp, err := loadCheckpoint(ctx, pool, name)
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
