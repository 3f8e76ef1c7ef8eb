// Package eventstore is the port to the event log and its adapters: an
// append-only set of streams with optimistic concurrency, and a totally
// ordered global log that subscribers read without ever skipping an event.
package eventstore

import (
	"context"
	"errors"
	"fmt"
	"math"

	"supportd/eventschema"
)

// Store is the event log. Every adapter passes the conformance suite in
// eventstore/storetest.
type Store interface {
	// Append writes events at the end of stream atomically, if the stream is
	// at the expected version. Re-appending events whose IDs are already the
	// stream's events at that place succeeds without writing anything.
	Append(ctx context.Context, stream string, expected ExpectedVersion, events []eventschema.Proposed) (AppendResult, error)

	// ReadStream reads up to limit events of stream starting at version from
	// (inclusive), forwards or backwards. Use End to read backwards from the
	// last event. A stream that does not exist reads as empty.
	ReadStream(ctx context.Context, stream string, dir Direction, from uint64, limit int) ([]eventschema.Envelope, error)

	// ReadAll reads up to limit events of the global log that come after the
	// position after, in log order. A store may hold back an event that has
	// committed for as long as an event before it in the log could still
	// commit; it never returns an event and later one before it.
	ReadAll(ctx context.Context, after eventschema.Position, limit int) ([]eventschema.Envelope, error)

	// Subscribe calls fn for every event after the position after: first
	// those already stored, then new ones as they are committed. It returns
	// when ctx ends or fn fails, with that error.
	Subscribe(ctx context.Context, after eventschema.Position, fn func(eventschema.Envelope) error) error
}

// Direction of a stream read.
type Direction int

// Read directions.
const (
	Forwards Direction = iota
	Backwards
)

// End stands for "the last event of the stream" in backward reads.
const End uint64 = math.MaxUint64

// AppendResult tells where an append put its last event.
type AppendResult struct {
	// Version is the stream version of the last event appended.
	Version uint64
	// Position is the global position of the last event appended.
	Position eventschema.Position
}

// ExpectedVersion is the optimistic-concurrency guard of an append.
type ExpectedVersion struct {
	kind    expectKind
	version uint64
}

type expectKind int

const (
	expectAny expectKind = iota
	expectNoStream
	expectExists
	expectExact
)

var (
	// Any appends whatever the stream's state. Use it only where order
	// between writers truly does not matter.
	Any = ExpectedVersion{kind: expectAny}
	// NoStream appends only if the stream has no events.
	NoStream = ExpectedVersion{kind: expectNoStream}
	// StreamExists appends only if the stream has at least one event.
	StreamExists = ExpectedVersion{kind: expectExists}
)

// Exact appends only if the stream's last event has version v.
func Exact(v uint64) ExpectedVersion { return ExpectedVersion{kind: expectExact, version: v} }

// IsAny, IsNoStream, IsStreamExists and Exact let adapters translate the guard.
func (e ExpectedVersion) IsAny() bool          { return e.kind == expectAny }
func (e ExpectedVersion) IsNoStream() bool     { return e.kind == expectNoStream }
func (e ExpectedVersion) IsStreamExists() bool { return e.kind == expectExists }

// ExactVersion returns the version e names, if it names one.
func (e ExpectedVersion) ExactVersion() (uint64, bool) { return e.version, e.kind == expectExact }

// Admits reports whether a stream whose last version is current (exists
// false: no events) satisfies e.
func (e ExpectedVersion) Admits(current uint64, exists bool) bool {
	switch e.kind {
	case expectNoStream:
		return !exists
	case expectExists:
		return exists
	case expectExact:
		return exists && current == e.version
	default:
		return true
	}
}

func (e ExpectedVersion) String() string {
	switch e.kind {
	case expectNoStream:
		return "no stream"
	case expectExists:
		return "stream exists"
	case expectExact:
		return fmt.Sprintf("version %d", e.version)
	default:
		return "any"
	}
}

// ErrWrongExpectedVersion is the sentinel inside every *WrongVersionError.
var ErrWrongExpectedVersion = errors.New("wrong expected version")

// WrongVersionError is returned when an append's guard does not hold.
// Nothing was written.
type WrongVersionError struct {
	Stream   string
	Expected ExpectedVersion
	// Actual is the stream's last version; Exists is false for no stream.
	Actual uint64
	Exists bool
}

func (e *WrongVersionError) Error() string {
	actual := "no stream"
	if e.Exists {
		actual = fmt.Sprintf("version %d", e.Actual)
	}
	return fmt.Sprintf("append %s: expected %s, stream is at %s: %v", e.Stream, e.Expected, actual, ErrWrongExpectedVersion)
}

func (e *WrongVersionError) Unwrap() error { return ErrWrongExpectedVersion }

// ErrInvalidEvent is returned for a malformed append (no events, an event
// without ID or type, or data that is not JSON).
var ErrInvalidEvent = errors.New("invalid event")
