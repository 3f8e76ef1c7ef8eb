package projections

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"supportd/commands"
	"supportd/credentials"
	"supportd/eventschema"
	"supportd/eventstore"
	"supportd/readmodels"
)

type movableClock struct{ now time.Time }

func (c *movableClock) Now() time.Time { return c.now }

// TestTimersFireOnceAcrossRestarts schedules a timer from an event, fires it
// when due, fires it again from a "restarted" scheduler before its ending
// event is projected, and checks that its command applied once and that the
// event it recorded removed the timer. The projector is stopped while the
// schedulers sweep, so "before it is projected" is a fact of the test, not
// the outcome of a race with the projector.
func TestTimersFireOnceAcrossRestarts(t *testing.T) {
	e := newEnv(t)
	ctx := testContext(t)
	reg := eventschema.Catalog()
	timerOf := func(tenant uuid.UUID) uuid.UUID { return uuid.NewSHA1(tenant, []byte("rename")) }
	// The rule of this test: rename a tenant an hour after its creation,
	// unless its profile changed before.
	rule := func(ev eventschema.Envelope, p any, _ Settings) TimerChange {
		switch x := p.(type) {
		case eventschema.TenantCreated:
			return TimerChange{Schedule: []ScheduledTimer{{ID: timerOf(x.TenantID), Kind: "test.rename",
				DueAt: occurredAt(ev).Add(time.Hour), Payload: map[string]string{"name": x.Name}}}}
		case eventschema.TenantProfileChanged:
			return TimerChange{Cancel: []uuid.UUID{timerOf(x.TenantID)}}
		}
		return TimerChange{}
	}
	runner := newTestRunner(t, e, nil, io.Discard, NewTimers(reg, rule))
	stopRunner := startRunner(t, runner)

	clock := &movableClock{now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	h := commands.NewHandler(e.store, reg, clock)
	h.Passwords = commands.Bcrypt{Cost: 4}
	h.Credentials = credentials.Store{DB: e.pool}
	if err := h.Credentials.(credentials.Store).Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	tenant := uuid.Must(uuid.NewV7())
	res, err := h.CreateTenant(ctx, commands.Meta{}, commands.CreateTenant{TenantID: tenant, Name: "Acme", TimeZone: "UTC",
		Admin: commands.NewUser{Email: "boss@acme.example", Nickname: "Boss", Password: "correct-horse"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.WaitFor(ctx, res.Position); err != nil {
		t.Fatal(err)
	}
	if pending, err := readmodels.PendingTimers(ctx, e.pool, tenant); err != nil || len(pending) != 1 || !pending[0].DueAt.Equal(clock.now.Add(time.Hour)) {
		t.Fatalf("pending timers %v, %v", pending, err)
	}

	kinds := map[string]commands.TimerFunc{
		"test.rename": func(ctx context.Context, h *commands.Handler, m commands.Meta, t commands.DueTimer) error {
			var p struct{ Name string }
			if err := json.Unmarshal(t.Payload, &p); err != nil {
				return err
			}
			_, err := h.ChangeTenantProfile(ctx, m, commands.ChangeTenantProfile{TenantID: t.TenantID, Name: p.Name + " (renamed)", TimeZone: "UTC"})
			return err
		},
	}
	scheduler := func() *commands.TimerScheduler {
		return &commands.TimerScheduler{Handler: h, Kinds: kinds, Clock: clock, Log: slog.New(slog.DiscardHandler),
			Due: func(ctx context.Context, now time.Time, limit int) ([]commands.DueTimer, error) {
				rows, err := readmodels.DueTimers(ctx, e.pool, now, limit)
				out := make([]commands.DueTimer, len(rows))
				for i, r := range rows {
					out[i] = commands.DueTimer{ID: r.ID, TenantID: r.TenantID, Kind: r.Kind, DueAt: r.DueAt, Payload: r.Payload}
				}
				return out, err
			}}
	}
	// Nothing projects from here until the restart below.
	stopRunner()
	first := scheduler()
	if n, err := first.Sweep(ctx); err != nil || n != 0 {
		t.Fatalf("before it is due: fired %d, %v", n, err)
	}
	clock.now = clock.now.Add(2 * time.Hour)
	if n, err := first.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("when due: fired %d, %v", n, err)
	}
	// A restart before the renaming is projected: the timer is still listed
	// and fires again, as the same command.
	if pending, err := readmodels.PendingTimers(ctx, e.pool, tenant); err != nil || len(pending) != 1 {
		t.Fatalf("the renaming was projected with the projector stopped: %v, %v", pending, err)
	}
	if n, err := scheduler().Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("after a restart: fired %d, %v", n, err)
	}
	events, err := e.store.ReadStream(ctx, "tenant-"+tenant.String(), eventstore.Forwards, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	renamed := 0
	var last eventschema.Position
	for _, ev := range events {
		if ev.Type == "TenantProfileChanged" {
			renamed++
		}
		last = ev.Position
	}
	if renamed != 1 {
		t.Fatalf("the timer's command applied %d times, want 1", renamed)
	}
	runner = newTestRunner(t, e, nil, io.Discard, NewTimers(reg, rule))
	startRunner(t, runner)
	if err := runner.WaitFor(ctx, last); err != nil {
		t.Fatal(err)
	}
	if pending, err := readmodels.PendingTimers(ctx, e.pool, tenant); err != nil || len(pending) != 0 {
		t.Fatalf("the timer's own event did not end it: %v, %v", pending, err)
	}
	if n, err := scheduler().Sweep(ctx); err != nil || n != 0 {
		t.Fatalf("after it ended: fired %d, %v", n, err)
	}
}

// TestConversationTimersFollowSettings projects a conversation's log with
// the tenant's settings changing along the way: each timer is due by the
// settings as they stood when its run started, a kept run that had no due
// time gets one counted from its own start once its timeout is switched
// on, and a rebuild reproduces the table.
func TestConversationTimersFollowSettings(t *testing.T) {
	e := newEnv(t)
	ctx := testContext(t)
	reg := eventschema.Catalog()
	timers := NewTimers(reg, TimerRules()...)
	runner := newTestRunner(t, e, nil, io.Discard, timers)
	startRunner(t, runner)

	tenant, conv, team, agent := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7()), uuid.New(), uuid.New()
	seg, ep, m1, m2, m3, m4 := uuid.New(), uuid.New(), uuid.New(), uuid.New(), uuid.New(), uuid.New()
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	versions := map[string]int{}
	var last eventschema.Position
	appendAt := func(stream string, at time.Duration, payloads ...any) {
		t.Helper()
		expected := eventstore.NoStream
		if v, ok := versions[stream]; ok {
			expected = eventstore.Exact(uint64(v))
		}
		var batch []eventschema.Proposed
		for _, p := range payloads {
			ev, err := reg.Encode(uuid.Must(uuid.NewV7()), p, eventschema.Metadata{TenantID: tenant,
				Actor: eventschema.Actor{Kind: eventschema.ActorSystem, ID: "test"}, OccurredAt: t0.Add(at)})
			if err != nil {
				t.Fatal(err)
			}
			batch = append(batch, ev)
		}
		res, err := e.store.Append(ctx, stream, expected, batch)
		if err != nil {
			t.Fatal(err)
		}
		versions[stream] = int(res.Version)
		last = res.Position
	}
	setting := func(at time.Duration, key, value string) {
		appendAt("tenant-"+tenant.String(), at, eventschema.TenantSettingChanged{TenantID: tenant, Key: key, Value: json.RawMessage(value), Previous: json.RawMessage(`null`)})
	}
	message := func(id uuid.UUID, kind, sender string) eventschema.MessageSent {
		return eventschema.MessageSent{TenantID: tenant, ConversationID: conv, MessageID: id, SenderKind: kind, SenderID: sender,
			Type: "text", Text: "…", SegmentID: seg}
	}
	type row struct {
		kind string
		due  time.Duration // from t0
	}
	expect := func(what string, want ...row) {
		t.Helper()
		if err := runner.WaitFor(ctx, last); err != nil {
			t.Fatal(err)
		}
		pending, err := readmodels.PendingTimers(ctx, e.pool, tenant)
		if err != nil {
			t.Fatal(err)
		}
		var got []row
		for _, p := range pending {
			got = append(got, row{p.Kind, p.DueAt.Sub(t0)})
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: timers %v, want %v", what, got, want)
		}
	}

	appendAt("tenant-"+tenant.String(), 0, eventschema.TenantCreated{TenantID: tenant, Name: "Acme", TimeZone: "UTC"})
	setting(0, "conversation.agent_no_reply", `{"enabled":true,"timeout_seconds":60,"actions":["remind_agent"],"message":"","alarm_level":1}`)
	setting(0, "conversation.inactivity_close_hours", `2`)
	stream := eventschema.ObjectStream("conversation", tenant, conv)
	appendAt(stream, time.Second, eventschema.ConversationStarted{TenantID: tenant, ConversationID: conv, Channel: "web", CustomerID: uuid.New()},
		eventschema.ConversationQueued{TenantID: tenant, ConversationID: conv, EpisodeID: ep, TeamID: team, Reason: "routed"},
		eventschema.AgentJoined{TenantID: tenant, ConversationID: conv, AgentID: agent, SegmentID: seg, How: "manual", EpisodeID: ep, TeamID: team})
	expect("started", row{"conversation.inactivity", 2*time.Hour + time.Second})

	appendAt(stream, 10*time.Second, message(m1, "customer", ""))
	expect("a customer message", row{"conversation.agent_no_reply", 70 * time.Second}, row{"conversation.inactivity", 2*time.Hour + 10*time.Second})

	appendAt(stream, 20*time.Second, message(m2, "customer", ""))
	expect("a second one keeps the agent's clock", row{"conversation.agent_no_reply", 70 * time.Second}, row{"conversation.inactivity", 2*time.Hour + 20*time.Second})

	setting(30*time.Second, "transfer.auto_reassign", `{"enabled":true,"agent_reply_timeout_seconds":120}`)
	setting(30*time.Second, "conversation.inactivity_close_hours", `3`)
	appendAt(stream, 40*time.Second, message(m3, "customer", ""))
	expect("reassign switched on: timed from the first unanswered message", row{"conversation.agent_no_reply", 70 * time.Second},
		row{"conversation.auto_reassign", 130 * time.Second}, row{"conversation.inactivity", 3*time.Hour + 40*time.Second})

	setting(50*time.Second, "conversation.customer_no_reply", `{"enabled":true,"timeout_seconds":90,"actions":["remind_agent"],"message":""}`)
	appendAt(stream, time.Minute, message(m4, "agent", agent.String()))
	expect("the agent answers", row{"conversation.customer_no_reply", 150 * time.Second}, row{"conversation.inactivity", 3*time.Hour + time.Minute})

	var dormant int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM timers WHERE subject = $1 AND due_at = 'infinity'`, conv).Scan(&dormant); err != nil || dormant != 1 {
		t.Fatalf("runs waiting without a due time: %d, %v; want the no-reply reminder's", dormant, err)
	}

	appendAt(stream, 2*time.Minute, eventschema.ConversationTimedOut{TenantID: tenant, ConversationID: conv, Timeout: eventschema.TimeoutCustomerNoReply,
		RunID: m4, N: 1, Actions: []string{"remind_agent"}, AgentID: agent})
	expect("its own event ends a timer", row{"conversation.inactivity", 3*time.Hour + time.Minute})

	// Another customer writes while queued; the agent's clocks start when
	// an agent joins.
	conv2, ep2, seg2, m5 := uuid.Must(uuid.NewV7()), uuid.New(), uuid.New(), uuid.New()
	stream2 := eventschema.ObjectStream("conversation", tenant, conv2)
	appendAt(stream2, 2*time.Minute, eventschema.ConversationStarted{TenantID: tenant, ConversationID: conv2, Channel: "web", CustomerID: uuid.New()},
		eventschema.ConversationQueued{TenantID: tenant, ConversationID: conv2, EpisodeID: ep2, TeamID: team, Reason: "routed"},
		eventschema.MessageSent{TenantID: tenant, ConversationID: conv2, MessageID: m5, SenderKind: "customer", Type: "text", Text: "…"})
	appendAt(stream2, 5*time.Minute, eventschema.AgentJoined{TenantID: tenant, ConversationID: conv2, AgentID: agent, SegmentID: seg2, How: "manual",
		EpisodeID: ep2, TeamID: team})
	expect("joined while the customer waits", row{"conversation.agent_no_reply", 6 * time.Minute}, row{"conversation.auto_reassign", 7 * time.Minute},
		row{"conversation.inactivity", 3*time.Hour + time.Minute}, row{"conversation.inactivity", 3*time.Hour + 2*time.Minute})

	// A rebuild replays the same log into the same rows.
	live := dump(t, ctx, e.pool, timers.Tables())
	if _, err := Rebuild(ctx, e.store, e.pool, NewTimers(reg, TimerRules()...), nil); err != nil {
		t.Fatal(err)
	}
	sameRows(t, "timers after a rebuild", live, dump(t, ctx, e.pool, timers.Tables()))

	appendAt(stream, 3*time.Minute, eventschema.AgentLeft{TenantID: tenant, ConversationID: conv, AgentID: agent, SegmentID: seg, How: "closed"},
		eventschema.ConversationClosed{TenantID: tenant, ConversationID: conv, Reason: "agent", ClosedBy: agent.String()})
	expect("closed", row{"conversation.agent_no_reply", 6 * time.Minute}, row{"conversation.auto_reassign", 7 * time.Minute},
		row{"conversation.inactivity", 3*time.Hour + 2*time.Minute})
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM timers WHERE subject = $1`, conv).Scan(&dormant); err != nil || dormant != 0 {
		t.Fatalf("timers left after the close: %d, %v", dormant, err)
	}
}
