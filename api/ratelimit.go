package api

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"supportd/readmodels"
)

// Limits bounds what one client may ask of the server. They are kept in
// memory, per process: behind several replicas a client gets each replica's
// budget, which still bounds it. Zero fields take the defaults.
type Limits struct {
	// SignInFailuresPerIP: failed sign-ins one address may make, as a
	// burst, refilled at one per SignInFailureRefill.
	SignInFailuresPerIP int
	// SignInFailuresPerAccount: the same, per tenant and e-mail address.
	SignInFailuresPerAccount int
	SignInFailureRefill      time.Duration
	// LockAfter consecutive failures lock an account out of sign-in for
	// LockFor, or until an admin lifts the lock-out.
	LockAfter int
	LockFor   time.Duration
	// Hashing is how many password hashes (bcrypt) run at once; a request
	// that waits HashWait for its turn gets 429.
	Hashing  int
	HashWait time.Duration
	// ChannelPerKey and ChannelPerCustomer are requests per second of one
	// channel key, and of one customer (its conversation, or its address
	// for a start), with bursts of ChannelKeyBurst and ChannelCustomerBurst.
	ChannelPerKey        float64
	ChannelKeyBurst      int
	ChannelPerCustomer   float64
	ChannelCustomerBurst int
}

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.SignInFailuresPerIP, 20)
	def(&l.SignInFailuresPerAccount, 5)
	def(&l.LockAfter, 10)
	def(&l.Hashing, 1)
	if l.SignInFailureRefill <= 0 {
		l.SignInFailureRefill = 6 * time.Second
	}
	if l.LockFor <= 0 {
		l.LockFor = 15 * time.Minute
	}
	if l.HashWait <= 0 {
		l.HashWait = 2 * time.Second
	}
	if l.ChannelPerKey <= 0 {
		l.ChannelPerKey = 500
	}
	if l.ChannelPerCustomer <= 0 {
		l.ChannelPerCustomer = 10
	}
	def(&l.ChannelKeyBurst, 1000)
	def(&l.ChannelCustomerBurst, 20)
	return l
}

// tooManyRequests is a refusal for now; RetryAfter says when to come back.
type tooManyRequests struct {
	code       string
	detail     string
	retryAfter time.Duration
}

func (e *tooManyRequests) Error() string { return e.detail }

// retryAfterSeconds is the Retry-After header's value: whole seconds, at
// least 1.
func (e *tooManyRequests) retryAfterSeconds() int {
	return max(1, int(math.Ceil(e.retryAfter.Seconds())))
}

// keyedLimiters holds one token bucket per key. Buckets that are full again
// are dropped on the way, so the map holds only clients that spent some of
// their budget recently.
type keyedLimiters struct {
	every rate.Limit
	burst int
	now   func() time.Time

	mu    sync.Mutex
	m     map[string]*rate.Limiter
	swept time.Time
}

func newKeyedLimiters(every rate.Limit, burst int, now func() time.Time) *keyedLimiters {
	return &keyedLimiters{every: every, burst: burst, now: now, m: map[string]*rate.Limiter{}}
}

func (k *keyedLimiters) get(key string) *rate.Limiter {
	now := k.now()
	k.mu.Lock()
	defer k.mu.Unlock()
	if now.Sub(k.swept) > time.Minute {
		for key, l := range k.m {
			if l.TokensAt(now) >= float64(k.burst) {
				delete(k.m, key)
			}
		}
		k.swept = now
	}
	l := k.m[key]
	if l == nil {
		l = rate.NewLimiter(k.every, k.burst)
		k.m[key] = l
	}
	return l
}

// wait is how long until key has a token; 0 if it has one now.
func (k *keyedLimiters) wait(key string) time.Duration {
	l := k.get(key)
	tokens := l.TokensAt(k.now())
	if tokens >= 1 {
		return 0
	}
	return time.Duration((1 - tokens) / float64(k.every) * float64(time.Second))
}

// take spends a token of key if it has one, else answers how long to wait.
func (k *keyedLimiters) take(key string) time.Duration {
	l := k.get(key)
	now := k.now()
	if l.AllowN(now, 1) {
		return 0
	}
	tokens := l.TokensAt(now)
	return time.Duration((1 - tokens) / float64(k.every) * float64(time.Second))
}

// signInGuard is the defence of the password check: failures are limited
// per address and per account, repeated failures lock the account out until
// they expire or an admin lifts them, and bcrypt runs a bounded number of
// times at once so that sign-in floods leave the CPU to others.
type signInGuard struct {
	limits    Limits
	now       func() time.Time
	byIP      *keyedLimiters
	byAccount *keyedLimiters
	hashing   chan struct{}

	mu    sync.Mutex
	fails map[string]lockState
}

type lockState struct {
	consecutive int
	lockedUntil time.Time
}

func newSignInGuard(l Limits, now func() time.Time) *signInGuard {
	refill := rate.Every(l.SignInFailureRefill)
	return &signInGuard{limits: l, now: now,
		byIP:      newKeyedLimiters(refill, l.SignInFailuresPerIP, now),
		byAccount: newKeyedLimiters(refill, l.SignInFailuresPerAccount, now),
		hashing:   make(chan struct{}, l.Hashing),
		fails:     map[string]lockState{},
	}
}

// accountKey names an account by what a sign-in gives: tenant and e-mail.
func accountKey(tenantID uuid.UUID, email string) string {
	return tenantID.String() + " " + strings.ToLower(strings.TrimSpace(email))
}

// admit refuses a sign-in before its password is checked when its address
// or account has no failures left, or the account is locked out.
func (g *signInGuard) admit(ip, account string) error {
	g.mu.Lock()
	st := g.fails[account]
	g.mu.Unlock()
	if left := st.lockedUntil.Sub(g.now()); left > 0 {
		return &tooManyRequests{code: "auth.locked_out", retryAfter: left,
			detail: "too many failed sign-ins: the account is locked; an admin can lift the lock-out"}
	}
	if w := g.byIP.wait(ip); w > 0 {
		return &tooManyRequests{code: "auth.rate_limited", retryAfter: w, detail: "too many failed sign-ins from this address"}
	}
	if w := g.byAccount.wait(account); w > 0 {
		return &tooManyRequests{code: "auth.rate_limited", retryAfter: w, detail: "too many failed sign-ins for this account"}
	}
	return nil
}

// failed records a wrong password.
func (g *signInGuard) failed(ip, account string) {
	g.byIP.take(ip)
	g.byAccount.take(account)
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.fails[account]
	st.consecutive++
	if st.consecutive >= g.limits.LockAfter {
		st.lockedUntil = g.now().Add(g.limits.LockFor)
		st.consecutive = 0
	}
	g.fails[account] = st
}

// succeeded forgets the account's run of failures.
func (g *signInGuard) succeeded(account string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.fails, account)
}

// lift ends an account's lock-out and its failure budget's debt.
func (g *signInGuard) lift(account string) {
	g.mu.Lock()
	delete(g.fails, account)
	g.mu.Unlock()
	g.byAccount.mu.Lock()
	delete(g.byAccount.m, account)
	g.byAccount.mu.Unlock()
}

// hash runs f (which hashes or verifies a password) when a hashing slot is
// free, or answers 429 after HashWait.
func (g *signInGuard) hash(ctx context.Context, f func() error) error {
	t := time.NewTimer(g.limits.HashWait)
	defer t.Stop()
	select {
	case g.hashing <- struct{}{}:
	case <-t.C:
		return &tooManyRequests{code: "auth.busy", retryAfter: time.Second, detail: "too many sign-ins at once; try again"}
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-g.hashing }()
	return f()
}

// limitChannel bounds the requests of a channel key and of one customer.
func (h *handlers) limitChannel(c echo.Context, k readmodels.ChannelKey) error {
	if w := h.channelByKey.take(k.KeyID.String()); w > 0 {
		return &tooManyRequests{code: "channel.rate_limited", retryAfter: w, detail: "too many requests with this channel key"}
	}
	// A conversation is one customer's: its requests share a budget. A
	// start is counted by its customer (limitCustomer), once its body is
	// read.
	if path := c.Request().URL.Path; strings.HasPrefix(path, "/v1/channel/conversations/") {
		if id, _, _ := strings.Cut(strings.TrimPrefix(path, "/v1/channel/conversations/"), "/"); id != "" {
			return h.limitCustomer(k, "conversation "+id)
		}
	}
	return nil
}

// limitCustomer spends one of a customer's requests.
func (h *handlers) limitCustomer(k readmodels.ChannelKey, customer string) error {
	if w := h.channelByCustomer.take(k.KeyID.String() + " " + customer); w > 0 {
		return &tooManyRequests{code: "channel.rate_limited", retryAfter: w, detail: "too many requests for this customer"}
	}
	return nil
}

// liftLockout is an admin ending a user's sign-in lock-out.
func (h *handlers) liftLockout(c echo.Context) error {
	ref, err := h.agentRef(c)
	if err != nil {
		return err
	}
	a, err := readmodels.GetAgent(c.Request().Context(), h.d.Reads, ref.TenantID, ref.AgentID)
	if err != nil {
		return fmt.Errorf("lift lock-out: %w", err)
	}
	h.signIns.lift(accountKey(ref.TenantID, a.Email))
	return c.NoContent(http.StatusNoContent)
}
