package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"supportd/eventschema"
	"supportd/eventstore"
	"supportd/eventstore/postgres"
	"supportd/eventstore/postgres/pgtest"
)

// BenchmarkAppends measures appends per second with 1, 8 and 64 concurrent
// writers, each on streams of its own, against a baseline in the same run:
// plain INSERTs of the same rows into a table of the same shape (columns,
// keys, indexes), one transaction per row, with the same durability
// (synchronous_commit on). The baseline is the floor cost of storing an
// event durably; the ratio says what the store's guarantees cost on top.
//
// Each iteration is a timed load, not b.N appends, so that -benchtime 1x
// gives one complete measurement:
//
//	go test -run '^$' -bench Appends -benchtime 1x ./eventstore/postgres/
//
// BENCH_APPEND_PHASE (default 3s) is the length of one measured phase; the
// store and the baseline each get three phases, interleaved, so that a
// checkpoint or a noisy neighbour hits both alike.
func BenchmarkAppends(b *testing.B) {
	phase := 3 * time.Second
	if v := os.Getenv("BENCH_APPEND_PHASE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("BENCH_APPEND_PHASE: %v", err)
		}
		phase = d
	}
	url := pgtest.NewDatabase(b)
	ctx := context.Background()
	setup, err := pgxpool.New(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer setup.Close()
	if err := postgres.Migrate(ctx, setup); err != nil {
		b.Fatal(err)
	}
	// The baseline table copies the events table's columns, defaults,
	// constraints and indexes, with a sequence of its own.
	if _, err := setup.Exec(ctx, `
		CREATE TABLE baseline_events (LIKE events INCLUDING ALL);
		CREATE SEQUENCE baseline_events_position_seq OWNED BY baseline_events.position;
		ALTER TABLE baseline_events ALTER COLUMN position SET DEFAULT nextval('baseline_events_position_seq')`); err != nil {
		b.Fatal(err)
	}
	var syncCommit string
	if err := setup.QueryRow(ctx, `SHOW synchronous_commit`).Scan(&syncCommit); err != nil || syncCommit != "on" {
		b.Fatalf("synchronous_commit is %q (%v); the figures assume on", syncCommit, err)
	}

	for _, writers := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			// One connection per writer, shared by both contenders, plus
			// one for the store's notifier.
			cfg, err := pgxpool.ParseConfig(url)
			if err != nil {
				b.Fatal(err)
			}
			cfg.MaxConns = int32(writers + 1)
			cfg.MinConns = cfg.MaxConns
			pool, err := pgxpool.NewWithConfig(ctx, cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer pool.Close()
			store := postgres.New(pool)
			defer store.Close()
			contenders := []contender{
				{"store", storeAppender(store)},
				{"baseline", baselineInserter(pool)},
			}
			// Warm up: connections, prepared statements, first pages.
			for _, c := range contenders {
				if _, err := runLoad(ctx, c.append, writers, 300*time.Millisecond); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			var results [2]loadResult
			for range b.N {
				for round := range 3 {
					for i := range contenders {
						if round%2 == 1 {
							i = len(contenders) - 1 - i // alternate who goes first
						}
						checkpoint(ctx, setup)
						r, err := runLoad(ctx, contenders[i].append, writers, phase)
						if err != nil {
							b.Fatalf("%s: %v", contenders[i].name, err)
						}
						results[i].add(r)
					}
				}
			}
			st, base := results[0], results[1]
			ratio := st.rate() / base.rate()
			b.ReportMetric(st.rate(), "appends/s")
			b.ReportMetric(base.rate(), "baseline/s")
			b.ReportMetric(100*ratio, "%baseline")
			b.ReportMetric(float64(st.elapsed.Nanoseconds())/float64(st.count), "ns/op")
			b.Logf("| %d | %.0f | %.0f | %.0f %% | %s / %s | %s / %s |", writers, st.rate(), base.rate(), 100*ratio,
				st.quantile(0.5), st.quantile(0.99), base.quantile(0.5), base.quantile(0.99))
		})
	}
}

// checkpoint flushes dirty pages so that every phase starts alike; it
// needs a superuser and is skipped otherwise.
func checkpoint(ctx context.Context, pool *pgxpool.Pool) {
	_, _ = pool.Exec(ctx, `CHECKPOINT`)
}

// appendFunc stores one event as the given version of stream; version 0
// creates the stream.
type appendFunc func(ctx context.Context, stream string, version uint64, e eventschema.Proposed) error

type contender struct {
	name   string
	append appendFunc
}

// storeAppender appends like a command handler: no stream, then the exact
// version it last wrote.
func storeAppender(s *postgres.Store) appendFunc {
	return func(ctx context.Context, stream string, version uint64, e eventschema.Proposed) error {
		expected := eventstore.NoStream
		if version > 0 {
			expected = eventstore.Exact(version - 1)
		}
		_, err := s.Append(ctx, stream, expected, []eventschema.Proposed{e})
		return err
	}
}

// baselineInserter writes the same row with one INSERT, committed on its
// own.
func baselineInserter(pool *pgxpool.Pool) appendFunc {
	return func(ctx context.Context, stream string, version uint64, e eventschema.Proposed) error {
		md, err := json.Marshal(e.Metadata)
		if err != nil {
			return err
		}
		_, err = pool.Exec(ctx, `
			INSERT INTO baseline_events (event_id, stream, stream_version, type, schema_version, data, metadata)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			pgtype.UUID{Bytes: e.ID, Valid: true}, stream, int64(version), e.Type, int32(e.Version), string(e.Data), string(md))
		return err
	}
}

// streamLength is how many events a writer appends to one stream before it
// starts the next, about the life of a short conversation.
const streamLength = 16

// runLoad runs writers goroutines appending one event at a time for d and
// returns how many appends completed and how long they took.
func runLoad(ctx context.Context, fn appendFunc, writers int, d time.Duration) (loadResult, error) {
	var (
		stop     atomic.Bool
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		res      loadResult
	)
	start := time.Now()
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var latencies []time.Duration
			stream, version := "", uint64(0)
			for !stop.Load() {
				if version%streamLength == 0 {
					stream, version = "conversation-"+uuid.Must(uuid.NewV7()).String(), 0
				}
				e := benchEvent(stream, version)
				t0 := time.Now()
				if err := fn(ctx, stream, version, e); err != nil {
					mu.Lock()
					firstErr = cmpErr(firstErr, fmt.Errorf("%s@%d: %w", stream, version, err))
					mu.Unlock()
					stop.Store(true)
					return
				}
				latencies = append(latencies, time.Since(t0))
				version++
			}
			mu.Lock()
			res.latencies = append(res.latencies, latencies...)
			mu.Unlock()
		}()
	}
	time.Sleep(d)
	stop.Store(true)
	wg.Wait()
	res.elapsed = time.Since(start)
	res.count = len(res.latencies)
	return res, firstErr
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// loadResult adds up the phases of one contender.
type loadResult struct {
	count     int
	elapsed   time.Duration
	latencies []time.Duration
}

func (r *loadResult) add(o loadResult) {
	r.count += o.count
	r.elapsed += o.elapsed
	r.latencies = append(r.latencies, o.latencies...)
}

func (r loadResult) rate() float64 { return float64(r.count) / r.elapsed.Seconds() }

func (r loadResult) quantile(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	l := slices.Clone(r.latencies)
	slices.Sort(l)
	return l[int(q*float64(len(l)-1))].Round(10 * time.Microsecond)
}

var benchTenant = uuid.MustParse("0190f3b0-0000-7000-8000-000000000001")

// benchEvent is a message a customer sent in a conversation: about 300
// bytes of JSON, with every metadata field set as a command handler sets
// them.
func benchEvent(stream string, version uint64) eventschema.Proposed {
	cmd := uuid.Must(uuid.NewV7())
	data := fmt.Sprintf(`{"conversation_id":%q,"message_id":%q,"sender":{"kind":"customer","id":"c-42"},"channel":"web","text":%q,"attachments":[]}`,
		strings.TrimPrefix(stream, "conversation-"), uuid.Must(uuid.NewV7()),
		fmt.Sprintf("Hello, my order #%06d has not arrived yet and the tracking page shows no update since Monday. Could you check?", version))
	return eventschema.Proposed{
		ID:      uuid.Must(uuid.NewV7()),
		Type:    "MessageSent",
		Version: 1,
		Data:    json.RawMessage(data),
		Metadata: eventschema.Metadata{
			TenantID:      benchTenant,
			Actor:         eventschema.Actor{Kind: eventschema.ActorCustomer, ID: "c-42"},
			OccurredAt:    time.Now().UTC(),
			CorrelationID: cmd,
			CausationID:   cmd,
			CommandID:     cmd,
		},
	}
}
