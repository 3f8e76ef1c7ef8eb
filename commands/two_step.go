package commands

import (
	"github.com/google/uuid"
)

// Some commands span two streams: the account is decided in the tenant's
// roster, its consequences for sessions and capacity in the agent's own
// stream. No store appends to two streams atomically, so they are two
// appends; each step below says why a failure between them is safe.

// followUp is the metadata of a command's second step. It runs under its own
// command ID, derived from the first, so a retried command (same
// Idempotency-Key) repeats the step exactly once and its events never share
// IDs with the first step's; it is caused by the first step and carries no
// If-Match, which was about the first stream.
func followUp(m Meta, step string) Meta {
	f := m
	if f.CorrelationID == uuid.Nil {
		f.CorrelationID = m.CommandID
	}
	f.CausationID = m.CommandID
	f.CommandID = uuid.NewSHA1(m.CommandID, []byte(step))
	f.IfVersion = nil
	return f
}

// then folds a second step's result into the first's: the answer still
// names the first stream and its version (what If-Match refers to), but its
// position is the command's last write, so ?min_position= waits for the
// whole effect.
func then(first, second Result) Result {
	if first.Position.Less(second.Position) {
		first.Position = second.Position
	}
	first.Events += second.Events
	return first
}

// withCommandID gives m a command ID if it has none yet: commands that
// create something derive the new ID from it.
func withCommandID(m Meta) Meta {
	if m.CommandID == uuid.Nil {
		m.CommandID = uuid.Must(uuid.NewV7())
	}
	return m
}

// createdID is the ID of what a creating command makes. A fresh command's
// own ID is a new UUIDv7 and serves as is; a command identified by a
// client's Idempotency-Key gets a name-based ID from its tenant and command
// ID, so a retry creates (and answers) the same thing, and two tenants that
// happen to choose the same key never name the same thing.
func createdID(tenantID uuid.UUID, m Meta) uuid.UUID {
	if m.CommandID.Version() == 7 {
		return m.CommandID
	}
	return uuid.NewSHA1(tenantID, m.CommandID[:])
}
