// Package eventschema defines how every fact of supportd is recorded: the
// envelope around each event, the registry that maps type names and schema
// versions to Go types, the upcasters that lift old versions, and the JSON
// Schema documents generated from the Go types.
package eventschema

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Position is a place in the global log. Events are totally ordered by
// (Commit, Prepare). In the PostgreSQL store Commit is the writing
// transaction's id and Prepare the event's sequence number; in KurrentDB they
// are the commit and prepare positions of the transaction file. The zero
// Position is before every event.
type Position struct {
	Commit  uint64
	Prepare uint64
}

// Start is the position before the first event of the log.
var Start = Position{}

// Less reports whether p comes before q in the global log.
func (p Position) Less(q Position) bool {
	if p.Commit != q.Commit {
		return p.Commit < q.Commit
	}
	return p.Prepare < q.Prepare
}

// String renders p as "commit/prepare", the form the API and the CLI accept.
func (p Position) String() string {
	return strconv.FormatUint(p.Commit, 10) + "/" + strconv.FormatUint(p.Prepare, 10)
}

// ParsePosition reads the form written by Position.String. A single number n
// is read as n/n.
func ParsePosition(s string) (Position, error) {
	c, pr, found := strings.Cut(s, "/")
	commit, err := strconv.ParseUint(c, 10, 64)
	if err != nil {
		return Position{}, fmt.Errorf("position %q: %w", s, err)
	}
	if !found {
		return Position{Commit: commit, Prepare: commit}, nil
	}
	prepare, err := strconv.ParseUint(pr, 10, 64)
	if err != nil {
		return Position{}, fmt.Errorf("position %q: %w", s, err)
	}
	return Position{Commit: commit, Prepare: prepare}, nil
}

// MarshalText implements encoding.TextMarshaler.
func (p Position) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *Position) UnmarshalText(b []byte) error {
	q, err := ParsePosition(string(b))
	if err != nil {
		return err
	}
	*p = q
	return nil
}

// ActorKind says what sort of party caused an event.
type ActorKind string

// The parties that cause events.
const (
	ActorCustomer ActorKind = "customer"
	ActorAgent    ActorKind = "agent"
	ActorAdmin    ActorKind = "admin"
	ActorSystem   ActorKind = "system"
	ActorRobot    ActorKind = "robot"
)

// Actor is who caused an event.
type Actor struct {
	Kind ActorKind `json:"kind"`
	ID   string    `json:"id,omitempty"`
}

// Metadata is what the writer states about an event besides its payload.
// Auditors rely on it to answer who did what, when and why.
type Metadata struct {
	TenantID      uuid.UUID `json:"tenant_id"`
	Actor         Actor     `json:"actor"`
	OccurredAt    time.Time `json:"occurred_at"`
	CorrelationID uuid.UUID `json:"correlation_id"`
	CausationID   uuid.UUID `json:"causation_id"`
	CommandID     uuid.UUID `json:"command_id"`
}

// Proposed is an event on its way into the store: encoded, not yet placed.
type Proposed struct {
	ID       uuid.UUID
	Type     string
	Version  int // schema version of Data
	Data     json.RawMessage
	Metadata Metadata
}

// Envelope is a stored event as every reader sees it.
type Envelope struct {
	ID            uuid.UUID       `json:"id"`
	Type          string          `json:"type"`
	Version       int             `json:"schema_version"`
	Stream        string          `json:"stream"`
	StreamVersion uint64          `json:"stream_version"`
	Position      Position        `json:"position"`
	RecordedAt    time.Time       `json:"recorded_at"`
	Metadata      Metadata        `json:"metadata"`
	Data          json.RawMessage `json:"data"`
}
