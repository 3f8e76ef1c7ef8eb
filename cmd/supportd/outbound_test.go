package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"supportd/domain/webhook"
	"supportd/eventschema"
	"supportd/eventstore/postgres/pgtest"
	"supportd/outbound"
)

// received is one request a test receiver got.
type received struct {
	Body      outbound.Body
	Raw       []byte
	Delivery  string
	Attempt   string
	Signature string
	Answered  int
}

// receiver is a webhook endpoint for tests: it records every request and
// answers with what answer says for it (200 when nil).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	answer func(r received, seen int) int // seen: earlier requests with this delivery ID
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		in := received{Raw: raw, Delivery: r.Header.Get(outbound.DeliveryHeader), Attempt: r.Header.Get(outbound.AttemptHeader),
			Signature: r.Header.Get(outbound.SignatureHeader)}
		if err := json.Unmarshal(raw, &in.Body); err != nil {
			t.Errorf("webhook body %q: %v", raw, err)
		}
		rc.mu.Lock()
		seen := 0
		for _, g := range rc.got {
			if g.Delivery == in.Delivery {
				seen++
			}
		}
		in.Answered = http.StatusOK
		if rc.answer != nil {
			in.Answered = rc.answer(in, seen)
		}
		rc.got = append(rc.got, in)
		rc.mu.Unlock()
		w.WriteHeader(in.Answered)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) setAnswer(f func(r received, seen int) int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.answer = f
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// delivered lists the requests answered 2xx, ping excluded, in arrival
// order.
func (rc *receiver) delivered() []received {
	var out []received
	for _, r := range rc.requests() {
		if r.Answered < 300 && r.Body.Type != webhook.TypePing {
			out = append(out, r)
		}
	}
	return out
}

// waitFor polls until cond holds of the receiver's requests.
func (rc *receiver) waitFor(t *testing.T, what string, cond func([]received) bool) []received {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		got := rc.requests()
		if cond(got) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("receiver: no %s; got %d requests: %s", what, len(got), summary(got))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func summary(rs []received) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("%s(%s,%d,%s)", r.Body.Type, text(r), r.Answered, r.Body.Position))
	}
	return strings.Join(parts, " ")
}

// text is a delivered message's text ("" for other types).
func text(r received) string {
	if r.Body.Type != webhook.TypeMessage {
		return ""
	}
	var p struct{ Text string }
	b, _ := json.Marshal(r.Body.Payload)
	_ = json.Unmarshal(b, &p)
	return p.Text
}

// texts lists the agent messages among rs, in order.
func agentTexts(rs []received) []string {
	var out []string
	for _, r := range rs {
		if r.Body.Type == webhook.TypeMessage && strings.HasPrefix(text(r), "agent:") {
			out = append(out, text(r))
		}
	}
	return out
}

// checkOrderAndIdentity: every request is signed with secret; the
// deliveries arrive in log order; a delivery ID stands for one event, so a
// repeat carries the same event.
func checkOrderAndIdentity(t *testing.T, secret string, rs []received) {
	t.Helper()
	var last eventschema.Position
	byID := map[string]uuid.UUID{}
	for _, r := range rs {
		if !webhook.Verify(secret, r.Raw, r.Signature) {
			t.Errorf("bad signature %q on %s", r.Signature, r.Raw)
		}
		if r.Delivery != r.Body.DeliveryID.String() {
			t.Errorf("delivery header %s, body %s", r.Delivery, r.Body.DeliveryID)
		}
		if r.Body.Type == webhook.TypePing {
			continue
		}
		if ev, ok := byID[r.Delivery]; ok && ev != r.Body.EventID {
			t.Errorf("delivery %s carried events %s and %s", r.Delivery, ev, r.Body.EventID)
		}
		byID[r.Delivery] = r.Body.EventID
		if r.Body.Position.Less(last) {
			t.Errorf("out of order: %s after %s", r.Body.Position, last)
		}
		last = r.Body.Position
	}
}

// webhookSetup is a tenant with a web and an app channel key, a team whose
// agent Ann is busy (the queue is driven by hand), and helpers to start and
// serve conversations.
type webhookSetup struct {
	t      *testing.T
	tenant string
	admin  client
	annID  string
	ann    client
	team   string
	keys   map[string]string // channel → key
}

func newWebhookSetup(t *testing.T, op client) *webhookSetup {
	t.Helper()
	s := &webhookSetup{t: t, keys: map[string]string{}}
	s.tenant, s.admin = newTenant(t, op)
	s.annID, s.ann = teamUser(t, s.admin, s.tenant, "ann@acme.example", "Ann", "agent")
	s.ann.expect(200, "PUT", "/v1/me/status", `{"status":"busy"}`)
	s.team = s.admin.expect(201, "POST", "/v1/teams", `{"name":"Support"}`)["team_id"].(string)
	members := s.admin.expect(200, "PUT", "/v1/teams/"+s.team+"/members", fmt.Sprintf(`{"add":[%q]}`, s.annID))
	s.admin.expect(200, "GET", "/v1/teams/"+s.team+"/members"+at(members), "")
	var last map[string]any
	for _, ch := range []string{"web", "app"} {
		last = s.admin.expect(201, "POST", "/v1/channel-keys", fmt.Sprintf(`{"channel":%q,"name":"%s key"}`, ch, ch))
		s.keys[ch] = last["key"].(string)
	}
	s.admin.expect(200, "GET", "/v1/channel-keys"+at(last), "")
	return s
}

// channel calls the customer-side API with the channel's key.
func (s *webhookSetup) channel(ch string, status int, method, path, body string) map[string]any {
	s.t.Helper()
	return s.admin.as("none").expect(status, method, path, body, "X-Channel-Key", s.keys[ch])
}

// served starts a conversation on ch that Ann joins from the queue.
func (s *webhookSetup) served(ch string) string {
	s.t.Helper()
	start := s.channel(ch, 201, "POST", "/v1/channel/conversations", fmt.Sprintf(`{"customer_id":%q,"customer_name":"Lu","entry_team_id":%q}`, uuid.NewString(), s.team))
	conv := start["conversation_id"].(string)
	s.ann.expect(200, "POST", "/v1/queue/"+conv+"/join"+at(start), "")
	return conv
}

func (s *webhookSetup) say(conv, text string) map[string]any {
	s.t.Helper()
	return s.ann.expect(201, "POST", "/v1/conversations/"+conv+"/messages", fmt.Sprintf(`{"type":"text","text":%q}`, text))
}

// noPending waits until the endpoint has no pending delivery.
func (s *webhookSetup) noPending(ep string) {
	s.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		pending := s.admin.expect(200, "GET", "/v1/webhooks/"+ep+"/deliveries?status=pending", "")["items"].([]any)
		if len(pending) == 0 {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("still pending: %v", pending)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

const hookSecret = "test-secret-0123456789"

// TestWebhooksOverHTTP: admins manage endpoints (agents may not, other
// tenants see none); a ping is signed and logged; a conversation's
// outbound events reach the endpoint of its channel, signed, in log order,
// without the customer's own messages or whispers; a 500 is retried with
// the same delivery ID while later events wait their turn; the delivery
// log shows it.
func TestWebhooksOverHTTP(t *testing.T) {
	t.Parallel()
	base, dbURL := startServerDB(t, "postgres", "")
	op := client{t: t, base: base}
	s := newWebhookSetup(t, op)
	_, other := newTenant(t, op)
	rc := newReceiver(t)

	// Agents may not manage webhooks.
	s.ann.expect(403, "GET", "/v1/webhooks", "")
	s.ann.expect(403, "POST", "/v1/webhooks", fmt.Sprintf(`{"url":%q}`, rc.URL))
	// Invalid endpoints are refused.
	if p := s.admin.expect(422, "POST", "/v1/webhooks", `{"url":"ftp://files.example/x"}`); p["code"] != "webhook.url" {
		t.Errorf("ftp URL: %v", p)
	}
	s.admin.expect(422, "POST", "/v1/webhooks", fmt.Sprintf(`{"url":%q,"secret":"short"}`, rc.URL))

	// What happened before an endpoint existed is not sent to it.
	early := s.served("web")
	s.say(early, "agent: before")

	reg := s.admin.expect(201, "POST", "/v1/webhooks", fmt.Sprintf(`{"url":%q,"secret":%q,"channels":["WEB"],"description":"Bridge"}`, rc.URL, hookSecret))
	ep := reg["endpoint_id"].(string)
	if reg["secret"] != hookSecret {
		t.Errorf("register answered %v", reg)
	}
	made := s.admin.expect(201, "POST", "/v1/webhooks", `{"url":"https://nowhere.invalid/hook","enabled":false}`)
	if secret, _ := made["secret"].(string); len(secret) < 16 {
		t.Errorf("no secret made: %v", made)
	}
	got := s.admin.expect(200, "GET", "/v1/webhooks/"+ep+at(made), "")
	if got["url"] != rc.URL || fmt.Sprint(got["channels"]) != "[web]" || got["enabled"] != true || got["secret_hint"] != "…6789" || got["secret"] != nil {
		t.Errorf("endpoint %v", got)
	}
	if list := s.admin.expect(200, "GET", "/v1/webhooks", "")["items"].([]any); len(list) != 2 {
		t.Errorf("list %v", list)
	}
	s.ann.expect(403, "GET", "/v1/webhooks/"+ep+"/attempts", "")
	s.ann.expect(403, "POST", "/v1/webhooks/"+ep+"/ping", "")
	for _, path := range []string{"/v1/webhooks/" + ep, "/v1/webhooks/" + ep + "/deliveries", "/v1/webhooks/" + ep + "/attempts"} {
		other.expect(404, "GET", path, "")
	}
	other.expect(404, "POST", "/v1/webhooks/"+ep+"/ping", "")
	other.expect(404, "PUT", "/v1/webhooks/"+ep, `{"url":"https://evil.example/"}`)
	other.expect(404, "DELETE", "/v1/webhooks/"+ep, "")
	s.admin.expect(404, "PUT", "/v1/webhooks/"+uuid.NewString(), fmt.Sprintf(`{"url":%q}`, rc.URL))

	// A ping is delivered at once, signed, and logged.
	ping := s.admin.expect(200, "POST", "/v1/webhooks/"+ep+"/ping", "")
	if ping["outcome"] != "delivered" || ping["status_code"] != float64(200) {
		t.Errorf("ping %v", ping)
	}
	if rs := rc.requests(); len(rs) != 1 || rs[0].Body.Type != webhook.TypePing || !webhook.Verify(hookSecret, rs[0].Raw, rs[0].Signature) {
		t.Fatalf("ping requests %s", summary(rs))
	}

	// The second agent message fails with a 500, then keeps failing until
	// its recall is in the outbox: the delivery that finally goes through
	// comes after the recall and must not carry the text.
	var (
		twoDelivery  atomic.Value
		recallQueued atomic.Bool
	)
	rc.setAnswer(func(r received, seen int) int {
		var p struct{ Recalled bool }
		b, _ := json.Marshal(r.Body.Payload)
		_ = json.Unmarshal(b, &p)
		// "agent: two", or already without its text when the recall got
		// to the outbox before its first attempt.
		if (text(r) == "agent: two" || p.Recalled) && seen == 0 {
			twoDelivery.Store(r.Delivery)
			return http.StatusInternalServerError
		}
		if d, _ := twoDelivery.Load().(string); d == r.Delivery && !recallQueued.Load() {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	conv := s.served("web")
	appConv := s.served("app") // not the endpoint's channel
	s.say(conv, "agent: one")
	s.channel("web", 201, "POST", "/v1/channel/conversations/"+conv+"/messages", `{"type":"text","text":"customer: hello"}`)
	two := s.say(conv, "agent: two")
	s.say(appConv, "agent: app only")
	s.admin.expect(200, "POST", "/v1/conversations/"+conv+"/whisper", `{"text":"whisper: offer the voucher"}`)
	s.ann.expect(200, "POST", "/v1/conversations/"+conv+"/messages/"+two["message_id"].(string)+"/recall", "")
	pool := pgtest.Pool(t, dbURL)
	eventually(t, "the recall in the outbox", func() bool {
		var n int
		err := pool.QueryRow(context.Background(), `SELECT count(*) FROM webhook_deliveries WHERE event_type = 'message_recalled' AND conversation_id = $1`, conv).Scan(&n)
		return err == nil && n > 0
	})
	recallQueued.Store(true)
	s.say(conv, "agent: three")
	s.ann.expect(200, "POST", "/v1/conversations/"+conv+"/close", "")

	rs := rc.waitFor(t, "conversation_closed", func(rs []received) bool {
		for _, r := range rs {
			if r.Body.Type == webhook.TypeConversationClosed && r.Answered == 200 {
				return true
			}
		}
		return false
	})
	checkOrderAndIdentity(t, hookSecret, rs)
	for _, r := range rs {
		if r.Body.ConversationID.String() == early {
			t.Errorf("delivered %s of a conversation before the endpoint existed", r.Body.Type)
		}
	}
	ok := rc.delivered()
	if got := agentTexts(ok); fmt.Sprint(got) != "[agent: one agent: three]" {
		t.Errorf("agent messages delivered with their text %v, want the recalled one without", got)
	}
	recalledSent := false
	for _, r := range ok {
		if d, _ := twoDelivery.Load().(string); r.Delivery == d {
			var p struct {
				Text     string
				Recalled bool
			}
			b, _ := json.Marshal(r.Body.Payload)
			_ = json.Unmarshal(b, &p)
			recalledSent = p.Text == "" && p.Recalled && !strings.Contains(string(r.Raw), "agent: two")
		}
	}
	if !recalledSent {
		t.Errorf("the recalled message was delivered with its content: %s", summary(ok))
	}
	var types []string
	for _, r := range ok {
		if r.Body.ConversationID.String() != conv || r.Body.Channel != "web" || r.Body.TenantID.String() != s.tenant {
			t.Errorf("delivered %s of conversation %s on %s", r.Body.Type, r.Body.ConversationID, r.Body.Channel)
		}
		if strings.HasPrefix(text(r), "customer:") || strings.Contains(string(r.Raw), "whisper:") {
			t.Errorf("delivered %s", r.Raw)
		}
		if d, _ := twoDelivery.Load().(string); r.Body.Type != webhook.TypeMessage || strings.HasPrefix(text(r), "agent:") || r.Delivery == d {
			types = append(types, r.Body.Type)
		}
	}
	if want := "[agent_joined message message message_recalled message agent_left conversation_closed]"; fmt.Sprint(types) != want {
		t.Errorf("delivered %v\nwant      %s", types, want)
	}
	// The failed message was sent again with the same delivery ID, attempt
	// after attempt, and nothing after it overtook it.
	var tries []received
	d, _ := twoDelivery.Load().(string)
	for i, r := range rs {
		if r.Delivery == d {
			tries = append(tries, r)
			if r.Answered != 200 && i+1 < len(rs) && rs[i+1].Delivery != d {
				t.Errorf("after a 500 came %s, not the retry", rs[i+1].Body.Type)
			}
		}
	}
	if last := len(tries) - 1; len(tries) < 2 || tries[0].Attempt != "1" || tries[last].Attempt != fmt.Sprint(len(tries)) || tries[last].Answered != 200 {
		t.Fatalf("tries of the failed message: %+v", tries)
	}

	// The delivery log shows the retry and the ping, once the last
	// attempt is recorded.
	s.noPending(ep)
	attempts := s.admin.expect(200, "GET", "/v1/webhooks/"+ep+"/attempts?limit=500", "")["items"].([]any)
	var retried, pinged bool
	for _, a := range attempts {
		a := a.(map[string]any)
		if a["delivery_id"] == tries[0].Delivery && a["outcome"] == "retry" && a["status_code"] == float64(500) && strings.Contains(a["error"].(string), "500") {
			retried = true
		}
		if a["event_type"] == "ping" && a["outcome"] == "delivered" {
			pinged = true
		}
	}
	if !retried || !pinged {
		t.Errorf("attempts %v", attempts)
	}
	deliveries := s.admin.expect(200, "GET", "/v1/webhooks/"+ep+"/deliveries?status=delivered", "")["items"].([]any)
	for _, d := range deliveries {
		d := d.(map[string]any)
		if d["delivery_id"] == tries[0].Delivery && (d["attempts"] != float64(len(tries)) || d["status"] != "delivered") {
			t.Errorf("delivery %v", d)
		}
	}
	if len(deliveries) < len(types)+1 {
		t.Errorf("%d delivered, want at least %d", len(deliveries), len(types)+1)
	}

	// Disabled, it gets nothing new; deleted, it is gone.
	off := s.admin.expect(200, "PUT", "/v1/webhooks/"+ep, fmt.Sprintf(`{"url":%q,"channels":["web"],"enabled":false}`, rc.URL))
	if again := s.admin.expect(200, "PUT", "/v1/webhooks/"+ep, fmt.Sprintf(`{"url":%q,"channels":["web"],"enabled":false}`, rc.URL)); again["events"] != float64(0) {
		t.Errorf("same definition recorded again: %v", again)
	}
	if got := s.admin.expect(200, "GET", "/v1/webhooks/"+ep+at(off), ""); got["enabled"] != false || got["secret_hint"] != "…6789" {
		t.Errorf("after disabling: %v", got)
	}
	before := len(rc.requests())
	quiet := s.served("web")
	s.say(quiet, "agent: nobody hears")
	time.Sleep(1500 * time.Millisecond)
	if n := len(rc.requests()); n != before {
		t.Errorf("a disabled endpoint got %s", summary(rc.requests()[before:]))
	}
	del := s.admin.expect(200, "DELETE", "/v1/webhooks/"+ep, "")
	s.admin.expect(404, "GET", "/v1/webhooks/"+ep+at(del), "")
}

// TestWebhookDeliveriesSurviveRestart: deliveries pending while the
// receiver is down are sent after a restart, in order, each event under
// one delivery ID, none lost.
func TestWebhookDeliveriesSurviveRestart(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewDatabase(t)
	base, stop := serveOn(t, dbURL)
	op := client{t: t, base: base}
	s := newWebhookSetup(t, op)
	rc := newReceiver(t)
	rc.setAnswer(func(received, int) int { return http.StatusServiceUnavailable })
	ep := s.admin.expect(201, "POST", "/v1/webhooks", fmt.Sprintf(`{"url":%q,"secret":%q}`, rc.URL, hookSecret))["endpoint_id"].(string)
	conv := s.served("web")
	for _, m := range []string{"agent: one", "agent: two", "agent: three"} {
		s.say(conv, m)
	}
	// The first delivery has been tried and waits for its next attempt.
	rc.waitFor(t, "first attempt", func(rs []received) bool { return len(rs) > 0 })
	pending := s.admin.expect(200, "GET", "/v1/webhooks/"+ep+"/deliveries?status=pending", "")["items"].([]any)
	if len(pending) == 0 {
		t.Fatal("nothing pending before the restart")
	}

	stop()
	rc.setAnswer(nil)
	base, _ = serveOn(t, dbURL)
	s.admin.base, s.ann.base = base, base

	rs := rc.waitFor(t, "every message after the restart", func([]received) bool {
		return len(agentTexts(rc.delivered())) == 3
	})
	checkOrderAndIdentity(t, hookSecret, rs)
	if got := agentTexts(rc.delivered()); fmt.Sprint(got) != "[agent: one agent: two agent: three]" {
		t.Errorf("delivered %v", got)
	}
	// Each event was delivered once with success; repeats were failures.
	seen := map[string]int{}
	for _, r := range rc.delivered() {
		seen[r.Delivery]++
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("delivery %s succeeded %d times", id, n)
		}
	}
	s.noPending(ep)
}

// sseEvent is one event of a stream.
type sseEvent struct{ id, typ, data string }

// openChannelLive opens a conversation's customer-side stream with a
// channel key, resuming after lastID when set.
func openChannelLive(t *testing.T, base, conv, key, lastID string) (<-chan sseEvent, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/v1/channel/conversations/"+conv+"/live", nil)
	req.Header.Set("X-Channel-Key", key)
	req.Header.Set("Accept", "text/event-stream")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("live: %s %s", resp.Status, b)
	}
	events := make(chan sseEvent, 100)
	go func() {
		defer resp.Body.Close()
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.typ != "" {
					events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.typ = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data += line[6:]
			}
		}
	}()
	t.Cleanup(cancel)
	return events, cancel
}

// next reads events until one of type typ (and, for messages, text).
func next(t *testing.T, events <-chan sseEvent, typ, text string, seen *[]sseEvent) sseEvent {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("stream ended before %s %q", typ, text)
			}
			*seen = append(*seen, ev)
			if ev.typ == typ && (text == "" || strings.Contains(ev.data, fmt.Sprintf("%q", text))) {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s %q on the stream", typ, text)
		}
	}
}

// TestChannelLiveResume: the customer-side stream carries what the
// customer sees; a client that reconnects with Last-Event-ID gets what it
// missed, once, then live events; other channels and tenants find nothing.
func TestChannelLiveResume(t *testing.T) {
	t.Parallel()
	base := startServer(t, "postgres", "")
	op := client{t: t, base: base}
	s := newWebhookSetup(t, op)
	conv := s.served("web")

	events, hangUp := openChannelLive(t, base, conv, s.keys["web"], "")
	var seen []sseEvent
	next(t, events, webhook.TypeAgentJoined, "", &seen)
	s.say(conv, "agent: one")
	one := next(t, events, webhook.TypeMessage, "agent: one", &seen)
	var ev webhook.Event
	if err := json.Unmarshal([]byte(one.data), &ev); err != nil || ev.Position.String() != one.id || ev.ConversationID.String() != conv {
		t.Errorf("event %s (%v)", one.data, err)
	}
	hangUp()

	// Missed while away: two messages, a whisper and the customer's own.
	s.say(conv, "agent: two")
	s.admin.expect(200, "POST", "/v1/conversations/"+conv+"/whisper", `{"text":"whisper: careful"}`)
	s.channel("web", 201, "POST", "/v1/channel/conversations/"+conv+"/messages", `{"type":"text","text":"customer: hi"}`)
	oops := s.say(conv, "agent: oops")
	s.ann.expect(200, "POST", "/v1/conversations/"+conv+"/messages/"+oops["message_id"].(string)+"/recall", "")
	s.say(conv, "agent: three")

	events, _ = openChannelLive(t, base, conv, s.keys["web"], one.id)
	var resumed []sseEvent
	recalls := 0
	next(t, events, webhook.TypeMessage, "agent: three", &resumed)
	s.say(conv, "agent: four")
	next(t, events, webhook.TypeMessage, "agent: four", &resumed)
	var texts []string
	last := eventschema.Position{}
	for _, e := range resumed {
		p, err := eventschema.ParsePosition(e.id)
		if err != nil || !last.Less(p) {
			t.Errorf("event ID %q after %s", e.id, last)
		}
		last = p
		if !one.idLess(e.id) {
			t.Errorf("replayed %s at %s, not after %s", e.typ, e.id, one.id)
		}
		if strings.Contains(e.data, "whisper:") || strings.Contains(e.data, "customer: hi") || strings.Contains(e.data, "agent: oops") {
			t.Errorf("the customer's stream carried %s", e.data)
		}
		if e.typ == webhook.TypeMessageRecalled {
			recalls++
		}
		if e.typ == webhook.TypeMessage {
			var m struct{ Payload struct{ Text string } }
			_ = json.Unmarshal([]byte(e.data), &m)
			if strings.HasPrefix(m.Payload.Text, "agent:") {
				texts = append(texts, m.Payload.Text)
			}
		}
	}
	if fmt.Sprint(texts) != "[agent: two agent: three agent: four]" || recalls != 1 {
		t.Errorf("after resuming: %v and %d recalls, want the recalled message without its text and its recall", texts, recalls)
	}

	// Another channel's key, another tenant's key and a user find nothing.
	widget := s.admin.as("none")
	widget.expect(404, "GET", "/v1/channel/conversations/"+conv+"/live", "", "X-Channel-Key", s.keys["app"])
	otherTenant, otherAdmin := newTenant(t, op)
	_ = otherTenant
	key := otherAdmin.expect(201, "POST", "/v1/channel-keys", `{"channel":"web","name":"Widget"}`)
	otherAdmin.expect(200, "GET", "/v1/channel-keys"+at(key), "")
	widget.expect(404, "GET", "/v1/channel/conversations/"+conv+"/live", "", "X-Channel-Key", key["key"].(string))
	widget.expect(404, "GET", "/v1/channel/conversations/"+uuid.NewString()+"/live", "", "X-Channel-Key", s.keys["web"])
	s.ann.expect(403, "GET", "/v1/channel/conversations/"+conv+"/live", "")
}

func (e sseEvent) idLess(other string) bool {
	a, err1 := eventschema.ParsePosition(e.id)
	b, err2 := eventschema.ParsePosition(other)
	return err1 == nil && err2 == nil && a.Less(b)
}

// TestWebhookEndpointsDoNotBlockEachOther: an endpoint whose receiver
// hangs holds up only its own queue; another endpoint gets every event
// meanwhile, and the hung one catches up, in order, once it answers.
func TestWebhookEndpointsDoNotBlockEachOther(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	s := newWebhookSetup(t, op)
	fast, slow := newReceiver(t), newReceiver(t)
	release := make(chan struct{})
	slow.Config.Handler = hang(slow.Config.Handler, release)
	s.admin.expect(201, "POST", "/v1/webhooks", fmt.Sprintf(`{"url":%q,"secret":%q}`, fast.URL, hookSecret))
	s.admin.expect(201, "POST", "/v1/webhooks", fmt.Sprintf(`{"url":%q,"secret":%q}`, slow.URL, hookSecret))
	conv := s.served("web")
	for _, m := range []string{"agent: one", "agent: two", "agent: three"} {
		s.say(conv, m)
	}
	fast.waitFor(t, "every message while the other endpoint hangs", func([]received) bool { return len(agentTexts(fast.delivered())) == 3 })
	if n := len(slow.requests()); n != 0 {
		t.Errorf("the hung endpoint answered %d requests", n)
	}
	close(release)
	got := slow.waitFor(t, "every message once it answers", func([]received) bool { return len(agentTexts(slow.delivered())) == 3 })
	checkOrderAndIdentity(t, hookSecret, got)
	if texts := agentTexts(slow.delivered()); fmt.Sprint(texts) != "[agent: one agent: two agent: three]" {
		t.Errorf("the hung endpoint got %v", texts)
	}
}

// hang makes a handler wait until release is closed.
func hang(h http.Handler, release <-chan struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		h.ServeHTTP(w, r)
	})
}
