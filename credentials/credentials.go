// Package credentials keeps users' password hashes out of the event log, in
// a table that can forget them: a hash is a secret, and the log is
// immutable. The log says only that a password changed; this store holds
// the hash, keyed by user, and deletes it with the user.
package credentials

import (
	"time"

	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"supportd/eventschema"
	"supportd/eventstore"
)

// DB is what the store needs of a PostgreSQL pool.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// ErrNone: the user has no password (yet, or any more).
var ErrNone = errors.New("no password stored")

// Store is the credential table.
type Store struct{ DB DB }

// Migrate creates the store's tables. They belong to no projector: a
// rebuild of the read models leaves them alone.
func (s Store) Migrate(ctx context.Context) error {
	_, err := s.DB.Exec(ctx, `
		CREATE TABLE IF NOT EXISTS credentials (
			agent_id      uuid PRIMARY KEY,
			tenant_id     uuid NOT NULL,
			password_hash text NOT NULL,
			changed_at    timestamptz NOT NULL DEFAULT now()
		);
		-- A change of password ends every session of the user that
		-- began before it but kept_session: sign-in refuses them even
		-- if the events that end them were never written (a crash
		-- between the two steps of a change).
		ALTER TABLE credentials ADD COLUMN IF NOT EXISTS kept_session uuid;
		CREATE TABLE IF NOT EXISTS credential_imports (
			name    text PRIMARY KEY,
			done_at timestamptz NOT NULL DEFAULT now()
		)`)
	if err != nil {
		return fmt.Errorf("migrate credentials: %w", err)
	}
	return nil
}

// SetPassword stores a user's password hash, replacing any, changed at
// the given time: the user's sessions begun before then, but keepSession
// (uuid.Nil for none), are no longer accepted.
func (s Store) SetPassword(ctx context.Context, tenantID, agentID uuid.UUID, hash string, at time.Time, keepSession uuid.UUID) error {
	keep := &keepSession
	if keepSession == uuid.Nil {
		keep = nil
	}
	_, err := s.DB.Exec(ctx, `
		INSERT INTO credentials (agent_id, tenant_id, password_hash, changed_at, kept_session) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (agent_id) DO UPDATE SET password_hash = EXCLUDED.password_hash,
			changed_at = EXCLUDED.changed_at, kept_session = EXCLUDED.kept_session
		WHERE credentials.tenant_id = EXCLUDED.tenant_id`, agentID, tenantID, hash, at, keep)
	if err != nil {
		return fmt.Errorf("store password of %s: %w", agentID, err)
	}
	return nil
}

// PasswordHash answers a user's password hash, or ErrNone.
func (s Store) PasswordHash(ctx context.Context, tenantID, agentID uuid.UUID) (string, error) {
	var hash string
	err := s.DB.QueryRow(ctx, `SELECT password_hash FROM credentials WHERE agent_id = $1 AND tenant_id = $2`, agentID, tenantID).Scan(&hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", ErrNone
	}
	if err != nil {
		return "", fmt.Errorf("read password of %s: %w", agentID, err)
	}
	return hash, nil
}

// Forget deletes a user's password hash: the user is gone.
func (s Store) Forget(ctx context.Context, tenantID, agentID uuid.UUID) error {
	if _, err := s.DB.Exec(ctx, `DELETE FROM credentials WHERE agent_id = $1 AND tenant_id = $2`, agentID, tenantID); err != nil {
		return fmt.Errorf("forget password of %s: %w", agentID, err)
	}
	return nil
}

const importName = "password hashes from the log"

// ImportFromLog moves the password hashes that version 1 events carried
// into the store, once: it reads the whole log in order (a later hash
// replaces an earlier one, a removal forgets it) and records that it ran.
// Hashes already in the store for a user are newer than the log's (they
// were written by this version) and are kept. Upcasting hides the old
// hashes from everything else; the log itself cannot forget them.
func (s Store) ImportFromLog(ctx context.Context, log eventstore.Store) (imported int, err error) {
	var done bool
	if err := s.DB.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM credential_imports WHERE name = $1)`, importName).Scan(&done); err != nil {
		return 0, fmt.Errorf("import passwords: %w", err)
	}
	if done {
		return 0, nil
	}
	type legacy struct {
		tenantID uuid.UUID
		hash     string
	}
	found := map[uuid.UUID]legacy{}
	var after eventschema.Position
	for {
		batch, err := log.ReadAll(ctx, after, 1000)
		if err != nil {
			return 0, fmt.Errorf("import passwords: %w", err)
		}
		if len(batch) == 0 {
			break
		}
		for _, e := range batch {
			after = e.Position
			if tenantID, id, hash, ok := eventschema.LegacyPasswordHash(e); ok {
				found[id] = legacy{tenantID: tenantID, hash: hash}
			} else if e.Type == "AgentRemoved" {
				var r struct {
					AgentID uuid.UUID `json:"agent_id"`
				}
				if json.Unmarshal(e.Data, &r) == nil {
					delete(found, r.AgentID)
				}
			}
		}
	}
	for id, l := range found {
		tag, err := s.DB.Exec(ctx, `
			INSERT INTO credentials (agent_id, tenant_id, password_hash) VALUES ($1, $2, $3)
			ON CONFLICT (agent_id) DO NOTHING`, id, l.tenantID, l.hash)
		if err != nil {
			return imported, fmt.Errorf("import password of %s: %w", id, err)
		}
		imported += int(tag.RowsAffected())
	}
	if _, err := s.DB.Exec(ctx, `INSERT INTO credential_imports (name) VALUES ($1) ON CONFLICT DO NOTHING`, importName); err != nil {
		return imported, fmt.Errorf("import passwords: %w", err)
	}
	return imported, nil
}
