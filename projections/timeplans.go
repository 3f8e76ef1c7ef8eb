package projections

import (
	"context"
	"encoding/json"

	"supportd/eventschema"
	"supportd/readmodels"
)

// TimePlans projects the time plan streams, and the tenant's choice of a
// default plan, into the time plans read model (readmodels/timeplans.go).
type TimePlans struct {
	reg *eventschema.Registry
}

// NewTimePlans returns the time plans projector.
func NewTimePlans(reg *eventschema.Registry) *TimePlans { return &TimePlans{reg: reg} }

// Name implements Projector.
func (*TimePlans) Name() string { return "time_plans" }

// Tables implements Projector.
func (*TimePlans) Tables() []string {
	return []string{readmodels.TimePlansTable, readmodels.TimePlanDefaultsTable}
}

var timePlanEvents = map[string]bool{
	"TimePlanDefined": true, "TimePlanChanged": true, "TimePlanDeleted": true, "TenantDefaultTimePlanChosen": true,
}

// Apply implements Projector.
func (p *TimePlans) Apply(ctx context.Context, db DB, e eventschema.Envelope) error {
	if !timePlanEvents[e.Type] {
		return nil
	}
	payload, err := p.reg.Decode(e)
	if err != nil {
		return err
	}
	v, at := int64(e.StreamVersion), occurredAt(e)
	switch ev := payload.(type) {
	case eventschema.TimePlanDefined:
		schedule, err := json.Marshal(ev.Schedule)
		if err != nil {
			return err
		}
		return db.Exec(ctx, `
			INSERT INTO time_plans (plan_id, tenant_id, name, schedule, created_at, updated_at, version)
			VALUES ($1, $3, $4, $5, $6, $6, $2) ON CONFLICT (tenant_id, plan_id) DO NOTHING`,
			ev.PlanID, v, ev.TenantID, ev.Name, schedule, at)
	case eventschema.TimePlanChanged:
		schedule, err := json.Marshal(ev.Schedule)
		if err != nil {
			return err
		}
		return db.Exec(ctx, `UPDATE time_plans SET name = $3, schedule = $4, updated_at = $5, version = $2
			WHERE tenant_id = $6 AND plan_id = $1 AND version < $2`, ev.PlanID, v, ev.Name, schedule, at, ev.TenantID)
	case eventschema.TimePlanDeleted:
		return db.Exec(ctx, `UPDATE time_plans SET deleted = true, updated_at = $3, version = $2
			WHERE tenant_id = $4 AND plan_id = $1 AND version < $2`, ev.PlanID, v, at, ev.TenantID)
	case eventschema.TenantDefaultTimePlanChosen:
		return db.Exec(ctx, `
			INSERT INTO time_plan_defaults (tenant_id, plan_id, version) VALUES ($1, $2, $3)
			ON CONFLICT (tenant_id) DO UPDATE SET plan_id = excluded.plan_id, version = excluded.version
			WHERE time_plan_defaults.version < excluded.version`, ev.TenantID, ev.PlanID, v)
	}
	return nil
}

// EventTypes implements Selective.
func (*TimePlans) EventTypes() []string { return typesOf(timePlanEvents) }
