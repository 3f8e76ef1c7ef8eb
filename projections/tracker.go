package projections

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"time"

	"supportd/eventschema"
	"supportd/eventstore"
)

// tracker follows the head of the global log with one store subscription
// shared by all projectors of a Runner. It wakes subscribers that wait for
// new events, and it remembers the position and recording time of every
// event after the slowest projector's checkpoint, which is what lag is
// measured against: a checkpoint is as many events behind as the tracker has
// seen after it, and as late as the oldest of them.
type tracker struct {
	// maxEntries bounds memory when a projector stays far behind (a
	// stopped one, say): past it the oldest entries are dropped and that
	// projector's lag is reported as a lower bound.
	maxEntries int
	// poll is how long a waiter sleeps when nothing wakes it.
	poll time.Duration

	mu      sync.Mutex
	entries []entry // events after origin not yet trimmed, in log order
	first   int     // entries[first:] are live
	head    eventschema.Position
	wake    chan struct{} // closed and replaced when the head moves
}

type entry struct {
	pos eventschema.Position
	at  time.Time // recorded at
}

func newTracker(origin eventschema.Position, poll time.Duration, maxEntries int) *tracker {
	return &tracker{head: origin, poll: poll, maxEntries: maxEntries, wake: make(chan struct{})}
}

// run follows the log until ctx ends, resubscribing after failures.
func (t *tracker) run(ctx context.Context, store eventstore.Store, log *slog.Logger) {
	failures := 0
	for ctx.Err() == nil {
		t.mu.Lock()
		after := t.head
		t.mu.Unlock()
		err := store.Subscribe(ctx, after, func(e eventschema.Envelope) error {
			failures = 0
			t.add(e.Position, e.RecordedAt)
			return nil
		})
		if ctx.Err() != nil {
			return
		}
		failures++
		log.Warn("following the event log failed; retrying", "err", err)
		if !sleep(ctx, min(100*time.Millisecond<<min(failures-1, 6), 5*time.Second)) {
			return
		}
	}
}

func (t *tracker) add(pos eventschema.Position, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.head.Less(pos) {
		return // seen already (a resubscription)
	}
	t.entries = append(t.entries, entry{pos: pos, at: at})
	t.head = pos
	if live := len(t.entries) - t.first; t.maxEntries > 0 && live > t.maxEntries {
		t.first += live - t.maxEntries
	}
	t.compact()
	close(t.wake)
	t.wake = make(chan struct{})
}

// trim forgets the events at or before pos, which every projector has
// applied.
func (t *tracker) trim(pos eventschema.Position) {
	t.mu.Lock()
	defer t.mu.Unlock()
	live := t.entries[t.first:]
	t.first += sort.Search(len(live), func(i int) bool { return pos.Less(live[i].pos) })
	t.compact()
}

func (t *tracker) compact() {
	if t.first > 1024 && t.first > len(t.entries)/2 {
		t.entries = append(t.entries[:0:0], t.entries[t.first:]...)
		t.first = 0
	}
}

// lag returns how many events the tracker has seen after checkpoint cp and
// when the oldest of them was recorded (zero when there are none).
func (t *tracker) lag(cp eventschema.Position) (int64, time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	live := t.entries[t.first:]
	i := sort.Search(len(live), func(i int) bool { return cp.Less(live[i].pos) })
	if i == len(live) {
		return 0, time.Time{}
	}
	return int64(len(live) - i), live[i].at
}

// wait blocks until the tracker has seen an event after after, ctx ends, or
// it is time to look anyway. While the tracker is behind after (it is still
// catching up) it cannot tell, so it lets the caller look again soon.
func (t *tracker) wait(ctx context.Context, after eventschema.Position) error {
	t.mu.Lock()
	behind := t.head.Less(after)
	t.mu.Unlock()
	d := t.poll
	if behind {
		d = min(d, 10*time.Millisecond)
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		t.mu.Lock()
		head, wake := t.head, t.wake
		t.mu.Unlock()
		if after.Less(head) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return nil
		case <-wake:
		}
	}
}
