package projections

import (
	"context"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"supportd/eventschema"
)

// The checkpoint table is defined by the read-model migrations
// (readmodels/migrations); these are the pipeline's only statements on it.

type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// ensureCheckpoint creates the projector's checkpoint row at the start of
// the log if it has none, so that there is always a row to lock.
func ensureCheckpoint(ctx context.Context, q execer, name string) error {
	if _, err := q.Exec(ctx, `
		INSERT INTO projection_checkpoints (projector) VALUES ($1)
		ON CONFLICT (projector) DO NOTHING`, name); err != nil {
		return fmt.Errorf("checkpoint of %s: %w", name, err)
	}
	return nil
}

// loadCheckpoint reads the checkpoint without locking it.
func loadCheckpoint(ctx context.Context, q execer, name string) (eventschema.Position, error) {
	return scanCheckpoint(name, q.QueryRow(ctx, `
		SELECT commit_position, prepare_position FROM projection_checkpoints
		WHERE projector = $1`, name))
}

// lockCheckpoint reads the checkpoint and locks its row until tx ends: no
// other batch of this projector, in this process or another, and no rebuild
// swap can run meanwhile.
func lockCheckpoint(ctx context.Context, tx pgx.Tx, name string) (eventschema.Position, error) {
	return scanCheckpoint(name, tx.QueryRow(ctx, `
		SELECT commit_position, prepare_position FROM projection_checkpoints
		WHERE projector = $1 FOR UPDATE`, name))
}

func scanCheckpoint(name string, row pgx.Row) (eventschema.Position, error) {
	var commit, prepare int64
	if err := row.Scan(&commit, &prepare); err != nil {
		return eventschema.Position{}, fmt.Errorf("checkpoint of %s: %w", name, err)
	}
	return eventschema.Position{Commit: uint64(commit), Prepare: uint64(prepare)}, nil
}

// saveCheckpoint moves the checkpoint to pos in db's transaction.
func saveCheckpoint(ctx context.Context, db DB, name string, pos eventschema.Position) error {
	if pos.Commit > math.MaxInt64 || pos.Prepare > math.MaxInt64 {
		return fmt.Errorf("checkpoint of %s: position %s does not fit a bigint", name, pos)
	}
	if err := db.Exec(ctx, `
		UPDATE projection_checkpoints
		SET commit_position = $2, prepare_position = $3, updated_at = now()
		WHERE projector = $1`, name, int64(pos.Commit), int64(pos.Prepare)); err != nil {
		return fmt.Errorf("save checkpoint of %s at %s: %w", name, pos, err)
	}
	return nil
}

// advanceCheckpoint moves the checkpoint from `from` to `to` in a short
// transaction of its own that does not wait for the disk (see finish),
// unless the row is no longer at from: another process moved it. It
// reports whether it moved the row.
func advanceCheckpoint(ctx context.Context, pool *pgxpool.Pool, name string, from, to eventschema.Position) (bool, error) {
	if to.Commit > math.MaxInt64 || to.Prepare > math.MaxInt64 {
		return false, fmt.Errorf("checkpoint of %s: position %s does not fit a bigint", name, to)
	}
	// A batch is one implicit transaction: set_config holds for it alone.
	b := &pgx.Batch{}
	b.Queue(`SELECT set_config('synchronous_commit', 'off', true)`)
	b.Queue(`
		UPDATE projection_checkpoints
		SET commit_position = $2, prepare_position = $3, updated_at = now()
		WHERE projector = $1 AND commit_position = $4 AND prepare_position = $5`,
		name, int64(to.Commit), int64(to.Prepare), int64(from.Commit), int64(from.Prepare))
	res := pool.SendBatch(ctx, b)
	defer res.Close()
	if _, err := res.Exec(); err != nil {
		return false, fmt.Errorf("advance checkpoint of %s to %s: %w", name, to, err)
	}
	tag, err := res.Exec()
	if err != nil {
		return false, fmt.Errorf("advance checkpoint of %s to %s: %w", name, to, err)
	}
	return tag.RowsAffected() == 1, res.Close()
}
