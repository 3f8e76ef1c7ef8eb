package projections

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"supportd/eventschema"
	"supportd/eventstore"
)

// ErrRebuildRunning is returned when a rebuild of the same projector is
// already under way.
var ErrRebuildRunning = errors.New("a rebuild of this projector is already running")

// rebuildReadBatch is how many events a rebuild reads, applies and commits
// at a time. Each batch is one transaction whose statements are all queued
// and sent together just before it commits: a transaction that writes holds
// back, while it runs, the store's global log for every reader on the
// server (the live projectors too), so it must be brief.
const rebuildReadBatch = 5000

// RebuildResult tells what a rebuild did.
type RebuildResult struct {
	// Events is how many events of the log were replayed.
	Events int64
	// Checkpoint is the position the projector continues from.
	Checkpoint eventschema.Position
	Duration   time.Duration
}

// Rebuild replays the whole log through p into fresh copies of its tables
// and swaps them in, so that a changed projector, or a damaged read model,
// is made new from the facts. progress, if not nil, is called now and then
// with the number of events replayed and the rate so far (events/s).
//
// The fresh tables are created in a schema of their own, rebuild_NAME, as
// UNLOGGED copies (CREATE TABLE ... LIKE ... INCLUDING ALL) of the live
// ones, and filled with the projector's own Apply, the search path pointing
// at them. Meanwhile the live projector goes on. Then Rebuild locks the
// projector's checkpoint row, which pauses the live projector of that name
// in every process, applies the events that came in meanwhile, replaces the
// live tables with the fresh ones in one transaction (index names kept), and
// sets the checkpoint to the last event replayed. The live projector resumes
// from there on the new tables.
//
// Read-model tables must not take values from sequences or the clock, and
// must not be referenced by views or foreign keys: the swap drops the old
// tables.
func Rebuild(ctx context.Context, store eventstore.Store, pool *pgxpool.Pool, p Projector, progress func(done int64, rate float64)) (RebuildResult, error) {
	if err := validate(p); err != nil {
		return RebuildResult{}, err
	}
	name := p.Name()
	rb := &rebuild{
		store:    store,
		pool:     pool,
		p:        p,
		types:    selection(p),
		scratch:  "rebuild_" + name,
		started:  time.Now(),
		progress: progress,
	}
	res, err := rb.run(ctx)
	if err != nil {
		return RebuildResult{}, fmt.Errorf("rebuild %s: %w", name, err)
	}
	return res, nil
}

type rebuild struct {
	store    eventstore.Store
	pool     *pgxpool.Pool
	p        Projector
	types    map[string]bool // of p; nil for every type
	live     string          // schema of the live tables
	scratch  string          // schema of the fresh tables
	started  time.Time
	progress func(done int64, rate float64)

	done int64
	pos  eventschema.Position
}

func (rb *rebuild) run(ctx context.Context) (RebuildResult, error) {
	// A session-level advisory lock on a connection held throughout keeps
	// two rebuilds of one projector apart.
	conn, err := rb.pool.Acquire(ctx)
	if err != nil {
		return RebuildResult{}, err
	}
	defer conn.Release()
	key := "supportd.rebuild." + rb.p.Name()
	var locked bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtextextended($1, 0))`, key).Scan(&locked); err != nil {
		return RebuildResult{}, err
	}
	if !locked {
		return RebuildResult{}, ErrRebuildRunning
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtextextended($1, 0))`, key)

	if err := ensureCheckpoint(ctx, rb.pool, rb.p.Name()); err != nil {
		return RebuildResult{}, err
	}
	if err := rb.prepare(ctx); err != nil {
		return RebuildResult{}, err
	}
	swapped := false
	defer func() {
		if !swapped {
			rb.pool.Exec(context.WithoutCancel(ctx), `DROP SCHEMA IF EXISTS `+ident(rb.scratch)+` CASCADE`)
		}
	}()
	if err := rb.replay(ctx); err != nil {
		return RebuildResult{}, err
	}
	for _, t := range rb.p.Tables() {
		if _, err := rb.pool.Exec(ctx, `ALTER TABLE `+ident(rb.scratch, t)+` SET LOGGED`); err != nil {
			return RebuildResult{}, fmt.Errorf("log %s: %w", t, err)
		}
	}
	// Catch up with what came in meanwhile before pausing the live
	// projector, so that the pause is short.
	if err := rb.replay(ctx); err != nil {
		return RebuildResult{}, err
	}
	if err := rb.swap(ctx); err != nil {
		return RebuildResult{}, err
	}
	swapped = true
	rb.report()
	return RebuildResult{Events: rb.done, Checkpoint: rb.pos, Duration: time.Since(rb.started)}, nil
}

// prepare finds the live tables' schema and creates empty copies of them.
func (rb *rebuild) prepare(ctx context.Context) error {
	for i, t := range rb.p.Tables() {
		var schema *string
		if err := rb.pool.QueryRow(ctx, `
			SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE c.oid = to_regclass($1)`, t).Scan(&schema); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("find table %s: %w", t, err)
		}
		if schema == nil {
			return fmt.Errorf("table %s does not exist: migrate the read models first", t)
		}
		if i == 0 {
			rb.live = *schema
		} else if *schema != rb.live {
			return fmt.Errorf("tables %s and %s are in different schemas", rb.p.Tables()[0], t)
		}
	}
	if rb.live == rb.scratch {
		return fmt.Errorf("live tables are in the rebuild schema %s", rb.scratch)
	}
	stmts := []string{
		`DROP SCHEMA IF EXISTS ` + ident(rb.scratch) + ` CASCADE`, // left by a rebuild that died
		`CREATE SCHEMA ` + ident(rb.scratch),
	}
	for _, t := range rb.p.Tables() {
		stmts = append(stmts, `CREATE UNLOGGED TABLE `+ident(rb.scratch, t)+` (LIKE `+ident(rb.live, t)+` INCLUDING ALL)`)
	}
	for _, s := range stmts {
		if _, err := rb.pool.Exec(ctx, s); err != nil {
			return fmt.Errorf("prepare fresh tables: %w", err)
		}
	}
	return nil
}

// replay applies the log to the fresh tables until a read comes back short,
// reading the next batch while the current one is written.
func (rb *rebuild) replay(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []eventschema.Envelope, 2)
	readErr := make(chan error, 1)
	go func() {
		defer close(batches)
		after := rb.pos
		for {
			events, err := rb.store.ReadAll(ctx, after, rebuildReadBatch)
			if err != nil {
				readErr <- err
				return
			}
			if len(events) > 0 {
				select {
				case batches <- events:
				case <-ctx.Done():
					readErr <- ctx.Err()
					return
				}
				after = events[len(events)-1].Position
			}
			if len(events) < rebuildReadBatch {
				readErr <- nil
				return
			}
		}
	}()

	for events := range batches {
		tx, err := rb.begin(ctx)
		if err != nil {
			return err
		}
		if err := rb.apply(ctx, tx, events); err != nil {
			tx.Rollback(context.WithoutCancel(ctx))
			return err
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("commit at %s: %w", rb.pos, err)
		}
		rb.report()
	}
	return <-readErr
}

// begin opens a transaction that writes to the fresh tables. Their content
// is worthless until the swap, so commits need not wait for the disk.
func (rb *rebuild) begin(ctx context.Context) (pgx.Tx, error) {
	tx, err := rb.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	if err := rb.useScratch(ctx, tx); err != nil {
		tx.Rollback(context.WithoutCancel(ctx))
		return nil, err
	}
	if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
		tx.Rollback(context.WithoutCancel(ctx))
		return nil, err
	}
	return tx, nil
}

// useScratch makes the projector's unqualified table names mean the fresh
// tables for the rest of tx.
func (rb *rebuild) useScratch(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SELECT set_config('search_path', $1, true)`, ident(rb.scratch)+", "+ident(rb.live))
	return err
}

// apply runs events through the projector in tx, all at once if it is a
// BatchProjector, and sends the statements in one pipelined batch.
func (rb *rebuild) apply(ctx context.Context, tx pgx.Tx, events []eventschema.Envelope) error {
	db := &batchDB{tx: tx, limit: rebuildReadBatch + 1}
	ours := events
	if rb.types != nil {
		// The projector leaves the others alone: do not hand them over.
		ours = slices.DeleteFunc(slices.Clone(events), func(e eventschema.Envelope) bool { return !rb.types[e.Type] })
	}
	if bp, ok := rb.p.(BatchProjector); ok && len(ours) > 0 {
		if err := bp.ApplyBatch(ctx, db, ours); err != nil {
			return err
		}
	} else if !ok {
		for i := range ours {
			db.cur = &ours[i]
			if err := rb.p.Apply(ctx, db, ours[i]); err != nil {
				return fmt.Errorf("%s %s at %s: %w", ours[i].Type, ours[i].ID, ours[i].Position, err)
			}
		}
	}
	if err := db.flush(ctx); err != nil {
		return err
	}
	rb.done += int64(len(events))
	rb.pos = events[len(events)-1].Position
	return nil
}

func (rb *rebuild) report() {
	if rb.progress == nil {
		return
	}
	rate := 0.0
	if s := time.Since(rb.started).Seconds(); s > 0 {
		rate = float64(rb.done) / s
	}
	rb.progress(rb.done, rate)
}

// swap pauses the live projector, catches up, and puts the fresh tables in
// place of the live ones, all in one transaction.
func (rb *rebuild) swap(ctx context.Context) error {
	tx, err := rb.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	live, err := lockCheckpoint(ctx, tx, rb.p.Name())
	if err != nil {
		return err
	}
	if err := rb.useScratch(ctx, tx); err != nil {
		return err
	}
	for {
		events, err := rb.store.ReadAll(ctx, rb.pos, rebuildReadBatch)
		if err != nil {
			return err
		}
		if len(events) > 0 {
			if err := rb.apply(ctx, tx, events); err != nil {
				return err
			}
		}
		if len(events) < rebuildReadBatch {
			break
		}
	}
	if rb.pos.Less(live) {
		return fmt.Errorf("the log reads up to %s only, but the live checkpoint is at %s", rb.pos, live)
	}
	for _, t := range rb.p.Tables() {
		if err := rb.replace(ctx, tx, t); err != nil {
			return fmt.Errorf("swap %s: %w", t, err)
		}
	}
	if _, err := tx.Exec(ctx, `DROP SCHEMA `+ident(rb.scratch)); err != nil {
		return err
	}
	if err := saveCheckpoint(ctx, txDB{tx}, rb.p.Name(), rb.pos); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// replace drops the live table t and moves the fresh one into its schema,
// renaming the fresh indexes (and the constraints they back) to the names
// the live ones had, which LIKE does not copy.
func (rb *rebuild) replace(ctx context.Context, tx pgx.Tx, t string) error {
	old, err := indexes(ctx, tx, rb.live, t)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DROP TABLE `+ident(rb.live, t)); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `ALTER TABLE `+ident(rb.scratch, t)+` SET SCHEMA `+ident(rb.live)); err != nil {
		return err
	}
	fresh, err := indexes(ctx, tx, rb.live, t)
	if err != nil {
		return err
	}
	var renames [][2]string
	for def, name := range fresh {
		want, ok := old[def]
		if !ok {
			return fmt.Errorf("fresh index %s (%s) has no live counterpart", name, def)
		}
		if want != name {
			renames = append(renames, [2]string{name, want})
		}
	}
	// Through temporary names, in case two fresh indexes hold each other's
	// wanted names.
	for i, rn := range renames {
		tmp := fmt.Sprintf("rebuild_swap_%d", i)
		if _, err := tx.Exec(ctx, `ALTER INDEX `+ident(rb.live, rn[0])+` RENAME TO `+ident(tmp)); err != nil {
			return err
		}
		renames[i][0] = tmp
	}
	for _, rn := range renames {
		if _, err := tx.Exec(ctx, `ALTER INDEX `+ident(rb.live, rn[0])+` RENAME TO `+ident(rn[1])); err != nil {
			return err
		}
	}
	return nil
}

var indexName = regexp.MustCompile(`^(CREATE (?:UNIQUE )?INDEX )(?:"(?:[^"]|"")+"|\S+) ON `)

// indexes maps the definition of every index of schema.table, its name left
// out, to its name.
func indexes(ctx context.Context, tx pgx.Tx, schema, table string) (map[string]string, error) {
	rows, err := tx.Query(ctx, `
		SELECT c.relname, pg_get_indexdef(i.indexrelid)
		FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		WHERE i.indrelid = to_regclass($1)`, ident(schema, table))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			return nil, err
		}
		key := indexName.ReplaceAllString(def, "${1}ON ")
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("table %s has two indexes defined as %s", table, key)
		}
		out[key] = name
	}
	return out, rows.Err()
}

func ident(parts ...string) string { return pgx.Identifier(parts).Sanitize() }
