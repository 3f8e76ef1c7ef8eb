package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"supportd/domain/tenant"
	"supportd/eventschema"
	"supportd/readmodels"
)

// TimerChange is what one event does to the durable timers: start some,
// end some.
type TimerChange struct {
	Schedule []ScheduledTimer
	Cancel   []uuid.UUID
	// End ends the timers of some kinds that time one subject, whichever
	// run they are in.
	End []SubjectTimers
}

// SubjectTimers names the timers of Kinds that time Subject.
type SubjectTimers struct {
	Subject uuid.UUID
	Kinds   []string
}

// ScheduledTimer is a timeout to fire at DueAt by the scheduler's handler
// for Kind, with Payload as its input.
type ScheduledTimer struct {
	ID      uuid.UUID
	Kind    string
	DueAt   time.Time
	Payload any

	// Subject, when set, is what the timer times (a conversation): it has
	// one timer of each kind at a time, which a new one replaces, and
	// StartedAt is when that timer's run started. A zero DueAt keeps the
	// run without a due time (its timeout is switched off).
	Subject   uuid.UUID
	StartedAt time.Time
	// Keep: a timer of the kind already timing Subject goes on; only a run
	// kept without a due time gets one, counted from its own start.
	Keep bool
	// IfPending, when set, schedules the timer only while Subject has a
	// timer of that kind.
	IfPending string
}

// Settings answers a tenant's setting as of an event's position in the
// log: the value changed last before the event, else the documented
// default.
type Settings func(key string) (json.RawMessage, bool)

// TimerRule maps one decoded event to its effect on timers. Rules are pure:
// the same event, with the tenant's settings as they stood at its position
// in the log, always gives the same change, so a rebuild reproduces the
// table. A timer's ID must be derived from what it times (e.g. the
// transfer's ID), so that the event its firing records can cancel it.
type TimerRule func(e eventschema.Envelope, payload any, settings Settings) TimerChange

// Timers keeps the durable timers table from the events that start and end
// timeouts, and its own copy of the tenants' settings that time them. The
// scheduler (commands.TimerScheduler) only reads the timers.
type Timers struct {
	// Types, when set, are the event types its rules act on; the tenant
	// setting changes it keeps a copy of are added to them. Nil hands the
	// rules every event.
	Types []string

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
func (*Timers) Tables() []string {
	return []string{readmodels.TimersTable, readmodels.TimerSettingsTable}
}

// EventTypes implements Selective: nil, every type, unless Types is set.
func (p *Timers) EventTypes() []string {
	if p.Types == nil {
		return nil
	}
	return append([]string{"TenantSettingChanged"}, p.Types...)
}

// never is the due time of a run whose timeout is off.
var never = pgtype.Timestamptz{InfinityModifier: pgtype.Infinity, Valid: true}

// Apply implements Projector.
func (p *Timers) Apply(ctx context.Context, db DB, e eventschema.Envelope) error {
	return p.ApplyBatch(ctx, db, []eventschema.Envelope{e})
}

// ApplyBatch implements BatchProjector. A tenant's settings are read once
// per run of events, when a rule first asks, and the run's setting changes
// are folded in as they come: every event sees the settings as of its
// position, as Apply does, without a query per event.
func (p *Timers) ApplyBatch(ctx context.Context, db DB, events []eventschema.Envelope) error {
	if len(p.rules) == 0 {
		return nil
	}
	settings := map[uuid.UUID]*tenant.State{}
	for _, e := range events {
		if _, known := p.reg.Lookup(e.Type); !known {
			continue
		}
		payload, err := p.reg.Decode(e)
		if err != nil {
			return fmt.Errorf("%s %s at %s: %w", e.Type, e.ID, e.Position, err)
		}
		if ch, ok := payload.(eventschema.TenantSettingChanged); ok {
			if err := db.Exec(ctx, `
				INSERT INTO timer_settings (tenant_id, key, value) VALUES ($1, $2, $3)
				ON CONFLICT (tenant_id, key) DO UPDATE SET value = excluded.value`,
				ch.TenantID, ch.Key, string(ch.Value)); err != nil {
				return err
			}
			if st, read := settings[ch.TenantID]; read {
				st.Settings[ch.Key] = ch.Value
			}
		}
		var loadErr error
		setting := func(key string) (json.RawMessage, bool) {
			st, read := settings[e.Metadata.TenantID]
			if !read {
				if st, loadErr = loadTimerSettings(ctx, db, e.Metadata.TenantID); loadErr != nil {
					return nil, false
				}
				settings[e.Metadata.TenantID] = st
			}
			return st.Setting(key)
		}
		for _, rule := range p.rules {
			change := rule(e, payload, setting)
			if loadErr != nil {
				return loadErr
			}
			if err := p.apply(ctx, db, e.Metadata.TenantID, change); err != nil {
				return err
			}
		}
	}
	return nil
}

// apply writes one rule's change.
func (p *Timers) apply(ctx context.Context, db DB, tenantID uuid.UUID, change TimerChange) error {
	for _, id := range change.Cancel {
		if err := db.Exec(ctx, `DELETE FROM timers WHERE tenant_id = $2 AND timer_id = $1`, id, tenantID); err != nil {
			return err
		}
	}
	for _, end := range change.End {
		if err := db.Exec(ctx, `DELETE FROM timers WHERE tenant_id = $3 AND subject = $1 AND kind = ANY($2)`,
			end.Subject, end.Kinds, tenantID); err != nil {
			return err
		}
	}
	for _, t := range change.Schedule {
		if err := p.schedule(ctx, db, tenantID, t); err != nil {
			return err
		}
	}
	return nil
}

func (p *Timers) schedule(ctx context.Context, db DB, tenantID uuid.UUID, t ScheduledTimer) error {
	body, err := json.Marshal(t.Payload)
	if err != nil {
		return err
	}
	if t.Subject == uuid.Nil {
		return db.Exec(ctx, `
			INSERT INTO timers (timer_id, tenant_id, kind, due_at, payload) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (tenant_id, timer_id) DO UPDATE SET due_at = excluded.due_at, payload = excluded.payload`,
			t.ID, tenantID, t.Kind, t.DueAt, body)
	}
	due, delay := never, 0.0
	if !t.DueAt.IsZero() {
		due = pgtype.Timestamptz{Time: t.DueAt, Valid: true}
		delay = t.DueAt.Sub(t.StartedAt).Seconds()
	}
	insert := `
		INSERT INTO timers (timer_id, tenant_id, kind, due_at, payload, subject, started_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (tenant_id, subject, kind) WHERE subject IS NOT NULL DO UPDATE SET `
	args := []any{t.ID, tenantID, t.Kind, due, body, t.Subject, t.StartedAt}
	if t.IfPending != "" {
		insert = `
		INSERT INTO timers (timer_id, tenant_id, kind, due_at, payload, subject, started_at)
		SELECT $1::uuid, $2::uuid, $3::text, $4::timestamptz, $5::jsonb, $6::uuid, $7::timestamptz
		WHERE EXISTS (SELECT 1 FROM timers WHERE tenant_id = $2::uuid AND subject = $6::uuid AND kind = $8::text)
		ON CONFLICT (tenant_id, subject, kind) WHERE subject IS NOT NULL DO UPDATE SET `
		args = append(args, t.IfPending)
	}
	arg := fmt.Sprintf("$%d", len(args)+1)
	if t.Keep {
		return db.Exec(ctx, insert+`due_at = timers.started_at + make_interval(secs => `+arg+`)
			WHERE timers.due_at = 'infinity' AND excluded.due_at < 'infinity'`, append(args, delay)...)
	}
	return db.Exec(ctx, insert+`timer_id = excluded.timer_id, due_at = excluded.due_at, payload = excluded.payload,
		started_at = excluded.started_at`, args...)
}

// loadTimerSettings reads a tenant's settings from the projector's copy:
// the changes applied so far, over the documented defaults.
func loadTimerSettings(ctx context.Context, db DB, tenantID uuid.UUID) (*tenant.State, error) {
	rows, err := db.Query(ctx, `SELECT key, value FROM timer_settings WHERE tenant_id = $1`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("timer settings of %s: %w", tenantID, err)
	}
	defer rows.Close()
	st := &tenant.State{Settings: map[string]json.RawMessage{}}
	for rows.Next() {
		var (
			key   string
			value []byte
		)
		if err := rows.Scan(&key, &value); err != nil {
			return nil, fmt.Errorf("timer settings of %s: %w", tenantID, err)
		}
		st.Settings[key] = value
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("timer settings of %s: %w", tenantID, err)
	}
	return st, nil
}
