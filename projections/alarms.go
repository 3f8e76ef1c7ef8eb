package projections

import (
	"context"

	"supportd/eventschema"
	"supportd/readmodels"
)

// Alarms lists the alerts raised for the tenant's administrators
// (AlarmRaised), whatever raised them: routing, timeouts, sensitive words,
// waiting queues; and which of them an administrator processed. Consoles are told of new ones by the tenant's live
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
	if e.Type != "AlarmRaised" && e.Type != "AlarmsProcessed" {
		return nil
	}
	payload, err := p.reg.Decode(e)
	if err != nil {
		return err
	}
	switch a := payload.(type) {
	case eventschema.AlarmRaised:
		return db.Exec(ctx, `
			INSERT INTO alarms (event_id, tenant_id, conversation_id, kind, level, detail, raised_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING`,
			e.ID, a.TenantID, a.ConversationID, a.Kind, a.Level, a.Detail, occurredAt(e))
	case eventschema.AlarmsProcessed:
		// The first mark stands, so a replay changes nothing.
		return db.Exec(ctx, `UPDATE alarms SET processed_at = $3, processed_by = $4
			WHERE tenant_id = $1 AND event_id = ANY($2) AND processed_at IS NULL`,
			a.TenantID, a.AlarmIDs, occurredAt(e), a.ProcessedBy)
	}
	return nil
}

// EventTypes implements Selective.
func (*Alarms) EventTypes() []string { return []string{"AlarmRaised", "AlarmsProcessed"} }
