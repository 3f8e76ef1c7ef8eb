package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"supportd/internal/sweep"
	"time"

	"github.com/google/uuid"

	"supportd/eventschema"
)

// DueTimer is a durable timer whose time has come.
type DueTimer struct {
	ID       uuid.UUID
	TenantID uuid.UUID
	Kind     string
	DueAt    time.Time
	Payload  json.RawMessage
}

// TimerFunc runs the command a timer of one kind stands for. m carries the
// timer's ID as command ID: a timer fired twice (after a restart, or by two
// replicas) is one command, applied once.
type TimerFunc func(ctx context.Context, h *Handler, m Meta, t DueTimer) error

// TimerScheduler fires durable timers: it reads the due ones (kept by the
// timers projector from the events that start and end timeouts) and runs
// their commands. It writes nothing itself: the event a timer's command
// records is what removes the timer, so the timers table stays a pure read
// model and a restart fires exactly what is still pending.
type TimerScheduler struct {
	Handler *Handler
	// Due lists up to limit timers due at now.
	Due   func(ctx context.Context, now time.Time, limit int) ([]DueTimer, error)
	Kinds map[string]TimerFunc
	Clock Clock
	Every time.Duration
	Log   *slog.Logger

	// fired remembers timers fired recently whose ending event may not be
	// projected yet, so they are not fired again at every tick.
	fired map[uuid.UUID]time.Time
}

// refireAfter is how long a fired timer that is still listed waits before it
// is fired again (its command is idempotent, so this only saves work).
const refireAfter = 30 * time.Second

// Run fires due timers every s.Every until ctx ends.
func (s *TimerScheduler) Run(ctx context.Context) error {
	every := s.Every
	if every <= 0 {
		every = 250 * time.Millisecond
	}
	l := sweep.Loop{Every: every, Failed: func(err error, failures int, pause time.Duration) {
		s.Log.Warn("timer sweep failed", "err", err, "failures", failures, "retry_in", pause)
	}}
	l.Run(ctx, func(ctx context.Context) error {
		_, err := s.Sweep(ctx)
		return err
	})
	return nil
}

// Sweep fires every timer due now once and answers how many it fired. A
// timer whose command fails stays due and is tried again later.
func (s *TimerScheduler) Sweep(ctx context.Context) (int, error) {
	now := s.Clock.Now()
	due, err := s.Due(ctx, now, 500)
	if err != nil {
		return 0, err
	}
	if s.fired == nil {
		s.fired = map[uuid.UUID]time.Time{}
	}
	for id, at := range s.fired {
		if now.Sub(at) > refireAfter {
			delete(s.fired, id)
		}
	}
	n := 0
	var firstErr error
	for _, t := range due {
		// A timer's ID comes from IDs clients chose (conversation,
		// message, transfer), so its command ID is scoped by its tenant.
		cmd := uuid.NewSHA1(t.TenantID, t.ID[:])
		if _, recent := s.fired[cmd]; recent {
			continue
		}
		fire, ok := s.Kinds[t.Kind]
		if !ok {
			s.Log.Error("timer of unknown kind", "kind", t.Kind, "timer", t.ID)
			continue
		}
		m := Meta{TenantID: t.TenantID, Actor: eventschema.Actor{Kind: eventschema.ActorSystem, ID: "timer"}, CommandID: cmd}
		if err := fire(ctx, s.Handler, m, t); err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("timer %s (%s): %w", t.ID, t.Kind, err)
			}
			continue
		}
		s.fired[cmd] = now
		n++
	}
	return n, firstErr
}
