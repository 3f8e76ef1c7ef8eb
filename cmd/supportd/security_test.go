package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"

	"supportd/api"
	"supportd/commands"
	"supportd/credentials"
	"supportd/eventschema"
	"supportd/eventstore"
	"supportd/eventstore/postgres"
	"supportd/eventstore/postgres/pgtest"
	"supportd/readmodels"
	"supportd/secrets"
)

// openLiveEnd opens an SSE stream and answers a channel closed when the
// server ends the stream.
func openLiveEnd(t *testing.T, c client, path string) <-chan struct{} {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("live %s: %s", path, resp.Status)
	}
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
	}()
	return ended
}

func awaitEnd(t *testing.T, ended <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: the live stream is still open", what)
	}
}

func stillOpen(t *testing.T, ended <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ended:
		t.Fatalf("%s: the live stream ended", what)
	default:
	}
}

// TestSessionsEnd: every path that ends a credential takes effect on the
// very next request, and the live streams opened with it end: sign-out, a
// user changing its own password (its other sessions end, the asking one
// stays), an admin resetting a password, disabling a user, revoking an API
// token.
func TestSessionsEnd(t *testing.T) {
	t.Parallel()
	base := startServer(t, "postgres", "")
	op := client{t: t, base: base}
	id, admin := newTenant(t, op)

	// Sign-out: the next request is refused, the session's streams end,
	// another session's stream goes on.
	other := signIn(t, op, id, "boss@acme.example", "correct-horse")
	ownLive, tenantLive := openLiveEnd(t, admin, "/v1/me/live"), openLiveEnd(t, admin, "/v1/tenant/live")
	otherLive := openLiveEnd(t, other, "/v1/me/live")
	admin.expect(200, "DELETE", "/v1/sessions/current", "")
	admin.expect(401, "GET", "/v1/me", "")
	awaitEnd(t, ownLive, "sign-out /v1/me/live")
	awaitEnd(t, tenantLive, "sign-out /v1/tenant/live")
	other.expect(200, "GET", "/v1/me", "")
	stillOpen(t, otherLive, "another session's sign-out")

	// Own password change: the other sessions end at once, this one stays.
	third := signIn(t, op, id, "boss@acme.example", "correct-horse")
	thirdLive := openLiveEnd(t, third, "/v1/tenant/live")
	other.expect(200, "PUT", "/v1/me/password", `{"current_password":"correct-horse","password":"staple-battery-9"}`)
	third.expect(401, "GET", "/v1/me", "")
	awaitEnd(t, thirdLive, "password change")
	other.expect(200, "GET", "/v1/me", "")
	stillOpen(t, otherLive, "own password change")
	op.as("none").expect(403, "POST", "/v1/sessions", `{"tenant_id":"`+id+`","email":"boss@acme.example","password":"correct-horse"}`)

	// An admin's reset ends every session of the user.
	annID, _ := addAgent(other, "ann@acme.example", "Ann", "")
	ann := signIn(t, op, id, "ann@acme.example", "agent-password")
	annLive := openLiveEnd(t, ann, "/v1/me/live")
	other.expect(200, "PUT", "/v1/agents/"+annID+"/password", `{"password":"river-lantern-4"}`)
	ann.expect(401, "GET", "/v1/me", "")
	awaitEnd(t, annLive, "password reset")
	ann = signIn(t, op, id, "ann@acme.example", "river-lantern-4")

	// Disabling a user.
	annLive = openLiveEnd(t, ann, "/v1/me/live")
	other.expect(200, "PUT", "/v1/agents/"+annID+"/enabled", `{"enabled":false}`)
	ann.expect(401, "GET", "/v1/me", "")
	awaitEnd(t, annLive, "disable")

	// Revoking an API token.
	issued := other.expect(201, "POST", "/v1/api-tokens", `{"name":"Wallboard","role":"admin"}`)
	other.expect(200, "GET", "/v1/api-tokens"+at(issued), "")
	wallboard := op.as(issued["token"].(string))
	wallboard.expect(200, "GET", "/v1/agents", "")
	boardLive := openLiveEnd(t, wallboard, "/v1/tenant/live")
	other.expect(200, "DELETE", "/v1/api-tokens/"+issued["token_id"].(string), "")
	wallboard.expect(401, "GET", "/v1/agents", "")
	awaitEnd(t, boardLive, "token revocation")
	stillOpen(t, otherLive, "the end of other credentials")
}

// TestPasswordChangeHalfDone: a change of password is two steps (the new
// hash, then the events that end the other sessions). If the process dies
// between them, the other sessions are refused anyway, from the very next
// request: what ends them is the stored change, not only its events. The
// session that asked for the change, and sessions begun after it, go on.
func TestPasswordChangeHalfDone(t *testing.T) {
	t.Parallel()
	base, dbURL := startServerDB(t, "postgres", "")
	op := client{t: t, base: base}
	id, asking := newTenant(t, op)
	other := signIn(t, op, id, "boss@acme.example", "correct-horse")
	me := asking.expect(200, "GET", "/v1/me", "")
	var keep uuid.UUID
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := pool.QueryRow(ctx, `SELECT session_id FROM agent_sessions WHERE token_hash = $1`,
		commands.HashSecret(asking.token)).Scan(&keep); err != nil {
		t.Fatal(err)
	}
	// The first step alone, as a crash would leave it.
	hash, err := bcrypt.GenerateFromPassword([]byte("staple-battery-9"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	agentID := uuid.MustParse(me["agent_id"].(string))
	if err := (credentials.Store{DB: pool}).SetPassword(ctx, uuid.MustParse(id), agentID, string(hash), time.Now(), keep); err != nil {
		t.Fatal(err)
	}
	other.expect(401, "GET", "/v1/me", "")
	asking.expect(200, "GET", "/v1/me", "")
	later := signIn(t, op, id, "boss@acme.example", "staple-battery-9")
	later.expect(200, "GET", "/v1/me", "")
}

// TestPasswordRule: on every path that sets a password (tenant creation,
// adding a user, an admin's reset, one's own change), common, blank, short
// and context-derived passwords answer 422 naming the field, and nothing
// changes.
func TestPasswordRule(t *testing.T) {
	t.Parallel()
	base := startServer(t, "postgres", "")
	op := client{t: t, base: base}
	id, admin := newTenant(t, op)
	annID, _ := addAgent(admin, "ann.lee@acme.example", "Annie", "")
	ann := signIn(t, op, id, "ann.lee@acme.example", "agent-password")

	refused := []struct{ name, password string }{
		{"common", "password"},
		{"common, capitalised with digits", "Password123"},
		{"common digits", "12345678"},
		{"eight spaces", "        "},
		{"blank with tabs", "\t\t\t\t\t\t\t\t\t"},
		{"one character repeated", "aaaaaaaaaa"},
		{"too short", "x7#q"},
		{"too long", strings.Repeat("k", 73)},
		{"own e-mail", "ann.lee@acme.example"},
		{"own e-mail, other case", "ANN.LEE@acme.example"},
		{"e-mail's local part", "ann.lee"},
		{"local part with digits", "ann.lee2024"},
		{"nickname", "Annie2024!"},
		{"tenant name", "Acme1234"},
	}
	for _, tc := range refused {
		pw, _ := json.Marshal(tc.password)
		for _, path := range []struct {
			who               client
			method, url, body string
			field             string
		}{
			{admin, "POST", "/v1/agents", `{"email":"ann.lee@acme.example","nickname":"Annie","password":` + string(pw) + `}`, "password"},
			{admin, "PUT", "/v1/agents/" + annID + "/password", `{"password":` + string(pw) + `}`, "password"},
			{ann, "PUT", "/v1/me/password", `{"current_password":"agent-password","password":` + string(pw) + `}`, "password"},
			{op, "POST", "/v1/tenants", `{"tenant_id":"` + uuid.Must(uuid.NewV7()).String() + `","name":"Acme","time_zone":"Europe/Berlin","admin":{"email":"ann.lee@acme.example","nickname":"Annie","password":` + string(pw) + `}}`, "admin.password"},
		} {
			p := path.who.expect(422, path.method, path.url, path.body)
			if f, _ := p["field"].(string); strings.ReplaceAll(strings.TrimPrefix(f, "/"), "/", ".") != path.field {
				t.Errorf("%s, %s %s: %v", tc.name, path.method, path.url, p)
			}
		}
	}
	// Nothing changed: the old password still opens, a good one is taken.
	ann = signIn(t, op, id, "ann.lee@acme.example", "agent-password")
	ann.expect(200, "PUT", "/v1/me/password", `{"current_password":"agent-password","password":"violet-harbour-31"}`)
	signIn(t, op, id, "ann.lee@acme.example", "violet-harbour-31")
}

// tooMany expects a 429 with its code and a Retry-After of whole seconds.
func tooMany(t *testing.T, c client, code, method, path, body string, headers ...string) {
	t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if c.token != "none" && c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&p)
	if resp.StatusCode != 429 || p["code"] != code {
		t.Fatalf("%s %s: %d %v, want 429 %s", method, path, resp.StatusCode, p, code)
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Fatalf("%s %s: Retry-After %q", method, path, resp.Header.Get("Retry-After"))
	}
}

// TestSignInLimits: failed sign-ins are limited per account and per
// address, repeated failures lock the account out until an admin lifts it,
// and every refusal is a 429 with Retry-After.
func TestSignInLimits(t *testing.T) {
	t.Parallel()
	base, _ := startServerConfig(t, "postgres", "", func(c *config) {
		c.Limits = api.Limits{SignInFailuresPerAccount: 3, SignInFailuresPerIP: 100, LockAfter: 100,
			SignInFailureRefill: time.Hour}
	})
	op := client{t: t, base: base}
	id, admin := newTenant(t, op)
	addAgent(admin, "ann@acme.example", "Ann", "")
	anon := op.as("none")
	attempt := func(email, password string) string {
		return fmt.Sprintf(`{"tenant_id":%q,"email":%q,"password":%q}`, id, email, password)
	}
	for range 3 {
		anon.expect(403, "POST", "/v1/sessions", attempt("ann@acme.example", "wrong-horse"))
	}
	// The account's budget is spent: even the right password waits, in
	// any spelling of the address; other accounts are not affected.
	tooMany(t, anon, "auth.rate_limited", "POST", "/v1/sessions", attempt("ann@acme.example", "agent-password"))
	tooMany(t, anon, "auth.rate_limited", "POST", "/v1/sessions", attempt(" ANN@acme.example", "agent-password"))
	signIn(t, op, id, "boss@acme.example", "correct-horse")

	// Lock-out: an admin lifts it; agents may not.
	base2, _ := startServerConfig(t, "postgres", "", func(c *config) {
		c.Limits = api.Limits{SignInFailuresPerAccount: 100, SignInFailuresPerIP: 100, LockAfter: 4,
			SignInFailureRefill: time.Hour}
	})
	op2 := client{t: t, base: base2}
	id2, admin2 := newTenant(t, op2)
	annID, _ := addAgent(admin2, "ann@acme.example", "Ann", "")
	bobID, _ := addAgent(admin2, "bob@acme.example", "Bob", "")
	bob := signIn(t, op2, id2, "bob@acme.example", "agent-password")
	anon2 := op2.as("none")
	wrong := fmt.Sprintf(`{"tenant_id":%q,"email":"ann@acme.example","password":"wrong-horse"}`, id2)
	for range 4 {
		anon2.expect(403, "POST", "/v1/sessions", wrong)
	}
	right := fmt.Sprintf(`{"tenant_id":%q,"email":"ann@acme.example","password":"agent-password"}`, id2)
	tooMany(t, anon2, "auth.locked_out", "POST", "/v1/sessions", right)
	bob.expect(403, "DELETE", "/v1/agents/"+annID+"/lockout", "")
	tooMany(t, anon2, "auth.locked_out", "POST", "/v1/sessions", right)
	admin2.expect(204, "DELETE", "/v1/agents/"+annID+"/lockout", "")
	anon2.expect(201, "POST", "/v1/sessions", right)
	admin2.expect(404, "DELETE", "/v1/agents/"+uuid.NewString()+"/lockout", "")
	_ = bobID

	// Per address: failures for many accounts from one address.
	base3, _ := startServerConfig(t, "postgres", "", func(c *config) {
		c.Limits = api.Limits{SignInFailuresPerAccount: 100, SignInFailuresPerIP: 3, LockAfter: 100,
			SignInFailureRefill: time.Hour}
	})
	op3 := client{t: t, base: base3}
	id3, _ := newTenant(t, op3)
	for i := range 3 {
		op3.as("none").expect(403, "POST", "/v1/sessions", fmt.Sprintf(`{"tenant_id":%q,"email":"x%d@acme.example","password":"wrong-horse"}`, id3, i))
	}
	tooMany(t, op3.as("none"), "auth.rate_limited", "POST", "/v1/sessions", fmt.Sprintf(`{"tenant_id":%q,"email":"boss@acme.example","password":"correct-horse"}`, id3))
}

// TestPasswordHashingBound: password hashing runs a bounded number of times
// at once; sign-ins beyond it wait a while, then get 429 with Retry-After,
// while requests that hash nothing are served.
func TestPasswordHashingBound(t *testing.T) {
	t.Parallel()
	base, _ := startServerConfig(t, "postgres", "", func(c *config) {
		c.PasswordCost = 10 // tens of milliseconds a hash, more under the race detector
		c.Limits = api.Limits{Hashing: 1, HashWait: 5 * time.Millisecond, SignInFailuresPerAccount: 100, SignInFailuresPerIP: 100}
	})
	op := client{t: t, base: base}
	id, admin := newTenant(t, op)
	// Rounds of eight concurrent sign-ins: in each, the first takes the one
	// hashing slot and the others that come while it hashes are refused.
	// A round in which the scheduler happened to serialise every request is
	// followed by another, so the test does not hang on who wins a race.
	got := map[int]int{}
	for round := 0; round < 10 && (got[403] == 0 || got[429] == 0); round++ {
		codes := make(chan int, 8)
		for range 8 {
			go func() {
				req, _ := http.NewRequest("POST", base+"/v1/sessions", strings.NewReader(fmt.Sprintf(`{"tenant_id":%q,"email":"boss@acme.example","password":"wrong-horse"}`, id)))
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					codes <- 0
					return
				}
				if resp.StatusCode == 429 && resp.Header.Get("Retry-After") == "" {
					codes <- -1
				} else {
					codes <- resp.StatusCode
				}
				resp.Body.Close()
			}()
		}
		admin.expect(200, "GET", "/v1/me", "")
		for range 8 {
			got[<-codes]++
		}
	}
	if got[429] < 1 || got[403] < 1 || got[403]+got[429] != sum(got) {
		t.Fatalf("concurrent sign-ins answered %v, want some 403 (checked) and some 429 (refused), nothing else", got)
	}
}

func sum(m map[int]int) (n int) {
	for _, v := range m {
		n += v
	}
	return n
}

// TestChannelLimits: a channel key's requests, and one customer's, are
// limited; other customers of the key go on until the key's budget ends.
func TestChannelLimits(t *testing.T) {
	t.Parallel()
	base, _ := startServerConfig(t, "postgres", "", func(c *config) {
		c.Limits = api.Limits{ChannelPerKey: 0.001, ChannelKeyBurst: 8, ChannelPerCustomer: 0.001, ChannelCustomerBurst: 2}
	})
	op := client{t: t, base: base}
	_, admin := newTenant(t, op)
	key := admin.expect(201, "POST", "/v1/channel-keys", `{"channel":"web","name":"Site widget"}`)
	admin.expect(200, "GET", "/v1/channel-keys"+at(key), "")
	widget := op.as("none")
	k := key["key"].(string)
	conv := uuid.NewString()
	for range 2 { // 1, 2
		widget.expect(404, "GET", "/v1/channel/conversations/"+conv+"/messages", "", "X-Channel-Key", k)
	}
	tooMany(t, widget, "channel.rate_limited", "GET", "/v1/channel/conversations/"+conv+"/messages", "", "X-Channel-Key", k) // 3
	customer := uuid.NewString()
	start := fmt.Sprintf(`{"customer_id":%q,"customer_name":"Cy"}`, customer)
	widget.expect(201, "POST", "/v1/channel/conversations", start, "X-Channel-Key", k)                             // 4
	widget.expect(200, "POST", "/v1/channel/conversations", start, "X-Channel-Key", k, "Idempotency-Key", "again") // 5: the ongoing one
	tooMany(t, widget, "channel.rate_limited", "POST", "/v1/channel/conversations", start, "X-Channel-Key", k)     // 6
	widget.expect(404, "GET", "/v1/channel/conversations/"+uuid.NewString()+"/messages", "", "X-Channel-Key", k)   // 7
	widget.expect(200, "GET", "/v1/channel", "", "X-Channel-Key", k)                                               // 8
	tooMany(t, widget, "channel.rate_limited", "GET", "/v1/channel", "", "X-Channel-Key", k)
}

// send sends a request and answers the response, its body read.
func send(t *testing.T, method, url, body string, headers ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

// TestEdgeHardening: X-Forwarded-For counts only from trusted proxies;
// security headers on every response, no-store on the API's answers;
// /metrics needs its token.
func TestEdgeHardening(t *testing.T) {
	t.Parallel()
	limits := api.Limits{SignInFailuresPerIP: 2, SignInFailuresPerAccount: 100, LockAfter: 100, SignInFailureRefill: time.Hour}
	direct, _ := startServerConfig(t, "postgres", "", func(c *config) { c.Limits = limits })
	proxied, _ := startServerConfig(t, "postgres", "", func(c *config) {
		c.Limits = limits
		c.TrustedProxies, _ = api.ParseCIDRs("127.0.0.1")
		c.MetricsToken = "metrics-token"
	})

	// Without trusted proxies, a client cannot pick its address.
	op := client{t: t, base: direct}
	id, _ := newTenant(t, op)
	wrong := fmt.Sprintf(`{"tenant_id":%q,"email":"boss@acme.example","password":"wrong-horse"}`, id)
	for _, xff := range []string{"203.0.113.1", "203.0.113.2"} {
		op.as("none").expect(403, "POST", "/v1/sessions", wrong, "X-Forwarded-For", xff, "X-Real-IP", xff)
	}
	tooMany(t, op.as("none"), "auth.rate_limited", "POST", "/v1/sessions", wrong, "X-Forwarded-For", "203.0.113.3", "X-Real-IP", "203.0.113.3")

	// Behind a trusted proxy, the forwarded address is the client's.
	pop := client{t: t, base: proxied}
	pid, _ := newTenant(t, pop)
	pwrong := fmt.Sprintf(`{"tenant_id":%q,"email":"boss@acme.example","password":"wrong-horse"}`, pid)
	for range 2 {
		pop.as("none").expect(403, "POST", "/v1/sessions", pwrong, "X-Forwarded-For", "203.0.113.1")
	}
	tooMany(t, pop.as("none"), "auth.rate_limited", "POST", "/v1/sessions", pwrong, "X-Forwarded-For", "203.0.113.1")
	pop.as("none").expect(403, "POST", "/v1/sessions", pwrong, "X-Forwarded-For", "203.0.113.9")

	// Headers, on successes, errors and unknown paths alike.
	signInBody := fmt.Sprintf(`{"tenant_id":%q,"email":"boss@acme.example","password":"correct-horse"}`, id)
	for _, r := range []struct {
		method, path, body string
		status             int
		noStore            bool
	}{
		{"POST", "/v1/sessions", signInBody, 429, true}, // this address's failures are spent
		{"GET", "/v1/me", "", 401, true},
		{"POST", "/v1/api-tokens", `{"name":"x","role":"admin"}`, 401, true},
		{"GET", "/v1/nowhere", "", 401, true},
		{"GET", "/nowhere", "", 404, false},
		{"GET", "/healthz", "", 200, false},
		{"GET", "/readyz", "", 200, false},
		{"GET", "/v1/openapi.json", "", 200, false},
	} {
		resp, body := send(t, r.method, direct+r.path, r.body)
		h := resp.Header
		if resp.StatusCode != r.status || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" ||
			!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s %s: %d %v %s", r.method, r.path, resp.StatusCode, h, body)
		}
		if r.noStore && h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s %s: Cache-Control %q", r.method, r.path, h.Get("Cache-Control"))
		}
	}

	resp, body := send(t, "POST", proxied+"/v1/sessions", fmt.Sprintf(`{"tenant_id":%q,"email":"boss@acme.example","password":"correct-horse"}`, pid),
		"X-Forwarded-For", "203.0.113.50")
	if resp.StatusCode != 201 || resp.Header.Get("Cache-Control") != "no-store" || !strings.Contains(body, `"token"`) {
		t.Errorf("sign-in: %d %v", resp.StatusCode, resp.Header)
	}

	// /metrics: the operator token where no metrics token is set, else
	// only the metrics token.
	for _, m := range []struct {
		base, token string
		status      int
	}{
		{direct, "", 401}, {direct, "wrong", 401}, {direct, "op-token", 200},
		{proxied, "", 401}, {proxied, "op-token", 401}, {proxied, "metrics-token", 200},
	} {
		var headers []string
		if m.token != "" {
			headers = []string{"Authorization", "Bearer " + m.token}
		}
		if resp, body := send(t, "GET", m.base+"/metrics", "", headers...); resp.StatusCode != m.status || (m.status == 200) != strings.Contains(body, "go_goroutines") {
			t.Errorf("/metrics with %q: %d", m.token, resp.StatusCode)
		}
	}
}

// TestCredentialsOutOfLog: password hashes never enter the log; a log
// written by the previous version (hashes inside events) is imported into
// the credential store on start and its hashes hidden by upcasting; a
// removed user's hash is forgotten.
func TestCredentialsOutOfLog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := pgtest.NewDatabase(t)
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := postgres.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	store := postgres.New(pool)
	t.Cleanup(store.Close)

	// The previous version's log: a tenant whose admin's hash is in
	// AgentAdded v1.
	legacyTenant, legacyAdmin := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	hash, err := bcrypt.GenerateFromPassword([]byte("legacy-pass-77"), 4)
	if err != nil {
		t.Fatal(err)
	}
	md := eventschema.Metadata{TenantID: legacyTenant, Actor: eventschema.Actor{Kind: eventschema.ActorSystem, ID: "operator"}, OccurredAt: time.Now()}
	legacy := []eventschema.Proposed{
		{ID: uuid.Must(uuid.NewV7()), Type: "TenantCreated", Version: 1, Metadata: md,
			Data: json.RawMessage(fmt.Sprintf(`{"tenant_id":%q,"name":"Old Co","time_zone":"UTC"}`, legacyTenant))},
		{ID: uuid.Must(uuid.NewV7()), Type: "AgentAdded", Version: 1, Metadata: md,
			Data: json.RawMessage(fmt.Sprintf(`{"tenant_id":%q,"agent_id":%q,"email":"old@old.example","nickname":"Old","real_name":"","role":"admin","password_hash":%q,"enabled":true}`,
				legacyTenant, legacyAdmin, hash))},
	}
	if _, err := store.Append(ctx, "tenant-"+legacyTenant.String(), eventstore.Any, legacy); err != nil {
		t.Fatal(err)
	}

	base, _ := startServerConfig(t, "postgres", "", func(c *config) { c.DatabaseURL = dbURL })
	op := client{t: t, base: base}
	old := signIn(t, op, legacyTenant.String(), "old@old.example", "legacy-pass-77")
	old.expect(200, "GET", "/v1/me", "")

	// New accounts and password changes write no hash to the log.
	id, admin := newTenant(t, op)
	annID, _ := addAgent(admin, "ann@acme.example", "Ann", "")
	admin.expect(200, "PUT", "/v1/agents/"+annID+"/password", `{"password":"river-lantern-4"}`)
	ann := signIn(t, op, id, "ann@acme.example", "river-lantern-4")
	ann.expect(200, "PUT", "/v1/me/password", `{"current_password":"river-lantern-4","password":"violet-harbour-31"}`)
	old.expect(200, "PUT", "/v1/me/password", `{"current_password":"legacy-pass-77","password":"violet-harbour-31"}`)
	signIn(t, op, legacyTenant.String(), "old@old.example", "violet-harbour-31")

	var after eventschema.Position
	seen := 0
	for {
		batch, err := store.ReadAll(ctx, after, 500)
		if err != nil {
			t.Fatal(err)
		}
		if len(batch) == 0 {
			break
		}
		for _, e := range batch {
			after = e.Position
			seen++
			if e.ID == legacy[1].ID {
				continue // the old event itself: the log cannot forget
			}
			if strings.Contains(string(e.Data), "password_hash") || strings.Contains(string(e.Data), "$2a$") {
				t.Errorf("%s v%d carries a hash: %s", e.Type, e.Version, e.Data)
			}
		}
	}
	if seen < 8 {
		t.Fatalf("read %d events", seen)
	}
	// Upcasting hides the old hash from every reader.
	up, err := eventschema.Catalog().Upcast("AgentAdded", 1, legacy[1].Data)
	if err != nil || strings.Contains(string(up), "password_hash") {
		t.Errorf("upcast v1: %s %v", up, err)
	}

	// A removed user's hash is forgotten.
	var stored int
	count := func(agent string) int {
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM credentials WHERE agent_id = $1`, agent).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		return stored
	}
	if count(annID) != 1 || count(legacyAdmin.String()) != 1 {
		t.Fatalf("credentials before removal: ann %d, old %d", count(annID), count(legacyAdmin.String()))
	}
	admin.expect(200, "DELETE", "/v1/agents/"+annID, "")
	if count(annID) != 0 {
		t.Errorf("a removed user's hash is kept")
	}
}

// TestWebhookAddressRefused: a webhook URL naming an inward address, in any
// spelling, is refused at registration and on change (422 on url); public
// addresses and names are taken.
func TestWebhookAddressRefused(t *testing.T) {
	t.Parallel()
	base, _ := startServerConfig(t, "postgres", "", func(c *config) { c.WebhooksAllowPrivate = false })
	op := client{t: t, base: base}
	_, admin := newTenant(t, op)
	good := admin.expect(201, "POST", "/v1/webhooks", `{"url":"https://hooks.example.com/supportd"}`)
	admin.expect(201, "POST", "/v1/webhooks", `{"url":"https://93.184.216.34/h"}`)
	admin.expect(201, "POST", "/v1/webhooks", `{"url":"https://[2606:2800:220:1::248]/h"}`)
	for _, host := range []string{
		"127.0.0.1", "localhost", "api.localhost", "10.0.0.8", "172.16.5.4", "192.168.0.1", "169.254.169.254",
		"100.64.0.1", "0.0.0.0", "0.1.2.3", "198.18.0.1", "240.0.0.1", "255.255.255.255",
		"2130706433", "0177.0.0.1", "0x7f.0.0.1", "0x7f000001", "127.1", "017700000001", "3232235521",
		"[::1]", "[::]", "[::127.0.0.1]", "[64:ff9b::7f00:1]", "[64:ff9b::a9fe:a9fe]", "[::ffff:127.0.0.1]",
		"[::ffff:7f00:1]", "[fd00::1]", "[fe80::1%25eth0]", "[2002:7f00:1::1]", "[2001:db8::1]",
	} {
		url := "http://" + host + ":8080/h"
		p := admin.expect(422, "POST", "/v1/webhooks", fmt.Sprintf(`{"url":%q}`, url))
		if p["code"] != "webhook.url_unreachable" || p["field"] != "url" {
			t.Errorf("register %s: %v", url, p)
		}
		p = admin.expect(422, "PUT", "/v1/webhooks/"+good["endpoint_id"].(string), fmt.Sprintf(`{"url":%q,"enabled":true}`, url))
		if p["code"] != "webhook.url_unreachable" {
			t.Errorf("change to %s: %v", url, p)
		}
	}
}

// TestWebhookSecretsSealed: a webhook secret is in neither the log nor the
// read model in plain text; admins see its hint; deliveries are signed with
// it; plain secrets left in the read model are sealed on start.
func TestWebhookSecretsSealed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	base, dbURL := startServerDB(t, "postgres", "")
	op := client{t: t, base: base}
	_, admin := newTenant(t, op)
	const secret = "plain-secret-0123456789"
	reg := admin.expect(201, "POST", "/v1/webhooks", fmt.Sprintf(`{"url":"https://hooks.example.com/h","secret":%q}`, secret))
	if reg["secret"] != secret {
		t.Errorf("registration answers secret %v", reg["secret"])
	}
	made := admin.expect(201, "POST", "/v1/webhooks", `{"url":"https://hooks.example.com/made"}`)
	changed := admin.expect(200, "PUT", "/v1/webhooks/"+made["endpoint_id"].(string), `{"url":"https://hooks.example.com/made","secret":"changed-secret-987654321","enabled":true}`)
	list := admin.expect(200, "GET", "/v1/webhooks"+at(changed), "")["items"].([]any)
	hints := map[string]bool{}
	for _, it := range list {
		hints[it.(map[string]any)["secret_hint"].(string)] = true
	}
	if !hints["…6789"] || !hints["…4321"] {
		t.Errorf("hints %v", hints)
	}

	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	plains := []string{secret, "changed-secret-987654321", made["secret"].(string)}
	rows, err := pool.Query(ctx, `SELECT secret FROM webhook_endpoints`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		n++
		for _, p := range plains {
			if strings.Contains(s, p) || !strings.HasPrefix(s, "sealed.v1.") {
				t.Errorf("read model holds %q", s)
			}
		}
	}
	rows.Close()
	if n != 2 {
		t.Fatalf("%d endpoints in the read model", n)
	}
	var inLog int
	for _, p := range plains {
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE data::text LIKE '%' || $1 || '%'`, p).Scan(&inLog); err != nil {
			t.Fatal(err)
		}
		if inLog != 0 {
			t.Errorf("the log holds a plain secret in %d events", inLog)
		}
	}

	// A plain secret left by an older version is sealed on start.
	sealer, _ := secrets.ParseKey(testSecretKey)
	if _, err := pool.Exec(ctx, `UPDATE webhook_endpoints SET secret = $1 WHERE endpoint_id = $2`, secret, reg["endpoint_id"]); err != nil {
		t.Fatal(err)
	}
	if sealed, err := readmodels.SealWebhookSecrets(ctx, pool, sealer.Seal); err != nil || sealed != 1 {
		t.Fatalf("sealed %d, %v", sealed, err)
	}
	var s string
	if err := pool.QueryRow(ctx, `SELECT secret FROM webhook_endpoints WHERE endpoint_id = $1`, reg["endpoint_id"]).Scan(&s); err != nil {
		t.Fatal(err)
	}
	if opened, err := sealer.Open(s); err != nil || opened != secret || s == secret {
		t.Errorf("sealed %q opens to %q, %v", s, opened, err)
	}
}
