package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"supportd/eventschema"

	"supportd/eventstore"
	"supportd/eventstore/postgres"
	"supportd/eventstore/postgres/pgtest"
	"supportd/eventstore/storetest"
)

func newStore(t *testing.T) *postgres.Store {
	pool := pgtest.NewPool(t)
	if err := postgres.Migrate(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	s := postgres.New(pool)
	t.Cleanup(s.Close)
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) eventstore.Store { return newStore(t) },
		SlowCommits: func(t *testing.T, max time.Duration) eventstore.Store {
			s := newStore(t)
			s.CommitDelay = func() time.Duration { return rand.N(max) }
			return s
		},
	})
}

func testEvent(n int) eventschema.Proposed {
	return eventschema.Proposed{
		ID:       uuid.Must(uuid.NewV7()),
		Type:     "Thing",
		Version:  1,
		Data:     json.RawMessage(fmt.Sprintf(`{"n":%d}`, n)),
		Metadata: eventschema.Metadata{Actor: eventschema.Actor{Kind: eventschema.ActorSystem}},
	}
}

// TestNotifiesOtherProcesses checks the NOTIFY path on its own: the
// subscriber's store never polls, so only a notification from the writer's
// store, a separate pool as in another process, can wake it.
func TestNotifiesOtherProcesses(t *testing.T) {
	pool := pgtest.NewPool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := postgres.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	other, err := pgxpool.New(ctx, pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	writer, reader := postgres.New(pool), postgres.New(other)
	defer writer.Close()
	defer reader.Close()
	reader.PollInterval = time.Hour

	got := make(chan eventschema.Envelope, 1)
	subCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		_ = reader.Subscribe(subCtx, eventschema.Start, func(e eventschema.Envelope) error {
			got <- e
			return nil
		})
	}()
	time.Sleep(500 * time.Millisecond) // past the subscriber's quick re-reads: it now waits for a wake-up
	// An event stays hidden while an older transaction anywhere on the
	// server runs, and the wake-up may come before it shows; so keep
	// appending, each append notifying again, until one gets through.
	deadline := time.After(time.Minute)
	for i := 0; ; i++ {
		ev := eventstore.Exact(uint64(i - 1))
		if i == 0 {
			ev = eventstore.NoStream
		}
		if _, err := writer.Append(ctx, "thing-notify", ev, []eventschema.Proposed{testEvent(i)}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-got:
			return
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			t.Fatal("the subscriber of another store was not woken by the appends")
		}
	}
}

// TestStreamOrderInGlobalOrder hammers a few streams from many writers
// racing for the next version, then checks that the global log lists the
// events of every stream in version order: the order readers rely on.
func TestStreamOrderInGlobalOrder(t *testing.T) {
	s := newStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const writers, perWriter, streams = 12, 20, 3
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				stream := fmt.Sprintf("order-%d", (w+i)%streams)
				n := 1 + i%2 // single and multi-event appends
				events := make([]eventschema.Proposed, n)
				for j := range events {
					events[j] = testEvent(w*1000 + i)
				}
				if _, err := s.Append(ctx, stream, eventstore.Any, events); err != nil {
					t.Errorf("append: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	// The log holds back committed events while an older transaction
	// anywhere on the server still runs; wait until all are settled.
	var all []eventschema.Envelope
	for want := writers * perWriter * 3 / 2; len(all) != want; {
		var err error
		if all, err = s.ReadAll(ctx, eventschema.Start, 10_000); err != nil {
			t.Fatalf("log shows %d of %d events: %v", len(all), want, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	next := map[string]uint64{}
	for i, e := range all {
		if i > 0 && !all[i-1].Position.Less(e.Position) {
			t.Fatalf("position %s after %s", e.Position, all[i-1].Position)
		}
		if e.StreamVersion != next[e.Stream] {
			t.Fatalf("%s: version %d at %s, want %d", e.Stream, e.StreamVersion, e.Position, next[e.Stream])
		}
		next[e.Stream]++
	}
}

// TestAppendGuards runs each expected-version guard against a missing and
// an existing stream, single and multi-event, through the one-statement
// append.
func TestAppendGuards(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	tests := []struct {
		expected eventstore.ExpectedVersion
		existing bool
		ok       bool
	}{
		{eventstore.Any, false, true},
		{eventstore.Any, true, true},
		{eventstore.NoStream, false, true},
		{eventstore.NoStream, true, false},
		{eventstore.StreamExists, false, false},
		{eventstore.StreamExists, true, true},
		{eventstore.Exact(1), true, true},
		{eventstore.Exact(0), true, false},
		{eventstore.Exact(0), false, false},
		{eventstore.Exact(1<<63 + 5), true, false},
	}
	for i, tc := range tests {
		for _, n := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s existing=%v n=%d", tc.expected, tc.existing, n), func(t *testing.T) {
				stream := fmt.Sprintf("guard-%d-%d", i, n)
				var before uint64
				if tc.existing {
					res, err := s.Append(ctx, stream, eventstore.NoStream, []eventschema.Proposed{testEvent(0), testEvent(1)})
					if err != nil {
						t.Fatal(err)
					}
					before = res.Version + 1
				}
				events := make([]eventschema.Proposed, n)
				for j := range events {
					events[j] = testEvent(j)
				}
				res, err := s.Append(ctx, stream, tc.expected, events)
				if !tc.ok {
					var wrong *eventstore.WrongVersionError
					if !errors.As(err, &wrong) || wrong.Exists != tc.existing || (tc.existing && wrong.Actual != 1) {
						t.Fatalf("error %v, want a wrong version error naming the stream's state", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if res.Version != before+uint64(n)-1 {
					t.Fatalf("version %d, want %d", res.Version, before+uint64(n)-1)
				}
				got, err := s.ReadStream(ctx, stream, eventstore.Forwards, 0, 100)
				if err != nil || len(got) != int(before)+n || got[len(got)-1].Position != res.Position {
					t.Fatalf("stream reads %d events (%v), last at %v; want %d ending at %s", len(got), err, got, int(before)+n, res.Position)
				}
			})
		}
	}
}
