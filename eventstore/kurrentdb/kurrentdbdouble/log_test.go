package kurrentdbdouble

import (
	"testing"

	"github.com/google/uuid"
)

// TestCommitCheck pins the double's answers to the real server's rules for
// expected revisions and retried appends.
func TestCommitCheck(t *testing.T) {
	ids := make([]uuid.UUID, 4)
	for i := range ids {
		ids[i] = uuid.New()
	}
	fresh := uuid.New()
	ps := func(ids ...uuid.UUID) []proposal {
		out := make([]proposal, len(ids))
		for i, id := range ids {
			out[i] = proposal{id: id, eventType: "Thing", contentType: "application/json"}
		}
		return out
	}
	cases := []struct {
		name     string
		stream   string
		expected int64
		events   []proposal
		want     decision
		current  int64  // for a wrong expected version
		last     uint64 // for an idempotent answer
	}{
		{"no stream, new stream", "b", expectNoStream, ps(fresh), decideWrite, 0, 0},
		{"no stream, retried", "a", expectNoStream, ps(ids[0], ids[1]), decideIdempotent, 0, 1},
		{"no stream, retried with more", "a", expectNoStream, ps(ids[0], ids[1], ids[2], ids[3], fresh), decideCorrupted, 0, 0},
		{"no stream, stream exists", "a", expectNoStream, ps(fresh), decideWrongVersion, 3, 0},
		{"exact, current", "a", 3, ps(fresh), decideWrite, 0, 0},
		{"exact, retried", "a", 1, ps(ids[2], ids[3]), decideIdempotent, 0, 3},
		{"exact, behind", "a", 1, ps(fresh), decideWrongVersion, 3, 0},
		{"exact, ahead", "a", 7, ps(fresh), decideWrongVersion, 3, 0},
		{"exact, missing stream", "b", 0, ps(fresh), decideWrongVersion, -1, 0},
		{"exact, stored IDs at the end", "a", 3, ps(ids[2], ids[3]), decideWrite, 0, 0},
		{"stream exists, missing stream", "b", expectStreamExists, ps(fresh), decideWrongVersion, -1, 0},
		{"stream exists", "a", expectStreamExists, ps(fresh), decideWrite, 0, 0},
		{"any, new IDs", "a", expectAny, ps(fresh), decideWrite, 0, 0},
		{"any, retried", "a", expectAny, ps(ids[1], ids[2]), decideIdempotent, 0, 2},
		{"any, retried with more", "a", expectAny, ps(ids[3], fresh), decideCorrupted, 0, 0},
		{"any, IDs of another stream", "b", expectAny, ps(ids[0]), decideWrite, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := newEventLog()
			if out := l.append("a", expectNoStream, ps(ids...), 0); out.decision != decideWrite || out.last != 3 {
				t.Fatalf("setup append: %+v", out)
			}
			out := l.check(tc.stream, tc.expected, tc.events)
			if out.decision != tc.want {
				t.Fatalf("decision %d, want %d", out.decision, tc.want)
			}
			if tc.want == decideWrongVersion && out.current != tc.current {
				t.Errorf("current %d, want %d", out.current, tc.current)
			}
			if tc.want == decideIdempotent && out.last != tc.last {
				t.Errorf("last %d, want %d", out.last, tc.last)
			}
		})
	}
}

// TestPositions checks that one append's events share the commit position
// and increase in prepare position, and that positions grow across
// appends.
func TestPositions(t *testing.T) {
	l := newEventLog()
	p := func() []proposal {
		return []proposal{{id: uuid.New(), eventType: "Thing"}, {id: uuid.New(), eventType: "Thing"}}
	}
	first := l.append("a", expectAny, p(), 0)
	second := l.append("b", expectAny, p(), 0)
	all, _ := l.snapshot()
	if len(all) != 4 {
		t.Fatalf("%d records", len(all))
	}
	if all[0].commit != first.position || all[1].commit != first.position || all[2].commit != second.position {
		t.Errorf("commit positions %d %d %d, appends at %d and %d", all[0].commit, all[1].commit, all[2].commit, first.position, second.position)
	}
	for i := 1; i < len(all); i++ {
		if !all[i].after(all[i-1].commit, all[i-1].prepare) {
			t.Errorf("record %d is not after record %d", i, i-1)
		}
	}
	if all[0].commit == 0 {
		t.Error("the first event is at the zero position, which clients read as the start")
	}
}
