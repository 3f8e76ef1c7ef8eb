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
//
// It is also the projectors' shared reader: it keeps the newest events
// themselves, so that a projector following the head reads them from
// memory (read) instead of each projector querying the store for the same
// events.
type tracker struct {
	// maxEntries bounds memory when a projector stays far behind (a
	// stopped one, say): past it the oldest entries are dropped and that
	// projector's lag is reported as a lower bound.
	maxEntries int
	// maxEvents bounds the events kept whole; a projector further behind
	// reads the store.
	maxEvents int
	// poll is how long a waiter sleeps when nothing wakes it.
	poll time.Duration

	mu      sync.Mutex
	entries []entry // events after origin not yet trimmed, in log order
	first   int     // entries[first:] are live
	head    eventschema.Position
	wake    chan struct{} // closed and replaced when the head moves
	// entries[kept:] hold their event; base is the position of the event
	// just before entries[kept] (the origin at first), so that the events
	// after base, up to head, are all in memory.
	kept int
	base eventschema.Position
}

type entry struct {
	pos   eventschema.Position
	at    time.Time // recorded at
	event *eventschema.Envelope
}

func newTracker(origin eventschema.Position, poll time.Duration, maxEntries, maxEvents int) *tracker {
	return &tracker{head: origin, base: origin, poll: poll, maxEntries: maxEntries, maxEvents: maxEvents, wake: make(chan struct{})}
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
			t.add(e)
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

func (t *tracker) add(e eventschema.Envelope) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.head.Less(e.Position) {
		return // seen already (a resubscription)
	}
	t.entries = append(t.entries, entry{pos: e.Position, at: e.RecordedAt, event: &e})
	t.head = e.Position
	if live := len(t.entries) - t.first; t.maxEntries > 0 && live > t.maxEntries {
		t.drop(t.first + live - t.maxEntries)
	}
	for len(t.entries)-t.kept > max(t.maxEvents, 0) {
		t.entries[t.kept].event = nil
		t.base = t.entries[t.kept].pos
		t.kept++
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
	t.drop(t.first + sort.Search(len(live), func(i int) bool { return pos.Less(live[i].pos) }))
	t.compact()
}

// drop forgets the entries before index first.
func (t *tracker) drop(first int) {
	if first <= t.first {
		return
	}
	for i := t.first; i < first; i++ {
		t.entries[i].event = nil // let the garbage collector have it now
	}
	t.first = first
	if t.kept < first {
		t.kept, t.base = first, t.entries[first-1].pos
	}
}

func (t *tracker) compact() {
	if t.first > 1024 && t.first > len(t.entries)/2 {
		t.entries = append(t.entries[:0:0], t.entries[t.first:]...)
		t.kept -= t.first
		t.first = 0
	}
}

// read returns up to limit of the events after position after, from
// memory, and whether it could: after must be the position of an event
// the tracker keeps whole, or the one just before them. The events it
// returns are those the store's ReadAll returns, or the first of them: the
// subscription hands out the log in order, with nothing left out.
func (t *tracker) read(after eventschema.Position, limit int) ([]eventschema.Envelope, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	from := t.kept
	if after != t.base {
		kept := t.entries[t.kept:]
		i := sort.Search(len(kept), func(i int) bool { return !kept[i].pos.Less(after) })
		if i == len(kept) || kept[i].pos != after {
			return nil, false
		}
		from += i + 1
	}
	n := min(len(t.entries)-from, limit)
	out := make([]eventschema.Envelope, n)
	for i := range out {
		out[i] = *t.entries[from+i].event
	}
	return out, true
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
