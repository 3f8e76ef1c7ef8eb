package projections

import (
	"flag"
	"testing"
	"time"

	"supportd/eventschema"
)

var rebuildTenants = flag.Int("rebuild.tenants", 1000, "tenants in BenchmarkRebuild's log; each has 1,000 events")

// BenchmarkRebuild rebuilds the tenants read model from a log of
// rebuild.tenants × 1,000 events (1,000,000 by default) and reports the
// replay rate. As a same-run baseline it also reports how fast the log can
// merely be read (ReadAll in batches of 5,000, no decoding, no writes): a
// rebuild cannot be faster than that. Appending the log takes a while; run
// with -benchtime=1x.
func BenchmarkRebuild(b *testing.B) {
	e := newEnv(b)
	ctx := testContext(b)
	start := time.Now()
	if _, err := appendTenants(ctx, e.store, *rebuildTenants, 999, 1000); err != nil {
		b.Fatal(err)
	}
	b.Logf("appended %d events in %v", *rebuildTenants*1000, time.Since(start))
	p := NewTenants(eventschema.Catalog())
	b.ResetTimer()
	var events int64
	for range b.N {
		res, err := Rebuild(ctx, e.store, e.pool, p, nil)
		if err != nil {
			b.Fatal(err)
		}
		events += res.Events
	}
	elapsed := b.Elapsed()
	b.StopTimer()
	read, readTime := int64(0), time.Now()
	for after := (eventschema.Position{}); ; {
		batch, err := e.store.ReadAll(ctx, after, 5000)
		if err != nil {
			b.Fatal(err)
		}
		if len(batch) == 0 {
			break
		}
		read += int64(len(batch))
		after = batch[len(batch)-1].Position
	}
	b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(read)/time.Since(readTime).Seconds(), "read-only-events/s")
}
