package kurrentdb_test

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"supportd/eventschema"
	"supportd/eventstore"
	"supportd/eventstore/kurrentdb"
	"supportd/eventstore/kurrentdb/kurrentdbdouble"
	"supportd/eventstore/storetest"
)

func open(t *testing.T, url string) *kurrentdb.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := kurrentdb.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func TestConformance(t *testing.T) {
	t.Run("double", func(t *testing.T) {
		storetest.Run(t, storetest.Harness{
			New: func(t *testing.T) eventstore.Store { return open(t, kurrentdbdouble.StartT(t).URL()) },
			SlowCommits: func(t *testing.T, max time.Duration) eventstore.Store {
				srv := kurrentdbdouble.StartT(t, kurrentdbdouble.WithAppendDelay(func() time.Duration { return rand.N(max) }))
				return open(t, srv.URL())
			},
		})
	})
	t.Run("server", func(t *testing.T) {
		url := os.Getenv("KURRENTDB_URL")
		if url == "" {
			t.Skip("KURRENTDB_URL is not set (e.g. esdb://localhost:2113?tls=false): no real server to run against")
		}
		// A real server's commits cannot be delayed from here, so the
		// late-commit test is left to the double.
		storetest.Run(t, storetest.Harness{New: func(t *testing.T) eventstore.Store { return open(t, url) }})
	})
}

func proposed(typ string, n int) eventschema.Proposed {
	data, _ := json.Marshal(map[string]int{"n": n})
	return eventschema.Proposed{
		ID:      uuid.Must(uuid.NewV7()),
		Type:    typ,
		Version: 1,
		Data:    data,
		Metadata: eventschema.Metadata{
			Actor:      eventschema.Actor{Kind: eventschema.ActorSystem, ID: "kurrentdb-test"},
			OccurredAt: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC),
		},
	}
}

// TestResubscribesAfterDrop drops the subscription several times, while
// catching up and while live, and checks that every event still arrives
// exactly once and in order, and that system events never do.
func TestResubscribesAfterDrop(t *testing.T) {
	srv := kurrentdbdouble.StartT(t)
	s := open(t, srv.URL())
	s.ResubscribeMin = 5 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stream := "conversation-" + uuid.NewString()

	var (
		mu   sync.Mutex
		seen = map[uuid.UUID]int{}
		last eventschema.Position
		bad  []string
		more = make(chan struct{}, 1)
	)
	done := make(chan error, 1)
	go func() {
		done <- s.Subscribe(ctx, eventschema.Start, func(e eventschema.Envelope) error {
			mu.Lock()
			defer mu.Unlock()
			if e.Stream != stream {
				bad = append(bad, "delivered "+e.Type+" of "+e.Stream)
			}
			if !last.Less(e.Position) {
				bad = append(bad, e.Position.String()+" after "+last.String())
			}
			last = e.Position
			seen[e.ID]++
			select {
			case more <- struct{}{}:
			default:
			}
			// A slow consumer: drops land between events.
			time.Sleep(time.Millisecond)
			return nil
		})
	}()
	waitFor := func(n int) {
		t.Helper()
		for {
			mu.Lock()
			got := len(seen)
			mu.Unlock()
			if got >= n {
				return
			}
			select {
			case <-more:
			case err := <-done:
				t.Fatalf("subscription ended: %v", err)
			case <-time.After(time.Minute):
				t.Fatalf("saw %d events, want %d", got, n)
			}
		}
	}
	dropWhenSubscribed := func() {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for srv.DropSubscriptions() == 0 {
			if time.Now().After(deadline) {
				t.Fatal("no subscription to drop")
			}
			time.Sleep(time.Millisecond)
		}
	}

	var ids []uuid.UUID
	appendN := func(n int) {
		t.Helper()
		for range n {
			e := proposed("Thing", len(ids))
			if _, err := s.Append(ctx, stream, eventstore.Any, []eventschema.Proposed{e}); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, e.ID)
		}
	}
	// System events, which neither reads of $all nor subscriptions deliver.
	if _, err := s.Append(ctx, "$stats-"+uuid.NewString(), eventstore.Any, []eventschema.Proposed{proposed("StatsCollected", 0)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, "audit-"+uuid.NewString(), eventstore.Any, []eventschema.Proposed{proposed("$metadata", 0)}); err != nil {
		t.Fatal(err)
	}

	appendN(50)
	dropWhenSubscribed() // most likely while catching up
	waitFor(50)
	dropWhenSubscribed() // live
	appendN(20)
	waitFor(70)
	for range 3 { // each time as soon as it is back
		dropWhenSubscribed()
	}
	appendN(10)
	waitFor(80)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("subscription ended with %v, want context.Canceled", err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, b := range bad {
		t.Error(b)
	}
	for i, id := range ids {
		if seen[id] != 1 {
			t.Errorf("event %d seen %d times, want 1", i, seen[id])
		}
	}
	if len(seen) != len(ids) {
		t.Errorf("saw %d distinct events, want %d", len(seen), len(ids))
	}
}

// TestReadAllSkipsSystemEvents checks that $all reads leave out the
// server's own events and still page correctly around them.
func TestReadAllSkipsSystemEvents(t *testing.T) {
	s := open(t, kurrentdbdouble.StartT(t).URL())
	ctx := context.Background()
	var want []uuid.UUID
	for i := range 6 {
		stream, typ := "team-"+uuid.NewString(), "Thing"
		switch i % 3 {
		case 1:
			stream = "$$" + stream // stream metadata
		case 2:
			typ = "$>" // a link
		}
		e := proposed(typ, i)
		if _, err := s.Append(ctx, stream, eventstore.Any, []eventschema.Proposed{e}); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			want = append(want, e.ID)
		}
	}
	var got []uuid.UUID
	after := eventschema.Start
	for {
		batch, err := s.ReadAll(ctx, after, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(batch) == 0 {
			break
		}
		got = append(got, batch[0].ID)
		after = batch[0].Position
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("read %v, want %v", got, want)
	}
}

// TestRetriedAppend sends the same events twice under each guard: the
// second answer equals the first and nothing is written twice.
func TestRetriedAppend(t *testing.T) {
	s := open(t, kurrentdbdouble.StartT(t).URL())
	ctx := context.Background()
	cases := []struct {
		name     string
		expected func(last uint64) eventstore.ExpectedVersion
	}{
		{"any", func(uint64) eventstore.ExpectedVersion { return eventstore.Any }},
		{"stream exists", func(uint64) eventstore.ExpectedVersion { return eventstore.StreamExists }},
		{"exact", eventstore.Exact},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stream := "approval-" + uuid.NewString()
			first, err := s.Append(ctx, stream, eventstore.NoStream, []eventschema.Proposed{proposed("Thing", 0)})
			if err != nil {
				t.Fatal(err)
			}
			es := []eventschema.Proposed{proposed("Thing", 1), proposed("Thing", 2), proposed("Thing", 3)}
			r1, err := s.Append(ctx, stream, tc.expected(first.Version), es)
			if err != nil {
				t.Fatal(err)
			}
			r2, err := s.Append(ctx, stream, tc.expected(first.Version), es)
			if err != nil {
				t.Fatal(err)
			}
			if r1 != r2 || r1.Version != 3 {
				t.Errorf("answers %+v then %+v, want the same, at version 3", r1, r2)
			}
			got, err := s.ReadStream(ctx, stream, eventstore.Forwards, 0, 100)
			if err != nil || len(got) != 4 || got[3].Position != r1.Position {
				t.Errorf("stream holds %d events (err %v), want 4 with the last at %s", len(got), err, r1.Position)
			}
		})
	}
}

func TestOpenFailsWhenNothingListens(t *testing.T) {
	srv := kurrentdbdouble.StartT(t)
	url := srv.URL()
	srv.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if s, err := kurrentdb.Open(ctx, url); err == nil {
		s.Close()
		t.Fatal("Open succeeded without a server")
	}
}
