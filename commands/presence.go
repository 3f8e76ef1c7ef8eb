package commands

import (
	"context"
	"log/slog"
	"supportd/internal/sweep"
	"time"

	"github.com/google/uuid"

	"supportd/domain/agent"
	"supportd/eventschema"
)

// SilentSession is a live session whose console stopped sending heartbeats
// (or whose token expired).
type SilentSession struct {
	TenantID  uuid.UUID
	AgentID   uuid.UUID
	SessionID uuid.UUID
	Expired   bool
}

// PresenceMonitor signs out sessions whose console went silent for
// agent.HeartbeatTimeout: the manual's "closes the browser, offline in 30
// seconds". It is a process manager: it reads which sessions are silent and
// issues SignOut commands, which are idempotent, so several replicas may
// run it.
type PresenceMonitor struct {
	Handler *Handler
	// Silent lists the sessions silent since cutoff or expired by now.
	Silent func(ctx context.Context, cutoff, now time.Time) ([]SilentSession, error)
	Clock  Clock
	Every  time.Duration
	Log    *slog.Logger
}

// Run checks every m.Every until ctx ends.
func (m *PresenceMonitor) Run(ctx context.Context) error {
	every := m.Every
	if every <= 0 {
		every = 5 * time.Second
	}
	l := sweep.Loop{Every: every, Failed: func(err error, failures int, pause time.Duration) {
		m.Log.Warn("presence sweep failed", "err", err, "failures", failures, "retry_in", pause)
	}}
	l.Run(ctx, m.Sweep)
	return nil
}

// Sweep signs out every silent session once. It returns how many it ended.
func (m *PresenceMonitor) Sweep(ctx context.Context) error {
	now := m.Clock.Now()
	silent, err := m.Silent(ctx, now.Add(-agent.HeartbeatTimeout), now)
	if err != nil {
		return err
	}
	for _, s := range silent {
		reason := eventschema.SignOutHeartbeatTimeout
		if s.Expired {
			reason = eventschema.SignOutExpired
		}
		meta := Meta{Actor: eventschema.Actor{Kind: eventschema.ActorSystem, ID: "presence"},
			// One command per session end: a concurrent sweep by another
			// replica proposes the same event IDs.
			CommandID: uuid.NewSHA1(presenceNamespace, s.SessionID[:])}
		if _, err := m.Handler.SignOut(ctx, meta, SignOut{TenantID: s.TenantID, AgentID: s.AgentID, SessionID: s.SessionID, Reason: reason}); err != nil {
			return err
		}
	}
	return nil
}

var presenceNamespace = uuid.MustParse("1d9a3c1e-57e4-4c84-9b0f-5f0f7d7e2a11")
