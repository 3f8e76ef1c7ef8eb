package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"supportd/eventschema"
	"supportd/readmodels"
)

// Tenants projects TenantCreated and TenantSettingChanged into the tenants
// and tenant_settings read models (schema and queries in
// readmodels/tenants.go).
type Tenants struct {
	reg *eventschema.Registry
}

// NewTenants returns the tenants projector, decoding payloads with reg so
// that old schema versions are upcast first.
func NewTenants(reg *eventschema.Registry) *Tenants { return &Tenants{reg: reg} }

// Name implements Projector.
func (*Tenants) Name() string { return "tenants" }

// Tables implements Projector.
func (*Tenants) Tables() []string {
	return []string{readmodels.TenantsTable, readmodels.TenantSettingsTable}
}

const (
	insertTenantSQL = `
INSERT INTO tenants (tenant_id, name, time_zone, created_at, version)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (tenant_id) DO NOTHING`

	// The version guard makes a replayed older change a no-op.
	upsertSettingSQL = `
INSERT INTO tenant_settings (tenant_id, key, value, updated_at, version, commit_position, prepare_position)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (tenant_id, key) DO UPDATE SET
    value = excluded.value,
    updated_at = excluded.updated_at,
    version = excluded.version,
    commit_position = excluded.commit_position,
    prepare_position = excluded.prepare_position
WHERE tenant_settings.version < excluded.version`
)

// Apply implements Projector.
func (p *Tenants) Apply(ctx context.Context, db DB, e eventschema.Envelope) error {
	switch e.Type {
	case "TenantCreated", "TenantSettingChanged":
	default:
		return nil
	}
	payload, err := p.reg.Decode(e)
	if err != nil {
		return err
	}
	switch ev := payload.(type) {
	case eventschema.TenantCreated:
		return db.Exec(ctx, insertTenantSQL, ev.TenantID, ev.Name, ev.TimeZone, occurredAt(e), int64(e.StreamVersion))
	case eventschema.TenantSettingChanged:
		value := ev.Value
		if len(value) == 0 {
			value = json.RawMessage("null")
		}
		return db.Exec(ctx, upsertSettingSQL, ev.TenantID, ev.Key, value, occurredAt(e),
			int64(e.StreamVersion), int64(e.Position.Commit), int64(e.Position.Prepare))
	default:
		return fmt.Errorf("tenants: unexpected payload %T", payload)
	}
}

// occurredAt is when the fact happened by the writer's clock, falling back
// to when the store recorded it.
func occurredAt(e eventschema.Envelope) time.Time {
	if e.Metadata.OccurredAt.IsZero() {
		return e.RecordedAt
	}
	return e.Metadata.OccurredAt
}
