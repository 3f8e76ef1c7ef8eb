package projections

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"supportd/eventschema"
	"supportd/readmodels"
)

// TimerChange is what one event does to the durable timers: start some,
// end some.
type TimerChange struct {
	Schedule []ScheduledTimer
	Cancel   []uuid.UUID
}

// ScheduledTimer is a timeout to fire at DueAt by the scheduler's handler
// for Kind, with Payload as its input.
type ScheduledTimer struct {
	ID      uuid.UUID
	Kind    string
	DueAt   time.Time
	Payload any
}

// TimerRule maps one decoded event to its effect on timers. Rules are pure:
// the same event always gives the same change, so a rebuild reproduces the
// table. A timer's ID must be derived from what it times (e.g. the
// transfer's ID), so that the event its firing records can cancel it.
type TimerRule func(e eventschema.Envelope, payload any) TimerChange

// Timers keeps the durable timers table from the events that start and end
// timeouts. The scheduler (commands.TimerScheduler) only reads it.
type Timers struct {
	reg   *eventschema.Registry
	rules []TimerRule
}

// NewTimers returns the timers projector applying rules.
func NewTimers(reg *eventschema.Registry, rules ...TimerRule) *Timers {
	return &Timers{reg: reg, rules: rules}
}

// Name implements Projector.
func (*Timers) Name() string { return "timers" }

// Tables implements Projector.
func (*Timers) Tables() []string { return []string{readmodels.TimersTable} }

// Apply implements Projector.
func (p *Timers) Apply(ctx context.Context, db DB, e eventschema.Envelope) error {
	if len(p.rules) == 0 {
		return nil
	}
	if _, known := p.reg.Lookup(e.Type); !known {
		return nil
	}
	payload, err := p.reg.Decode(e)
	if err != nil {
		return err
	}
	for _, rule := range p.rules {
		change := rule(e, payload)
		for _, id := range change.Cancel {
			if err := db.Exec(ctx, `DELETE FROM timers WHERE timer_id = $1`, id); err != nil {
				return err
			}
		}
		for _, t := range change.Schedule {
			body, err := json.Marshal(t.Payload)
			if err != nil {
				return err
			}
			if err := db.Exec(ctx, `
				INSERT INTO timers (timer_id, tenant_id, kind, due_at, payload) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (timer_id) DO UPDATE SET due_at = excluded.due_at, payload = excluded.payload`,
				t.ID, e.Metadata.TenantID, t.Kind, t.DueAt, body); err != nil {
				return err
			}
		}
	}
	return nil
}
