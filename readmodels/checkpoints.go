package readmodels

import (
	"context"
	"fmt"
	"time"
)

// Checkpoint is how far one projector has applied the global log: the
// position of the last event whose effects are committed in its tables.
type Checkpoint struct {
	Projector string
	// Commit and Prepare are the two parts of the global-log position (see
	// eventschema.Position).
	Commit    uint64
	Prepare   uint64
	UpdatedAt time.Time
}

// ListCheckpoints returns every projector's checkpoint, sorted by name.
func ListCheckpoints(ctx context.Context, q Querier) ([]Checkpoint, error) {
	rows, err := q.Query(ctx, `
		SELECT projector, commit_position, prepare_position, updated_at
		FROM projection_checkpoints ORDER BY projector`)
	if err != nil {
		return nil, fmt.Errorf("list checkpoints: %w", err)
	}
	defer rows.Close()
	var out []Checkpoint
	for rows.Next() {
		var (
			c               Checkpoint
			commit, prepare int64
		)
		if err := rows.Scan(&c.Projector, &commit, &prepare, &c.UpdatedAt); err != nil {
			return nil, fmt.Errorf("list checkpoints: %w", err)
		}
		c.Commit, c.Prepare = uint64(commit), uint64(prepare)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list checkpoints: %w", err)
	}
	return out, nil
}
