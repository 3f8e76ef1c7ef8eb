package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"supportd/api"
	"supportd/cmd/internal/connect"
	"supportd/commands"
	"supportd/eventschema"
	"supportd/eventstore"
	"supportd/projections"
	"supportd/readmodels"

	"supportd/eventstore/kurrentdb/kurrentdbdouble"
	"supportd/eventstore/postgres/pgtest"
)

// testServerConns bounds the PostgreSQL connections of every test server:
// the least the server accepts (one per projector and 8 for the rest), so
// that the suite's peak is known (see .ci/with-postgres).
var testServerConns = fmt.Sprint(len(projections.All(eventschema.Catalog())) + 8)

// startServer runs the whole server on a fresh database and returns its
// base URL.
func startServer(t testing.TB, eventStore, kurrentURL string) string {
	base, _ := startServerDB(t, eventStore, kurrentURL)
	return base
}

// startServerDB is startServer that also answers the database URL.
func startServerDB(t testing.TB, eventStore, kurrentURL string) (string, string) {
	t.Helper()
	return startServerWith(t, eventStore, kurrentURL)
}

// testSecretKey seals the test servers' webhook secrets.
const testSecretKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

// startServerWith is startServerDB with more flags.
func startServerWith(t testing.TB, eventStore, kurrentURL string, flags ...string) (string, string) {
	t.Helper()
	return startServerConfig(t, eventStore, kurrentURL, nil, flags...)
}

// startServerConfig is startServerWith with a change of the configuration
// (change may be nil).
func startServerConfig(t testing.TB, eventStore, kurrentURL string, change func(*config), flags ...string) (string, string) {
	t.Helper()
	dbURL := pgtest.NewDatabase(t)
	cfg, err := parseConfig(append([]string{
		"--addr", "127.0.0.1:0",
		"--database-url", dbURL,
		"--db-max-conns", testServerConns,
		"--event-store", eventStore,
		"--kurrentdb-url", kurrentURL,
		"--operator-token", "op-token",
		"--password-cost", "4", // bcrypt.MinCost: sign-ins stay fast under the race detector
		"--webhooks-allow-private", // the test receivers listen on loopback
		"--secret-key", testSecretKey,
		// A loaded machine (the race detector, parallel packages) can take
		// seconds over one request; the timeout tests set their own.
		"--request-timeout", "2m", "--write-timeout", "3m", "--read-timeout", "2m",
		// Many test servers share two cores: a read model may lag seconds.
		"--read-wait", "1m",
	}, flags...), func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	// Tests about other things send many requests from one address and
	// for one customer: generous budgets, unless a test sets its own.
	cfg.Limits = api.Limits{SignInFailuresPerIP: 10000, SignInFailuresPerAccount: 10000, LockAfter: 10000,
		ChannelPerCustomer: 10000, ChannelCustomerBurst: 100000, ChannelPerKey: 10000, ChannelKeyBurst: 100000}
	if change != nil {
		change(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	misuse := &protocolMisuse{}
	go func() { done <- run(ctx, cfg, slog.New(misuse), func(a string) { addr <- a }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server stopped with %v", err)
		}
		if m := misuse.first(); m != "" {
			t.Errorf("the server misused HTTP: %s", m)
		}
	})
	select {
	case a := <-addr:
		return "http://" + a, dbURL
	case err := <-done:
		done <- nil // for the cleanup, which waits for the server to stop
		t.Fatalf("server did not start: %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("server did not start in time")
	}
	return "", ""
}

type client struct {
	t     testing.TB
	base  string
	token string // "" sends the operator token
}

// as returns a client sending token.
func (c client) as(token string) client { c.token = token; return c }

// do sends a request and decodes the JSON answer into a map.
func (c client) do(method, path, body string, headers ...string) (int, map[string]any) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	token := c.token
	if token == "" {
		token = "op-token"
	}
	if token != "none" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(bytes.TrimSpace(raw)) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &out); err != nil {
			c.t.Fatalf("%s %s: bad JSON %q", method, path, raw)
		}
	} else {
		out = map[string]any{"raw": string(raw)}
	}
	return resp.StatusCode, out
}

func (c client) expect(status int, method, path, body string, headers ...string) map[string]any {
	c.t.Helper()
	got, out := c.do(method, path, body, headers...)
	if got != status {
		c.t.Fatalf("%s %s: status %d, want %d: %v", method, path, got, status, out)
	}
	return out
}

// objectStream names the stream of object id of tenant (see
// eventschema.ObjectStream).
func objectStream(category, tenant, id string) string {
	return eventschema.ObjectStream(category, uuid.MustParse(tenant), uuid.MustParse(id))
}

// newTenant creates a tenant as the operator and signs its first admin in.
// It answers the tenant ID and a client acting as that admin.
// newTenant creates a tenant without the default set-up: each test builds
// the teams and routing it is about (TestDefaultSetUp tests the set-up).
func newTenant(t testing.TB, c client) (string, client) {
	t.Helper()
	id := uuid.Must(uuid.NewV7()).String()
	c.as("").expect(201, "POST", "/v1/tenants", fmt.Sprintf(`{"tenant_id":%q,"name":"Acme","time_zone":"Europe/Berlin","set_up":false,"admin":{"email":"boss@acme.example","nickname":"Boss","password":"correct-horse"}}`, id))
	s := c.as("none").expect(201, "POST", "/v1/sessions", fmt.Sprintf(`{"tenant_id":%q,"email":"Boss@acme.example","password":"correct-horse"}`, id))
	return id, c.as(s["token"].(string))
}

// TestTenantLifecycleOverHTTP drives the write path, the projections and the
// read path end to end, once per event store.
func TestTenantLifecycleOverHTTP(t *testing.T) {
	stores := map[string]func(t *testing.T) string{
		"postgres":  func(t *testing.T) string { return startServer(t, "postgres", "") },
		"kurrentdb": func(t *testing.T) string { return startServer(t, "kurrentdb", kurrentdbdouble.StartT(t).URL()) },
	}
	for name, start := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			op := client{t: t, base: start(t)}
			id, admin := newTenant(t, op)

			got := op.expect(200, "GET", "/v1/tenants/"+id, "")
			if got["name"] != "Acme" || got["time_zone"] != "Europe/Berlin" {
				t.Errorf("tenant %v", got)
			}
			problem := op.expect(409, "POST", "/v1/tenants", fmt.Sprintf(`{"tenant_id":%q,"name":"Again","admin":{"email":"boss@acme.example","nickname":"Boss","password":"correct-horse"}}`, id))
			if problem["code"] != "tenant.exists" {
				t.Errorf("problem %v", problem)
			}
			if own := admin.expect(200, "GET", "/v1/tenant", ""); own["tenant_id"] != id {
				t.Errorf("own tenant %v", own)
			}
			admin.expect(422, "PUT", "/v1/tenant", `{"name":"Acme","time_zone":"Mars/Olympus"}`)
			admin.expect(200, "PUT", "/v1/tenant", `{"name":"Acme Support","logo_url":"https://cdn.acme.example/logo.png","time_zone":"Asia/Shanghai"}`)
			seats := op.expect(200, "PUT", "/v1/tenants/"+id+"/seats", `{"licensed_seats":25}`)
			admin.expect(403, "PUT", "/v1/tenants/"+id+"/seats", `{"licensed_seats":99}`)
			own := admin.expect(200, "GET", "/v1/tenant?min_position="+seats["position"].(string), "")
			if own["name"] != "Acme Support" || own["logo_url"] != "https://cdn.acme.example/logo.png" ||
				own["time_zone"] != "Asia/Shanghai" || own["licensed_seats"] != float64(25) {
				t.Errorf("profile %v", own)
			}

			setting := "/v1/tenant/settings/transfer.require_confirmation"
			first := admin.expect(200, "PUT", setting, `{"value":true}`, "Idempotency-Key", "k-1")
			if first["events"] != float64(1) || first["version"] != float64(4) {
				t.Errorf("change %v", first)
			}
			again := admin.expect(200, "PUT", setting, `{"value":true}`, "Idempotency-Key", "k-1")
			if fmt.Sprint(again) != fmt.Sprint(first) {
				t.Errorf("retry answered %v, first %v", again, first)
			}
			admin.expect(412, "PUT", setting, `{"value":false}`, "If-Match", `"3"`)
			admin.expect(200, "PUT", "/v1/tenant/settings/conversation.inactivity_close_hours", `{"value":48}`, "If-Match", `"4"`)
			bad := admin.expect(422, "PUT", "/v1/tenant/settings/transfer.confirmation_timeout_seconds", `{"value":"soon"}`)
			if bad["field"] != "transfer.confirmation_timeout_seconds" {
				t.Errorf("problem %v", bad)
			}
			last := admin.expect(200, "PUT", "/v1/tenant/settings/queue.allow_manual_join", `{"value":false}`)

			list := admin.expect(200, "GET", "/v1/tenant/settings?min_position="+last["position"].(string), "")
			values := map[string]string{}
			for _, item := range list["items"].([]any) {
				m := item.(map[string]any)
				v, _ := json.Marshal(m["value"])
				values[m["key"].(string)] = string(v)
			}
			want := map[string]string{
				"transfer.require_confirmation":       "true",
				"conversation.inactivity_close_hours": "48",
				"queue.allow_manual_join":             "false",
				"dispatch.familiarity":                "false", // a default
			}
			for k, v := range want {
				if values[k] != v {
					t.Errorf("setting %s = %s, want %s", k, values[k], v)
				}
			}

			op.expect(404, "GET", "/v1/tenants/"+uuid.NewString(), "")
			ready := op.expect(200, "GET", "/readyz", "")
			if ready["status"] != "ok" || len(ready["projectors"].([]any)) == 0 {
				t.Errorf("readyz %v", ready)
			}
			metrics := op.expect(200, "GET", "/metrics", "")["raw"].(string)
			for _, m := range []string{"supportd_projector_lag_events", "supportd_projector_up"} {
				if !strings.Contains(metrics, m) {
					t.Errorf("metrics lack %s", m)
				}
			}
		})
	}
}

// TestSessions signs in and out over HTTP: wrong credentials, status and
// capacity rules, tokens that stop working, and a silent console going
// offline.
func TestSessions(t *testing.T) {
	t.Parallel()
	base, dbURL := startServerDB(t, "postgres", "")
	op := client{t: t, base: base}
	id, admin := newTenant(t, op)
	anon := op.as("none")

	for _, tc := range []struct{ name, body, code string }{
		{"wrong password", `{"tenant_id":%q,"email":"boss@acme.example","password":"wrong-horse"}`, "auth.invalid_credentials"},
		{"unknown address", `{"tenant_id":%q,"email":"nobody@acme.example","password":"correct-horse"}`, "auth.invalid_credentials"},
	} {
		p := anon.expect(403, "POST", "/v1/sessions", fmt.Sprintf(tc.body, id))
		if p["code"] != tc.code {
			t.Errorf("%s: %v", tc.name, p)
		}
	}
	anon.expect(401, "GET", "/v1/me", "")
	op.as("not-a-token").expect(401, "GET", "/v1/me", "")
	op.expect(403, "GET", "/v1/me", "") // the operator is no user

	me := admin.expect(200, "GET", "/v1/me", "")
	if me["status"] != "online" || me["role"] != "admin" || me["capacity"] != float64(5) {
		t.Errorf("me %v", me)
	}
	res := admin.expect(200, "PUT", "/v1/me/status", `{"status":"busy"}`)
	if me := admin.expect(200, "GET", "/v1/me?min_position="+res["position"].(string), ""); me["status"] != "busy" {
		t.Errorf("status %v", me["status"])
	}
	admin.expect(422, "PUT", "/v1/me/status", `{"status":"offline"}`)
	if p := admin.expect(403, "PUT", "/v1/me/capacity", `{"capacity":8}`); p["code"] != "agent.capacity_by_admin" {
		t.Errorf("capacity problem %v", p)
	}
	admin.expect(200, "PUT", "/v1/tenant/settings/agents.may_set_capacity", `{"value":true}`)
	res = admin.expect(200, "PUT", "/v1/me/capacity", `{"capacity":8}`)
	if me := admin.expect(200, "GET", "/v1/me?min_position="+res["position"].(string), ""); me["capacity"] != float64(8) {
		t.Errorf("capacity %v", me["capacity"])
	}

	// A second session keeps the user online when the first ends.
	second := anon.expect(201, "POST", "/v1/sessions", fmt.Sprintf(`{"tenant_id":%q,"email":"boss@acme.example","password":"correct-horse"}`, id))
	other := op.as(second["token"].(string))
	beforeBeat := time.Now()
	other.expect(204, "POST", "/v1/sessions/current/heartbeat", "")
	afterBeat := time.Now()
	out := admin.expect(200, "DELETE", "/v1/sessions/current", "")
	if out["events"] != float64(1) {
		t.Errorf("sign-out of one of two sessions wrote %v events", out["events"])
	}
	other.expect(200, "GET", "/v1/me?min_position="+out["position"].(string), "")
	admin.expect(401, "GET", "/v1/me", "")

	// The remaining console goes silent: the presence sweep, 31 s later,
	// takes the user offline from the last heartbeat + 30 s; the session
	// stays signed in and its token keeps working.
	ctx := context.Background()
	pool := pgtest.Pool(t, dbURL)
	store, release, err := connect.EventStore(ctx, "postgres", pool, "")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	later := time.Now().Add(31 * time.Second)
	monitor := &commands.PresenceMonitor{
		Handler: commands.NewHandler(store, eventschema.Catalog(), fixedClock(later)),
		Clock:   fixedClock(later),
		Log:     slog.New(slog.DiscardHandler),
		Silent: func(ctx context.Context, cutoff, now time.Time) ([]commands.SilentSession, error) {
			stale, err := readmodels.StaleSessions(ctx, pool, cutoff, now)
			var out []commands.SilentSession
			for _, s := range stale {
				out = append(out, commands.SilentSession{TenantID: s.TenantID, AgentID: s.AgentID, SessionID: s.SessionID, LastSeen: s.LastSeen, Expired: s.Expired})
			}
			return out, err
		},
	}
	if err := monitor.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	stream := objectStream("agent", id, me["agent_id"].(string))
	lastEvents := func(n int) []eventschema.Envelope {
		t.Helper()
		events, err := store.ReadStream(ctx, stream, eventstore.Backwards, eventstore.End, n)
		if err != nil {
			t.Fatal(err)
		}
		return events
	}
	events := lastEvents(2)
	if len(events) != 2 || events[0].Type != "AgentStatusChanged" || events[1].Type != "AgentSessionSilenced" {
		t.Fatalf("last agent events: %v", events)
	}
	var silenced eventschema.AgentSessionSilenced
	var changed eventschema.AgentStatusChanged
	if err := json.Unmarshal(events[1].Data, &silenced); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(events[0].Data, &changed); err != nil {
		t.Fatal(err)
	}
	if silenced.LastSeen.Before(beforeBeat.Add(-time.Millisecond)) || silenced.LastSeen.After(afterBeat.Add(time.Millisecond)) {
		t.Errorf("silence counted from %v, the heartbeat was between %v and %v", silenced.LastSeen, beforeBeat, afterBeat)
	}
	want := silenced.LastSeen.Add(30 * time.Second)
	if changed.To != "offline" || changed.From != "busy" || changed.Reason != "heartbeat_timeout" ||
		changed.EffectiveAt == nil || !changed.EffectiveAt.Equal(want) || !silenced.SilentAt.Equal(want) ||
		changed.SessionID.String() != second["session_id"] || changed.ClientIP == "" || changed.ClientIP != silenced.ClientIP {
		t.Errorf("status change %+v after silence %+v; want offline from %v", changed, silenced, want)
	}
	// A second sweep (another replica, or the next tick) changes nothing.
	if err := monitor.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if again := lastEvents(1); again[0].ID != events[0].ID {
		t.Errorf("second sweep wrote %s", again[0].Type)
	}
	pos := fmt.Sprint(events[0].Position)
	if me := other.expect(200, "GET", "/v1/me?min_position="+pos, ""); me["status"] != "offline" {
		t.Errorf("silent user's status %v", me["status"])
	}
	if p := other.expect(409, "PUT", "/v1/me/status", `{"status":"online"}`); p["code"] != "agent.offline" {
		t.Errorf("status change while silent: %v", p)
	}

	// The console comes back: its heartbeat restores the status it had.
	other.expect(204, "POST", "/v1/sessions/current/heartbeat", "")
	events = lastEvents(2)
	if len(events) != 2 || events[0].Type != "AgentStatusChanged" || events[1].Type != "AgentSessionResumed" {
		t.Fatalf("events after the heartbeat: %v", events)
	}
	if me := other.expect(200, "GET", "/v1/me?min_position="+fmt.Sprint(events[0].Position), ""); me["status"] != "busy" {
		t.Errorf("status after the console came back: %v", me["status"])
	}
}

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

func TestParseConfig(t *testing.T) {
	env := map[string]string{"SUPPORTD_ADDR": ":9999", "SUPPORTD_EVENT_STORE": "kurrentdb"}
	cfg, err := parseConfig(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil || cfg.Addr != ":9999" || cfg.EventStore != "kurrentdb" || cfg.WebhooksAllowPrivate {
		t.Errorf("env: %+v, %v", cfg, err)
	}
	cfg, err = parseConfig([]string{"--addr", ":1"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil || cfg.Addr != ":1" {
		t.Errorf("flag must win over env: %+v, %v", cfg, err)
	}
	if _, err := parseConfig([]string{"--event-store", "mysql"}, func(string) string { return "" }, io.Discard); err == nil {
		t.Error("unknown event store accepted")
	}
	if cfg, err := parseConfig(nil, func(k string) string { return map[string]string{"SUPPORTD_DB_MAX_CONNS": "40"}[k] }, io.Discard); err != nil || cfg.DBMaxConns != 40 {
		t.Errorf("max connections from env: %+v, %v", cfg, err)
	}
	for _, bad := range [][]string{{"--db-max-conns", "2"}, {"--db-max-conns", "16"}} {
		if _, err := parseConfig(bad, func(string) string { return "" }, io.Discard); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if _, err := parseConfig(nil, func(k string) string { return map[string]string{"SUPPORTD_DB_MAX_CONNS": "many"}[k] }, io.Discard); err == nil {
		t.Error("SUPPORTD_DB_MAX_CONNS=many accepted")
	}
}

// protocolMisuse is a log handler that keeps what net/http says about a
// handler's misuse of the protocol (a second status line), so that every
// test server fails its test on it; it drops everything else.
type protocolMisuse struct {
	mu   sync.Mutex
	seen string
}

func (*protocolMisuse) Enabled(context.Context, slog.Level) bool { return true }
func (h *protocolMisuse) WithAttrs([]slog.Attr) slog.Handler     { return h }
func (h *protocolMisuse) WithGroup(string) slog.Handler          { return h }
func (h *protocolMisuse) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "superfluous") {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.seen == "" {
			h.seen = r.Message
		}
	}
	return nil
}

func (h *protocolMisuse) first() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.seen
}
