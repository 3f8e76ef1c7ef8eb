// Package kurrentdb is the KurrentDB adapter of the event store, on the
// gRPC client EventStore-Client-Go v4.
//
// Streams map one to one to KurrentDB streams and stream versions to
// stream revisions; the global log is $all and a Position is its
// commit/prepare pair. An event's data is its JSON payload (content type
// JSON) and its KurrentDB metadata the JSON of eventschema.Metadata plus
// the payload's schema version.
//
// KurrentDB checks event IDs only against the events right after the
// expected revision (and, for expected revision "any", a cache of recent
// ones), so on its own it would store the IDs of a stream's events a second
// time at another place. The adapter closes most of that gap by looking
// for the IDs among the stream's last events before appending; see
// Store.DuplicateWindow.
package kurrentdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	neturl "net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"supportd/eventschema"
	"supportd/eventstore"
)

// Store keeps the event log in KurrentDB.
type Store struct {
	client *esdb.Client
	owned  bool // Close closes the client: Open created it

	// DuplicateWindow is how many of a stream's events before the place of
	// an append (besides as many as the append has events) are searched for
	// the append's event IDs, so that stored IDs re-sent at another place
	// are refused and a retry of an append that succeeded is recognized.
	// Negative turns the search off: one read per append fewer, and the
	// server's own, narrower, idempotency only.
	DuplicateWindow int

	// ResubscribeMin and ResubscribeMax bound the wait before a dropped
	// subscription is taken up again; the wait doubles while resubscribing
	// fails without delivering anything.
	ResubscribeMin, ResubscribeMax time.Duration
}

var _ eventstore.Store = (*Store)(nil)

// Open connects to the server of connection string url (e.g.
// esdb://localhost:2113?tls=false) and checks that it answers before ctx
// ends. The client's log goes to slog.Default. Close closes the
// connection.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := esdb.ParseConnectionString(url)
	if err != nil {
		// Not the string itself, which may hold a password.
		var ue *neturl.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("kurrentdb: connection string: %w", err)
	}
	cfg.Logger = clientLogger(slog.Default())
	client, err := esdb.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("kurrentdb: %w", err)
	}
	s := New(client)
	s.owned = true
	// The client connects on its first call, and its discovery does not
	// watch any context: wait for it here, but only as long as ctx allows.
	// The client must not be closed while a call is under way (it would
	// send on a closed channel), so whoever sees the ping end closes it.
	pinged := make(chan error, 1)
	go func() {
		err := s.ping(ctx)
		if err != nil {
			client.Close()
		}
		pinged <- err
	}()
	select {
	case err = <-pinged:
	case <-ctx.Done():
		go func() {
			if <-pinged == nil {
				client.Close()
			}
		}()
		err = ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("kurrentdb: connect to %s: %w", cfg.Address, err)
	}
	return s, nil
}

// New returns a store on client. Close does not close the client.
func New(client *esdb.Client) *Store {
	return &Store{
		client:          client,
		DuplicateWindow: 16,
		ResubscribeMin:  50 * time.Millisecond,
		ResubscribeMax:  5 * time.Second,
	}
}

// Close closes the connection if Open made it. Call it after every call
// and subscription of the store has returned: the client cannot be closed
// safely while it is in use.
func (s *Store) Close() {
	if s.owned {
		_ = s.client.Close()
	}
}

// ping reads the last event of $all: the cheapest call that needs a
// connection and the right to read the global log, which Subscribe needs.
func (s *Store) ping(ctx context.Context) error {
	rs, err := s.client.ReadAll(ctx, esdb.ReadAllOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1)
	if err != nil {
		return err
	}
	defer rs.Close()
	for {
		if _, err := rs.Recv(); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// clientLogger sends the client's log to l at debug level. The client
// logs every ended subscription and cancelled call as an error; the store
// returns every failure it cannot handle and logs the ones it handles
// (resubscribing), so the client's own log is only diagnostic detail.
func clientLogger(l *slog.Logger) esdb.LoggingFunc {
	return func(level esdb.LogLevel, format string, args ...any) {
		ctx := context.Background()
		if l.Enabled(ctx, slog.LevelDebug) {
			l.Log(ctx, slog.LevelDebug, fmt.Sprintf(format, args...), "component", "kurrentdb client", "client_level", level)
		}
	}
}

// storedMetadata is what the adapter keeps in an event's KurrentDB
// metadata. Its fields are flat, so the server's UI and projections see
// tenant, actor and correlation directly.
type storedMetadata struct {
	eventschema.Metadata
	SchemaVersion int `json:"schema_version"`
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

func encode(events []eventschema.Proposed) ([]esdb.EventData, error) {
	out := make([]esdb.EventData, len(events))
	for i, e := range events {
		md, err := json.Marshal(storedMetadata{Metadata: e.Metadata, SchemaVersion: e.Version})
		if err != nil {
			return nil, fmt.Errorf("event %s metadata: %w", e.ID, err)
		}
		out[i] = esdb.EventData{EventID: e.ID, EventType: e.Type, ContentType: esdb.ContentTypeJson, Data: e.Data, Metadata: md}
	}
	return out, nil
}

// revision translates the guard. Every case is spelled out: the client's
// default for a missing revision is "any", which must never happen by
// accident.
func revision(expected eventstore.ExpectedVersion) esdb.ExpectedRevision {
	if v, ok := expected.ExactVersion(); ok {
		return esdb.Revision(v)
	}
	switch {
	case expected.IsNoStream():
		return esdb.NoStream{}
	case expected.IsStreamExists():
		return esdb.StreamExists{}
	default:
		return esdb.Any{}
	}
}

// Append implements eventstore.Store.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedVersion, events []eventschema.Proposed) (eventstore.AppendResult, error) {
	if err := validate(stream, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	data, err := encode(events)
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", stream, err)
	}
	if !expected.IsNoStream() && s.DuplicateWindow >= 0 {
		// With "no stream" the server itself recognizes a retry, and a
		// stream that has events is refused anyway.
		res, done, err := s.alreadyAppended(ctx, stream, expected, events)
		if err != nil {
			return eventstore.AppendResult{}, err
		}
		if done {
			return res, nil
		}
	}
	wr, err := s.client.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: revision(expected)}, data...)
	if err != nil {
		if isCode(err, esdb.ErrorCodeWrongExpectedVersion) {
			return eventstore.AppendResult{}, s.wrongVersion(ctx, stream, expected, err)
		}
		return eventstore.AppendResult{}, wrapErr(ctx, "append "+stream, err)
	}
	// The server reports the position of the write's commit, which for
	// several events is not the last event's, and no position at all when
	// it recognized a retry. The revision is exact: read the last event's
	// position back.
	pos, err := s.positionOf(ctx, stream, wr.NextExpectedVersion)
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append %s: written, but reading its position: %w", stream, err)
	}
	return eventstore.AppendResult{Version: wr.NextExpectedVersion, Position: pos}, nil
}

// positionOf returns the position of the event of stream at version.
func (s *Store) positionOf(ctx context.Context, stream string, version uint64) (eventschema.Position, error) {
	got, err := s.read(ctx, stream, esdb.ReadStreamOptions{Direction: esdb.Forwards, From: esdb.Revision(version)}, 1)
	if err != nil {
		return eventschema.Position{}, err
	}
	if len(got) != 1 || got[0].StreamVersion != version {
		return eventschema.Position{}, fmt.Errorf("event %d of %s not found", version, stream)
	}
	return got[0].Position, nil
}

// alreadyAppended looks for the events' IDs among the stream's last events
// before the append's place. All of them, in order, at a place the guard
// admits: a retry of an append that succeeded, answered like the first
// time. Some of them anywhere else: a caller bug the Postgres store
// refuses through its unique key, refused here too.
func (s *Store) alreadyAppended(ctx context.Context, stream string, expected eventstore.ExpectedVersion, events []eventschema.Proposed) (eventstore.AppendResult, bool, error) {
	opts := esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}
	if v, ok := expected.ExactVersion(); ok {
		// Events after v, if any, the server compares with the IDs itself.
		opts.From = esdb.Revision(v)
	}
	recent, err := s.read(ctx, stream, opts, uint64(len(events)+s.DuplicateWindow))
	if err != nil {
		return eventstore.AppendResult{}, false, fmt.Errorf("append %s: looking for its event IDs: %w", stream, err)
	}
	at := make(map[uuid.UUID]eventschema.Envelope, len(recent))
	for _, e := range recent {
		at[e.ID] = e
	}
	found := 0
	for _, e := range events {
		if _, ok := at[e.ID]; ok {
			found++
		}
	}
	if found == 0 {
		return eventstore.AppendResult{}, false, nil
	}
	_, exact := expected.ExactVersion()
	if found == len(events) && !exact {
		first := at[events[0].ID]
		run := true
		for i, e := range events {
			if at[e.ID].StreamVersion != first.StreamVersion+uint64(i) {
				run = false
				break
			}
		}
		if run {
			// "any" and "stream exists" admit any place in the stream.
			last := at[events[len(events)-1].ID]
			return eventstore.AppendResult{Version: last.StreamVersion, Position: last.Position}, true, nil
		}
	}
	return eventstore.AppendResult{}, false, fmt.Errorf("append %s: an event ID is already used in the stream: %w", stream, eventstore.ErrInvalidEvent)
}

// currentRevision finds the stream's revision in the client's message for
// a wrong expected version ("... but got '7'" or "... but got
// 'no_stream'"); the client keeps no field for it.
var currentRevision = regexp.MustCompile(`but got '([^']*)'`)

// wrongVersion turns the server's refusal into a *WrongVersionError with
// the stream's state as the server saw it, or as it is now if the message
// does not tell.
func (s *Store) wrongVersion(ctx context.Context, stream string, expected eventstore.ExpectedVersion, cause error) error {
	wv := &eventstore.WrongVersionError{Stream: stream, Expected: expected}
	if m := currentRevision.FindStringSubmatch(cause.Error()); m != nil {
		if m[1] == "no_stream" {
			return wv
		}
		if v, err := strconv.ParseUint(m[1], 10, 64); err == nil {
			wv.Actual, wv.Exists = v, true
			return wv
		}
	}
	last, err := s.read(ctx, stream, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1)
	if err != nil {
		return fmt.Errorf("%w (reading the stream's version: %v)", wv, err)
	}
	if len(last) == 1 {
		wv.Actual, wv.Exists = last[0].StreamVersion, true
	}
	return wv
}

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, dir eventstore.Direction, from uint64, limit int) ([]eventschema.Envelope, error) {
	if limit <= 0 {
		return nil, nil
	}
	opts := esdb.ReadStreamOptions{Direction: esdb.Forwards, From: esdb.Revision(from)}
	if dir == eventstore.Backwards {
		opts.Direction = esdb.Backwards
		if from >= math.MaxInt64 {
			opts.From = esdb.End{}
		}
	} else if from >= math.MaxInt64 {
		return nil, nil // no stream has that many events
	}
	out, err := s.read(ctx, stream, opts, uint64(limit))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", stream, err)
	}
	return out, nil
}

// read reads a stream; one that does not exist reads as empty.
func (s *Store) read(ctx context.Context, stream string, opts esdb.ReadStreamOptions, count uint64) ([]eventschema.Envelope, error) {
	rs, err := s.client.ReadStream(ctx, stream, opts, count)
	if err != nil {
		return nil, wrapErr(ctx, "", err)
	}
	defer rs.Close()
	var out []eventschema.Envelope
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if isCode(err, esdb.ErrorCodeResourceNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, wrapErr(ctx, "", err)
		}
		e, err := envelope(ev.OriginalEvent())
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
}

// readAllBatch bounds one $all read request of ReadAll.
const readAllBatch = 1024

// ReadAll implements eventstore.Store. $all is in commit order, so every
// event it returns is final: nothing is held back.
func (s *Store) ReadAll(ctx context.Context, after eventschema.Position, limit int) ([]eventschema.Envelope, error) {
	var out []eventschema.Envelope
	cursor := after
	for len(out) < limit {
		// One more than wanted: the read starts at the cursor's event,
		// which was already seen.
		count := min(limit-len(out)+1, readAllBatch)
		var from esdb.AllPosition = esdb.Start{}
		if cursor != eventschema.Start {
			from = esdb.Position{Commit: cursor.Commit, Prepare: cursor.Prepare}
		}
		rs, err := s.client.ReadAll(ctx, esdb.ReadAllOptions{Direction: esdb.Forwards, From: from}, uint64(count))
		if err != nil {
			return nil, wrapErr(ctx, "read all after "+after.String(), err)
		}
		n, err := func() (int, error) {
			defer rs.Close()
			n := 0
			for len(out) < limit {
				ev, err := rs.Recv()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					return n, wrapErr(ctx, "read all after "+after.String(), err)
				}
				n++
				rec := ev.OriginalEvent()
				pos := position(rec)
				if !cursor.Less(pos) {
					continue
				}
				cursor = pos
				if system(rec) {
					continue
				}
				e, err := envelope(rec)
				if err != nil {
					return n, fmt.Errorf("read all after %s: %w", after, err)
				}
				out = append(out, e)
			}
			return n, nil
		}()
		if err != nil {
			return nil, err
		}
		if n < count {
			break // the end of $all
		}
	}
	return out, nil
}

// Subscribe implements eventstore.Store. It follows $all with a
// subscription that filters system events out on the server. The server
// drops a subscriber that falls too far behind while live, and connections
// fail: Subscribe then subscribes again from the last event it delivered.
func (s *Store) Subscribe(ctx context.Context, after eventschema.Position, fn func(eventschema.Envelope) error) error {
	wait := s.ResubscribeMin
	for {
		progressed, stop, dropped := s.follow(ctx, &after, fn)
		if stop != nil {
			return stop
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if permanent(dropped) {
			return fmt.Errorf("subscribe after %s: %w", after, dropped)
		}
		if progressed {
			wait = s.ResubscribeMin
		}
		slog.Warn("event store subscription dropped; subscribing again", "after", after.String(), "in", wait, "err", dropped)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, s.ResubscribeMax)
	}
}

// follow runs one subscription from *after, moving *after past every
// event it handles. stop ends Subscribe (fn failed, or an event cannot be
// decoded); dropped means the subscription ended and may be taken up again.
func (s *Store) follow(ctx context.Context, after *eventschema.Position, fn func(eventschema.Envelope) error) (progressed bool, stop, dropped error) {
	opts := esdb.SubscribeToAllOptions{From: esdb.Start{}, Filter: esdb.ExcludeSystemEventsFilter()}
	if *after != eventschema.Start {
		opts.From = esdb.Position{Commit: after.Commit, Prepare: after.Prepare}
	}
	sub, err := s.client.SubscribeToAll(ctx, opts)
	if err != nil {
		return false, nil, err
	}
	defer sub.Close()
	for {
		ev := sub.Recv()
		if ev.SubscriptionDropped != nil {
			if ev.SubscriptionDropped.Error == nil {
				return progressed, nil, errors.New("subscription dropped")
			}
			return progressed, nil, ev.SubscriptionDropped.Error
		}
		if ev.EventAppeared == nil {
			continue // caught up, fell behind, checkpoint
		}
		rec := ev.EventAppeared.OriginalEvent()
		if rec == nil {
			continue
		}
		pos := position(rec)
		if !after.Less(pos) {
			continue // the event at the start position, sent again
		}
		progressed = true
		if system(rec) {
			*after = pos
			continue
		}
		e, err := envelope(rec)
		if err != nil {
			return progressed, fmt.Errorf("subscribe: %w", err), nil
		}
		if err := fn(e); err != nil {
			return progressed, err, nil
		}
		*after = pos
	}
}

// permanent reports whether resubscribing cannot help.
func permanent(err error) bool {
	var e *esdb.Error
	if errors.As(err, &e) {
		switch e.Code() {
		case esdb.ErrorCodeConnectionClosed, esdb.ErrorCodeAccessDenied, esdb.ErrorCodeUnauthenticated, esdb.ErrorCodeUnsupportedFeature:
			return true
		}
	}
	switch status.Code(err) {
	case codes.PermissionDenied, codes.Unauthenticated, codes.InvalidArgument, codes.Unimplemented:
		return true
	}
	return false
}

// system reports whether an event is the server's own: its type or its
// stream starts with "$".
func system(r *esdb.RecordedEvent) bool {
	return strings.HasPrefix(r.EventType, "$") || strings.HasPrefix(r.StreamID, "$")
}

func position(r *esdb.RecordedEvent) eventschema.Position {
	return eventschema.Position{Commit: r.Position.Commit, Prepare: r.Position.Prepare}
}

// envelope decodes a stored event. An event without metadata (written by
// another program) has zero metadata and schema version.
func envelope(r *esdb.RecordedEvent) (eventschema.Envelope, error) {
	e := eventschema.Envelope{
		ID:            r.EventID,
		Type:          r.EventType,
		Stream:        r.StreamID,
		StreamVersion: r.EventNumber,
		Position:      position(r),
		RecordedAt:    r.CreatedDate,
		Data:          json.RawMessage(r.Data),
	}
	if len(r.UserMetadata) > 0 {
		var md storedMetadata
		if err := json.Unmarshal(r.UserMetadata, &md); err != nil {
			return e, fmt.Errorf("event %s of %s: metadata: %w", r.EventID, r.StreamID, err)
		}
		e.Metadata, e.Version = md.Metadata, md.SchemaVersion
	}
	return e, nil
}

func isCode(err error, code esdb.ErrorCode) bool {
	var e *esdb.Error
	return errors.As(err, &e) && e.Code() == code
}

// wrapErr prefers the context's error: the client reports a cancelled call
// as a gRPC status, which callers cannot match with errors.Is.
func wrapErr(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	if op == "" {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}
