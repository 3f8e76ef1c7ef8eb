package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"supportd/eventschema"
	"supportd/eventstore"
	"supportd/eventstore/postgres"
	"supportd/eventstore/postgres/pgtest"
)

// `make load` runs TestLoad; `make test` skips it (it needs -load.run).
var (
	loadRun       = flag.Bool("load.run", false, "run TestLoad (make load)")
	loadCustomers = flag.Int("load.customers", 32, "concurrent customers of TestLoad")
	loadAgents    = flag.Int("load.agents", 16, "agents of TestLoad")
	loadCapacity  = flag.Int("load.capacity", 3, "capacity of each agent of TestLoad")
	loadPerConv   = flag.Int("load.messages", 10, "messages a customer of TestLoad sends before waiting for a reply")
	loadBaseline  = flag.Duration("load.baseline", 10*time.Second, "how long TestLoad measures raw appends after the load")
)

// loadStats is what the simulated clients record.
type loadStats struct {
	mu        sync.Mutex
	latencies map[string][]time.Duration // per kind of command: the 2xx ones
	written   map[string]uint64          // stream → highest version a 2xx command answered
	errors    map[string]int             // unexpected answers, per kind and status
	expected  map[string]int             // refusals the scenario expects (a message after the agent closed)
	replied   int                        // conversations whose customer saw an agent's reply
	lagMs     []float64                  // projection lag samples (largest projector, ms)
}

func (s *loadStats) ok(kind string, d time.Duration, res map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latencies[kind] = append(s.latencies[kind], d)
	stream, _ := res["stream"].(string)
	version, _ := res["version"].(float64)
	if n, _ := res["events"].(float64); stream != "" && n > 0 && uint64(version) > s.written[stream] {
		s.written[stream] = uint64(version)
	}
}

func (s *loadStats) refused(kind string, status int, expected bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if expected {
		s.expected[fmt.Sprintf("%s %d", kind, status)]++
		return
	}
	s.errors[fmt.Sprintf("%s %d", kind, status)]++
}

func (s *loadStats) commands() (n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, l := range s.latencies {
		if !strings.HasPrefix(k, "GET") {
			n += len(l)
		}
	}
	return n
}

func (s *loadStats) errorCount() (n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.errors {
		n += c
	}
	return n
}

// loadClient sends requests that end with ctx; it never calls t.Fatal, so
// that its goroutines can use it.
type loadClient struct {
	http  *http.Client
	base  string
	stats *loadStats
}

// call sends a request and answers the status and the decoded JSON body;
// 2xx answers are recorded under kind (with their stream version for
// the log check), others are counted unless expected says so.
func (c *loadClient) call(ctx context.Context, kind, method, path, body string, expected func(int) bool, headers ...string) (int, map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	t0 := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	var out map[string]any
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &out); err != nil {
			return 0, nil, fmt.Errorf("%s %s: bad JSON %q", method, path, raw)
		}
	}
	if resp.StatusCode/100 == 2 {
		c.stats.ok(kind, time.Since(t0), out)
	} else {
		c.stats.refused(kind, resp.StatusCode, expected != nil && expected(resp.StatusCode))
	}
	return resp.StatusCode, out, nil
}

// TestLoad runs simulated customers and agents through the HTTP API for
// load.duration, then checks the event log: no agent held more
// conversations than its capacity, no conversation had two agents at once,
// every 2xx command's events are in the log. It reports commands/s,
// latencies, projection lag and errors, and the store's raw appends/s at
// the clients' concurrency (customers + agents, one writer each), measured
// in the same run. Run by `make load`.
func TestLoad(t *testing.T) {
	if !*loadRun {
		t.Skip("a load run: make load (go test -run TestLoad ./cmd/supportd -args -load.run)")
	}
	base, dbURL := startServerWith(t, "postgres", "", "--db-max-conns", "40")
	op := client{t: t, base: base}
	tenant, admin := newTenant(t, op)
	op.expect(200, "PUT", "/v1/tenants/"+tenant+"/seats", fmt.Sprintf(`{"licensed_seats":%d}`, *loadAgents+1))
	team := admin.expect(201, "POST", "/v1/teams", `{"name":"Support"}`)["team_id"].(string)
	agentIDs := make([]string, *loadAgents)
	tokens := make([]string, *loadAgents)
	for i := range agentIDs {
		email := fmt.Sprintf("agent%d@acme.example", i)
		added := admin.expect(201, "POST", "/v1/agents", fmt.Sprintf(`{"email":%q,"nickname":"A%d","password":"agent-password","capacity":%d}`, email, i, *loadCapacity))
		agentIDs[i] = added["agent_id"].(string)
	}
	quoted := make([]string, len(agentIDs))
	for i, id := range agentIDs {
		quoted[i] = strconv.Quote(id)
	}
	members := admin.expect(200, "PUT", "/v1/teams/"+team+"/members", `{"add":[`+strings.Join(quoted, ",")+`]}`)
	admin.expect(200, "GET", "/v1/teams/"+team+"/members"+at(members), "")
	key := admin.expect(201, "POST", "/v1/channel-keys", `{"channel":"web","name":"Load"}`)
	admin.expect(200, "GET", "/v1/channel-keys"+at(key), "")
	channelKey := key["key"].(string)

	stats := &loadStats{latencies: map[string][]time.Duration{}, written: map[string]uint64{},
		errors: map[string]int{}, expected: map[string]int{}}
	lc := &loadClient{http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4 * (*loadCustomers + *loadAgents)}},
		base: base, stats: stats}
	// Agents (their capacity set when added) sign in and go online.
	for i := range tokens {
		s := op.as("none").expect(201, "POST", "/v1/sessions", fmt.Sprintf(`{"tenant_id":%q,"email":"agent%d@acme.example","password":"agent-password"}`, tenant, i))
		tokens[i] = s["token"].(string)
		op.as(tokens[i]).expect(200, "PUT", "/v1/me/status", `{"status":"online"}`)
	}

	t.Logf("load: %d customers, %d agents of capacity %d, %s", *loadCustomers, *loadAgents, *loadCapacity, *loadDuration)
	// Every loop ends with ctx: at the end of the duration.
	ctx, cancel := context.WithTimeout(context.Background(), *loadDuration)
	defer cancel()
	start := time.Now()
	var (
		wg      sync.WaitGroup
		loopErr atomic.Value
	)
	fail := func(err error) {
		if err != nil && ctx.Err() == nil {
			loopErr.CompareAndSwap(nil, err)
			cancel()
		}
	}
	for i := range *loadCustomers {
		wg.Go(func() { fail(runCustomer(ctx, lc, channelKey, team, i)) })
	}
	for i := range *loadAgents {
		wg.Go(func() { fail(runAgent(ctx, lc, "Bearer "+tokens[i])) })
	}
	// Progress every 5 s, with the projection lag from /metrics.
	wg.Go(func() {
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		last, lastAt := 0, start
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-tick.C:
				lag := projectionLag(ctx, lc)
				if ctx.Err() != nil {
					return
				}
				stats.mu.Lock()
				stats.lagMs = append(stats.lagMs, lag)
				stats.mu.Unlock()
				n := stats.commands()
				t.Logf("load: %5.0fs  %7d commands  %6.0f/s  %d errors  projection lag %.0f ms",
					now.Sub(start).Seconds(), n, float64(n-last)/now.Sub(lastAt).Seconds(), stats.errorCount(), lag)
				last, lastAt = n, now
			}
		}
	})
	// The loops end with ctx; a loop stuck past it is a failure that says so.
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(*loadDuration + time.Minute):
		t.Fatalf("load: the clients did not stop within a minute of the end of the run (waiting for customers, agents and the progress reporter)")
	}
	elapsed := time.Since(start)
	if e := loopErr.Load(); e != nil {
		t.Fatalf("load: a client failed: %v", e)
	}

	// Results.
	stats.mu.Lock()
	total := 0
	kinds := slices.Sorted(maps.Keys(stats.latencies))
	for _, k := range kinds {
		l := stats.latencies[k]
		slices.Sort(l)
		if !strings.HasPrefix(k, "GET") {
			total += len(l)
		}
		t.Logf("load: %-28s %7d  %7.1f/s  p50 %6.1f ms  p99 %6.1f ms", k, len(l), float64(len(l))/elapsed.Seconds(), ms(l, 0.5), ms(l, 0.99))
	}
	msgs := len(stats.latencies["customer message"])
	t.Logf("load: %d commands in %.1fs: %.0f commands/s (customer messages %.0f/s); %d conversations replied to",
		total, elapsed.Seconds(), float64(total)/elapsed.Seconds(), float64(msgs)/elapsed.Seconds(), stats.replied)
	t.Logf("load: unexpected answers %v; expected refusals %v", stats.errors, stats.expected)
	lags := slices.Clone(stats.lagMs)
	slices.Sort(lags)
	if len(lags) > 0 {
		t.Logf("load: projection lag (largest projector, sampled every 5 s): median %.0f ms, max %.0f ms", lags[len(lags)/2], lags[len(lags)-1])
	}
	written := stats.written
	errs := len(stats.errors)
	stats.mu.Unlock()
	if errs > 0 {
		t.Errorf("load: unexpected answers: %v", stats.errors)
	}
	if msgs == 0 {
		t.Errorf("load: no customer message was accepted")
	}

	// The log: nothing lost, no double assignment, no capacity breach.
	pool := pgtest.Pool(t, dbURL)
	checkLoadLog(t, readWholeLog(t, pool), written, *loadCapacity)

	// Baseline: raw appends to a store of its own at the customers'
	// concurrency, in the same run.
	writers := *loadCustomers + *loadAgents
	rate, p50, p99, err := rawAppendBaseline(t, writers, *loadBaseline)
	if err != nil {
		t.Fatalf("load: raw appends: %v", err)
	}
	t.Logf("load: raw appends at %d writers (the clients' concurrency): %.0f/s (p50 %.1f ms, p99 %.1f ms); over HTTP, commands are %.0f %% of it, customer messages %.0f %%",
		writers, rate, float64(p50.Microseconds())/1000, float64(p99.Microseconds())/1000,
		100*float64(total)/elapsed.Seconds()/rate, 100*float64(msgs)/elapsed.Seconds()/rate)
}

func ms(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return float64(sorted[min(len(sorted)-1, int(q*float64(len(sorted))))].Microseconds()) / 1000
}

// closedAlready: the agent closed the conversation while the customer
// was still writing, which the scenario allows.
func closedAlready(status int) bool { return status == http.StatusConflict }

// runCustomer starts conversations one after another: it sends
// load.messages messages, waits for an agent's reply, says goodbye and
// starts the next, until ctx ends.
func runCustomer(ctx context.Context, c *loadClient, key, team string, n int) error {
	hdr := []string{"X-Channel-Key", key}
	for round := 0; ctx.Err() == nil; round++ {
		status, res, err := c.call(ctx, "customer start", "POST", "/v1/channel/conversations",
			fmt.Sprintf(`{"customer_id":%q,"customer_name":"Customer %d","entry_team_id":%q}`, uuid.NewString(), n, team), nil, hdr...)
		if err != nil || status != http.StatusCreated {
			if err := pause(ctx, 100*time.Millisecond); err != nil {
				return nil
			}
			continue
		}
		conv := res["conversation_id"].(string)
		path := "/v1/channel/conversations/" + conv + "/messages"
		// The customer reads its own writes: each poll waits for the read
		// models to reach the customer's last command.
		pos, _ := res["position"].(string)
		closed := false
		for i := 0; i < *loadPerConv && !closed && ctx.Err() == nil; i++ {
			status, sent, err := c.call(ctx, "customer message", "POST", path,
				fmt.Sprintf(`{"type":"text","text":"message %d of customer %d, round %d"}`, i, n, round), closedAlready, hdr...)
			if err != nil {
				return ignoreEnd(ctx, err)
			}
			closed = status == http.StatusConflict
			if p, ok := sent["position"].(string); ok {
				pos = p
			}
		}
		// Wait for an agent's reply (the conversation may wait in the
		// queue first), polling the customer's view.
		for !closed && ctx.Err() == nil {
			status, list, err := c.call(ctx, "GET customer messages", "GET", path+"?min_position="+url.QueryEscape(pos), "", nil, hdr...)
			if err != nil {
				return ignoreEnd(ctx, err)
			}
			if status == http.StatusOK && hasAgentMessage(list) {
				c.stats.mu.Lock()
				c.stats.replied++
				c.stats.mu.Unlock()
				if _, _, err := c.call(ctx, "customer message", "POST", path, `{"type":"text","text":"thanks, bye"}`, closedAlready, hdr...); err != nil {
					return ignoreEnd(ctx, err)
				}
				break
			}
			if list != nil && list["status"] == "closed" {
				break
			}
			if err := pause(ctx, 200*time.Millisecond); err != nil {
				return nil
			}
		}
	}
	return nil
}

func hasAgentMessage(list map[string]any) bool {
	items, _ := list["items"].([]any)
	for _, it := range items {
		if m, ok := it.(map[string]any); ok && m["sender_kind"] == "agent" {
			return true
		}
	}
	return false
}

// runAgent polls the agent's ongoing conversations: it replies to each
// new one and closes those it replied to on an earlier round, until ctx
// ends.
func runAgent(ctx context.Context, c *loadClient, auth string) error {
	hdr := []string{"Authorization", auth}
	replied := map[string]time.Time{}
	beat := time.Now()
	for ctx.Err() == nil {
		// The presence monitor signs out consoles silent for 30 s.
		if time.Since(beat) > 10*time.Second {
			if _, _, err := c.call(ctx, "agent heartbeat", "POST", "/v1/sessions/current/heartbeat", "", nil, hdr...); err != nil {
				return ignoreEnd(ctx, err)
			}
			beat = time.Now()
		}
		status, list, err := c.call(ctx, "GET agent ongoing", "GET", "/v1/conversations?status=serving&limit=200", "", nil, hdr...)
		if err != nil {
			return ignoreEnd(ctx, err)
		}
		items, _ := list["items"].([]any)
		if status == http.StatusOK {
			for _, it := range items {
				conv, _ := it.(map[string]any)["conversation_id"].(string)
				if conv == "" {
					continue
				}
				at, ok := replied[conv]
				switch {
				case !ok:
					if _, _, err := c.call(ctx, "agent reply", "POST", "/v1/conversations/"+conv+"/messages",
						`{"type":"text","text":"Hello, how can I help?"}`, closedAlready, hdr...); err != nil {
						return ignoreEnd(ctx, err)
					}
					replied[conv] = time.Now()
				case time.Since(at) > time.Second:
					if _, _, err := c.call(ctx, "agent close", "POST", "/v1/conversations/"+conv+"/close", "", closedAlready, hdr...); err != nil {
						return ignoreEnd(ctx, err)
					}
					delete(replied, conv)
				}
			}
		}
		if err := pause(ctx, 100*time.Millisecond); err != nil {
			return nil
		}
	}
	return nil
}

// pause waits d or until ctx ends.
func pause(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// ignoreEnd drops the error of a request cut by the end of the run.
func ignoreEnd(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// projectionLag reads /metrics and answers the largest projector lag in ms
// (-1 when it cannot be read).
func projectionLag(ctx context.Context, c *loadClient) float64 {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+"/metrics", nil)
	if err != nil {
		return -1
	}
	req.Header.Set("Authorization", "Bearer op-token")
	resp, err := c.http.Do(req)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	worst := -1.0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "supportd_projector_lag_milliseconds") {
			continue
		}
		f := strings.Fields(line)
		if v, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil && v > worst {
			worst = v
		}
	}
	return worst
}

// checkLoadLog replays the log: every stream version a 2xx command
// answered is there; no conversation has two agents at once; no agent
// holds more slots or conversations than capacity.
func checkLoadLog(t *testing.T, log []eventschema.Envelope, written map[string]uint64, capacity int) {
	t.Helper()
	reg := eventschema.Catalog()
	have := map[string]uint64{}
	for _, e := range log {
		if v, ok := have[e.Stream]; !ok || e.StreamVersion > v {
			have[e.Stream] = e.StreamVersion
		}
	}
	lost := 0
	for stream, v := range written {
		if got, ok := have[stream]; !ok || got < v {
			if lost++; lost <= 5 {
				t.Errorf("lost: a 2xx command answered %s at version %d, the log has %d (present %v)", stream, v, got, ok)
			}
		}
	}
	serving := map[uuid.UUID]map[uuid.UUID]bool{} // conversation → agents in it
	holds := map[uuid.UUID]map[uuid.UUID]bool{}   // agent → reservations
	convsOf := map[uuid.UUID]map[uuid.UUID]bool{} // agent → conversations
	double, breach, joins := 0, 0, 0
	for _, e := range log {
		ev, err := reg.Decode(e)
		if err != nil {
			t.Fatalf("decode %s at %v: %v", e.Type, e.Position, err)
		}
		switch ev := ev.(type) {
		case eventschema.AgentJoined:
			joins++
			if serving[ev.ConversationID] == nil {
				serving[ev.ConversationID] = map[uuid.UUID]bool{}
			}
			serving[ev.ConversationID][ev.AgentID] = true
			if len(serving[ev.ConversationID]) > 1 {
				if double++; double <= 5 {
					t.Errorf("double assignment: conversation %s has agents %v at %v", ev.ConversationID, serving[ev.ConversationID], e.Position)
				}
			}
			if convsOf[ev.AgentID] == nil {
				convsOf[ev.AgentID] = map[uuid.UUID]bool{}
			}
			convsOf[ev.AgentID][ev.ConversationID] = true
			if len(convsOf[ev.AgentID]) > capacity {
				if breach++; breach <= 5 {
					t.Errorf("capacity breach: agent %s serves %d conversations at %v", ev.AgentID, len(convsOf[ev.AgentID]), e.Position)
				}
			}
		case eventschema.AgentLeft:
			delete(serving[ev.ConversationID], ev.AgentID)
			delete(convsOf[ev.AgentID], ev.ConversationID)
		case eventschema.AgentSlotReserved:
			if holds[ev.AgentID] == nil {
				holds[ev.AgentID] = map[uuid.UUID]bool{}
			}
			holds[ev.AgentID][ev.ReservationID] = true
			if len(holds[ev.AgentID]) > capacity {
				if breach++; breach <= 5 {
					t.Errorf("capacity breach: agent %s holds %d slots at %v", ev.AgentID, len(holds[ev.AgentID]), e.Position)
				}
			}
		case eventschema.AgentSlotReleased:
			delete(holds[ev.AgentID], ev.ReservationID)
		}
	}
	t.Logf("load: log of %d events: %d streams written by 2xx commands, %d lost; %d joins, %d double assignments, %d capacity breaches",
		len(log), len(written), lost, joins, double, breach)
	if joins == 0 {
		t.Errorf("load: no conversation was assigned")
	}
}

// rawAppendBaseline measures rawAppends on a database of its own with one
// connection per writer, as the store's appends benchmark has.
func rawAppendBaseline(t testing.TB, writers int, d time.Duration) (float64, time.Duration, time.Duration, error) {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(pgtest.NewDatabase(t))
	if err != nil {
		return 0, 0, 0, err
	}
	cfg.MaxConns = int32(writers + 1)
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return 0, 0, 0, err
	}
	defer pool.Close()
	if err := postgres.Migrate(context.Background(), pool); err != nil {
		return 0, 0, 0, fmt.Errorf("migrate the baseline's database: %w", err)
	}
	store := postgres.New(pool)
	defer store.Close()
	return rawAppends(store, writers, d)
}

// rawAppends appends one message-sized event per call to streams of each
// writer's own (16 events a stream, as a conversation would) for d, with
// writers concurrent writers: the store's own rate, the baseline of the
// load run.
func rawAppends(store *postgres.Store, writers int, d time.Duration) (float64, time.Duration, time.Duration, error) {
	ctx := context.Background()
	tenant := uuid.Must(uuid.NewV7())
	streams := make([]string, writers)
	return hammer(writers, d, func(c, i int) error {
		if i%16 == 0 {
			streams[c] = eventschema.ObjectStream("conversation", tenant, uuid.Must(uuid.NewV7()))
		}
		expected := eventstore.NoStream
		if i%16 > 0 {
			expected = eventstore.Exact(uint64(i%16 - 1))
		}
		cmd := uuid.Must(uuid.NewV7())
		data := fmt.Sprintf(`{"conversation_id":%q,"message_id":%q,"sender":{"kind":"customer","id":"c-42"},"channel":"web","text":%q,"attachments":[]}`,
			uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7()), fmt.Sprintf("message %d of client %d", i, c))
		_, err := store.Append(ctx, streams[c], expected, []eventschema.Proposed{{
			ID: uuid.Must(uuid.NewV7()), Type: "MessageSent", Version: 1, Data: json.RawMessage(data),
			Metadata: eventschema.Metadata{TenantID: tenant, Actor: eventschema.Actor{Kind: eventschema.ActorCustomer, ID: "c-42"},
				OccurredAt: time.Now().UTC(), CorrelationID: cmd, CausationID: cmd, CommandID: cmd},
		}})
		if err != nil {
			return fmt.Errorf("append to %s: %w", streams[c], err)
		}
		return nil
	})
}
