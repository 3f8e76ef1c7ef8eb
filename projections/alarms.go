package projections

import (
	"context"

	"supportd/eventschema"
	"supportd/readmodels"
)

// Alarms lists the alerts raised for the tenant's administrators
// (AlarmRaised), whatever raised them: routing, timeouts, sensitive words,
// waiting queues. Consoles are told of new ones by the tenant's live
// stream; this is what they list and page through.
type Alarms struct {
	reg *eventschema.Registry
}

// NewAlarms returns the alarms projector.
func NewAlarms(reg *eventschema.Registry) *Alarms { return &Alarms{reg: reg} }

// Name implements Projector.
func (*Alarms) Name() string { return "alarms" }

// Tables implements Projector.
func (*Alarms) Tables() []string { return []string{readmodels.AlarmsTable} }

// Apply implements Projector. The event ID is the row's key, so a replay
// inserts nothing twice.
func (p *Alarms) Apply(ctx context.Context, db DB, e eventschema.Envelope) error {
	if e.Type != "AlarmRaised" {
		return nil
	}
	payload, err := p.reg.Decode(e)
	if err != nil {
		return err
	}
	a, ok := payload.(eventschema.AlarmRaised)
	if !ok {
		return nil
	}
	return db.Exec(ctx, `
		INSERT INTO alarms (event_id, tenant_id, conversation_id, kind, level, detail, raised_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING`,
		e.ID, a.TenantID, a.ConversationID, a.Kind, a.Level, a.Detail, occurredAt(e))
}
