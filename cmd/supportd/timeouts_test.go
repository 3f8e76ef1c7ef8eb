package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"supportd/cmd/internal/connect"
	"supportd/commands"
	"supportd/eventschema"
	"supportd/eventstore"
	"supportd/eventstore/postgres/pgtest"
	"supportd/readmodels"
)

// aheadClock is the wall clock moved ahead by a settable amount.
type aheadClock struct {
	mu sync.Mutex
	by time.Duration
}

func (c *aheadClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().UTC().Add(c.by)
}

func (c *aheadClock) set(d time.Duration) {
	c.mu.Lock()
	c.by = d
	c.mu.Unlock()
}

// timeoutRig fires a server's durable timers as if time had passed: a
// timer scheduler of its own, over the server's database, with a clock
// ahead of the wall clock, and the timer commands of supportd. The timeouts
// the tests set are longer than the tests run, so the server's own
// scheduler never gets to them first (it would fire the same commands, as
// the same command IDs).
type timeoutRig struct {
	t      *testing.T
	pool   *pgxpool.Pool
	store  eventstore.Store
	clock  *aheadClock
	tenant uuid.UUID
	reader client
}

func newTimeoutRig(t *testing.T, dbURL, tenant string, reader client) *timeoutRig {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.Pool(t, dbURL)
	store, release, err := connect.EventStore(ctx, "postgres", pool, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	return &timeoutRig{t: t, pool: pool, store: store, clock: &aheadClock{}, tenant: uuid.MustParse(tenant), reader: reader}
}

// fire sweeps the timers due after the wall clock plus ahead, as a fresh
// scheduler (a restarted server's), and answers how many fired.
func (r *timeoutRig) fire(ahead time.Duration) int {
	r.t.Helper()
	r.clock.set(ahead)
	h := commands.NewHandler(r.store, eventschema.Catalog(), r.clock)
	s := &commands.TimerScheduler{Handler: h, Clock: r.clock, Kinds: timerKinds(readModelDispatcher(h, r.pool)),
		Log: slog.New(slog.DiscardHandler),
		Due: func(ctx context.Context, now time.Time, limit int) ([]commands.DueTimer, error) {
			rows, err := readmodels.DueTimers(ctx, r.pool, now, limit)
			out := make([]commands.DueTimer, len(rows))
			for i, x := range rows {
				out[i] = commands.DueTimer{ID: x.ID, TenantID: x.TenantID, Kind: x.Kind, DueAt: x.DueAt, Payload: x.Payload}
			}
			return out, err
		}}
	n, err := s.Sweep(context.Background())
	if err != nil {
		r.t.Fatalf("sweep at +%s: %v", ahead, err)
	}
	return n
}

// events reads a conversation's log.
func (r *timeoutRig) events(conv string) []eventschema.Envelope {
	r.t.Helper()
	events, err := r.store.ReadStream(context.Background(), objectStream("conversation", r.tenant.String(), conv), eventstore.Forwards, 0, 1000)
	if err != nil {
		r.t.Fatal(err)
	}
	return events
}

// settle waits until the read models show everything of conv's log.
func (r *timeoutRig) settle(conv string) {
	r.t.Helper()
	events := r.events(conv)
	r.reader.expect(200, "GET", "/v1/conversations/"+conv+"?min_position="+events[len(events)-1].Position.String(), "")
}

// decoded answers the payloads of conv's events of type typ.
func decoded[T any](r *timeoutRig, conv, typ string) []T {
	r.t.Helper()
	var out []T
	for _, e := range r.events(conv) {
		if e.Type == typ {
			var v T
			if err := json.Unmarshal(e.Data, &v); err != nil {
				r.t.Fatal(err)
			}
			out = append(out, v)
		}
	}
	return out
}

// pending lists the kinds of the tenant's pending timers of conv.
func (r *timeoutRig) pending(conv string) []string {
	r.t.Helper()
	timers, err := readmodels.PendingTimers(context.Background(), r.pool, r.tenant)
	if err != nil {
		r.t.Fatal(err)
	}
	var kinds []string
	for _, tm := range timers {
		var p struct {
			ConversationID string `json:"conversation_id"`
		}
		_ = json.Unmarshal(tm.Payload, &p)
		if p.ConversationID == conv {
			kinds = append(kinds, tm.Kind)
		}
	}
	slices.Sort(kinds)
	return kinds
}

// notices answers the texts of conv's system messages of a notice kind.
func notices(c client, conv, kind string) []string {
	c.t.Helper()
	var out []string
	for _, m := range c.expect(200, "GET", "/v1/conversations/"+conv, "")["messages"].([]any) {
		if m := m.(map[string]any); m["notice"] == kind {
			out = append(out, m["text"].(string))
		}
	}
	return out
}

// servedBy waits until an agent serves conv and answers who.
func servedBy(t *testing.T, c client, conv string) string {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		_, d := c.do("GET", "/v1/conversations/"+conv, "")
		if cv, ok := d["conversation"].(map[string]any); ok && cv["agent_id"] != nil && cv["agent_id"] != "" {
			return cv["agent_id"].(string)
		}
	}
	t.Fatalf("nobody serves %s", conv)
	return ""
}

// listed answers an agent's ongoing conversations: IDs in list order, and
// their highlights.
func listed(c client) ([]string, map[string]string) {
	c.t.Helper()
	var ids []string
	highlights := map[string]string{}
	for _, it := range c.expect(200, "GET", "/v1/conversations", "")["items"].([]any) {
		it := it.(map[string]any)
		ids = append(ids, it["conversation_id"].(string))
		highlights[it["conversation_id"].(string)] = it["highlight"].(string)
	}
	return ids, highlights
}

// timeoutDesk is a tenant for the timeout tests: its admin, a team of
// signed-in agents, a web channel key, and a rig over the server's
// database.
type timeoutDesk struct {
	t      *testing.T
	admin  client
	team   string
	ids    []string
	agents []client
	key    string
	rig    *timeoutRig
}

// newTimeoutDesk sets up a tenant on the server at base, with settings
// (key, JSON value pairs) and a team of agents of these nicknames.
func newTimeoutDesk(t *testing.T, base, dbURL string, settings [][2]string, nicknames ...string) *timeoutDesk {
	t.Helper()
	tenant, admin := newTenant(t, client{t: t, base: base})
	d := &timeoutDesk{t: t, admin: admin}
	for _, n := range nicknames {
		id, c := teamUser(t, admin, tenant, strings.ToLower(n)+"@acme.example", n, "agent")
		d.ids, d.agents = append(d.ids, id), append(d.agents, c)
	}
	d.team = admin.expect(201, "POST", "/v1/teams", `{"name":"Support"}`)["team_id"].(string)
	ids, _ := json.Marshal(d.ids)
	admin.expect(200, "PUT", "/v1/teams/"+d.team+"/members", `{"add":`+string(ids)+`}`)
	for _, kv := range settings {
		admin.expect(200, "PUT", "/v1/tenant/settings/"+kv[0], `{"value":`+kv[1]+`}`)
	}
	key := admin.expect(201, "POST", "/v1/channel-keys", `{"channel":"web","name":"Widget"}`)
	admin.expect(200, "GET", "/v1/channel-keys"+at(key), "")
	d.key = key["key"].(string)
	d.rig = newTimeoutRig(t, dbURL, tenant, admin)
	return d
}

// ch calls the channel API with the desk's key.
func (d *timeoutDesk) ch(status int, method, path, body string) map[string]any {
	d.t.Helper()
	return d.admin.as("none").expect(status, method, path, body, "X-Channel-Key", d.key)
}

// start starts a customer's conversation for the team, projected.
func (d *timeoutDesk) start() string {
	d.t.Helper()
	res := d.ch(201, "POST", "/v1/channel/conversations", fmt.Sprintf(`{"customer_id":%q,"entry_team_id":%q}`, uuid.NewString(), d.team))
	d.admin.expect(200, "GET", "/v1/conversations/"+res["conversation_id"].(string)+at(res), "")
	return res["conversation_id"].(string)
}

// TestAgentNoReplyOverHTTP: a customer waits for the serving agent. The
// no-reply timeout highlights the conversation for the agent, apologises
// to the customer and raises an alarm; the agent's answer clears the
// highlight and stops the clocks. When the agent stays silent past the
// auto-reassign timeout, the conversation goes back to the team and the
// other agent takes it.
func TestAgentNoReplyOverHTTP(t *testing.T) {
	t.Parallel()
	base, dbURL := startServerDB(t, "postgres", "")
	d := newTimeoutDesk(t, base, dbURL, [][2]string{
		{"conversation.agent_no_reply", `{"enabled":true,"timeout_seconds":600,"actions":["remind_agent","remind_customer","alarm"],
			"message":"An agent will be right with you.","alarm_level":2}`},
		{"transfer.auto_reassign", `{"enabled":true,"agent_reply_timeout_seconds":900}`},
	}, "Ann", "Bob")
	admin, rig, ch, team := d.admin, d.rig, d.ch, d.team
	annID, ann, bobID, bob := d.ids[0], d.agents[0], d.ids[1], d.agents[1]

	conv := d.start()
	first := servedBy(t, admin, conv)
	agent, other, otherID := ann, bob, bobID
	if first == bobID {
		agent, other, otherID = bob, ann, annID
	}
	asked := ch(201, "POST", "/v1/channel/conversations/"+conv+"/messages", `{"type":"text","text":"Where is my order?"}`)
	admin.expect(200, "GET", "/v1/conversations/"+conv+at(asked), "")
	if got := rig.pending(conv); !slices.Equal(got, []string{"conversation.agent_no_reply", "conversation.auto_reassign", "conversation.inactivity"}) {
		t.Fatalf("pending timers %v", got)
	}
	// A second message while waiting keeps the clock of the first.
	ch(201, "POST", "/v1/channel/conversations/"+conv+"/messages", `{"type":"text","text":"Hello?"}`)
	if n := rig.fire(590 * time.Second); n != 0 {
		t.Fatalf("%d timers fired early", n)
	}
	if n := rig.fire(601 * time.Second); n != 1 {
		t.Fatalf("%d timers fired at the no-reply timeout, want 1", n)
	}
	rig.settle(conv)
	if _, hl := listed(agent); hl[conv] != "agent_no_reply" {
		t.Errorf("the agent's list highlights %q", hl[conv])
	}
	if got := notices(admin, conv, "no_reply_reminder"); !slices.Equal(got, []string{"An agent will be right with you."}) {
		t.Errorf("reminders to the customer %v", got)
	}
	alarms := decoded[eventschema.AlarmRaised](rig, conv, "AlarmRaised")
	if len(alarms) != 1 || alarms[0].Kind != "agent_no_reply" || alarms[0].Level != 2 {
		t.Errorf("alarms %+v", alarms)
	}
	if n := rig.fire(601 * time.Second); n != 0 {
		t.Errorf("the reminder fired again: %d", n)
	}

	// The agent answers: no highlight, no clock of the agent's.
	answered := agent.expect(201, "POST", "/v1/conversations/"+conv+"/messages", `{"type":"text","text":"Let me check."}`)
	agent.expect(200, "GET", "/v1/conversations/"+conv+at(answered), "")
	if _, hl := listed(agent); hl[conv] != "" {
		t.Errorf("highlight %q after the answer", hl[conv])
	}
	if got := rig.pending(conv); !slices.Equal(got, []string{"conversation.inactivity"}) {
		t.Errorf("pending timers after the answer %v", got)
	}

	// Asked again, the agent stays silent: reminded, then the conversation
	// goes back to the team, and the other agent takes it.
	ch(201, "POST", "/v1/channel/conversations/"+conv+"/messages", `{"type":"text","text":"Still there?"}`)
	rig.settle(conv)
	if n := rig.fire(901 * time.Second); n != 2 {
		t.Fatalf("%d timers fired at the reassign timeout, want 2", n)
	}
	rig.settle(conv)
	if got := servedBy(t, admin, conv); got != otherID {
		t.Fatalf("served by %s after the automatic transfer, want the other agent %s", got, otherID)
	}
	moved := decoded[eventschema.ConversationTransferred](rig, conv, "ConversationTransferred")
	if len(moved) != 1 || !moved[0].Automatic || moved[0].ToKind != "team" || moved[0].ToID.String() != team || moved[0].FromAgentID.String() != first {
		t.Errorf("transfers %+v", moved)
	}
	timedOut := decoded[eventschema.ConversationTimedOut](rig, conv, "ConversationTimedOut")
	if len(timedOut) != 3 || timedOut[2].Timeout != "auto_reassign" || !slices.Equal(timedOut[2].Actions, []string{"transfer"}) {
		t.Errorf("timeouts %+v", timedOut)
	}
	rig.settle(conv)
	if ids, _ := listed(agent); slices.Contains(ids, conv) {
		t.Errorf("the silent agent still lists the conversation")
	}
	if ids, hl := listed(other); !slices.Contains(ids, conv) || hl[conv] != "" {
		t.Errorf("the other agent's list %v %v", ids, hl)
	}
	// The customer still waits for an answer: the new agent's clocks run
	// from the join.
	if got := rig.pending(conv); !slices.Equal(got, []string{"conversation.agent_no_reply", "conversation.auto_reassign", "conversation.inactivity"}) {
		t.Errorf("pending timers for the new agent %v", got)
	}
}

// TestCustomerNoReplyOverHTTP: the customer does not answer the agent.
// The customer no-reply timeout highlights the conversation on top of the
// agent's list and reminds the customer; the close-on-no-reply timeout
// reminds, a customer message resets it, and in the end it closes the
// conversation with its message and, as the tenant says, no rating
// invitation.
func TestCustomerNoReplyOverHTTP(t *testing.T) {
	t.Parallel()
	base, dbURL := startServerDB(t, "postgres", "")
	d := newTimeoutDesk(t, base, dbURL, [][2]string{
		{"conversation.customer_no_reply", `{"enabled":true,"timeout_seconds":600,"actions":["remind_agent","remind_customer"],
			"message":"Are you still there?"}`},
		{"conversation.close_on_customer_no_reply", `{"enabled":true,"remind_after_seconds":700,"remind_message":"We will close this chat soon.",
			"close_after_seconds":100,"close_message":"We closed this chat as you did not reply."}`},
		{"rating.auto_invite", `{"web":true}`},
		{"rating.skip_when_auto_closed", `true`},
	}, "Ann")
	admin, rig, ch, ann := d.admin, d.rig, d.ch, d.agents[0]

	conv := d.start()
	servedBy(t, admin, conv)
	later := d.start()
	servedBy(t, admin, later)
	said := ann.expect(201, "POST", "/v1/conversations/"+conv+"/messages", `{"type":"text","text":"Could you send the order number?"}`)
	ann.expect(200, "GET", "/v1/conversations/"+conv+at(said), "")
	if ids, _ := listed(ann); !slices.Equal(ids, []string{later, conv}) {
		t.Fatalf("list before the timeout %v, want the newest first", ids)
	}

	if n := rig.fire(601 * time.Second); n != 1 {
		t.Fatalf("%d timers fired at the customer no-reply timeout, want 1", n)
	}
	rig.settle(conv)
	if ids, hl := listed(ann); !slices.Equal(ids, []string{conv, later}) || hl[conv] != "customer_no_reply" || hl[later] != "" {
		t.Errorf("list after the timeout %v %v, want the highlighted one on top", ids, hl)
	}
	if n := rig.fire(701 * time.Second); n != 1 {
		t.Fatalf("%d timers fired at the no-reply reminder, want 1", n)
	}
	rig.settle(conv)
	if got := notices(admin, conv, "customer_reminder"); !slices.Equal(got, []string{"Are you still there?", "We will close this chat soon."}) {
		t.Errorf("reminders %v", got)
	}
	if got := rig.pending(conv); !slices.Equal(got, []string{"conversation.inactivity", "conversation.no_reply_close"}) {
		t.Errorf("pending after the reminder %v", got)
	}

	// The customer answers: the close is off, and so is the highlight.
	reply := ch(201, "POST", "/v1/channel/conversations/"+conv+"/messages", `{"type":"text","text":"It is 4711."}`)
	admin.expect(200, "GET", "/v1/conversations/"+conv+at(reply), "")
	if got := rig.pending(conv); !slices.Equal(got, []string{"conversation.inactivity"}) {
		t.Errorf("pending after the customer's answer %v", got)
	}
	if _, hl := listed(ann); hl[conv] != "" {
		t.Errorf("highlight %q after the customer's answer", hl[conv])
	}

	// The agent asks again, and the customer is gone for good.
	ann.expect(201, "POST", "/v1/conversations/"+conv+"/messages", `{"type":"text","text":"Found it. Anything else?"}`)
	rig.settle(conv)
	if n := rig.fire(701 * time.Second); n != 2 {
		t.Fatalf("%d timers fired, want the highlight and the reminder", n)
	}
	rig.settle(conv)
	if n := rig.fire(802 * time.Second); n != 1 {
		t.Fatalf("%d timers fired at the close, want 1", n)
	}
	rig.settle(conv)
	closed := decoded[eventschema.ConversationClosed](rig, conv, "ConversationClosed")
	if len(closed) != 1 || closed[0].Reason != "customer_no_reply" {
		t.Fatalf("closes %+v", closed)
	}
	if got := notices(admin, conv, "closing_notice"); !slices.Equal(got, []string{"We closed this chat as you did not reply."}) {
		t.Errorf("closing notices %v", got)
	}
	if n := len(decoded[eventschema.RatingInvited](rig, conv, "RatingInvited")); n != 0 {
		t.Errorf("%d rating invitations after an automatic close the tenant exempts", n)
	}
	if got := rig.pending(conv); len(got) != 0 {
		t.Errorf("timers left after the close %v", got)
	}
	if ids, _ := listed(ann); !slices.Equal(ids, []string{later}) {
		t.Errorf("list after the close %v", ids)
	}
}

// TestInactivityCloseSurvivesRestart: an inactive conversation is closed
// with the tenant's tags, remark and closing message, and the automatic
// rating invitation; its timer, pending across a server restart, fires
// once.
func TestInactivityCloseSurvivesRestart(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewDatabase(t)
	base, stop := serveOn(t, dbURL)
	tags := []string{uuid.NewString(), uuid.NewString()}
	d := newTimeoutDesk(t, base, dbURL, [][2]string{
		{"conversation.inactivity_close_hours", `1`},
		{"conversation.inactivity_close_tag_ids", fmt.Sprintf(`[%q,%q]`, tags[0], tags[1])},
		{"conversation.inactivity_close_remark", `"closed for inactivity"`},
		{"rating.auto_invite", `{"web":true}`},
	}, "Ann")
	admin, rig, ch, ann := d.admin, d.rig, d.ch, d.agents[0]
	admin.expect(422, "PUT", "/v1/tenant/settings/conversation.inactivity_close_tag_ids", `{"value":["vip"]}`)

	conv := d.start()
	servedBy(t, admin, conv)
	ch(201, "POST", "/v1/channel/conversations/"+conv+"/messages", `{"type":"text","text":"Hi"}`)
	ann.expect(201, "POST", "/v1/conversations/"+conv+"/messages", `{"type":"text","text":"Hello, how can I help?"}`)
	rig.settle(conv)
	if n := rig.fire(59 * time.Minute); n != 0 {
		t.Fatalf("%d timers fired within the hour", n)
	}

	// The server goes down with the timeout pending, and a new one comes up.
	stop()
	base, _ = serveOn(t, dbURL)
	admin.base, ann.base, rig.reader.base = base, base, base

	if n := rig.fire(time.Hour + time.Second); n != 1 {
		t.Fatalf("%d timers fired after the hour, want 1", n)
	}
	rig.settle(conv)
	if n := rig.fire(time.Hour + 2*time.Second); n != 0 {
		t.Errorf("%d timers fired again", n)
	}
	closed := decoded[eventschema.ConversationClosed](rig, conv, "ConversationClosed")
	if len(closed) != 1 || closed[0].Reason != "inactivity" {
		t.Fatalf("closes %+v", closed)
	}
	cv := admin.expect(200, "GET", "/v1/conversations/"+conv, "")["conversation"].(map[string]any)
	if got := fmt.Sprint(cv["tag_ids"]); cv["status"] != "closed" || cv["tag_remark"] != "closed for inactivity" ||
		(got != fmt.Sprint([]any{tags[0], tags[1]}) && got != fmt.Sprint([]any{tags[1], tags[0]})) {
		t.Errorf("closed conversation %v", cv)
	}
	if got := notices(admin, conv, "closing_notice"); !slices.Equal(got, []string{"I'm going to close this conversation. Thank you for your time. Have a nice day!"}) {
		t.Errorf("closing notices %v", got)
	}
	if invited := decoded[eventschema.RatingInvited](rig, conv, "RatingInvited"); len(invited) != 1 || invited[0].By != "auto" {
		t.Errorf("rating invitations %+v", invited)
	}
}

// TestQueueRemindersOverHTTP: a waiting customer is reminded after the
// reminder time, then every interval, as often as the tenant says; only
// during the effective time (reminders outside it are counted, not sent);
// the episode's end ends them, and so does switching them off.
func TestQueueRemindersOverHTTP(t *testing.T) {
	t.Parallel()
	base, dbURL := startServerDB(t, "postgres", "")
	d := newTimeoutDesk(t, base, dbURL, nil, "Ann")
	admin, rig, team, annID := d.admin, d.rig, d.team, d.ids[0]
	d.agents[0].expect(200, "PUT", "/v1/me/status", `{"status":"busy"}`) // the queue stays
	remind := func(effective string, enabled bool) {
		admin.expect(200, "PUT", "/v1/tenant/settings/queue.remind_customers", fmt.Sprintf(`{"value":{"enabled":%t,"message":"Thanks for waiting.",
			"effective_time":%q,"remind_after_seconds":600,"count":2,"interval_seconds":60}}`, enabled, effective))
	}
	remind("all_day", true)
	start := d.start

	conv := start()
	if got := rig.pending(conv); !slices.Equal(got, []string{"conversation.inactivity", "conversation.queue_reminder"}) {
		t.Fatalf("pending %v", got)
	}
	if n := rig.fire(601 * time.Second); n != 1 {
		t.Fatalf("%d timers fired at the reminder time, want 1", n)
	}
	rig.settle(conv)
	if n := rig.fire(650 * time.Second); n != 0 {
		t.Fatalf("%d timers fired before the interval", n)
	}
	if n := rig.fire(662 * time.Second); n != 1 {
		t.Fatalf("%d timers fired after the interval, want 1", n)
	}
	rig.settle(conv)
	if got := notices(admin, conv, "queue_reminder"); !slices.Equal(got, []string{"Thanks for waiting.", "Thanks for waiting."}) {
		t.Errorf("reminders %v", got)
	}
	if got := rig.pending(conv); !slices.Equal(got, []string{"conversation.inactivity"}) {
		t.Errorf("pending after the last reminder %v", got)
	}

	// Outside the effective time: the team's plan has no working hours, so
	// reminders for work hours are counted but not sent; an agent's join
	// ends the rest.
	plan := admin.expect(201, "POST", "/v1/time-plans", `{"name":"Closed","schedule":{}}`)["plan_id"].(string)
	admin.expect(200, "PUT", "/v1/teams/"+team+"/time-plan", fmt.Sprintf(`{"plan_id":%q}`, plan))
	remind("work_hours", true)
	quiet := start()
	if n := rig.fire(601 * time.Second); n != 1 {
		t.Fatalf("%d timers fired, want the reminder outside the effective time", n)
	}
	rig.settle(quiet)
	if got := notices(admin, quiet, "queue_reminder"); len(got) != 0 {
		t.Errorf("reminders sent outside the effective time: %v", got)
	}
	if timedOut := decoded[eventschema.ConversationTimedOut](rig, quiet, "ConversationTimedOut"); len(timedOut) != 1 ||
		len(timedOut[0].Actions) != 0 || timedOut[0].Next != "queue_reminder" {
		t.Errorf("timeouts %+v", timedOut)
	}
	joined := admin.expect(200, "POST", "/v1/queue/"+quiet+"/assign", fmt.Sprintf(`{"agent_id":%q}`, annID))
	admin.expect(200, "GET", "/v1/conversations/"+quiet+at(joined), "")
	if got := rig.pending(quiet); !slices.Equal(got, []string{"conversation.inactivity"}) {
		t.Errorf("pending after the join %v", got)
	}

	// Switched off while one is pending: it fires once, sends nothing and
	// starts no other.
	remind("non_work_hours", true)
	off := start()
	remind("non_work_hours", false)
	if n := rig.fire(601 * time.Second); n != 1 {
		t.Fatalf("%d timers fired, want the one pending when reminders were switched off", n)
	}
	rig.settle(off)
	if timedOut := decoded[eventschema.ConversationTimedOut](rig, off, "ConversationTimedOut"); len(timedOut) != 1 ||
		timedOut[0].Detail != "queue.remind_customers is off" || timedOut[0].Next != "" {
		t.Errorf("timeouts %+v", timedOut)
	}
	if got := rig.pending(off); !slices.Equal(got, []string{"conversation.inactivity"}) {
		t.Errorf("pending after switching off %v", got)
	}
}
