package outbound

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"supportd/internal/sweep"
	"sync"
	"syscall"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"supportd/domain/webhook"
	"supportd/secrets"
)

// Headers of a webhook request.
const (
	// SignatureHeader: "sha256=" and the hex HMAC-SHA256 of the body keyed
	// with the endpoint's secret.
	SignatureHeader = "X-Supportd-Signature"
	// DeliveryHeader: the delivery ID, the same on every attempt.
	DeliveryHeader = "X-Supportd-Delivery"
	// EventHeader: the outbound event type.
	EventHeader = "X-Supportd-Event"
	// AttemptHeader: 1 for the first attempt, 2 for the first retry, …
	AttemptHeader = "X-Supportd-Attempt"
)

// Delivery statuses.
const (
	StatusPending   = "pending"
	StatusDelivered = "delivered"
	StatusFailed    = "failed"
)

// RetryPolicy is when a failed delivery is tried again.
type RetryPolicy struct {
	// Initial is the pause after the first failure; each further failure
	// multiplies it by Multiplier, up to Max, each pause jittered by
	// ±Jitter (a fraction) so that endpoints that failed together do not
	// retry together.
	Initial    time.Duration
	Max        time.Duration
	Multiplier float64
	Jitter     float64
	// MaxAttempts is how many attempts a delivery gets before it is marked
	// failed and its endpoint's queue moves on.
	MaxAttempts int
}

// DefaultRetry retries for about an hour and a half: 1 s, 2 s, 4 s, …
// then every 15 minutes, 15 attempts in all.
var DefaultRetry = RetryPolicy{Initial: time.Second, Max: 15 * time.Minute, Multiplier: 2, Jitter: 0.2, MaxAttempts: 15}

// Delay is the pause after the attempts-th failed attempt (1 for the
// first). The schedule is computed afresh from the count kept in the row,
// so it survives restarts.
func (p RetryPolicy) Delay(attempts int) time.Duration {
	b := &backoff.ExponentialBackOff{InitialInterval: p.Initial, RandomizationFactor: p.Jitter, Multiplier: p.Multiplier, MaxInterval: p.Max}
	b.Reset()
	var d time.Duration
	for range max(attempts, 1) {
		d = b.NextBackOff()
	}
	return d
}

// Deliverer POSTs pending deliveries to their endpoints.
type Deliverer struct {
	// Secrets opens sealed endpoint secrets to sign with.
	Secrets *secrets.Sealer
	Pool    *pgxpool.Pool
	// Client sends the requests; its Timeout bounds each attempt. It should
	// not follow redirects (a 3xx is a failed attempt).
	Client *http.Client
	Retry  RetryPolicy
	Now    func() time.Time
	Log    *slog.Logger
	// Parallel bounds the endpoints served at once (default 8; each
	// holds a connection while it records an attempt); Poll is
	// how often due deliveries are looked for when nothing woke the
	// deliverer (default 250 ms); Retention how long finished deliveries
	// and attempts stay in the log (default 7 days).
	Parallel  int
	Poll      time.Duration
	Retention time.Duration

	wake     chan struct{}
	mu       sync.Mutex
	inFlight map[endpointKey]bool
}

// NewHTTPClient is the client deliveries use: bounded by timeout, never
// following redirects.
func NewHTTPClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// ErrUnreachable is a delivery refused because its address is inside the
// server's networks (webhook.Reachable).
var ErrUnreachable = errors.New("webhook address not reachable: loopback, private or link-local")

// PublicOnly makes client connect only to addresses webhooks may reach
// (webhook.Reachable), checked on the address dialled after name
// resolution, so a name that resolves inward is refused as well.
func PublicOnly(client *http.Client) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, Control: func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil || !webhook.Reachable(ap.Addr()) {
			return fmt.Errorf("%s: %w", address, ErrUnreachable)
		}
		return nil
	}}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil // a proxy would dial for us, past the check
	transport.DialContext = dialer.DialContext
	out := *client
	out.Transport = transport
	return &out
}

// Notify wakes the deliverer: new deliveries may be pending.
func (d *Deliverer) Notify() {
	d.init()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *Deliverer) init() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.wake == nil {
		d.wake = make(chan struct{}, 1)
		d.inFlight = map[endpointKey]bool{}
	}
}

// Run delivers until ctx ends, and waits for the attempts in flight.
func (d *Deliverer) Run(ctx context.Context) error {
	d.init()
	parallel, poll, retention := d.Parallel, d.Poll, d.Retention
	if parallel <= 0 {
		parallel = 8
	}
	if poll <= 0 {
		poll = 250 * time.Millisecond
	}
	if retention <= 0 {
		retention = 7 * 24 * time.Hour
	}
	slots := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	defer wg.Wait()
	var pruned time.Time
	l := sweep.Loop{Every: poll, Wake: d.wake, Failed: func(err error, failures int, pause time.Duration) {
		d.Log.Warn("webhook deliveries: looking for due deliveries failed", "err", err, "failures", failures, "retry_in", pause)
	}}
	l.Run(ctx, func(ctx context.Context) error {
		due, err := d.dueEndpoints(ctx)
		for _, ep := range due {
			if !d.take(ep) {
				continue
			}
			select {
			case slots <- struct{}{}:
			default:
				d.release(ep) // busy: its turn comes at a later look
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-slots; d.release(ep) }()
				d.drain(ctx, ep)
			}()
		}
		if now := d.Now(); now.Sub(pruned) > 10*time.Minute {
			pruned = now
			if err := d.prune(ctx, now.Add(-retention)); err != nil && ctx.Err() == nil {
				d.Log.Warn("webhook deliveries: pruning the log failed", "err", err)
			}
		}
		return err
	})
	return nil
}

func (d *Deliverer) take(ep endpointKey) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.inFlight[ep] {
		return false
	}
	d.inFlight[ep] = true
	return true
}

func (d *Deliverer) release(ep endpointKey) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.inFlight, ep)
}

// endpointKey names an endpoint: its ID may be chosen by the client, so it
// is unique within its tenant only.
type endpointKey struct {
	TenantID   uuid.UUID
	EndpointID uuid.UUID
}

// dueEndpoints lists the endpoints whose oldest pending delivery is due
// and not leased.
func (d *Deliverer) dueEndpoints(ctx context.Context) ([]endpointKey, error) {
	rows, err := d.Pool.Query(ctx, `
		SELECT tenant_id, endpoint_id FROM (
			SELECT DISTINCT ON (tenant_id, endpoint_id) tenant_id, endpoint_id, next_attempt_at, lease_until
			FROM webhook_deliveries WHERE status = 'pending' ORDER BY tenant_id, endpoint_id, seq) head
		WHERE next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until < $1)
		LIMIT 1000`, d.Now())
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[endpointKey])
}

// claimed is a delivery leased for one attempt.
type claimed struct {
	id        uuid.UUID
	tenantID  uuid.UUID
	endpoint  uuid.UUID
	eventType string
	body      []byte
	attempts  int
	url       string
	secret    string
	deleted   bool
}

// drain delivers an endpoint's queue in order while attempts succeed.
func (d *Deliverer) drain(ctx context.Context, endpoint endpointKey) {
	for range 100 { // then let the others have a look
		c, ok, err := d.claim(ctx, endpoint)
		if err != nil {
			if ctx.Err() == nil {
				d.Log.Warn("webhook deliveries: claim failed", "tenant_id", endpoint.TenantID, "endpoint_id", endpoint.EndpointID, "err", err)
			}
			return
		}
		if !ok {
			return
		}
		r := d.attempt(ctx, c)
		if ctx.Err() != nil {
			return // shut down mid-attempt: the lease runs out and it is sent again
		}
		if err := d.record(ctx, c, r); err != nil {
			d.Log.Warn("webhook deliveries: recording an attempt failed", "delivery_id", c.id, "err", err)
			return
		}
		if r.Outcome != StatusDelivered {
			return
		}
	}
}

// lease is how long a claimed delivery is kept from other workers: longer
// than any attempt.
func (d *Deliverer) lease() time.Duration {
	t := 30 * time.Second
	if d.Client != nil && d.Client.Timeout > 0 {
		t = d.Client.Timeout
	}
	return t + 30*time.Second
}

// claim leases the endpoint's oldest pending delivery if it is due. A
// disabled endpoint's queue waits; a deleted endpoint's deliveries are
// claimed so they can be given up.
func (d *Deliverer) claim(ctx context.Context, endpoint endpointKey) (claimed, bool, error) {
	now := d.Now()
	var c claimed
	err := d.Pool.QueryRow(ctx, `
		UPDATE webhook_deliveries w SET lease_until = $3
		FROM webhook_endpoints e
		WHERE w.seq = (SELECT seq FROM webhook_deliveries WHERE tenant_id = $4 AND endpoint_id = $1 AND status = 'pending' ORDER BY seq LIMIT 1)
		  AND w.status = 'pending' AND w.next_attempt_at <= $2 AND (w.lease_until IS NULL OR w.lease_until < $2)
		  AND e.tenant_id = w.tenant_id AND e.endpoint_id = w.endpoint_id AND (e.enabled OR e.deleted)
		RETURNING w.delivery_id, w.tenant_id, w.endpoint_id, w.event_type, w.body, w.attempts, e.url, e.secret, e.deleted`,
		endpoint.EndpointID, now, now.Add(d.lease()), endpoint.TenantID).Scan(&c.id, &c.tenantID, &c.endpoint, &c.eventType, &c.body, &c.attempts, &c.url, &c.secret, &c.deleted)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, false, nil
	}
	return c, err == nil, err
}

// Attempt is the outcome of one HTTP attempt, as the delivery log shows it.
type Attempt struct {
	DeliveryID  uuid.UUID `json:"delivery_id"`
	Attempt     int       `json:"attempt"`
	AttemptedAt time.Time `json:"attempted_at"`
	DurationMS  int       `json:"duration_ms"`
	StatusCode  *int      `json:"status_code"`
	Error       string    `json:"error"`
	// Outcome is delivered, retry (another attempt is scheduled) or
	// failed (given up).
	Outcome string `json:"outcome"`
}

// attempt POSTs a claimed delivery once.
func (d *Deliverer) attempt(ctx context.Context, c claimed) Attempt {
	r := Attempt{DeliveryID: c.id, Attempt: c.attempts + 1, AttemptedAt: d.Now()}
	if c.deleted {
		r.Error, r.Outcome = "the endpoint was deleted", StatusFailed
		return r
	}
	start := time.Now()
	code, err := d.post(ctx, c.url, c.secret, c.id, c.eventType, r.Attempt, c.body)
	r.DurationMS = int(time.Since(start).Milliseconds())
	if code != 0 {
		r.StatusCode = &code
	}
	switch {
	case err == nil:
		r.Outcome = StatusDelivered
	case r.Attempt >= max(d.Retry.MaxAttempts, 1):
		r.Error, r.Outcome = err.Error(), StatusFailed
	default:
		r.Error, r.Outcome = err.Error(), "retry"
	}
	return r
}

// post sends one signed request; an answer outside 2xx is an error.
func (d *Deliverer) post(ctx context.Context, url, secret string, id uuid.UUID, eventType string, attempt int, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "supportd-webhooks/1")
	req.Header.Set(DeliveryHeader, id.String())
	req.Header.Set(EventHeader, eventType)
	req.Header.Set(AttemptHeader, strconv.Itoa(attempt))
	if secrets.IsSealed(secret) {
		if d.Secrets == nil {
			return 0, errors.New("webhook secret is sealed and no secret key is configured")
		}
		if secret, err = d.Secrets.Open(secret); err != nil {
			return 0, err
		}
	}
	req.Header.Set(SignatureHeader, webhook.Sign(secret, body))
	client := d.Client
	if client == nil {
		client = NewHTTPClient(10 * time.Second)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		snippet := string(bytes.TrimSpace(answer))
		if len(snippet) > 200 {
			snippet = snippet[:200]
		}
		return resp.StatusCode, fmt.Errorf("HTTP %d %s", resp.StatusCode, snippet)
	}
	return resp.StatusCode, nil
}

// record logs an attempt and moves its delivery on: delivered, failed, or
// pending until the next attempt.
func (d *Deliverer) record(ctx context.Context, c claimed, r Attempt) error {
	next := r.AttemptedAt
	var finished *time.Time
	status := StatusPending
	switch r.Outcome {
	case StatusDelivered, StatusFailed:
		status, finished = r.Outcome, &r.AttemptedAt
	default:
		next = r.AttemptedAt.Add(d.Retry.Delay(r.Attempt))
	}
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO webhook_attempts (delivery_id, endpoint_id, tenant_id, attempt, attempted_at, duration_ms, status_code, error, outcome)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, c.id, c.endpoint, c.tenantID, r.Attempt, r.AttemptedAt, r.DurationMS, r.StatusCode, r.Error, r.Outcome)
	b.Queue(`UPDATE webhook_deliveries SET status = $2, attempts = $3, next_attempt_at = $4, lease_until = NULL,
			last_attempt_at = $5, last_status = $6, last_error = $7, finished_at = $8
		WHERE delivery_id = $1`, c.id, status, r.Attempt, next, r.AttemptedAt, r.StatusCode, r.Error, finished)
	// Recorded even when shutting down: the attempt happened.
	rc := context.WithoutCancel(ctx)
	return pgx.BeginFunc(rc, d.Pool, func(tx pgx.Tx) error {
		return tx.SendBatch(rc, b).Close()
	})
}

// prune drops finished deliveries and attempts older than before.
func (d *Deliverer) prune(ctx context.Context, before time.Time) error {
	if _, err := d.Pool.Exec(ctx, `DELETE FROM webhook_attempts WHERE attempted_at < $1`, before); err != nil {
		return err
	}
	_, err := d.Pool.Exec(ctx, `DELETE FROM webhook_deliveries WHERE status <> 'pending' AND finished_at < $1`, before)
	return err
}

// Ping sends a test delivery to an endpoint at once, outside its queue,
// and logs it like any other: admins check URL and secret with it.
func (d *Deliverer) Ping(ctx context.Context, tenantID, endpointID uuid.UUID, url, secret string) (Attempt, error) {
	id := uuid.Must(uuid.NewV7())
	now := d.Now()
	body, err := json.Marshal(Body{DeliveryID: id, Event: webhook.Event{Type: webhook.TypePing, EventID: id, TenantID: tenantID,
		OccurredAt: now, Payload: webhook.Ping{EndpointID: endpointID}}})
	if err != nil {
		return Attempt{}, err
	}
	c := claimed{id: id, tenantID: tenantID, endpoint: endpointID, eventType: webhook.TypePing, body: body, url: url, secret: secret}
	if _, err := d.Pool.Exec(ctx, `INSERT INTO webhook_deliveries (delivery_id, tenant_id, endpoint_id, event_type, body, status,
			next_attempt_at, lease_until, created_at)
		VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $6)`, id, tenantID, endpointID, webhook.TypePing, body, now, now.Add(d.lease())); err != nil {
		return Attempt{}, fmt.Errorf("ping: %w", err)
	}
	r := d.attempt(ctx, c)
	if r.Outcome != StatusDelivered {
		r.Outcome = StatusFailed // a ping is tried once
	}
	if err := d.record(ctx, c, r); err != nil {
		return r, fmt.Errorf("ping: %w", err)
	}
	return r, nil
}
