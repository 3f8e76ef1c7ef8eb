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
	// LastSeen is the last heartbeat, or the sign-in when none came.
	LastSeen time.Time
	Expired  bool
}

// PresenceMonitor marks silent the sessions whose console sent no heartbeat
// for agent.HeartbeatTimeout (the manual's "closes the browser, offline in
// 30 seconds": a status, not the end of the session, whose token keeps
// working) and signs out the expired ones. It is a process manager: it
// reads which sessions are silent and issues commands that are idempotent,
// with IDs derived from what they decide, so several replicas may run it.
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
	actor := eventschema.Actor{Kind: eventschema.ActorSystem, ID: "presence"}
	for _, s := range silent {
		if s.Expired {
			// One command per session end: a concurrent sweep by another
			// replica proposes the same event IDs.
			meta := Meta{Actor: actor, CommandID: uuid.NewSHA1(presenceNamespace, s.SessionID[:])}
			if _, err := m.Handler.SignOut(ctx, meta, SignOut{TenantID: s.TenantID, AgentID: s.AgentID, SessionID: s.SessionID, Reason: eventschema.SignOutExpired}); err != nil {
				return err
			}
			continue
		}
		// One command per silence: the session and the heartbeat it
		// outlived.
		key := append(s.SessionID[:], []byte(s.LastSeen.UTC().Format(time.RFC3339Nano))...)
		meta := Meta{Actor: actor, CommandID: uuid.NewSHA1(presenceNamespace, key)}
		if _, err := m.Handler.SilenceSession(ctx, meta, SilenceSession{TenantID: s.TenantID, AgentID: s.AgentID, SessionID: s.SessionID, LastSeen: s.LastSeen}); err != nil {
			return err
		}
	}
	return nil
}

// SilenceSession records that a console went quiet after LastSeen.
type SilenceSession struct {
	TenantID  uuid.UUID
	AgentID   uuid.UUID
	SessionID uuid.UUID
	LastSeen  time.Time
}

// SilenceSession handles the SilenceSession command.
func (h *Handler) SilenceSession(ctx context.Context, m Meta, c SilenceSession) (Result, error) {
	m.TenantID = c.TenantID
	who := agent.Identity{TenantID: c.TenantID, AgentID: c.AgentID}
	return Execute(ctx, h, m, agentAggregate(m.TenantID, c.AgentID), func(s agent.State) ([]any, error) {
		return agent.Silence(s, who, c.SessionID, c.LastSeen)
	})
}

// ResumeSession records a heartbeat from a silent console.
type ResumeSession struct {
	TenantID  uuid.UUID
	AgentID   uuid.UUID
	SessionID uuid.UUID
	ClientIP  string
}

// ResumeSession handles the ResumeSession command.
func (h *Handler) ResumeSession(ctx context.Context, m Meta, c ResumeSession) (Result, error) {
	m.TenantID = c.TenantID
	who := agent.Identity{TenantID: c.TenantID, AgentID: c.AgentID}
	return Execute(ctx, h, m, agentAggregate(m.TenantID, c.AgentID), func(s agent.State) ([]any, error) {
		return agent.Resume(s, who, c.SessionID, c.ClientIP)
	})
}

var presenceNamespace = uuid.MustParse("1d9a3c1e-57e4-4c84-9b0f-5f0f7d7e2a11")
