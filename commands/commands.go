// Package commands is the write side: one handler per command, each loading
// an aggregate by folding its stream, asking domain/ to decide, and
// appending the decided events with the expected version.
//
// Every command carries an ID. Its events get IDs derived from it, so a
// command retried by a client (same Idempotency-Key) either finds its events
// already in the stream and answers as before, or re-appends the same event
// IDs, which the store treats as a no-op.
package commands

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/google/uuid"

	"supportd/eventschema"
	"supportd/eventstore"
	"supportd/secrets"
)

// Clock tells the time. Tests inject a fixed one.
type Clock interface{ Now() time.Time }

// SystemClock is the wall clock.
type SystemClock struct{}

// Now implements Clock.
func (SystemClock) Now() time.Time { return time.Now().UTC() }

// Meta is who issues a command and why: it becomes every event's metadata.
type Meta struct {
	TenantID      uuid.UUID
	Actor         eventschema.Actor
	CommandID     uuid.UUID // the Idempotency-Key, or a fresh ID
	CorrelationID uuid.UUID // zero: the command ID
	CausationID   uuid.UUID // zero: the command ID
	// IfVersion, when set, is the stream version the client last saw; the
	// command fails with ErrVersionMismatch if the stream moved on.
	IfVersion *uint64
}

// Result is where a command left its stream: the version and global
// position of the last event written (or of the stream as it was, when the
// command decided nothing).
type Result struct {
	Stream   string               `json:"stream"`
	Version  uint64               `json:"version"`
	Position eventschema.Position `json:"position"`
	// Events is how many events the command appended.
	Events int `json:"events"`
}

// Handler runs commands against a store.
type Handler struct {
	store    eventstore.Store
	registry *eventschema.Registry
	clock    Clock

	// Passwords hashes user passwords; bcrypt at its default cost unless set.
	Passwords Passwords
	// Credentials keeps the password hashes (never the log); required by
	// the commands that set or check passwords.
	Credentials CredentialStore
	// WebhooksAllowPrivate accepts webhook URLs naming loopback, private
	// and other inward addresses (development and tests only).
	WebhooksAllowPrivate bool
	// Secrets seals webhook secrets before they enter the log; nil keeps
	// them plain (no --secret-key).
	Secrets *secrets.Sealer

	// Retries bounds how often a command is decided again after another
	// writer changed its stream first.
	Retries int

	// Blacklisted tells whether a customer is on the tenant's blacklist,
	// for StartConversation; nil means nobody is.
	Blacklisted func(ctx context.Context, tenantID, customerID uuid.UUID) (bool, error)
	// Ongoing lists a customer's conversations not yet closed, for the
	// close that blacklisting brings; nil means none.
	Ongoing func(ctx context.Context, tenantID, customerID uuid.UUID) ([]uuid.UUID, error)

	// states keeps folded states of the aggregates that allow it.
	states *stateCache
}

// NewHandler returns a command handler.
func NewHandler(store eventstore.Store, registry *eventschema.Registry, clock Clock) *Handler {
	return &Handler{store: store, registry: registry, clock: clock, Retries: 5, Passwords: Bcrypt{},
		states: newStateCache(DefaultStateCacheEvents)}
}

// Aggregate says how to rebuild an aggregate's state from its events.
type Aggregate[S any] struct {
	// Tenant owns the stream: every event folded must carry it, and every
	// command run against the aggregate must be the tenant's own.
	Tenant uuid.UUID
	Stream string
	Evolve func(S, any) S
	// Cache keeps the folded state between loads, so the next load folds
	// only the events appended since. Only for an Evolve that never changes
	// a state it is given (maps and slices copied on write): the kept state
	// is the starting point of every later load, in every goroutine.
	Cache bool
}

// ErrConflict is returned when a command lost the race for its stream more
// often than Handler.Retries allows.
var ErrConflict = errors.New("concurrent update; try again")

// ErrForeignStream is returned when a stream holds an event of another
// tenant than the aggregate's, or a command of one tenant names another's
// aggregate. Stream names are scoped by tenant, so this means a bug (or a
// log written by an older build); nothing is decided on such a stream.
var ErrForeignStream = errors.New("stream belongs to another tenant")

// ErrVersionMismatch is returned when Meta.IfVersion is not the stream's
// version.
var ErrVersionMismatch = errors.New("stream version does not match If-Match")

// loaded is an aggregate's state and where its stream stood.
type loaded[S any] struct {
	state    S
	version  uint64
	position eventschema.Position
	exists   bool
	// done is set when the stream already holds this command's events.
	done *Result
}

const readPage = 1000

// load folds agg's stream, starting from the cached state when agg allows
// it. The stream's tail is always read, so the state is as recent as a
// fold from the first event.
func load[S any](ctx context.Context, h *Handler, agg Aggregate[S], commandID uuid.UUID) (loaded[S], error) {
	if !agg.Cache || h.states == nil {
		return foldStream(ctx, h, agg, commandID, loaded[S]{}, 0, nil)
	}
	key := keyOf[S](agg.Stream)
	var (
		start loaded[S]
		from  uint64
		known *commandSet
	)
	// A command already (maybe) in the cached part is read from the start,
	// to answer what it did.
	if c, ok := h.states.get(key); ok && (commandID == uuid.Nil || !c.commands.has(commandID)) {
		start = loaded[S]{state: c.state.(S), version: c.version, position: c.position, exists: true}
		from, known = c.version+1, c.commands
	}
	seen := map[uint64]struct{}{}
	l, err := foldStream(ctx, h, agg, commandID, start, from, seen)
	if err != nil || !l.exists || (from > 0 && l.version < from) {
		return l, err
	}
	h.states.put(&cachedState{key: key, state: l.state, version: l.version, position: l.position, commands: known.with(seen)})
	return l, nil
}

// foldStream folds the events of agg's stream from version from onto l, adding
// the IDs of their commands to seen unless it is nil.
func foldStream[S any](ctx context.Context, h *Handler, agg Aggregate[S], commandID uuid.UUID, l loaded[S], from uint64, seen map[uint64]struct{}) (loaded[S], error) {
	for {
		page, err := h.readStream(ctx, agg.Tenant, agg.Stream, eventstore.Forwards, from, readPage)
		if err != nil {
			return l, fmt.Errorf("load: %w", err)
		}
		for _, e := range page {
			payload, err := h.registry.Decode(e)
			if err != nil {
				return l, fmt.Errorf("load %s@%d: %w", agg.Stream, e.StreamVersion, err)
			}
			l.state = agg.Evolve(l.state, payload)
			l.version, l.position, l.exists = e.StreamVersion, e.Position, true
			if seen != nil && e.Metadata.CommandID != uuid.Nil {
				seen[commandKey(e.Metadata.CommandID)] = struct{}{}
			}
			if e.Metadata.CommandID == commandID {
				if l.done == nil {
					l.done = &Result{Stream: agg.Stream}
				}
				l.done.Version, l.done.Position = e.StreamVersion, e.Position
				l.done.Events++
			}
		}
		if len(page) < readPage {
			return l, nil
		}
		from = page[len(page)-1].StreamVersion + 1
	}
}

// readStream reads a page of a stream of tenantID. It is the one place the
// write side reads the log: every event read must be the tenant's, so no
// command can decide on another tenant's facts.
func (h *Handler) readStream(ctx context.Context, tenantID uuid.UUID, stream string, dir eventstore.Direction, from uint64, count int) ([]eventschema.Envelope, error) {
	if tenantID == uuid.Nil {
		return nil, fmt.Errorf("read %s: no tenant: %w", stream, ErrForeignStream)
	}
	page, err := h.store.ReadStream(ctx, stream, dir, from, count)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", stream, err)
	}
	for _, e := range page {
		if e.Metadata.TenantID != tenantID {
			return nil, fmt.Errorf("read %s@%d: event of tenant %s: %w", stream, e.StreamVersion, e.Metadata.TenantID, ErrForeignStream)
		}
	}
	return page, nil
}

// Execute loads the aggregate, lets decide choose the events, and appends
// them guarded by the version it loaded, deciding again on a conflict.
func Execute[S any](ctx context.Context, h *Handler, m Meta, agg Aggregate[S], decide func(S) ([]any, error)) (Result, error) {
	if m.CommandID == uuid.Nil {
		m.CommandID = uuid.Must(uuid.NewV7())
	}
	if m.TenantID == uuid.Nil {
		m.TenantID = agg.Tenant // the command's own tenant: its events carry it
	}
	if m.TenantID != agg.Tenant {
		return Result{}, fmt.Errorf("%s: command of tenant %s: %w", agg.Stream, m.TenantID, ErrForeignStream)
	}
	for attempt := 0; ; attempt++ {
		l, err := load(ctx, h, agg, m.CommandID)
		if err != nil {
			return Result{}, err
		}
		if l.done != nil {
			return *l.done, nil // a retry of a command already applied
		}
		if m.IfVersion != nil && (!l.exists || l.version != *m.IfVersion) {
			return Result{}, fmt.Errorf("%s is at version %d, not %d: %w", agg.Stream, l.version, *m.IfVersion, ErrVersionMismatch)
		}
		payloads, err := decide(l.state)
		if err != nil {
			return Result{}, err
		}
		if len(payloads) == 0 {
			return Result{Stream: agg.Stream, Version: l.version, Position: l.position}, nil
		}
		events, err := h.encode(m, payloads)
		if err != nil {
			return Result{}, err
		}
		expected := eventstore.NoStream
		if l.exists {
			expected = eventstore.Exact(l.version)
		}
		res, err := h.store.Append(ctx, agg.Stream, expected, events)
		if err == nil {
			return Result{Stream: agg.Stream, Version: res.Version, Position: res.Position, Events: len(events)}, nil
		}
		if !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
			return Result{}, err
		}
		if attempt >= h.Retries {
			return Result{}, fmt.Errorf("%s: %w", agg.Stream, ErrConflict)
		}
		// Back off a little, with jitter, so racing writers spread out.
		select {
		case <-ctx.Done():
			return Result{}, ctx.Err()
		case <-time.After(time.Duration(rand.IntN(5<<attempt)) * time.Millisecond):
		}
	}
}

func (h *Handler) encode(m Meta, payloads []any) ([]eventschema.Proposed, error) {
	md := eventschema.Metadata{
		TenantID:      m.TenantID,
		Actor:         m.Actor,
		OccurredAt:    h.clock.Now(),
		CorrelationID: m.CorrelationID,
		CausationID:   m.CausationID,
		CommandID:     m.CommandID,
	}
	if md.CorrelationID == uuid.Nil {
		md.CorrelationID = m.CommandID
	}
	if md.CausationID == uuid.Nil {
		md.CausationID = m.CommandID
	}
	out := make([]eventschema.Proposed, len(payloads))
	for i, p := range payloads {
		e, err := h.registry.Encode(EventID(m.CommandID, i), p, md)
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

// EventID derives the ID of the i-th event of a command, so that a retried
// command proposes the same event IDs.
func EventID(commandID uuid.UUID, i int) uuid.UUID {
	return uuid.NewSHA1(commandID, []byte(strconv.Itoa(i)))
}
