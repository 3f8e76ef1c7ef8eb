package kurrentdbdouble

import (
	"sort"
	"sync"

	"github.com/google/uuid"
)

// record is one stored event. Records are never changed after they are
// written, so readers may hold them outside the log's lock.
type record struct {
	id       uuid.UUID
	stream   string
	revision uint64
	// commit and prepare are the event's place in $all. As in the real
	// protocol, every event of one append shares the commit position (the
	// position of the append's first event) and has its own prepare
	// position, so multi-event appends exercise both halves of a position.
	commit, prepare uint64
	eventType       string
	contentType     string
	created         int64 // .NET ticks (100 ns) since the Unix epoch
	custom          []byte
	data            []byte
}

func (r *record) after(commit, prepare uint64) bool {
	if r.commit != commit {
		return r.commit > commit
	}
	return r.prepare > prepare
}

// Special expected revisions, numbered as the real server numbers them.
const (
	expectNoStream     int64 = -1
	expectAny          int64 = -2
	expectStreamExists int64 = -4
)

// decision is the outcome of checking an append against the log.
type decision int

const (
	decideWrite decision = iota
	decideIdempotent
	decideWrongVersion
	decideCorrupted // some of the IDs are stored at that place, others not
)

// proposal is an event on its way into the log.
type proposal struct {
	id          uuid.UUID
	eventType   string
	contentType string
	custom      []byte
	data        []byte
}

// eventLog is the in-memory transaction log: $all in order, an index per
// stream and one by event ID.
type eventLog struct {
	mu      sync.Mutex
	all     []*record
	streams map[string][]*record
	ids     map[uuid.UUID]*record
	next    uint64        // next log position
	changed chan struct{} // closed and replaced after every write
}

func newEventLog() *eventLog {
	// Positions start above zero: the zero position means "before the
	// first event" to clients.
	return &eventLog{streams: map[string][]*record{}, ids: map[uuid.UUID]*record{}, next: 128, changed: make(chan struct{})}
}

// appendOutcome tells the Append handler what to answer.
type appendOutcome struct {
	decision decision
	// current is the stream's last revision (-1: no stream) for a wrong
	// expected version; last is the last revision of the write or of the
	// idempotent match.
	current int64
	last    uint64
	// position is the position reported for a write: that of the first
	// event, as the real protocol reports the transaction's position.
	position uint64
}

// append checks expected against stream and writes the proposals, with
// the real server's idempotency rules: re-sending events that are already the
// stream's events right after the expected revision is answered with
// success and writes nothing.
func (l *eventLog) append(stream string, expected int64, ps []proposal, created int64) appendOutcome {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.check(stream, expected, ps)
	if out.decision != decideWrite {
		return out
	}
	recs := l.streams[stream]
	commit := l.next
	for _, p := range ps {
		r := &record{
			id:          p.id,
			stream:      stream,
			revision:    uint64(len(recs)),
			commit:      commit,
			prepare:     l.next,
			eventType:   p.eventType,
			contentType: p.contentType,
			created:     created,
			custom:      p.custom,
			data:        p.data,
		}
		// Positions grow by the record's size, like offsets in a file, so
		// clients cannot get away with assuming consecutive numbers.
		l.next += 64 + uint64(len(p.data)+len(p.custom)+len(stream)+len(p.eventType))
		recs = append(recs, r)
		l.all = append(l.all, r)
		l.ids[p.id] = r
	}
	l.streams[stream] = recs
	close(l.changed)
	l.changed = make(chan struct{})
	return appendOutcome{decision: decideWrite, last: uint64(len(recs) - 1), position: commit}
}

// check decides an append by the rules of the real server's commit check,
// except that the double remembers every event ID where the server keeps
// only a cache of recent ones for expected revision "any".
func (l *eventLog) check(stream string, expected int64, ps []proposal) appendOutcome {
	recs := l.streams[stream]
	current := int64(len(recs)) - 1
	wrong := appendOutcome{decision: decideWrongVersion, current: current}
	if expected == expectStreamExists {
		if current < 0 {
			return wrong
		}
		expected = current
	}
	switch {
	case expected == expectAny:
		var last uint64
		for i, p := range ps {
			r, ok := l.ids[p.id]
			if !ok || r.stream != stream {
				if i == 0 {
					return appendOutcome{decision: decideWrite}
				}
				return appendOutcome{decision: decideCorrupted, current: current}
			}
			last = r.revision
		}
		return appendOutcome{decision: decideIdempotent, current: current, last: last}
	case expected < current:
		n := expected
		for _, p := range ps {
			n++
			if n <= current && recs[n].id == p.id {
				continue
			}
			if n == expected+1 {
				return wrong
			}
			return appendOutcome{decision: decideCorrupted, current: current}
		}
		return appendOutcome{decision: decideIdempotent, current: current, last: uint64(n)}
	case expected > current:
		return wrong
	default:
		return appendOutcome{decision: decideWrite}
	}
}

// stream returns the stream's records and whether it exists.
func (l *eventLog) stream(name string) ([]*record, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	recs, ok := l.streams[name]
	return recs, ok
}

// snapshot returns $all as it is now and a channel closed on the next
// write.
func (l *eventLog) snapshot() ([]*record, chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.all, l.changed
}

// streamSnapshot is snapshot for one stream.
func (l *eventLog) streamSnapshot(name string) ([]*record, chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.streams[name], l.changed
}

// firstAfter returns the index in all of the first record strictly after
// the position, or, with inclusive, at or after it.
func firstAfter(all []*record, commit, prepare uint64, inclusive bool) int {
	return sort.Search(len(all), func(i int) bool {
		r := all[i]
		if inclusive && r.commit == commit && r.prepare == prepare {
			return true
		}
		return r.after(commit, prepare)
	})
}
