package outbound_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"supportd/eventstore/postgres/pgtest"
	"supportd/outbound"
	"supportd/readmodels"
)

func TestRetryDelay(t *testing.T) {
	p := outbound.RetryPolicy{Initial: time.Second, Max: time.Minute, Multiplier: 2, Jitter: 0.2, MaxAttempts: 10}
	for _, tc := range []struct {
		attempts int
		lo, hi   time.Duration
	}{
		{1, 800 * time.Millisecond, 1200 * time.Millisecond},
		{3, 3200 * time.Millisecond, 4800 * time.Millisecond},
		{30, 48 * time.Second, 72 * time.Second}, // capped
	} {
		for range 20 {
			if d := p.Delay(tc.attempts); d < tc.lo || d > tc.hi+time.Millisecond {
				t.Fatalf("Delay(%d) = %v, want %v..%v", tc.attempts, d, tc.lo, tc.hi)
			}
		}
	}
}

// deliveryDB is a migrated database with one endpoint pointing at url.
func deliveryDB(t *testing.T, url string) (*pgxpool.Pool, uuid.UUID, uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.Pool(t, pgtest.NewDatabase(t))
	if err := readmodels.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	tenant, ep := uuid.New(), uuid.New()
	if _, err := pool.Exec(ctx, `INSERT INTO webhook_endpoints (endpoint_id, tenant_id, url, secret, channels, enabled, description, created_at, updated_at, version)
		VALUES ($1, $2, $3, 'a-secret-of-16-chars', '{}', true, '', now(), now(), 0)`, ep, tenant, url); err != nil {
		t.Fatal(err)
	}
	return pool, tenant, ep
}

func enqueue(t *testing.T, pool *pgxpool.Pool, tenant, ep uuid.UUID, n int) []uuid.UUID {
	t.Helper()
	var ids []uuid.UUID
	for range n {
		id := uuid.New()
		if _, err := pool.Exec(context.Background(), `INSERT INTO webhook_deliveries (delivery_id, tenant_id, endpoint_id, event_type, body, next_attempt_at, created_at)
			VALUES ($1, $2, $3, 'message', '{}', now(), now())`, id, tenant, ep); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func status(t *testing.T, pool *pgxpool.Pool, id uuid.UUID) (string, int, string) {
	t.Helper()
	var (
		s, errText string
		attempts   int
	)
	if err := pool.QueryRow(context.Background(), `SELECT status, attempts, last_error FROM webhook_deliveries WHERE delivery_id = $1`, id).Scan(&s, &attempts, &errText); err != nil {
		t.Fatal(err)
	}
	return s, attempts, errText
}

// runUntil runs d until cond holds (or fails the test after 10 s).
func runUntil(t *testing.T, d *outbound.Deliverer, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func newDeliverer(pool *pgxpool.Pool, timeout time.Duration, attempts int) *outbound.Deliverer {
	return &outbound.Deliverer{Pool: pool, Client: outbound.NewHTTPClient(timeout), Now: time.Now, Log: slog.New(slog.DiscardHandler),
		Poll: 10 * time.Millisecond, Retry: outbound.RetryPolicy{Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond, Multiplier: 2, MaxAttempts: attempts}}
}

// A delivery that keeps failing is given up after MaxAttempts, and the
// endpoint's queue moves on to the next one.
func TestDeliveryGivesUpAndMovesOn(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 3 {
			http.Error(w, "down for maintenance", http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rc.Close()
	pool, tenant, ep := deliveryDB(t, rc.URL)
	ids := enqueue(t, pool, tenant, ep, 2)
	d := newDeliverer(pool, time.Second, 3)
	runUntil(t, d, func() bool { s, _, _ := status(t, pool, ids[1]); return s == outbound.StatusDelivered })
	if s, n, e := status(t, pool, ids[0]); s != outbound.StatusFailed || n != 3 || !strings.Contains(e, "HTTP 502 down for maintenance") {
		t.Errorf("first delivery %s after %d attempts: %q", s, n, e)
	}
	attempts, err := outbound.ListAttempts(context.Background(), pool, tenant, ep, 10)
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	for _, a := range attempts {
		outcomes = append(outcomes, a.Outcome)
	}
	if strings.Join(outcomes, " ") != "delivered failed retry retry" {
		t.Errorf("attempts, newest first: %v", outcomes)
	}
}

// A receiver that does not answer in time is a failed attempt, retried.
func TestDeliveryTimesOut(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	release := make(chan struct{})
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			select { // hangs past the client's timeout
			case <-r.Context().Done():
			case <-release:
			}
		}
	}))
	defer rc.Close()
	defer close(release)
	pool, tenant, ep := deliveryDB(t, rc.URL)
	ids := enqueue(t, pool, tenant, ep, 1)
	runUntil(t, newDeliverer(pool, 200*time.Millisecond, 5), func() bool { s, _, _ := status(t, pool, ids[0]); return s == outbound.StatusDelivered })
	attempts, err := outbound.ListAttempts(context.Background(), pool, tenant, ep, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(attempts) != 2 || attempts[1].Outcome != "retry" || attempts[1].StatusCode != nil || !strings.Contains(attempts[1].Error, "Timeout") {
		t.Errorf("attempts %+v", attempts)
	}
}

// The deliveries of a deleted endpoint are given up without a request; a
// disabled endpoint's wait.
func TestDeletedAndDisabledEndpoints(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	defer rc.Close()
	pool, tenant, ep := deliveryDB(t, rc.URL)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `UPDATE webhook_endpoints SET enabled = false`); err != nil {
		t.Fatal(err)
	}
	ids := enqueue(t, pool, tenant, ep, 1)
	runUntil(t, newDeliverer(pool, time.Second, 5), func() bool { time.Sleep(200 * time.Millisecond); return true })
	if s, n, _ := status(t, pool, ids[0]); s != outbound.StatusPending || n != 0 || calls.Load() != 0 {
		t.Errorf("disabled: %s after %d attempts, %d requests", s, n, calls.Load())
	}
	if _, err := pool.Exec(ctx, `UPDATE webhook_endpoints SET deleted = true`); err != nil {
		t.Fatal(err)
	}
	runUntil(t, newDeliverer(pool, time.Second, 5), func() bool { s, _, _ := status(t, pool, ids[0]); return s == outbound.StatusFailed })
	if _, _, e := status(t, pool, ids[0]); e != "the endpoint was deleted" || calls.Load() != 0 {
		t.Errorf("deleted: %q, %d requests", e, calls.Load())
	}
}

// A public-only client refuses to reach the server's own networks, here a
// receiver on loopback, named by address or by a name that resolves there.
func TestPublicOnlyRefusesInwardAddresses(t *testing.T) {
	t.Parallel()
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer receiver.Close()
	_, port, _ := net.SplitHostPort(receiver.Listener.Addr().String())
	open := outbound.NewHTTPClient(time.Second)
	guarded := outbound.PublicOnly(open)
	for _, url := range []string{receiver.URL, "http://localhost:" + port} {
		resp, err := open.Get(url)
		if err != nil {
			t.Fatalf("open client: %v", err)
		}
		resp.Body.Close()
		if _, err := guarded.Get(url); !errors.Is(err, outbound.ErrUnreachable) {
			t.Errorf("public-only client reached %s: %v", url, err)
		}
	}
}

// A public-only client refuses every spelling of an inward address at
// dial time, whatever registration let through: "this network",
// IPv4-compatible, NAT64 and IPv4-mapped IPv6, and IPv4 written as one
// decimal number.
func TestPublicOnlyRefusesSpecialAddresses(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()
	_, port, _ := net.SplitHostPort(receiver.Listener.Addr().String())
	guarded := outbound.PublicOnly(outbound.NewHTTPClient(time.Second))
	for _, host := range []string{"0.1.2.3", "0.0.0.0", "[::127.0.0.1]", "[64:ff9b::7f00:1]", "[::ffff:127.0.0.1]", "[::]", "2130706433", "0177.0.0.1", "127.1"} {
		resp, err := guarded.Get("http://" + host + ":" + port + "/h")
		if err == nil {
			resp.Body.Close()
			t.Errorf("%s: reached", host)
			continue
		}
		if strings.HasPrefix(host, "0.") || strings.HasPrefix(host, "[") {
			if !errors.Is(err, outbound.ErrUnreachable) {
				t.Errorf("%s: %v, want ErrUnreachable", host, err)
			}
		}
	}
	if hits.Load() != 0 {
		t.Errorf("the receiver was reached %d times", hits.Load())
	}
}
