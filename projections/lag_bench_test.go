package projections

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"supportd/eventschema"
	"supportd/eventstore"
	"supportd/eventstore/postgres"
)

var (
	lagRate     = flag.Int("lag.rate", 2000, "events per second appended by BenchmarkEndToEndLag")
	lagDuration = flag.Duration("lag.duration", 10*time.Second, "how long BenchmarkEndToEndLag appends")
)

// BenchmarkEndToEndLag appends tenant setting changes at a steady rate from
// several writers and measures, for each event, the time from its append's
// commit to the moment the tenants read model has applied it (its
// projector's checkpoint committed past the event, so its row is visible).
// It reports p50, p99 and max in milliseconds and, as a same-run baseline,
// the p50 and p99 of the appends themselves. Run with -benchtime=1x.
func BenchmarkEndToEndLag(b *testing.B) {
	benchmarkLag(b, NewTenants(eventschema.Catalog()))
}

// BenchmarkEndToEndLagAllProjectors is BenchmarkEndToEndLag with every
// projector of supportd running, as the server runs them, most of them
// ignoring the events; the lag is until all of them have applied (or
// passed) each event.
func BenchmarkEndToEndLagAllProjectors(b *testing.B) {
	benchmarkLag(b, All(eventschema.Catalog())...)
}

func benchmarkLag(b *testing.B, projectors ...Projector) {
	e := newEnv(b)
	ctx := testContext(b)
	reg := eventschema.Catalog()
	// Room for every projector's batch and its read at once, as the
	// server's pool has.
	cfg, err := pgxpool.ParseConfig(e.url)
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = int32(2*len(projectors) + 16)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	e.pool, e.store = pool, postgres.New(pool)
	defer e.store.Close()
	runner, err := NewRunner(e.store, e.pool, testLogger(io.Discard), nil, projectors...)
	if err != nil {
		b.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- runner.Run(runCtx) }()
	defer func() { stop(); <-done }()

	const writers = 16
	tenants := make([]uuid.UUID, writers)
	for i := range tenants {
		tenants[i] = uuid.Must(uuid.NewV7())
		ev, err := reg.Encode(uuid.Must(uuid.NewV7()), eventschema.TenantCreated{TenantID: tenants[i], Name: fmt.Sprint("t", i), TimeZone: "UTC"}, eventschema.Metadata{TenantID: tenants[i]})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.store.Append(ctx, "tenant-"+tenants[i].String(), eventstore.NoStream, []eventschema.Proposed{ev}); err != nil {
			b.Fatal(err)
		}
	}

	for range b.N {
		total := int(float64(*lagRate) * lagDuration.Seconds())
		interval := time.Duration(float64(time.Second) * writers / float64(*lagRate))
		var mu sync.Mutex
		lags := make([]time.Duration, 0, total)
		appends := make([]time.Duration, 0, total)
		var waits sync.WaitGroup
		var wg sync.WaitGroup
		start := time.Now()
		b.ResetTimer()
		for w := range writers {
			wg.Go(func() {
				stream := "tenant-" + tenants[w].String()
				version := uint64(0)
				tick := time.NewTicker(interval)
				defer tick.Stop()
				for i := 0; i < total/writers; i++ {
					<-tick.C
					ev, err := reg.Encode(uuid.Must(uuid.NewV7()), eventschema.TenantSettingChanged{
						TenantID: tenants[w], Key: fmt.Sprint("k", i%8), Value: json.RawMessage(fmt.Sprint(i)), Previous: json.RawMessage("0"),
					}, eventschema.Metadata{TenantID: tenants[w], OccurredAt: time.Now()})
					if err != nil {
						b.Error(err)
						return
					}
					sent := time.Now()
					res, err := e.store.Append(ctx, stream, eventstore.Exact(version), []eventschema.Proposed{ev})
					if err != nil {
						b.Error(err)
						return
					}
					committed := time.Now()
					mu.Lock()
					appends = append(appends, committed.Sub(sent))
					mu.Unlock()
					version = res.Version
					waits.Go(func() {
						if err := runner.WaitFor(ctx, res.Position); err != nil {
							b.Error(err)
							return
						}
						lag := time.Since(committed)
						mu.Lock()
						lags = append(lags, lag)
						mu.Unlock()
					})
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		waits.Wait()
		b.StopTimer()
		slices.Sort(lags)
		if len(lags) == 0 {
			b.Fatal("no events measured")
		}
		slices.Sort(appends)
		at := func(ds []time.Duration, p float64) float64 {
			return float64(ds[min(len(ds)-1, int(p*float64(len(ds))))].Microseconds()) / 1000
		}
		pct := func(p float64) float64 { return at(lags, p) }
		b.ReportMetric(float64(len(lags))/elapsed.Seconds(), "events/s")
		b.ReportMetric(pct(0.50), "p50-ms")
		b.ReportMetric(pct(0.99), "p99-ms")
		b.ReportMetric(float64(lags[len(lags)-1].Microseconds())/1000, "max-ms")
		b.ReportMetric(at(appends, 0.50), "append-p50-ms")
		b.ReportMetric(at(appends, 0.99), "append-p99-ms")
	}
}
