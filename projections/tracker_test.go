package projections

import (
	"testing"
	"time"

	"supportd/eventschema"
)

// The tracker serves the events it keeps whole, from any of their
// positions or the one just before them, and sends a reader from anywhere
// else to the store.
func TestTrackerReadsFromMemory(t *testing.T) {
	at := func(i uint64) eventschema.Position { return eventschema.Position{Commit: 100 + i, Prepare: 100 + i} }
	tr := newTracker(at(0), time.Second, 100, 5)
	for i := uint64(1); i <= 8; i++ {
		tr.add(eventschema.Envelope{Position: at(i), Type: "T"})
	}
	read := func(after uint64, limit int) ([]uint64, bool) {
		events, ok := tr.read(at(after), limit)
		var out []uint64
		for _, e := range events {
			out = append(out, e.Position.Commit-100)
		}
		return out, ok
	}
	check := func(after uint64, limit int, want []uint64, wantOK bool) {
		t.Helper()
		got, ok := read(after, limit)
		if ok != wantOK || len(got) != len(want) {
			t.Fatalf("read after %d: %v %t, want %v %t", after, got, ok, want, wantOK)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("read after %d: %v, want %v", after, got, want)
			}
		}
	}
	// Five kept whole: 4..8, readable after 3..8.
	check(3, 10, []uint64{4, 5, 6, 7, 8}, true)
	check(5, 2, []uint64{6, 7}, true)
	check(8, 10, nil, true) // caught up
	check(2, 10, nil, false)
	check(9, 10, nil, false) // past the head: ask the store
	tr.trim(at(6))
	check(6, 10, []uint64{7, 8}, true)
	check(5, 10, nil, false)
	tr.add(eventschema.Envelope{Position: at(9)})
	check(8, 10, []uint64{9}, true)
}
