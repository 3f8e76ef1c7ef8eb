package projections

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"supportd/commands"
	"supportd/eventschema"
	"supportd/eventstore"
	"supportd/readmodels"
)

type movableClock struct{ now time.Time }

func (c *movableClock) Now() time.Time { return c.now }

// TestTimersFireOnceAcrossRestarts schedules a timer from an event, fires it
// when due, fires it again from a "restarted" scheduler before its ending
// event is projected, and checks that its command applied once and that the
// event it recorded removed the timer.
func TestTimersFireOnceAcrossRestarts(t *testing.T) {
	e := newEnv(t)
	ctx := testContext(t)
	reg := eventschema.Catalog()
	timerOf := func(tenant uuid.UUID) uuid.UUID { return uuid.NewSHA1(tenant, []byte("rename")) }
	// The rule of this test: rename a tenant an hour after its creation,
	// unless its profile changed before.
	rule := func(ev eventschema.Envelope, p any) TimerChange {
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
	startRunner(t, runner)

	clock := &movableClock{now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	h := commands.NewHandler(e.store, reg, clock)
	h.Passwords = commands.Bcrypt{Cost: 4}
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
