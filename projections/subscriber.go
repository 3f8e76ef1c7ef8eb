package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"supportd/eventschema"
	"supportd/eventstore"
)

// ErrSubscriberClosed is returned by Subscribe after Close.
var ErrSubscriberClosed = errors.New("subscriber is closed")

// SubscriberConfig tunes a Subscriber. Zero fields take their defaults.
type SubscriberConfig struct {
	// BatchSize is the most events applied in one transaction. Larger
	// batches commit less often; smaller ones show rows sooner. Default 500.
	BatchSize int

	// Wait blocks until the log may hold events after position after, or
	// ctx ends. The Runner wakes it from one store subscription shared by
	// all projectors. Nil polls the store, backing off up to PollInterval.
	Wait func(ctx context.Context, after eventschema.Position) error

	// PollInterval bounds the polling backoff when Wait is nil. Default
	// 50ms, which keeps new rows visible well within 100 ms.
	PollInterval time.Duration

	// RetryInterval is the first pause after the database or the store
	// failed, or after an event failed on its own; it doubles up to
	// MaxRetryInterval. Defaults 100ms and 5s.
	RetryInterval    time.Duration
	MaxRetryInterval time.Duration

	// OnCheckpoint, when set, is called with a topic's checkpoint once it is
	// loaded, after every committed batch, and when a batch finds that
	// another process moved it.
	OnCheckpoint func(topic string, c Committed)

	// OnError, when set, is called when a batch could not be read or
	// committed (it will be tried again).
	OnError func(topic string, err error)

	// Logger receives warnings about failed batches. Default slog.Default().
	Logger *slog.Logger

	// Types, when set, returns the event types a topic handles, nil for
	// every type. The others are not delivered: a batch that holds none of
	// a topic's types opens no transaction, and the topic's checkpoint
	// moves past them lazily (see SkipSaveEvents).
	Types func(topic string) map[string]bool

	// SkipSaveEvents and SkipSaveInterval bound how far a topic's
	// checkpoint in the database may trail the events it skipped: it is
	// saved with the topic's next batch, or alone once this many events were
	// skipped or the first of them was skipped this long ago. Restarting
	// from a checkpoint that trails only reads those events again. Defaults
	// 10 batches and 1s.
	SkipSaveEvents   int
	SkipSaveInterval time.Duration

	// Read reads up to limit events after position after, like the store's
	// ReadAll, which it defaults to. The Runner serves them from the one
	// subscription all its projectors share.
	Read func(ctx context.Context, after eventschema.Position, limit int) ([]eventschema.Envelope, error)
}

func (c *SubscriberConfig) setDefaults() {
	if c.BatchSize <= 0 {
		c.BatchSize = 500
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 50 * time.Millisecond
	}
	if c.RetryInterval <= 0 {
		c.RetryInterval = 100 * time.Millisecond
	}
	if c.MaxRetryInterval <= 0 {
		c.MaxRetryInterval = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.SkipSaveEvents <= 0 {
		c.SkipSaveEvents = 10 * c.BatchSize
	}
	if c.SkipSaveInterval <= 0 {
		c.SkipSaveInterval = time.Second
	}
}

// Committed describes a topic's checkpoint after a batch.
type Committed struct {
	// Position is the checkpoint: the last event applied.
	Position eventschema.Position
	// Events is how many events the batch applied; 0 for the checkpoint
	// loaded when the subscription starts.
	Events int
	// RecordedAt is when the store recorded the last event of the batch.
	RecordedAt time.Time
}

// Subscriber is a Watermill subscriber over the global log of an event
// store, for projectors. A topic is a projector name; each topic's
// checkpoint lives in the read-model database (table
// projection_checkpoints).
//
// For every batch it opens one transaction on the read-model pool, locks the
// topic's checkpoint row (SELECT ... FOR UPDATE, so only one subscriber of a
// topic works at a time across processes), reads the next events after the
// checkpoint and hands them out one by one, each message's context carrying
// the transaction (TxFromContext) and the event (EventFromContext). Each
// message must be acked before the next is sent. When the whole batch is
// acked the checkpoint moves to its last event in the same transaction,
// which then commits: the handler's writes and the checkpoint succeed or
// fail together.
//
// Events of types the topic does not handle (SubscriberConfig.Types) are
// not delivered. They are read before any transaction begins: a batch with
// none of the topic's events only moves its position in memory, which
// counts as applied (OnCheckpoint reports it), and the checkpoint row
// follows lazily, with the topic's next batch or in a short update of its
// own. The row never passes an event the topic has not applied, so a
// restart resumes at or before the first such event.
//
// A nack rolls the transaction back and the batch is delivered again. The
// failed event is then delivered alone, marked isolated, after the events
// before it are committed: the Runner applies an isolated event inside a
// savepoint so that its retries start clean. Savepoints are not taken for
// every event because each savepoint that writes keeps a subtransaction id
// until commit, and more than 64 of them in one transaction slow down every
// snapshot taken in the database.
//
// Handlers should write through DBFromContext, which queues statements and
// sends them in one round trip at the end of the batch; a statement that
// fails then is blamed on the event that queued it, which is delivered again
// alone.
//
// Messages carry the event's data as payload and its type, stream, stream
// version and position as metadata.
type Subscriber struct {
	store eventstore.Store
	pool  *pgxpool.Pool
	cfg   SubscriberConfig

	mu      sync.Mutex
	closed  bool
	closing chan struct{}
	wg      sync.WaitGroup
}

var _ message.Subscriber = (*Subscriber)(nil)

// NewSubscriber returns a subscriber reading store and keeping checkpoints
// and read models in the database behind pool.
func NewSubscriber(store eventstore.Store, pool *pgxpool.Pool, cfg SubscriberConfig) *Subscriber {
	cfg.setDefaults()
	if cfg.Read == nil {
		cfg.Read = store.ReadAll
	}
	return &Subscriber{store: store, pool: pool, cfg: cfg, closing: make(chan struct{})}
}

// Subscribe implements message.Subscriber. The channel is closed when ctx
// ends or the subscriber is closed.
func (s *Subscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	if !identifier.MatchString(topic) {
		return nil, fmt.Errorf("subscribe %q: a topic is a projector name", topic)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrSubscriberClosed
	}
	out := make(chan *message.Message)
	ctx, cancel := context.WithCancel(ctx)
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		select {
		case <-s.closing:
			cancel()
		case <-ctx.Done():
		}
	}()
	go func() {
		defer s.wg.Done()
		defer close(out)
		defer cancel()
		s.consume(ctx, topic, out)
	}()
	return out, nil
}

// Close implements message.Subscriber: it stops every subscription and
// waits until their transactions have ended.
func (s *Subscriber) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.closing)
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// batchResult is what one batch came to.
type batchResult struct {
	read       int // events read, applied or skipped
	applied    int
	recordedAt time.Time             // of the last event read
	nacked     *eventschema.Position // the event whose message was nacked
	isolated   bool                  // it was delivered alone
	moved      bool                  // another process moved the checkpoint
}

// cursor is how far a topic has gone: known is its checkpoint row as this
// subscriber last saw or wrote it, at is at or after known, and every
// event in (known, at] is of a type the topic does not handle.
type cursor struct {
	known, at eventschema.Position
	skipped   int       // events in (known, at]
	skippedAt time.Time // when the first of them was skipped
}

// follow adopts a checkpoint another process (a replica, a rebuild) wrote.
func (c *cursor) follow(cp eventschema.Position) {
	c.known, c.at, c.skipped = cp, cp, 0
}

func (s *Subscriber) consume(ctx context.Context, topic string, out chan<- *message.Message) {
	log := s.cfg.Logger.With("projector", topic)
	var types map[string]bool
	if s.cfg.Types != nil {
		types = s.cfg.Types(topic)
	}
	var (
		isolate  *eventschema.Position // deliver this event alone
		failures int
		idle     int
		started  bool
		cur      cursor
		notified eventschema.Position // position last notified
	)
	defer func() {
		// Keep what was skipped for the next start, if the database lets us
		// quickly.
		if started && cur.skipped > 0 {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			defer cancel()
			_ = s.saveSkipped(sctx, topic, &cur, true)
		}
	}()
	for ctx.Err() == nil {
		if !started {
			cp, err := s.start(ctx, topic)
			if err == nil {
				started, notified = true, cp
				cur.follow(cp)
				s.notify(topic, Committed{Position: cp})
				continue
			}
			failures++
			s.failed(ctx, log, topic, err)
			if !sleep(ctx, s.backoff(failures)) {
				return
			}
			continue
		}
		r, err := s.batch(ctx, topic, types, out, isolate, &cur)
		if err == nil && r.read == 0 && r.nacked == nil && !r.moved {
			err = s.saveSkipped(ctx, topic, &cur, false)
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			failures++
			s.failed(ctx, log, topic, err)
			if !sleep(ctx, s.backoff(failures)) {
				return
			}
			continue
		}
		failures = 0
		// Another instance may have moved the checkpoint: report that too,
		// so that WaitFor works on every replica. Skipped events count as
		// applied.
		if r.applied > 0 || cur.at != notified {
			notified = cur.at
			s.notify(topic, Committed{Position: cur.at, Events: r.applied, RecordedAt: r.recordedAt})
		}
		if isolate != nil && !cur.at.Less(*isolate) {
			isolate = nil // applied, here or by another instance
		}
		switch {
		case r.nacked != nil:
			if r.isolated {
				// It failed alone, after its handler's own retries. A Runner
				// stops the projector before nacking, which ends ctx; a bare
				// subscriber keeps trying, slowly.
				if !sleep(ctx, s.cfg.MaxRetryInterval) {
					return
				}
			}
			isolate = r.nacked
		case r.read > 0 || r.moved:
			idle = 0
			if cur.skipped >= s.cfg.SkipSaveEvents {
				if err := s.saveSkipped(ctx, topic, &cur, true); err != nil && ctx.Err() == nil {
					s.failed(ctx, log, topic, err)
				}
			}
		default:
			// Caught up. Wake in time to save what was skipped.
			wctx, cancel := ctx, context.CancelFunc(func() {})
			if cur.skipped > 0 {
				wctx, cancel = context.WithDeadline(ctx, cur.skippedAt.Add(s.cfg.SkipSaveInterval))
			}
			err := s.wait(wctx, cur.at, idle)
			cancel()
			if ctx.Err() != nil {
				return
			}
			if err == nil {
				idle++
			}
		}
	}
}

// saveSkipped writes a topic's position past skipped events to its
// checkpoint row, when due or forced, unless another process moved the
// row meanwhile; then the topic follows that process. It is one short
// statement, with no lock held while waiting.
func (s *Subscriber) saveSkipped(ctx context.Context, topic string, cur *cursor, force bool) error {
	if cur.skipped == 0 {
		return nil
	}
	if !force && cur.skipped < s.cfg.SkipSaveEvents && time.Since(cur.skippedAt) < s.cfg.SkipSaveInterval {
		return nil
	}
	moved, err := advanceCheckpoint(ctx, s.pool, topic, cur.known, cur.at)
	if err != nil {
		return err
	}
	if !moved {
		cp, err := loadCheckpoint(ctx, s.pool, topic)
		if err != nil {
			return err
		}
		cur.follow(cp)
		return nil
	}
	cur.known, cur.skipped = cur.at, 0
	return nil
}

func (s *Subscriber) start(ctx context.Context, topic string) (eventschema.Position, error) {
	if err := ensureCheckpoint(ctx, s.pool, topic); err != nil {
		return eventschema.Position{}, err
	}
	return loadCheckpoint(ctx, s.pool, topic)
}

func (s *Subscriber) failed(ctx context.Context, log *slog.Logger, topic string, err error) {
	if ctx.Err() != nil {
		return
	}
	log.Warn("projection batch failed; retrying", "err", err)
	if s.cfg.OnError != nil {
		s.cfg.OnError(topic, err)
	}
}

func (s *Subscriber) notify(topic string, c Committed) {
	if s.cfg.OnCheckpoint != nil {
		s.cfg.OnCheckpoint(topic, c)
	}
}

func (s *Subscriber) backoff(failures int) time.Duration {
	d := s.cfg.RetryInterval << min(failures-1, 16)
	return min(d, s.cfg.MaxRetryInterval)
}

func (s *Subscriber) wait(ctx context.Context, after eventschema.Position, idle int) error {
	if s.cfg.Wait != nil {
		return s.cfg.Wait(ctx, after)
	}
	if !sleep(ctx, min(s.cfg.PollInterval, time.Millisecond<<min(idle, 16))) {
		return ctx.Err()
	}
	return nil
}

// batch reads the events after the topic's position and, if it handles
// any, runs one transaction: lock the checkpoint, deliver them, save it
// past the batch's last event.
func (s *Subscriber) batch(ctx context.Context, topic string, types map[string]bool, out chan<- *message.Message, isolate *eventschema.Position, cur *cursor) (batchResult, error) {
	var r batchResult
	events, err := s.cfg.Read(ctx, cur.at, s.cfg.BatchSize)
	if err != nil {
		return r, fmt.Errorf("project %s: %w", topic, err)
	}
	if len(events) == 0 {
		return r, nil
	}
	ours := func(e *eventschema.Envelope) bool {
		return types == nil || types[e.Type] || (isolate != nil && e.Position == *isolate)
	}
	if !slices.ContainsFunc(events, func(e eventschema.Envelope) bool { return ours(&e) }) {
		if cur.skipped == 0 {
			cur.skippedAt = time.Now()
		}
		last := events[len(events)-1]
		cur.at, cur.skipped = last.Position, cur.skipped+len(events)
		r.read, r.recordedAt = len(events), last.RecordedAt
		return r, nil
	}

	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return r, fmt.Errorf("project %s: begin: %w", topic, err)
	}
	// Rolling back after a commit does nothing; the context may have ended.
	defer tx.Rollback(context.WithoutCancel(ctx))

	cp, err := lockCheckpoint(ctx, tx, topic)
	if err != nil {
		return r, err
	}
	if cp != cur.known {
		// Another process moved it: go on from there.
		cur.follow(cp)
		r.moved = true
		return r, nil
	}
	db := &batchDB{tx: tx, limit: pipelineLimit}
	// nack rolls back now, so the row lock is not held while waiting, and
	// blames the event whose statement failed, which may be an earlier one
	// than the event nacked.
	nack := func(e *eventschema.Envelope, alone bool) (batchResult, error) {
		if err := tx.Rollback(context.WithoutCancel(ctx)); err != nil && !errors.Is(err, pgx.ErrTxClosed) {
			s.cfg.Logger.Warn("rollback after nack failed", "projector", topic, "err", err)
		}
		if db.failed != nil && db.failed.Position != e.Position {
			e, alone = db.failed, false
		}
		r.nacked, r.isolated = &e.Position, alone
		return r, nil
	}
	n, applied := 0, 0 // events[:n] are done with
	for i := range events {
		e := &events[i]
		if !ours(e) {
			n = i + 1
			continue
		}
		alone := isolate != nil && e.Position == *isolate
		if alone && applied > 0 {
			break // commit what precedes it first
		}
		db.cur = e
		acked, err := s.deliver(ctx, out, &delivery{tx: tx, db: db, event: *e, isolated: alone})
		if err != nil {
			return r, err
		}
		if !acked {
			return nack(e, alone)
		}
		n, applied = i+1, applied+1
		if alone {
			break
		}
	}
	last := events[n-1]
	db.cur = nil
	if err := finish(ctx, db, topic, last.Position); err != nil {
		if ctx.Err() != nil || db.failed == nil {
			return r, fmt.Errorf("project %s: %w", topic, err)
		}
		s.failed(ctx, s.cfg.Logger.With("projector", topic), topic, err)
		return nack(db.failed, false)
	}
	if err := tx.Commit(ctx); err != nil {
		return r, fmt.Errorf("project %s: commit at %s: %w", topic, last.Position, err)
	}
	cur.follow(last.Position)
	r.read, r.applied, r.recordedAt = n, applied, last.RecordedAt
	return r, nil
}

// finish queues the checkpoint after the batch's rows and sends them all.
//
// The commit does not wait for the disk (synchronous_commit off). Read
// models are derived: a server crash that loses the last commits loses
// their rows and their checkpoint together, and the events are applied
// again. Not waiting makes each batch shorter, and a batch's transaction
// holds back the store's log for every reader while it runs.
func finish(ctx context.Context, db *batchDB, topic string, pos eventschema.Position) error {
	if err := db.Exec(ctx, `SELECT set_config('synchronous_commit', 'off', true)`); err != nil {
		return err
	}
	if err := saveCheckpoint(ctx, db, topic, pos); err != nil {
		return err
	}
	return db.flush(ctx)
}

// deliver hands one event out and waits for its verdict. It reports an
// error only when ctx ended before anyone took the message.
func (s *Subscriber) deliver(ctx context.Context, out chan<- *message.Message, d *delivery) (bool, error) {
	e := d.event
	msg := message.NewMessage(e.ID.String(), message.Payload(e.Data))
	msg.Metadata.Set("event_type", e.Type)
	msg.Metadata.Set("stream", e.Stream)
	msg.Metadata.Set("stream_version", strconv.FormatUint(e.StreamVersion, 10))
	msg.Metadata.Set("position", e.Position.String())
	msg.SetContext(context.WithValue(ctx, deliveryKey{}, d))
	select {
	case out <- msg:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	// Once taken, the handler uses the transaction until it acks or nacks,
	// so wait for that even if ctx ends: the handler's statements fail
	// with ctx and it nacks.
	select {
	case <-msg.Acked():
		return true, nil
	case <-msg.Nacked():
		return false, nil
	}
}

type deliveryKey struct{}

// delivery is what a message's context carries.
type delivery struct {
	tx       pgx.Tx
	db       *batchDB // queues statements in tx for the whole batch
	event    eventschema.Envelope
	isolated bool
}

func deliveryFrom(ctx context.Context) (*delivery, bool) {
	d, ok := ctx.Value(deliveryKey{}).(*delivery)
	return d, ok
}

// TxFromContext returns the batch transaction of a message delivered by a
// Subscriber. Writes made in it commit with the checkpoint when the whole
// batch is acked, and are rolled back by a nack. Statements queued through
// DBFromContext are sent first, so the two keep their order.
func TxFromContext(ctx context.Context) (pgx.Tx, bool) {
	d, ok := deliveryFrom(ctx)
	if !ok {
		return nil, false
	}
	_ = d.db.flush(ctx) // a failure aborts tx, which its user then sees
	return d.tx, true
}

// DBFromContext returns the batch transaction of a message delivered by a
// Subscriber as a DB that queues statements and sends them all when the
// batch ends: the fast way to write read-model rows.
func DBFromContext(ctx context.Context) (DB, bool) {
	d, ok := deliveryFrom(ctx)
	if !ok {
		return nil, false
	}
	return d.db, true
}

// EventFromContext returns the event of a message delivered by a Subscriber.
func EventFromContext(ctx context.Context) (eventschema.Envelope, bool) {
	d, ok := deliveryFrom(ctx)
	if !ok {
		return eventschema.Envelope{}, false
	}
	return d.event, true
}

// sleep waits for d or until ctx ends, reporting whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
