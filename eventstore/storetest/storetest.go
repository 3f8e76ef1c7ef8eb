// Package storetest is the conformance suite every eventstore.Store adapter
// passes. Adapters call Run from their own tests.
//
// Tests name their streams with a unique prefix and ignore foreign events in
// the global log, so the suite also runs against a shared real server.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"supportd/eventschema"
	"supportd/eventstore"
)

// Harness tells the suite how to get stores of the adapter under test.
type Harness struct {
	// New returns a store for one test.
	New func(t *testing.T) eventstore.Store
	// SlowCommits returns a store whose appends each wait a random time of
	// up to max before committing, so that events taking later positions can
	// commit first. Nil skips the late-commit test.
	SlowCommits func(t *testing.T, max time.Duration) eventstore.Store
}

// Run runs every conformance test against the harness's stores.
func Run(t *testing.T, h Harness) {
	tests := []struct {
		name string
		run  func(t *testing.T, h Harness)
	}{
		{"AppendToNewStream", testAppendToNewStream},
		{"WrongExpectedVersion", testWrongExpectedVersion},
		{"IdempotentReappend", testIdempotentReappend},
		{"InvalidEvents", testInvalidEvents},
		{"ConcurrentAppendersOneStream", testConcurrentAppendersOneStream},
		{"LateCommitsNeverSkipped", testLateCommitsNeverSkipped},
		{"ReadBackwards", testReadBackwards},
		{"ReadAllFromPosition", testReadAllFromPosition},
		{"SubscribeCatchUpThenLive", testSubscribeCatchUpThenLive},
		{"LargePayload", testLargePayload},
		{"NonASCII", testNonASCII},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, h)
		})
	}
}

// patience is how long a test waits for events to be delivered. The
// PostgreSQL store delivers an event only once every older writing
// transaction on the cluster has ended, and on a loaded test machine other
// databases' transactions (migrations, say) can hold that back for seconds.
const patience = time.Minute

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// streamName returns a stream name unique to this run.
func streamName(category string) string {
	return category + "-" + uuid.Must(uuid.NewV7()).String()
}

var tenant = uuid.MustParse("0190f3b0-0000-7000-8000-000000000001")

func event(typ string, payload any) eventschema.Proposed {
	data, err := json.Marshal(payload)
	if err != nil {
		panic(err)
	}
	return eventschema.Proposed{
		ID:      uuid.Must(uuid.NewV7()),
		Type:    typ,
		Version: 1,
		Data:    data,
		Metadata: eventschema.Metadata{
			TenantID:   tenant,
			Actor:      eventschema.Actor{Kind: eventschema.ActorSystem, ID: "storetest"},
			OccurredAt: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC),
			CommandID:  uuid.Must(uuid.NewV7()),
		},
	}
}

func events(n int, typ string) []eventschema.Proposed {
	out := make([]eventschema.Proposed, n)
	for i := range out {
		out[i] = event(typ, map[string]int{"n": i})
	}
	return out
}

func mustAppend(t *testing.T, s eventstore.Store, stream string, ev eventstore.ExpectedVersion, es []eventschema.Proposed) eventstore.AppendResult {
	t.Helper()
	res, err := s.Append(ctxFor(t), stream, ev, es)
	if err != nil {
		t.Fatalf("append %s: %v", stream, err)
	}
	return res
}

func readStream(t *testing.T, s eventstore.Store, stream string) []eventschema.Envelope {
	t.Helper()
	got, err := s.ReadStream(ctxFor(t), stream, eventstore.Forwards, 0, 1_000_000)
	if err != nil {
		t.Fatalf("read %s: %v", stream, err)
	}
	return got
}

func testAppendToNewStream(t *testing.T, h Harness) {
	s := h.New(t)
	stream := streamName("conversation")
	if got := readStream(t, s, stream); len(got) != 0 {
		t.Fatalf("missing stream reads %d events, want 0", len(got))
	}
	in := events(3, "Thing")
	res := mustAppend(t, s, stream, eventstore.NoStream, in)
	if res.Version != 2 {
		t.Errorf("version after 3 events = %d, want 2", res.Version)
	}
	got := readStream(t, s, stream)
	if len(got) != 3 {
		t.Fatalf("read %d events, want 3", len(got))
	}
	for i, e := range got {
		if e.ID != in[i].ID || e.Stream != stream || e.StreamVersion != uint64(i) || e.Type != "Thing" || e.Version != 1 {
			t.Errorf("event %d = %+v", i, e)
		}
		if e.Metadata.TenantID != tenant || e.Metadata.Actor.ID != "storetest" || !e.Metadata.OccurredAt.Equal(in[i].Metadata.OccurredAt) || e.Metadata.CommandID != in[i].Metadata.CommandID {
			t.Errorf("event %d metadata = %+v", i, e.Metadata)
		}
		var p map[string]int
		if err := json.Unmarshal(e.Data, &p); err != nil || p["n"] != i {
			t.Errorf("event %d data = %s (%v)", i, e.Data, err)
		}
		if e.RecordedAt.IsZero() {
			t.Errorf("event %d has no recorded time", i)
		}
		if i > 0 && !got[i-1].Position.Less(e.Position) {
			t.Errorf("positions not increasing: %s then %s", got[i-1].Position, e.Position)
		}
	}
	if got[2].Position != res.Position {
		t.Errorf("append returned position %s, last event is at %s", res.Position, got[2].Position)
	}
	res = mustAppend(t, s, stream, eventstore.Exact(2), events(1, "Thing"))
	if res.Version != 3 {
		t.Errorf("version after 4 events = %d, want 3", res.Version)
	}
	mustAppend(t, s, stream, eventstore.StreamExists, events(1, "Thing"))
	mustAppend(t, s, stream, eventstore.Any, events(1, "Thing"))
	if got := readStream(t, s, stream); len(got) != 6 {
		t.Errorf("read %d events, want 6", len(got))
	}
}

func testWrongExpectedVersion(t *testing.T, h Harness) {
	s := h.New(t)
	existing := streamName("agent")
	mustAppend(t, s, existing, eventstore.NoStream, events(2, "Thing")) // at version 1
	cases := []struct {
		name     string
		stream   string
		expected eventstore.ExpectedVersion
		exists   bool
	}{
		{"no stream, but it exists", existing, eventstore.NoStream, true},
		{"exact, behind", existing, eventstore.Exact(0), true},
		{"exact, ahead", existing, eventstore.Exact(5), true},
		{"exact, stream missing", streamName("agent"), eventstore.Exact(0), false},
		{"exists, stream missing", streamName("agent"), eventstore.StreamExists, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Append(ctxFor(t), tc.stream, tc.expected, events(2, "Thing"))
			if !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
				t.Fatalf("err = %v, want ErrWrongExpectedVersion", err)
			}
			var wv *eventstore.WrongVersionError
			if !errors.As(err, &wv) {
				t.Fatalf("err %T is not a *WrongVersionError", err)
			}
			if wv.Exists != tc.exists || (tc.exists && wv.Actual != 1) {
				t.Errorf("error reports exists=%v actual=%d, want exists=%v actual=1", wv.Exists, wv.Actual, tc.exists)
			}
			want := 0
			if tc.exists {
				want = 2
			}
			if got := readStream(t, s, tc.stream); len(got) != want {
				t.Errorf("stream has %d events after a refused append, want %d", len(got), want)
			}
		})
	}
}

func testIdempotentReappend(t *testing.T, h Harness) {
	s := h.New(t)
	stream := streamName("tenant")
	first := events(3, "Thing")
	r1 := mustAppend(t, s, stream, eventstore.NoStream, first)
	r2 := mustAppend(t, s, stream, eventstore.NoStream, first)
	if r1 != r2 {
		t.Errorf("re-append answered %+v, first append %+v", r2, r1)
	}
	second := events(2, "Thing")
	r3 := mustAppend(t, s, stream, eventstore.Exact(2), second)
	if r4 := mustAppend(t, s, stream, eventstore.Exact(2), second); r4 != r3 {
		t.Errorf("re-append at exact version answered %+v, want %+v", r4, r3)
	}
	if got := readStream(t, s, stream); len(got) != 5 {
		t.Errorf("stream has %d events, want 5: re-appends must not duplicate", len(got))
	}
	// The same IDs at another place are not a retry.
	if _, err := s.Append(ctxFor(t), stream, eventstore.Exact(4), second); err == nil {
		t.Error("re-appending stored IDs at a later version succeeded")
	}
	if got := readStream(t, s, stream); len(got) != 5 {
		t.Errorf("stream has %d events, want 5", len(got))
	}
}

func testInvalidEvents(t *testing.T, h Harness) {
	s := h.New(t)
	noID := event("Thing", 1)
	noID.ID = uuid.Nil
	noType := event("", 1)
	badJSON := event("Thing", 1)
	badJSON.Data = json.RawMessage(`{"broken"`)
	cases := map[string][]eventschema.Proposed{
		"no events": nil,
		"no id":     {noID},
		"no type":   {noType},
		"bad json":  {event("Thing", 1), badJSON},
	}
	for name, es := range cases {
		t.Run(name, func(t *testing.T) {
			stream := streamName("tenant")
			if _, err := s.Append(ctxFor(t), stream, eventstore.Any, es); !errors.Is(err, eventstore.ErrInvalidEvent) {
				t.Errorf("err = %v, want ErrInvalidEvent", err)
			}
			if got := readStream(t, s, stream); len(got) != 0 {
				t.Errorf("%d events written", len(got))
			}
		})
	}
}

func testConcurrentAppendersOneStream(t *testing.T, h Harness) {
	s := h.New(t)
	stream := streamName("conversation")
	ctx := ctxFor(t)
	const writers, perWriter = 32, 8
	var wins sync.Map // version → writer
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			done := 0
			for done < perWriter {
				got, err := s.ReadStream(ctx, stream, eventstore.Backwards, eventstore.End, 1)
				if err != nil {
					errs <- err
					return
				}
				expected := eventstore.NoStream
				if len(got) == 1 {
					expected = eventstore.Exact(got[0].StreamVersion)
				}
				res, err := s.Append(ctx, stream, expected, []eventschema.Proposed{event("Thing", w)})
				if errors.Is(err, eventstore.ErrWrongExpectedVersion) {
					continue
				}
				if err != nil {
					errs <- err
					return
				}
				if prev, dup := wins.LoadOrStore(res.Version, w); dup {
					errs <- fmt.Errorf("version %d won by writers %d and %d", res.Version, prev, w)
					return
				}
				done++
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got := readStream(t, s, stream)
	if len(got) != writers*perWriter {
		t.Fatalf("stream has %d events, want %d", len(got), writers*perWriter)
	}
	for i, e := range got {
		if e.StreamVersion != uint64(i) {
			t.Fatalf("event %d has version %d", i, e.StreamVersion)
		}
	}
}

// testLateCommitsNeverSkipped writes from many goroutines whose commits are
// delayed at random while a subscriber follows the log: the subscriber must
// see each event once, in strictly increasing position order.
func testLateCommitsNeverSkipped(t *testing.T, h Harness) {
	if h.SlowCommits == nil {
		t.Skip("adapter cannot delay commits")
	}
	s := h.SlowCommits(t, 20*time.Millisecond)
	writeCtx := ctxFor(t)
	ctx, cancel := context.WithCancel(writeCtx) // the subscriber's
	defer cancel()
	prefix := "late" + strings.ReplaceAll(uuid.NewString()[:8], "-", "") + "_"
	const writers, perWriter = 16, 25
	total := writers * perWriter

	seen := map[uuid.UUID]int{}
	var last eventschema.Position
	var mu sync.Mutex
	var order []string
	subDone := make(chan error, 1)
	go func() {
		subDone <- s.Subscribe(ctx, eventschema.Start, func(e eventschema.Envelope) error {
			if !strings.HasPrefix(e.Stream, prefix) {
				return nil
			}
			mu.Lock()
			defer mu.Unlock()
			if !last.Less(e.Position) {
				order = append(order, fmt.Sprintf("%s after %s", e.Position, last))
			}
			last = e.Position
			seen[e.ID]++
			if len(seen) == total {
				cancel()
			}
			return nil
		})
	}()

	written := make(chan uuid.UUID, total)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			stream := fmt.Sprintf("%s%d-%s", prefix, w, uuid.NewString())
			for i := range perWriter {
				e := event("Thing", i)
				ev := eventstore.Exact(uint64(i - 1))
				if i == 0 {
					ev = eventstore.NoStream
				}
				if _, err := s.Append(writeCtx, stream, ev, []eventschema.Proposed{e}); err != nil {
					t.Errorf("append: %v", err)
					return
				}
				written <- e.ID
			}
		})
	}
	wg.Wait()
	close(written)
	select {
	case <-subDone:
	case <-time.After(patience):
		cancel()
		<-subDone
	}
	mu.Lock()
	defer mu.Unlock()
	for _, o := range order {
		t.Errorf("out of order: %s", o)
	}
	for id := range written {
		if seen[id] != 1 {
			t.Errorf("event %s seen %d times, want 1", id, seen[id])
		}
	}
}

func testReadBackwards(t *testing.T, h Harness) {
	s := h.New(t)
	stream := streamName("review")
	mustAppend(t, s, stream, eventstore.NoStream, events(10, "Thing"))
	cases := []struct {
		name  string
		from  uint64
		limit int
		want  []uint64
	}{
		{"from end", eventstore.End, 3, []uint64{9, 8, 7}},
		{"from middle", 4, 2, []uint64{4, 3}},
		{"to the start", 1, 5, []uint64{1, 0}},
		{"past the end", 50, 1, []uint64{9}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ReadStream(ctxFor(t), stream, eventstore.Backwards, tc.from, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			var vs []uint64
			for _, e := range got {
				vs = append(vs, e.StreamVersion)
			}
			if fmt.Sprint(vs) != fmt.Sprint(tc.want) {
				t.Errorf("versions %v, want %v", vs, tc.want)
			}
		})
	}
	got, err := s.ReadStream(ctxFor(t), stream, eventstore.Forwards, 8, 10)
	if err != nil || len(got) != 2 || got[0].StreamVersion != 8 {
		t.Errorf("forward read from 8: %d events, err %v", len(got), err)
	}
	got, err = s.ReadStream(ctxFor(t), streamName("review"), eventstore.Backwards, eventstore.End, 10)
	if err != nil || len(got) != 0 {
		t.Errorf("backward read of a missing stream: %d events, err %v", len(got), err)
	}
}

// ours keeps the events of the given streams, dropping foreign ones.
func ours(es []eventschema.Envelope, streams map[string]bool) []eventschema.Envelope {
	var out []eventschema.Envelope
	for _, e := range es {
		if streams[e.Stream] {
			out = append(out, e)
		}
	}
	return out
}

// readAllOf reads the global log after a position until want of our events
// have shown up. A store may hold back committed events for a while (until
// older transactions end), never skip them.
func readAllOf(t *testing.T, s eventstore.Store, after eventschema.Position, streams map[string]bool, want int) []eventschema.Envelope {
	t.Helper()
	var out []eventschema.Envelope
	deadline := time.Now().Add(patience)
	for {
		batch, err := s.ReadAll(ctxFor(t), after, 7) // small batches cross batch boundaries
		if err != nil {
			t.Fatal(err)
		}
		if len(batch) == 0 {
			if len(out) >= want || time.Now().After(deadline) {
				return out
			}
			time.Sleep(5 * time.Millisecond)
			continue
		}
		for i, e := range batch {
			if !after.Less(e.Position) {
				t.Fatalf("batch event %d at %s is not after %s", i, e.Position, after)
			}
			after = e.Position
		}
		out = append(out, ours(batch, streams)...)
	}
}

func testReadAllFromPosition(t *testing.T, h Harness) {
	s := h.New(t)
	a, b := streamName("customer"), streamName("team")
	streams := map[string]bool{a: true, b: true}
	var ids []uuid.UUID
	for i := range 10 {
		stream := a
		if i%2 == 1 {
			stream = b
		}
		e := event("Thing", i)
		ids = append(ids, e.ID)
		mustAppend(t, s, stream, eventstore.Any, []eventschema.Proposed{e})
	}
	all := readAllOf(t, s, eventschema.Start, streams, 10)
	if len(all) != 10 {
		t.Fatalf("read all found %d of our events, want 10", len(all))
	}
	for i, e := range all {
		if e.ID != ids[i] {
			t.Fatalf("event %d is %s, want %s (append order)", i, e.ID, ids[i])
		}
	}
	rest := readAllOf(t, s, all[3].Position, streams, 6)
	if len(rest) != 6 || rest[0].ID != ids[4] {
		t.Errorf("read after the 4th event: %d events starting %v, want 6 starting %s", len(rest), rest, ids[4])
	}
	if tail := readAllOf(t, s, all[9].Position, streams, 0); len(tail) != 0 {
		t.Errorf("read after the last event found %d", len(tail))
	}
}

func testSubscribeCatchUpThenLive(t *testing.T, h Harness) {
	s := h.New(t)
	stream := streamName("conversation")
	mustAppend(t, s, stream, eventstore.NoStream, events(5, "Old"))
	ctx, cancel := context.WithCancel(ctxFor(t))
	defer cancel()
	var got atomic.Int64
	var types sync.Map
	caughtUp := make(chan struct{})
	allSeen := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.Subscribe(ctx, eventschema.Start, func(e eventschema.Envelope) error {
			if e.Stream != stream {
				return nil
			}
			if e.StreamVersion != uint64(got.Load()) {
				return fmt.Errorf("got version %d, want %d", e.StreamVersion, got.Load())
			}
			types.Store(e.StreamVersion, e.Type)
			switch got.Add(1) {
			case 5:
				close(caughtUp)
			case 8:
				close(allSeen)
			}
			return nil
		})
	}()
	select {
	case <-caughtUp:
	case err := <-done:
		t.Fatalf("subscription ended: %v", err)
	case <-time.After(patience):
		t.Fatal("stored events not delivered")
	}
	start := time.Now()
	mustAppend(t, s, stream, eventstore.Exact(4), events(3, "New"))
	select {
	case <-allSeen:
		t.Logf("live events delivered in %v", time.Since(start))
	case err := <-done:
		t.Fatalf("subscription ended: %v", err)
	case <-time.After(patience):
		t.Fatalf("live events not delivered; saw %d", got.Load())
	}
	if typ, _ := types.Load(uint64(7)); typ != "New" {
		t.Errorf("last event type %v", typ)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("subscription ended with %v, want context.Canceled", err)
	}
	// A failing handler ends the subscription with its error.
	boom := errors.New("boom")
	if err := s.Subscribe(ctxFor(t), eventschema.Start, func(e eventschema.Envelope) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("subscription with failing handler ended with %v", err)
	}
}

func testLargePayload(t *testing.T, h Harness) {
	s := h.New(t)
	stream := streamName("conversation")
	big := strings.Repeat("x", 1<<20)
	mustAppend(t, s, stream, eventstore.NoStream, []eventschema.Proposed{event("Big", map[string]string{"text": big})})
	got := readStream(t, s, stream)
	var p map[string]string
	if len(got) != 1 || json.Unmarshal(got[0].Data, &p) != nil || p["text"] != big {
		t.Fatalf("1 MB payload did not round-trip")
	}
}

func testNonASCII(t *testing.T, h Harness) {
	s := h.New(t)
	stream := streamName("conversation")
	text := "您好，客服在吗？ Grüße 👋 مرحبا \u00e9\u0301 \\\"quoted\\\""
	e := event("Message", map[string]string{"text": text})
	e.Metadata.Actor.ID = "客服-7"
	mustAppend(t, s, stream, eventstore.NoStream, []eventschema.Proposed{e})
	got := readStream(t, s, stream)
	var p map[string]string
	if len(got) != 1 || json.Unmarshal(got[0].Data, &p) != nil || p["text"] != text || got[0].Metadata.Actor.ID != "客服-7" {
		t.Fatalf("non-ASCII text did not round-trip: %+v", got)
	}
}
