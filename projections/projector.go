package projections

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"

	"github.com/jackc/pgx/v5"

	"supportd/eventschema"
)

// Projector turns events of the global log into the rows of one read model.
//
// Apply sees every event of the log in order, exactly once in effect: its
// writes and the projector's checkpoint commit together, and a batch that
// fails is rolled back and delivered again. Apply ignores event types it
// does not project. It must be deterministic, with every column derived from
// the event (never from the clock or a sequence), so that a rebuild
// reproduces the live rows exactly, and it should be idempotent (guarded by
// stream version) so that replaying an old event changes nothing.
type Projector interface {
	// Name identifies the projector: its checkpoint row, its Watermill topic
	// and handler, its metrics and `supportctl rebuild NAME`. Lower case
	// letters, digits and underscores.
	Name() string
	// Tables lists, unqualified, every table the projector writes. They are
	// its alone; a rebuild replaces them all at once.
	Tables() []string
	// Apply writes the effects of e through db.
	Apply(ctx context.Context, db DB, e eventschema.Envelope) error
}

// Selective is a Projector that names the event types it projects. The
// pipeline hands it only those: a batch of the log that holds none of them
// opens no transaction for it, and its checkpoint moves past them lazily,
// so that most projectors cost nothing for most events. Apply must leave
// every other type alone (TestDeclaredTypesAreComplete replays a sample of
// every registered type to check it). Every projector of All is one; a
// Projector that is not gets every event.
type Selective interface {
	Projector
	// EventTypes lists the event types Apply projects; nil means every
	// type.
	EventTypes() []string
}

// selection returns the set of event types p projects, or nil when it
// takes every event.
func selection(p Projector) map[string]bool {
	s, ok := p.(Selective)
	if !ok || s.EventTypes() == nil {
		return nil
	}
	set := map[string]bool{}
	for _, t := range s.EventTypes() {
		set[t] = true
	}
	return set
}

// typesOf lists the keys of a projector's set of event types.
func typesOf(set map[string]bool) []string {
	return slices.Sorted(maps.Keys(set))
}

// BatchProjector is a Projector that can also apply a run of events at
// once, faster than one by one: a rebuild replays the log through it, a
// few thousand events at a time. ApplyBatch must leave exactly the rows
// that Apply leaves when called for each event in order; the rebuild tests
// compare the two row for row.
type BatchProjector interface {
	Projector
	ApplyBatch(ctx context.Context, db DB, events []eventschema.Envelope) error
}

// DB is what a projector reads and writes its tables through: a batch's
// transaction that queues statements and sends them pipelined, in one round
// trip, when the batch ends (live projection and rebuild alike). So Exec
// tells nothing about the rows it changed, and a statement's failure may be
// reported by a later call or when the batch ends, where it is traced back
// to the event that queued it; Query and QueryRow first send what is queued,
// so they see every earlier write.
//
// Table names must be written unqualified: a rebuild points the search path
// at its fresh tables.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) error
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// All returns every projector of supportd, decoding events with reg. The
// server runs them all; `supportctl rebuild` finds them here by name.
func All(reg *eventschema.Registry) []Projector {
	return []Projector{NewTenants(reg), NewAccounts(reg), NewTeams(reg), NewTimePlans(reg), NewCatalogues(reg),
		NewNotifications(reg), NewRoutingRules(reg), NewCustomers(reg), NewConversations(reg),
		NewKeywords(reg), NewColleagues(reg),
		timers(reg), NewDispatch(reg), NewAlarms(reg), NewWebhooks(reg), NewNotes(reg)}
}

// timers is the timers projector of supportd's own rules.
func timers(reg *eventschema.Registry) *Timers {
	t := NewTimers(reg, TimerRules()...)
	t.Types = TimerRuleEvents()
	return t
}

// Find returns the projector called name among ps.
func Find(ps []Projector, name string) (Projector, bool) {
	for _, p := range ps {
		if p.Name() == name {
			return p, true
		}
	}
	return nil, false
}

var identifier = regexp.MustCompile(`^[a-z][a-z0-9_]{0,47}$`)

// validate checks what the pipeline relies on: names usable as SQL
// identifiers and topic names, and at least one table.
func validate(p Projector) error {
	if !identifier.MatchString(p.Name()) {
		return fmt.Errorf("projector name %q: want lower case letters, digits and underscores", p.Name())
	}
	if len(p.Tables()) == 0 {
		return fmt.Errorf("projector %s: no tables", p.Name())
	}
	for _, t := range p.Tables() {
		if !identifier.MatchString(t) {
			return fmt.Errorf("projector %s: table name %q: want an unqualified lower-case name", p.Name(), t)
		}
	}
	return nil
}
