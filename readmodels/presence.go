package readmodels

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Execer runs a statement.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// RecordHeartbeat notes that a session's console is alive at at, and tells
// whether the session was marked silent (so the caller resumes it).
func RecordHeartbeat(ctx context.Context, db Querier, sessionID uuid.UUID, at time.Time) (silent bool, err error) {
	err = db.QueryRow(ctx, `
		WITH beat AS (
			INSERT INTO session_heartbeats (session_id, last_seen) VALUES ($1, $2)
			ON CONFLICT (session_id) DO UPDATE SET last_seen = greatest(session_heartbeats.last_seen, excluded.last_seen))
		SELECT EXISTS (SELECT 1 FROM agent_sessions WHERE session_id = $1 AND silent_at IS NOT NULL)`,
		sessionID, at).Scan(&silent)
	if err != nil {
		return false, fmt.Errorf("heartbeat %s: %w", sessionID, err)
	}
	return silent, nil
}

// StaleSession is a live session whose console has been silent.
type StaleSession struct {
	TenantID  uuid.UUID
	AgentID   uuid.UUID
	SessionID uuid.UUID
	ClientIP  string
	// LastSeen is the last heartbeat, or the sign-in when none came.
	LastSeen time.Time
	Expired  bool
}

// StaleSessions lists signed-in sessions not yet marked silent whose last
// heartbeat (or sign-in, if none came) is before cutoff, and sessions that
// have expired by now.
func StaleSessions(ctx context.Context, q Querier, cutoff, now time.Time) ([]StaleSession, error) {
	rows, err := q.Query(ctx, `
		SELECT s.tenant_id, s.agent_id, s.session_id, s.client_ip, coalesce(h.last_seen, s.signed_in_at), s.expires_at <= $2
		FROM agent_sessions s LEFT JOIN session_heartbeats h ON h.session_id = s.session_id
		WHERE s.ended_at IS NULL
		  AND ((s.silent_at IS NULL AND coalesce(h.last_seen, s.signed_in_at) < $1) OR s.expires_at <= $2)
		ORDER BY s.signed_in_at LIMIT 1000`, cutoff, now)
	if err != nil {
		return nil, fmt.Errorf("stale sessions: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (StaleSession, error) {
		var s StaleSession
		err := r.Scan(&s.TenantID, &s.AgentID, &s.SessionID, &s.ClientIP, &s.LastSeen, &s.Expired)
		return s, err
	})
}
