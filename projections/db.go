package projections

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"supportd/eventschema"
)

// pipelineLimit is the most statements sent in one pipelined batch; it
// bounds the memory of queued arguments.
const pipelineLimit = 1000

// txDB runs every statement at once (an event applied alone, in a
// savepoint, so that its retries start clean).
type txDB struct{ tx pgx.Tx }

func (d txDB) Exec(ctx context.Context, sql string, args ...any) error {
	_, err := d.tx.Exec(ctx, sql, sanitiseArgs(args)...)
	return err
}

func (d txDB) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return d.tx.Query(ctx, sql, sanitiseArgs(args)...)
}

func (d txDB) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return d.tx.QueryRow(ctx, sql, sanitiseArgs(args)...)
}

// batchDB queues a projector's statements and sends them in pipelined
// batches: a batch of events costs one round trip, not one per row. It
// remembers which event queued each statement, so that a failure found
// when the statements are sent is blamed on the right event.
type batchDB struct {
	tx    pgx.Tx
	limit int // send when this many statements are queued
	batch pgx.Batch
	owner []*eventschema.Envelope // the event of each queued statement
	cur   *eventschema.Envelope   // the event being applied

	// failed is the event whose statement failed; the transaction is then
	// aborted.
	failed *eventschema.Envelope
}

func (d *batchDB) Exec(ctx context.Context, sql string, args ...any) error {
	d.batch.Queue(sql, sanitiseArgs(args)...)
	d.owner = append(d.owner, d.cur)
	if d.batch.Len() >= d.limit {
		return d.flush(ctx)
	}
	return nil
}

func (d *batchDB) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := d.flush(ctx); err != nil {
		return nil, err
	}
	return d.tx.Query(ctx, sql, sanitiseArgs(args)...)
}

func (d *batchDB) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if err := d.flush(ctx); err != nil {
		return errRow{err}
	}
	return d.tx.QueryRow(ctx, sql, sanitiseArgs(args)...)
}

// flush sends the queued statements.
func (d *batchDB) flush(ctx context.Context) error {
	n := d.batch.Len()
	if n == 0 {
		return nil
	}
	br := d.tx.SendBatch(ctx, &d.batch)
	var err error
	for i := 0; i < n && err == nil; i++ {
		if _, e := br.Exec(); e != nil {
			if o := d.owner[i]; o != nil {
				d.failed = o
				err = fmt.Errorf("%s %s at %s: %w", o.Type, o.ID, o.Position, e)
			} else {
				err = e
			}
		}
	}
	if e := br.Close(); err == nil {
		err = e
	}
	d.batch = pgx.Batch{}
	d.owner = d.owner[:0]
	return err
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// pgUUID passes id to pgx in its binary form. A uuid.UUID as such is sent
// through its text form after a failed binary attempt, which costs more
// than the rest of a rebuild's encoding.
func pgUUID(id uuid.UUID) pgtype.UUID { return pgtype.UUID{Bytes: id, Valid: true} }
