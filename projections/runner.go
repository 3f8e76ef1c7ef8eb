package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"supportd/eventschema"
	"supportd/eventstore"
	"supportd/eventstore/postgres"
)

// ErrStopped is returned by WaitFor when a projector it waits for has
// stopped: the position will not be reached until the process restarts.
var ErrStopped = errors.New("projector stopped")

// State is the life-cycle state of a projector in a Runner.
type State string

// Projector states.
const (
	// StateStarting: its checkpoint is not loaded yet.
	StateStarting State = "starting"
	// StateRunning: it consumes the log.
	StateRunning State = "running"
	// StateStopped: an event kept failing; it consumes nothing more until
	// the process restarts.
	StateStopped State = "stopped"
)

// Status is one projector's health, as /readyz shows it.
type Status struct {
	Name  string `json:"name"`
	State State  `json:"state"`
	// Checkpoint is the position of the last event applied; events of
	// types the projector does not project count as applied, so it may be
	// ahead of the row in projection_checkpoints.
	Checkpoint eventschema.Position `json:"checkpoint"`
	// CheckpointAt is when this process last saw the checkpoint move.
	CheckpointAt time.Time `json:"checkpoint_at,omitzero"`
	// EventsBehind is how many events after the checkpoint the Runner has
	// seen in the log; Behind how long ago the oldest of them was recorded.
	EventsBehind int64         `json:"events_behind"`
	Behind       time.Duration `json:"behind_ns"`
	// LastError is the latest failure: the one that stopped the projector,
	// or a batch that could not be read or committed and is being retried.
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	// FailedAt and FailedType name the event a stopped projector could not
	// apply: the one after its checkpoint that it stopped on.
	FailedAt   eventschema.Position `json:"failed_at,omitzero"`
	FailedType string               `json:"failed_type,omitempty"`
}

// Runner runs projectors: a Watermill router with one handler per projector,
// fed by a Subscriber over the store's global log. Create it with NewRunner,
// set any tuning fields, then call Run once.
type Runner struct {
	// BatchSize is the most events a projector applies per transaction.
	BatchSize int
	// Retry is how a failing event is retried (Watermill's Retry
	// middleware) before its projector stops. Its ShouldRetry is consulted
	// after the Runner's own rule.
	Retry middleware.Retry
	// PollInterval is how long an idle projector waits before looking at
	// the log when nothing woke it.
	PollInterval time.Duration
	// Now is the clock lag is measured with.
	Now func() time.Time

	store   eventstore.Store
	pool    *pgxpool.Pool
	logger  *slog.Logger
	metrics *collector
	states  []*projectorState // sorted by name
	tracker *tracker

	mu      sync.Mutex
	changed chan struct{} // closed and replaced when any state changes
	ran     bool
}

// projectorState is guarded by Runner.mu, except p and handler.
type projectorState struct {
	p       Projector
	handler *message.Handler

	state        State
	checkpoint   eventschema.Position
	checkpointAt time.Time
	lastErr      error
	lastErrAt    time.Time
	failedAt     eventschema.Position
	failedType   string
}

// NewRunner returns a runner of projectors reading store and writing to the
// database behind pool, which must be migrated (readmodels.Migrate). Its
// metrics are registered with reg; nil registers nowhere.
func NewRunner(store eventstore.Store, pool *pgxpool.Pool, logger *slog.Logger, reg prometheus.Registerer, projectors ...Projector) (*Runner, error) {
	if len(projectors) == 0 {
		return nil, errors.New("projections: no projectors")
	}
	if logger == nil {
		logger = slog.Default()
	}
	r := &Runner{
		BatchSize: 500,
		Retry: middleware.Retry{
			MaxRetries:      4, // five tries in all
			InitialInterval: 100 * time.Millisecond,
			MaxInterval:     5 * time.Second,
			Multiplier:      2,
		},
		PollInterval: time.Second,
		Now:          time.Now,
		store:        store,
		pool:         pool,
		logger:       logger.With("component", "projections"),
		changed:      make(chan struct{}),
	}
	seen := map[string]bool{}
	for _, p := range projectors {
		if err := validate(p); err != nil {
			return nil, err
		}
		if seen[p.Name()] {
			return nil, fmt.Errorf("projections: two projectors named %s", p.Name())
		}
		seen[p.Name()] = true
		r.states = append(r.states, &projectorState{p: p, state: StateStarting})
	}
	sort.Slice(r.states, func(i, j int) bool { return r.states[i].p.Name() < r.states[j].p.Name() })
	r.metrics = newCollector(r)
	if reg != nil {
		if err := reg.Register(r.metrics); err != nil {
			return nil, fmt.Errorf("projections: register metrics: %w", err)
		}
	}
	return r, nil
}

// Run projects until ctx ends. A projector that stops does not end Run: the
// others go on, and Health reports it. While the database is away Run
// waits for it. Run returns an error only if it is called twice or
// Watermill's router cannot be made.
func (r *Runner) Run(ctx context.Context) error {
	r.mu.Lock()
	if r.ran {
		r.mu.Unlock()
		return errors.New("projections: Run called twice")
	}
	r.ran = true
	r.mu.Unlock()

	// The tracker starts at the slowest checkpoint, so it can measure
	// every projector's lag. The database may be away at start: wait for
	// it rather than end.
	var origin eventschema.Position
	for failures := 1; ; failures++ {
		var err error
		if origin, err = r.slowest(ctx); err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		r.logger.Warn("loading the checkpoints failed; retrying", "err", err)
		if !sleep(ctx, backoff(failures)) {
			return nil
		}
	}
	tr := newTracker(origin, r.PollInterval, 1<<20, max(20*r.BatchSize, 10000))
	r.mu.Lock()
	r.tracker = tr
	r.mu.Unlock()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() {
		defer wg.Done()
		tr.run(ctx, r.store, r.logger)
	}()

	sub := NewSubscriber(r.store, r.pool, SubscriberConfig{
		BatchSize: r.BatchSize,
		Wait:      tr.wait,
		// One reader for all: the tracker's subscription, the store only for
		// a projector too far behind it.
		Read: func(ctx context.Context, after eventschema.Position, limit int) ([]eventschema.Envelope, error) {
			if events, ok := tr.read(after, limit); ok {
				return events, nil
			}
			return r.store.ReadAll(ctx, after, limit)
		},
		Types:        r.types,
		OnCheckpoint: r.committed,
		OnError:      r.batchFailed,
		Logger:       r.logger,
	})
	defer sub.Close()
	router, err := message.NewRouter(message.RouterConfig{}, watermill.NewSlogLogger(r.logger))
	if err != nil {
		return fmt.Errorf("projections: %w", err)
	}
	retry := r.Retry
	retry.ShouldRetry = func(p middleware.RetryParams) bool {
		var iso *isolateError
		if errors.As(p.Err, &iso) {
			return false // the subscriber redelivers it alone
		}
		return r.Retry.ShouldRetry == nil || r.Retry.ShouldRetry(p)
	}
	for _, st := range r.states {
		name := st.p.Name()
		st.handler = router.AddConsumerHandler(name, name, sub, r.handle(st))
		// Outermost first: report a final failure, retry, turn panics into
		// errors.
		st.handler.AddMiddleware(r.report(st), retry.Middleware, middleware.Recoverer)
	}
	if err := router.Run(ctx); err != nil {
		return fmt.Errorf("projections: %w", err)
	}
	// The router also returns when every projector has stopped; the
	// process stays up to report them.
	<-ctx.Done()
	return nil
}

// types returns the event types of the projector named topic.
func (r *Runner) types(topic string) map[string]bool {
	if st := r.state(topic); st != nil {
		return selection(st.p)
	}
	return nil
}

// slowest loads every checkpoint, creating missing ones, and returns the
// earliest.
func (r *Runner) slowest(ctx context.Context) (eventschema.Position, error) {
	var origin eventschema.Position
	for i, st := range r.states {
		if err := ensureCheckpoint(ctx, r.pool, st.p.Name()); err != nil {
			return origin, fmt.Errorf("projections: %w", err)
		}
		cp, err := loadCheckpoint(ctx, r.pool, st.p.Name())
		if err != nil {
			return origin, fmt.Errorf("projections: %w", err)
		}
		r.mu.Lock()
		st.checkpoint = cp
		r.mu.Unlock()
		if i == 0 || cp.Less(origin) {
			origin = cp
		}
	}
	return origin, nil
}

// isolateError marks a failure of an event applied in a batch with others:
// the transaction may be aborted, so the event is not retried in it; the
// subscriber rolls back and delivers it again alone.
type isolateError struct{ err error }

func (e *isolateError) Error() string { return e.err.Error() }
func (e *isolateError) Unwrap() error { return e.err }

// handle applies one message's event with its projector.
func (r *Runner) handle(st *projectorState) message.NoPublishHandlerFunc {
	return func(msg *message.Message) error {
		ctx := msg.Context()
		d, ok := deliveryFrom(ctx)
		if !ok {
			return fmt.Errorf("project %s: message %s was not delivered by a projections.Subscriber", st.p.Name(), msg.UUID)
		}
		var err error
		if d.isolated {
			// A savepoint per attempt, statements run at once: a failed
			// attempt leaves nothing behind.
			tx, _ := TxFromContext(ctx)
			err = pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error {
				return st.p.Apply(ctx, txDB{sp}, d.event)
			})
		} else {
			err = st.p.Apply(ctx, d.db, d.event)
		}
		if err == nil {
			return nil
		}
		if ctx.Err() == nil {
			r.metrics.failures.WithLabelValues(st.p.Name()).Inc()
		}
		err = fmt.Errorf("project %s: %s %s at %s: %w", st.p.Name(), d.event.Type, d.event.ID, d.event.Position, err)
		if !d.isolated {
			return &isolateError{err}
		}
		return err
	}
}

// report stops a projector whose event failed on its own after every retry:
// it must not skip the event, and trying forever would hide the failure. A
// failure that says the database is away (postgres.Unavailable) does not
// stop it: the event is tried again once the database is back.
func (r *Runner) report(st *projectorState) message.HandlerMiddleware {
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			out, err := h(msg)
			var iso *isolateError
			if err == nil || errors.As(err, &iso) || msg.Context().Err() != nil {
				return out, err
			}
			if postgres.Unavailable(err) {
				// The database went away, not the event: the subscriber
				// delivers it again after a pause, in a new transaction.
				r.batchFailed(st.p.Name(), err)
				r.logger.Warn("projector waits for the database", "projector", st.p.Name(), "err", err)
				return out, err
			}
			e, _ := EventFromContext(msg.Context())
			r.mu.Lock()
			st.state = StateStopped
			st.lastErr, st.lastErrAt = err, r.Now()
			st.failedAt, st.failedType = e.Position, e.Type
			r.broadcastLocked()
			r.mu.Unlock()
			r.logger.Error("projector stopped: an event keeps failing",
				"projector", st.p.Name(), "event_id", e.ID, "event_type", e.Type,
				"position", e.Position.String(), "err", err)
			// The subscriber sees the nack that follows after the handler's
			// context has ended, so it does not deliver the event again.
			st.handler.Stop()
			return out, err
		}
	}
}

func (r *Runner) state(name string) *projectorState {
	i := sort.Search(len(r.states), func(i int) bool { return r.states[i].p.Name() >= name })
	if i < len(r.states) && r.states[i].p.Name() == name {
		return r.states[i]
	}
	return nil
}

// committed records a topic's new checkpoint.
func (r *Runner) committed(topic string, c Committed) {
	st := r.state(topic)
	if st == nil {
		return
	}
	r.metrics.events.WithLabelValues(topic).Add(float64(c.Events))
	r.mu.Lock()
	if st.state == StateStarting {
		st.state = StateRunning
	}
	st.checkpoint, st.checkpointAt = c.Position, r.Now()
	// Every checkpoint is known from the start (Run loads them), so a
	// projector still starting is not trimmed past.
	slowest := st.checkpoint
	for _, o := range r.states {
		if o.checkpoint.Less(slowest) {
			slowest = o.checkpoint
		}
	}
	r.broadcastLocked()
	tr := r.tracker
	r.mu.Unlock()
	if tr != nil {
		tr.trim(slowest)
	}
}

func (r *Runner) batchFailed(topic string, err error) {
	st := r.state(topic)
	if st == nil {
		return
	}
	r.metrics.failures.WithLabelValues(topic).Inc()
	r.mu.Lock()
	st.lastErr, st.lastErrAt = err, r.Now()
	r.broadcastLocked()
	r.mu.Unlock()
}

func (r *Runner) broadcastLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// Health returns every projector's status, sorted by name.
func (r *Runner) Health() []Status {
	r.mu.Lock()
	out := make([]Status, len(r.states))
	for i, st := range r.states {
		out[i] = Status{
			Name:         st.p.Name(),
			State:        st.state,
			Checkpoint:   st.checkpoint,
			CheckpointAt: st.checkpointAt,
			LastErrorAt:  st.lastErrAt,
			FailedAt:     st.failedAt,
			FailedType:   st.failedType,
		}
		if st.lastErr != nil {
			out[i].LastError = st.lastErr.Error()
		}
	}
	tr := r.tracker
	r.mu.Unlock()
	if tr == nil {
		return out
	}
	now := r.Now()
	for i := range out {
		if out[i].State == StateStarting {
			continue
		}
		n, oldest := tr.lag(out[i].Checkpoint)
		out[i].EventsBehind = n
		if n > 0 {
			out[i].Behind = max(now.Sub(oldest), 0)
		}
	}
	return out
}

// WaitFor blocks until the named projectors (all when none are named) have
// applied the event at pos, so that a query after it reads the caller's own
// writes. It fails with ErrStopped if one of them has stopped, and with the
// context's error when ctx ends first.
func (r *Runner) WaitFor(ctx context.Context, pos eventschema.Position, projectors ...string) error {
	return r.waitFor(ctx, pos, false, projectors...)
}

// waitFor is WaitFor; with passStopped set, a stopped projector is passed
// over instead of failing the wait.
func (r *Runner) waitFor(ctx context.Context, pos eventschema.Position, passStopped bool, projectors ...string) error {
	states := r.states
	if len(projectors) > 0 {
		states = nil
		for _, name := range projectors {
			st := r.state(name)
			if st == nil {
				return fmt.Errorf("wait for %s: no projector %s", pos, name)
			}
			states = append(states, st)
		}
	}
	for {
		r.mu.Lock()
		changed := r.changed
		reached := true
		for _, st := range states {
			if st.state == StateStopped && passStopped {
				continue
			}
			if st.state == StateStopped {
				r.mu.Unlock()
				return fmt.Errorf("wait for %s: %s: %w", pos, st.p.Name(), ErrStopped)
			}
			if st.state == StateStarting || st.checkpoint.Less(pos) {
				reached = false
			}
		}
		r.mu.Unlock()
		if reached {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w", pos, ctx.Err())
		case <-changed:
		}
	}
}
