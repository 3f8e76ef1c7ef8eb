// Package postgres is the PostgreSQL adapter of the event store (pgx v5).
package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"supportd/eventschema"
	"supportd/eventstore"
)

// channel is the LISTEN/NOTIFY channel that wakes subscribers in other
// processes.
const channel = "supportd_events"

// Store keeps the event log in one PostgreSQL table.
type Store struct {
	pool *pgxpool.Pool
	wake *waker

	// PollInterval bounds how long a live subscriber sleeps when nothing
	// wakes it (a writer in another process whose notification was lost).
	PollInterval time.Duration

	// CommitDelay, when set, is slept inside every append transaction just
	// before it commits. Tests use it to make transactions commit out of
	// position order. Appends then run their statement in an explicit
	// transaction instead of an implicit one, which costs two more round
	// trips but changes nothing else.
	CommitDelay func() time.Duration
}

var _ eventstore.Store = (*Store)(nil)

// New returns a store on pool. Call Migrate first. The store starts one
// listening connection on the first Subscribe and one notifying goroutine;
// Close stops both.
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, wake: newWaker(pool), PollInterval: 500 * time.Millisecond}
}

// Close stops the store's background work. It does not close the pool.
func (s *Store) Close() { s.wake.close() }

// Append implements eventstore.Store.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedVersion, events []eventschema.Proposed) (eventstore.AppendResult, error) {
	if err := validate(stream, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	out, err := s.insert(ctx, stream, expected, events)
	if err == nil && out.appended {
		s.wake.appended()
		return out.result, nil
	}
	var conflict *conflictError
	if err != nil && !errors.As(err, &conflict) {
		return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", stream, err)
	}
	// The guard did not hold, or a unique key was hit: either this is a
	// retry of an append that already happened (idempotent success), or
	// another writer got there first.
	if res, ok, err := s.alreadyAppended(ctx, s.pool, stream, expected, events); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", stream, err)
	} else if ok {
		return res, nil
	}
	if conflict == nil {
		return eventstore.AppendResult{}, &eventstore.WrongVersionError{Stream: stream, Expected: expected, Actual: out.current, Exists: out.exists}
	}
	if conflict.eventID {
		return eventstore.AppendResult{}, fmt.Errorf("append %s: an event ID is already used elsewhere: %w", stream, eventstore.ErrInvalidEvent)
	}
	if expected.IsAny() {
		// Another writer took the version we computed; try again.
		return s.Append(ctx, stream, expected, events)
	}
	current, exists, err := s.lastVersion(ctx, s.pool, stream)
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", stream, err)
	}
	return eventstore.AppendResult{}, &eventstore.WrongVersionError{Stream: stream, Expected: expected, Actual: current, Exists: exists}
}

func validate(stream string, events []eventschema.Proposed) error {
	if stream == "" {
		return fmt.Errorf("append: empty stream name: %w", eventstore.ErrInvalidEvent)
	}
	if len(events) == 0 {
		return fmt.Errorf("append %s: no events: %w", stream, eventstore.ErrInvalidEvent)
	}
	for i, e := range events {
		if e.ID == uuid.Nil || e.Type == "" || e.Version < 1 || !json.Valid(e.Data) {
			return fmt.Errorf("append %s: event %d (%s): %w", stream, i, e.Type, eventstore.ErrInvalidEvent)
		}
	}
	return nil
}

// conflictError marks a unique-key violation on insert.
type conflictError struct{ eventID bool }

func (e *conflictError) Error() string { return "unique key violated" }

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func (s *Store) lastVersion(ctx context.Context, q querier, stream string) (uint64, bool, error) {
	var v *int64
	err := q.QueryRow(ctx, `SELECT max(stream_version) FROM events WHERE stream = $1`, stream).Scan(&v)
	if err != nil || v == nil {
		return 0, false, err
	}
	return uint64(*v), true, nil
}

// appendSQL checks the expected version and inserts the events in one
// statement, so that an append costs one round trip and, outside tests, one
// implicit transaction.
//
// Order: the guard reads the stream's last version from committed rows, and
// the transaction id is assigned by the first row inserted, after that read.
// Every earlier writer of the stream had committed, so holds a smaller
// transaction id: per-stream order is kept inside the global
// (transaction_id, position) order. A writer that did not see a concurrent
// one's row collides with it on (stream, stream_version) instead.
//
// $2 is the guard: 0 any, 1 no stream, 2 stream exists, 3 exact version $3.
// The statement returns one row per event inserted, each carrying the
// stream's version before the append, or a single row with only that
// version when the guard did not hold.
const appendSQL = `
WITH last AS (
	SELECT max(stream_version) AS v FROM events WHERE stream = $1
), ins AS (
	INSERT INTO events (event_id, stream, stream_version, type, schema_version, data, metadata)
	SELECT e.id, $1, coalesce(last.v + 1, 0) + e.ord - 1, e.type, e.ver, e.data, e.md
	FROM last, unnest($4::uuid[], $5::text[], $6::int[], $7::json[], $8::json[]) WITH ORDINALITY AS e(id, type, ver, data, md, ord)
	WHERE CASE $2::int
		WHEN 1 THEN last.v IS NULL
		WHEN 2 THEN last.v IS NOT NULL
		WHEN 3 THEN last.v = $3::bigint
		ELSE true END
	ORDER BY e.ord
	RETURNING transaction_id::text::bigint AS xid, position, stream_version
)
SELECT last.v, ins.xid, ins.position, ins.stream_version
FROM last LEFT JOIN ins ON true
ORDER BY ins.stream_version`

// appendOneSQL is appendSQL for the common append of a single event: the
// same guard and order, without the arrays.
const appendOneSQL = `
WITH last AS (
	SELECT max(stream_version) AS v FROM events WHERE stream = $1
), ins AS (
	INSERT INTO events (event_id, stream, stream_version, type, schema_version, data, metadata)
	SELECT $4::uuid, $1, coalesce(last.v + 1, 0), $5::text, $6::int, $7::json, $8::json
	FROM last
	WHERE CASE $2::int
		WHEN 1 THEN last.v IS NULL
		WHEN 2 THEN last.v IS NOT NULL
		WHEN 3 THEN last.v = $3::bigint
		ELSE true END
	RETURNING transaction_id::text::bigint AS xid, position, stream_version
)
SELECT last.v, ins.xid, ins.position, ins.stream_version
FROM last LEFT JOIN ins ON true`

// guard encodes expected as the $2 and $3 of appendSQL.
func guard(expected eventstore.ExpectedVersion) (kind int32, version int64) {
	switch {
	case expected.IsNoStream():
		return 1, 0
	case expected.IsStreamExists():
		return 2, 0
	}
	if v, ok := expected.ExactVersion(); ok {
		if v > math.MaxInt64 {
			return 3, -1 // no stream gets that far
		}
		return 3, int64(v)
	}
	return 0, 0
}

// insertOutcome is what appendSQL did.
type insertOutcome struct {
	appended bool
	result   eventstore.AppendResult
	// current and exists describe the stream before the append.
	current uint64
	exists  bool
}

func (s *Store) insert(ctx context.Context, stream string, expected eventstore.ExpectedVersion, events []eventschema.Proposed) (insertOutcome, error) {
	kind, version := guard(expected)
	query, args, err := appendArgs(stream, kind, version, events)
	if err != nil {
		return insertOutcome{}, err
	}

	if s.CommitDelay == nil {
		out, err := scanInsert(s.pool.Query(ctx, query, args...))
		return out, asConflict(err)
	}
	// Tests stretch the time between the insert and its commit, so the
	// statement runs in an explicit transaction here.
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return insertOutcome{}, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	out, err := scanInsert(tx.Query(ctx, query, args...))
	if err != nil || !out.appended {
		return out, asConflict(err)
	}
	time.Sleep(s.CommitDelay())
	return out, asConflict(tx.Commit(ctx))
}

// appendArgs picks the statement for events and lays out its arguments.
func appendArgs(stream string, kind int32, version int64, events []eventschema.Proposed) (string, []any, error) {
	if len(events) == 1 {
		e := events[0]
		md, err := json.Marshal(e.Metadata)
		if err != nil {
			return "", nil, err
		}
		return appendOneSQL, []any{stream, kind, version, pgUUID(e.ID), e.Type, int32(e.Version), string(e.Data), string(md)}, nil
	}
	ids := make([]pgtype.UUID, len(events))
	types := make([]string, len(events))
	vers := make([]int32, len(events))
	datas := make([]string, len(events))
	mds := make([]string, len(events))
	for i, e := range events {
		md, err := json.Marshal(e.Metadata)
		if err != nil {
			return "", nil, err
		}
		ids[i], types[i], vers[i], datas[i], mds[i] = pgUUID(e.ID), e.Type, int32(e.Version), string(e.Data), string(md)
	}
	return appendSQL, []any{stream, kind, version, ids, types, vers, datas, mds}, nil
}

// pgUUID hands id to pgx in its native form; uuid.UUID would be encoded
// through its text form.
func pgUUID(id uuid.UUID) pgtype.UUID { return pgtype.UUID{Bytes: id, Valid: true} }

func scanInsert(rows pgx.Rows, err error) (insertOutcome, error) {
	if err != nil {
		return insertOutcome{}, err
	}
	defer rows.Close()
	var out insertOutcome
	for rows.Next() {
		var last, xid, pos, ver *int64
		if err := rows.Scan(&last, &xid, &pos, &ver); err != nil {
			return insertOutcome{}, err
		}
		if last != nil {
			out.current, out.exists = uint64(*last), true
		}
		if xid != nil {
			out.appended = true
			out.result = eventstore.AppendResult{Version: uint64(*ver), Position: eventschema.Position{Commit: uint64(*xid), Prepare: uint64(*pos)}}
		}
	}
	return out, rows.Err()
}

func asConflict(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return &conflictError{eventID: pgErr.ConstraintName == "events_event_id_key"}
	}
	return err
}

// alreadyAppended reports whether events are already stored in stream as a
// consecutive run that the expected version admits: the signature of a
// retried append.
func (s *Store) alreadyAppended(ctx context.Context, q querier, stream string, expected eventstore.ExpectedVersion, events []eventschema.Proposed) (eventstore.AppendResult, bool, error) {
	ids := make([]uuid.UUID, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	rows, err := q.Query(ctx, `
		SELECT event_id, stream, stream_version, transaction_id::text::bigint, position
		FROM events WHERE event_id = ANY($1) ORDER BY stream_version`, ids)
	if err != nil {
		return eventstore.AppendResult{}, false, err
	}
	defer rows.Close()
	var found []struct {
		id      uuid.UUID
		stream  string
		version int64
		xid     int64
		pos     int64
	}
	for rows.Next() {
		var f struct {
			id      uuid.UUID
			stream  string
			version int64
			xid     int64
			pos     int64
		}
		if err := rows.Scan(&f.id, &f.stream, &f.version, &f.xid, &f.pos); err != nil {
			return eventstore.AppendResult{}, false, err
		}
		found = append(found, f)
	}
	if err := rows.Err(); err != nil || len(found) != len(events) {
		return eventstore.AppendResult{}, false, err
	}
	for i, f := range found {
		if f.stream != stream || f.id != events[i].ID || f.version != found[0].version+int64(i) {
			return eventstore.AppendResult{}, false, nil
		}
	}
	first := uint64(found[0].version)
	if v, ok := expected.ExactVersion(); ok && first != v+1 {
		return eventstore.AppendResult{}, false, nil
	}
	if expected.IsNoStream() && first != 0 {
		return eventstore.AppendResult{}, false, nil
	}
	last := found[len(found)-1]
	return eventstore.AppendResult{
		Version:  uint64(last.version),
		Position: eventschema.Position{Commit: uint64(last.xid), Prepare: uint64(last.pos)},
	}, true, nil
}

const selectColumns = `event_id, type, schema_version, stream, stream_version,
	transaction_id::text::bigint, position, recorded_at, data, metadata`

func scanEnvelopes(rows pgx.Rows) ([]eventschema.Envelope, error) {
	defer rows.Close()
	var out []eventschema.Envelope
	for rows.Next() {
		var (
			e        eventschema.Envelope
			ver      int64
			xid, pos int64
			data, md []byte
		)
		if err := rows.Scan(&e.ID, &e.Type, &e.Version, &e.Stream, &ver, &xid, &pos, &e.RecordedAt, &data, &md); err != nil {
			return nil, err
		}
		e.StreamVersion = uint64(ver)
		e.Position = eventschema.Position{Commit: uint64(xid), Prepare: uint64(pos)}
		e.Data = data
		if err := json.Unmarshal(md, &e.Metadata); err != nil {
			return nil, fmt.Errorf("event %s metadata: %w", e.ID, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, dir eventstore.Direction, from uint64, limit int) ([]eventschema.Envelope, error) {
	q := `SELECT ` + selectColumns + ` FROM events WHERE stream = $1 AND stream_version >= $2 ORDER BY stream_version LIMIT $3`
	start := int64(from)
	if dir == eventstore.Backwards {
		q = `SELECT ` + selectColumns + ` FROM events WHERE stream = $1 AND stream_version <= $2 ORDER BY stream_version DESC LIMIT $3`
		if from > uint64(1<<63-1) {
			start = 1<<63 - 1
		}
	} else if from > uint64(1<<63-1) {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, q, stream, start, limit)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", stream, err)
	}
	out, err := scanEnvelopes(rows)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", stream, err)
	}
	return out, nil
}

// ReadAll implements eventstore.Store. It returns only events of
// transactions older than every transaction still running, so a later read
// never finds an event before a position already returned.
func (s *Store) ReadAll(ctx context.Context, after eventschema.Position, limit int) ([]eventschema.Envelope, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT `+selectColumns+` FROM events
		WHERE (transaction_id, position) > ($1::text::xid8, $2)
		  AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
		-- Qualified: the select list has bigint casts named like these
		-- columns, and ordering by those would sort the whole table.
		ORDER BY events.transaction_id, events.position
		LIMIT $3`, fmt.Sprint(after.Commit), int64(after.Prepare), limit)
	if err != nil {
		return nil, fmt.Errorf("read all after %s: %w", after, err)
	}
	out, err := scanEnvelopes(rows)
	if err != nil {
		return nil, fmt.Errorf("read all after %s: %w", after, err)
	}
	return out, nil
}

// heldBack reports whether committed events after the position exist that
// ReadAll does not return yet because an older transaction is still running.
func (s *Store) heldBack(ctx context.Context, after eventschema.Position) (bool, error) {
	var held bool
	err := s.pool.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM events WHERE (transaction_id, position) > ($1::text::xid8, $2))`,
		fmt.Sprint(after.Commit), int64(after.Prepare)).Scan(&held)
	if err != nil {
		return false, fmt.Errorf("read all after %s: %w", after, err)
	}
	return held, nil
}

// subscribeBatch is how many events a subscriber reads per query.
const subscribeBatch = 512

// Subscribe implements eventstore.Store.
func (s *Store) Subscribe(ctx context.Context, after eventschema.Position, fn func(eventschema.Envelope) error) error {
	s.wake.listen()
	idle := 0
	for {
		woken := s.wake.wait() // taken before reading, so no wake-up is lost
		events, err := s.ReadAll(ctx, after, subscribeBatch)
		if err != nil {
			return err
		}
		for _, e := range events {
			if err := fn(e); err != nil {
				return err
			}
			after = e.Position
		}
		if len(events) == subscribeBatch {
			continue
		}
		if len(events) > 0 {
			idle = 0
			continue
		}
		// Nothing visible. If committed events exist past the visible
		// horizon, an older transaction (possibly one that never writes an
		// event, and so never wakes anyone) is holding them back: look again
		// within milliseconds. Otherwise wait for a wake-up, polling slowly
		// in case a notification from another process was lost.
		delay := s.PollInterval
		held, err := s.heldBack(ctx, after)
		if err != nil {
			return err
		}
		if held {
			delay = time.Millisecond << min(idle, 2)
		} else if idle < 8 {
			delay = min(delay, time.Millisecond<<idle)
		}
		idle++
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-woken:
			idle = 0
		case <-t.C:
		}
		t.Stop()
	}
}

// waker wakes subscribers: in this process directly after each append, in
// other processes through NOTIFY. Notifications are sent outside the append
// transaction by one goroutine that coalesces bursts, because NOTIFY inside
// a transaction serializes every committing writer on a database-wide lock.
type waker struct {
	pool *pgxpool.Pool

	mu      sync.Mutex
	ch      chan struct{} // closed and replaced on every wake-up
	pending chan struct{} // one slot: a NOTIFY is due
	stop    chan struct{}
	once    sync.Once
	listens sync.Once
	wg      sync.WaitGroup
}

func newWaker(pool *pgxpool.Pool) *waker {
	w := &waker{pool: pool, ch: make(chan struct{}), pending: make(chan struct{}, 1), stop: make(chan struct{})}
	w.wg.Add(1)
	go w.notifyLoop()
	return w
}

func (w *waker) wait() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ch
}

func (w *waker) broadcast() {
	w.mu.Lock()
	close(w.ch)
	w.ch = make(chan struct{})
	w.mu.Unlock()
}

func (w *waker) appended() {
	w.broadcast()
	select {
	case w.pending <- struct{}{}:
	default:
	}
}

// notifySQL sends the wake-up. A notifying transaction gets a transaction
// id, so its commit would wait for a WAL flush like an append's; a wake-up
// is only a hint (subscribers also poll), so it commits asynchronously and
// costs the appenders no flush.
const notifySQL = `SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, '')`

// notifyGap is the least time between two notifications, which bounds the
// extra delay of a subscriber in another process under load.
const notifyGap = 5 * time.Millisecond

func (w *waker) notifyLoop() {
	defer w.wg.Done()
	for {
		select {
		case <-w.stop:
			return
		case <-w.pending:
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, _ = w.pool.Exec(ctx, notifySQL, channel)
			cancel()
			// Each NOTIFY is a transaction of its own; under a stream of
			// appends, one per notifyGap wakes other processes as well
			// and leaves the database to the appenders. An isolated
			// append is still notified at once.
			t := time.NewTimer(notifyGap)
			select {
			case <-w.stop:
				t.Stop()
				return
			case <-t.C:
			}
		}
	}
}

// listen starts, once, a connection that turns notifications from other
// processes into wake-ups. It reconnects after failures.
func (w *waker) listen() {
	w.listens.Do(func() {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			ctx, cancel := context.WithCancel(context.Background())
			go func() { <-w.stop; cancel() }()
			for ctx.Err() == nil {
				_ = w.listenOnce(ctx)
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
		}()
	})
}

func (w *waker) listenOnce(ctx context.Context) error {
	conn, err := w.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		return err
	}
	defer conn.Exec(context.Background(), "UNLISTEN "+channel)
	for {
		w.broadcast() // also covers what was missed while reconnecting
		if _, err := conn.Conn().WaitForNotification(ctx); err != nil {
			return err
		}
	}
}

func (w *waker) close() {
	w.once.Do(func() { close(w.stop) })
	w.wg.Wait()
}
