package commands

import (
	"container/list"
	"encoding/binary"
	"maps"
	"reflect"
	"sync"

	"github.com/google/uuid"

	"supportd/eventschema"
)

// stateCache keeps folded aggregate states by stream, so that loading a
// long stream that is read on every request (the tenant's, an agent's)
// reads and folds only the events appended since the state was kept. It
// is a copy, never the truth: a load still reads the stream's tail, so it
// decides on a state as recent as an uncached load would, and appends stay
// guarded by the version loaded.
//
// A state is shared by every load that starts from it, so only aggregates
// whose Evolve never changes a state it is given may be kept
// (Aggregate.Cache).
//
// The cache is bounded by the events folded into the states it holds (a
// rough measure of their memory, with a fixed cost per entry), and drops
// the least recently used first.
type stateCache struct {
	mu      sync.Mutex
	max     int // in events
	used    int
	entries map[cacheKey]*list.Element
	lru     list.List // of *cachedState, most recent first
}

// cacheKey tells a stream's folds apart: the tenant's stream is folded
// into more than one state type.
type cacheKey struct {
	stream string
	kind   reflect.Type
}

func keyOf[S any](stream string) cacheKey {
	return cacheKey{stream: stream, kind: reflect.TypeFor[S]()}
}

// cachedState is a stream folded up to version. It never changes once made.
type cachedState struct {
	key      cacheKey
	state    any
	version  uint64
	position eventschema.Position
	commands *commandSet
}

// entryCost is what an entry counts for besides its events.
const entryCost = 64

func (c *cachedState) weight() int { return int(c.version) + 1 + entryCost }

// DefaultStateCacheEvents bounds a handler's cache of folded states: a
// quarter of a million events' worth (about 4,000 short streams, or fewer
// long ones), some tens of MiB at most.
const DefaultStateCacheEvents = 1 << 18

func newStateCache(maxEvents int) *stateCache {
	return &stateCache{max: maxEvents, entries: map[cacheKey]*list.Element{}}
}

func (c *stateCache) get(k cacheKey) (*cachedState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[k]
	if !ok {
		return nil, false
	}
	c.lru.MoveToFront(el)
	return el.Value.(*cachedState), true
}

// put keeps s unless the cache holds a later version of its stream.
func (c *stateCache) put(s *cachedState) {
	if s.weight() > c.max/4 {
		return // one stream would crowd out the others
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[s.key]; ok {
		old := el.Value.(*cachedState)
		if old.version > s.version {
			c.lru.MoveToFront(el)
			return
		}
		c.used += s.weight() - old.weight()
		el.Value = s
		c.lru.MoveToFront(el)
	} else {
		c.entries[s.key] = c.lru.PushFront(s)
		c.used += s.weight()
	}
	for c.used > c.max {
		el := c.lru.Back()
		old := c.lru.Remove(el).(*cachedState)
		delete(c.entries, old.key)
		c.used -= old.weight()
	}
}

// commandSet holds the IDs of the commands whose events a cached state
// folded, so that a retried command still finds it was applied (see
// loaded.done). Each ID is kept as 8 bytes: a false match only costs a
// load from the stream's start.
//
// A set never changes once made: adding makes a new set that shares the
// older maps. The maps' sizes at least double towards the oldest, so a
// lookup visits O(log n) maps and each ID is copied O(log n) times.
type commandSet struct {
	ids   map[uint64]struct{}
	older *commandSet
}

func commandKey(id uuid.UUID) uint64 {
	return binary.LittleEndian.Uint64(id[:8]) ^ binary.LittleEndian.Uint64(id[8:])
}

func (s *commandSet) has(id uuid.UUID) bool {
	k := commandKey(id)
	for ; s != nil; s = s.older {
		if _, ok := s.ids[k]; ok {
			return true
		}
	}
	return false
}

// with returns s with ids added; it takes ids over.
func (s *commandSet) with(ids map[uint64]struct{}) *commandSet {
	if len(ids) == 0 {
		return s
	}
	n := &commandSet{ids: ids, older: s}
	for n.older != nil && len(n.older.ids) < 2*len(n.ids) {
		merged := make(map[uint64]struct{}, len(n.ids)+len(n.older.ids))
		maps.Copy(merged, n.older.ids)
		maps.Copy(merged, n.ids)
		n = &commandSet{ids: merged, older: n.older.older}
	}
	return n
}
