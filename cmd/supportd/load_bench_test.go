package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
)

var (
	loadClients  = flag.Int("load.clients", 64, "concurrent HTTP clients of BenchmarkMessagesOverHTTP")
	loadDuration = flag.Duration("load.duration", 10*time.Second, "how long BenchmarkMessagesOverHTTP sends and TestLoad (make load) runs")
	openConvs    = flag.Int("load.conversations", 10000, "open conversations of BenchmarkOpenConversationsMemory")
)

// hammer runs clients goroutines calling send until d has passed and
// answers the calls per second and the latency percentiles.
func hammer(clients int, d time.Duration, send func(client, i int) error) (rate float64, p50, p99 time.Duration, err error) {
	var (
		mu        sync.Mutex
		latencies []time.Duration
		firstErr  atomic.Value
		wg        sync.WaitGroup
	)
	start := time.Now()
	for c := range clients {
		wg.Go(func() {
			var mine []time.Duration
			for i := 0; time.Since(start) < d; i++ {
				t0 := time.Now()
				if err := send(c, i); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if e := firstErr.Load(); e != nil {
		return 0, 0, 0, e.(error)
	}
	slices.Sort(latencies)
	if len(latencies) == 0 {
		return 0, 0, 0, fmt.Errorf("no calls made")
	}
	return float64(len(latencies)) / elapsed.Seconds(), latencies[len(latencies)/2], latencies[len(latencies)*99/100], nil
}

// BenchmarkMessagesOverHTTP: load.clients customers, each in a conversation
// of its own, send text messages through the customer-side API for
// load.duration. Baselines in the same run: the same clients calling
// GET /healthz (the HTTP stack alone, no database), and raw appends of a
// message-sized event to a store of its own at the same concurrency. Run
// with -benchtime=1x.
func BenchmarkMessagesOverHTTP(b *testing.B) {
	base := startServer(b, "postgres", "")
	_, admin := newTenant(b, client{t: b, base: base})
	key := admin.expect(201, "POST", "/v1/channel-keys", `{"channel":"web","name":"Load"}`)
	admin.expect(200, "GET", "/v1/channel-keys"+at(key), "")
	channelKey := key["key"].(string)
	convs := make([]string, *loadClients)
	for i := range convs {
		res := admin.as("none").expect(201, "POST", "/v1/channel/conversations",
			fmt.Sprintf(`{"customer_id":%q,"customer_name":"Load %d"}`, uuid.NewString(), i), "X-Channel-Key", channelKey)
		convs[i] = res["conversation_id"].(string)
	}
	httpc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *loadClients * 2}}
	b.ResetTimer()
	for range b.N {
		rate, p50, p99, err := hammer(*loadClients, *loadDuration, func(c, i int) error {
			return post(httpc, base+"/v1/channel/conversations/"+convs[c]+"/messages", channelKey,
				fmt.Sprintf(`{"type":"text","text":"message %d of client %d"}`, i, c), 201)
		})
		if err != nil {
			b.Fatal(err)
		}
		baseRate, baseP50, baseP99, err := hammer(*loadClients, *loadDuration, func(c, i int) error {
			resp, err := httpc.Get(base + "/healthz")
			if err != nil {
				return err
			}
			return drain(resp)
		})
		if err != nil {
			b.Fatal(err)
		}
		rawRate, _, _, err := rawAppendBaseline(b, *loadClients, *loadDuration)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(rate, "messages/s")
		b.ReportMetric(rawRate, "raw-appends/s")
		b.ReportMetric(100*rate/rawRate, "%-of-raw")
		b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
		b.ReportMetric(baseRate, "healthz/s")
		b.ReportMetric(float64(baseP50.Microseconds())/1000, "healthz-p50-ms")
		b.ReportMetric(float64(baseP99.Microseconds())/1000, "healthz-p99-ms")
	}
}

// BenchmarkOpenConversationsMemory opens load.conversations conversations
// and reports the heap in use by the process (server and client together:
// the server runs in-process) before and after. Run with -benchtime=1x.
func BenchmarkOpenConversationsMemory(b *testing.B) {
	base := startServer(b, "postgres", "")
	_, admin := newTenant(b, client{t: b, base: base})
	key := admin.expect(201, "POST", "/v1/channel-keys", `{"channel":"web","name":"Load"}`)
	admin.expect(200, "GET", "/v1/channel-keys"+at(key), "")
	httpc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	heap := func() float64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return float64(m.HeapInuse) / (1 << 20)
	}
	for range b.N {
		before := heap()
		var next atomic.Int64
		_, _, _, err := hammer(32, time.Hour, func(c, i int) error {
			n := next.Add(1)
			if n > int64(*openConvs) {
				return errDone
			}
			return post(httpc, base+"/v1/channel/conversations", key["key"].(string),
				fmt.Sprintf(`{"customer_id":%q,"customer_name":"Open %d"}`, uuid.NewString(), n), 201)
		})
		if err != nil && err != errDone {
			b.Fatal(err)
		}
		after := heap()
		b.ReportMetric(float64(*openConvs), "conversations")
		b.ReportMetric(before, "heap-before-MiB")
		b.ReportMetric(after, "heap-after-MiB")
	}
}

var errDone = fmt.Errorf("done")

func post(c *http.Client, url, key, body string, want int) error {
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Channel-Key", key)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	if err := drain(resp); err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("POST %s: %s", url, resp.Status)
	}
	return nil
}

// drain reads and closes a response's body: a body closed unread closes
// its connection, and the next call would dial a new one.
func drain(resp *http.Response) error {
	_, err := io.Copy(io.Discard, resp.Body)
	if cerr := resp.Body.Close(); err == nil {
		err = cerr
	}
	return err
}
