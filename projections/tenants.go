package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"supportd/eventschema"
	"supportd/readmodels"
)

// Tenants projects TenantCreated and TenantSettingChanged into the tenants
// and tenant_settings read models (schema and queries in
// readmodels/tenants.go).
type Tenants struct {
	reg *eventschema.Registry
}

var _ BatchProjector = (*Tenants)(nil)

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
	// The first TenantCreated of a tenant wins; a replay changes nothing.
	insertTenantsSQL = `
INSERT INTO tenants (tenant_id, name, time_zone, created_at, version)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::bigint[])
ON CONFLICT (tenant_id) DO NOTHING`

	// The change of the highest stream version wins, so a replayed older
	// change is a no-op.
	upsertSettingsSQL = `
INSERT INTO tenant_settings (tenant_id, key, value, updated_at, version, commit_position, prepare_position)
SELECT t, k, v::jsonb, at, ver, c, p
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::bigint[], $6::bigint[], $7::bigint[])
    AS u(t, k, v, at, ver, c, p)
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
	return p.ApplyBatch(ctx, db, []eventschema.Envelope{e})
}

// ApplyBatch implements BatchProjector. It folds the events first — a
// tenant's first creation, each setting's latest change — and writes each
// table with one statement, so rows changed many times in a run are
// written once.
func (p *Tenants) ApplyBatch(ctx context.Context, db DB, events []eventschema.Envelope) error {
	var (
		tenants  tenantRows
		created  = map[uuid.UUID]bool{}
		settings = map[settingKey]int{} // index in rows
		rows     settingRows
		later    []eventschema.Envelope
	)
	for _, e := range events {
		switch e.Type {
		case "TenantCreated", "TenantSettingChanged", "TenantProfileChanged", "TenantSeatsLicensed":
		default:
			continue
		}
		payload, err := p.reg.Decode(e)
		if err != nil {
			return fmt.Errorf("%s %s at %s: %w", e.Type, e.ID, e.Position, err)
		}
		switch ev := payload.(type) {
		case eventschema.TenantCreated:
			if !created[ev.TenantID] {
				created[ev.TenantID] = true
				tenants.add(ev, e)
			}
		case eventschema.TenantSettingChanged:
			k := settingKey{ev.TenantID, ev.Key}
			if i, ok := settings[k]; ok {
				if int64(e.StreamVersion) > rows.version[i] {
					rows.set(i, ev, e)
				}
				continue
			}
			settings[k] = len(rows.tenant)
			rows.add(ev, e)
		case eventschema.TenantProfileChanged, eventschema.TenantSeatsLicensed:
			later = append(later, e) // after the creations they follow
		default:
			return fmt.Errorf("tenants: unexpected payload %T", payload)
		}
	}
	if len(tenants.id) > 0 {
		if err := db.Exec(ctx, insertTenantsSQL, tenants.id, tenants.name, tenants.zone, tenants.at, tenants.version); err != nil {
			return err
		}
	}
	if len(rows.tenant) > 0 {
		if err := db.Exec(ctx, upsertSettingsSQL, rows.tenant, rows.key, rows.value, rows.at, rows.version, rows.commit, rows.prepare); err != nil {
			return err
		}
	}
	for _, e := range later {
		if err := p.applyProfile(ctx, db, e); err != nil {
			return err
		}
	}
	return nil
}

// applyProfile applies the rarer profile and licence changes one by one.
func (p *Tenants) applyProfile(ctx context.Context, db DB, e eventschema.Envelope) error {
	payload, err := p.reg.Decode(e)
	if err != nil {
		return err
	}
	v := int64(e.StreamVersion)
	switch ev := payload.(type) {
	case eventschema.TenantProfileChanged:
		return db.Exec(ctx, `UPDATE tenants SET name = $2, logo_url = $3, time_zone = $4, profile_version = $5
			WHERE tenant_id = $1 AND profile_version < $5`, ev.TenantID, ev.Name, ev.LogoURL, ev.TimeZone, v)
	case eventschema.TenantSeatsLicensed:
		return db.Exec(ctx, `UPDATE tenants SET licensed_seats = $2, seats_version = $3
			WHERE tenant_id = $1 AND seats_version < $3`, ev.TenantID, ev.Seats, v)
	}
	return nil
}

type settingKey struct {
	tenant uuid.UUID
	key    string
}

// tenantRows and settingRows hold rows column by column, as unnest takes
// them.
type tenantRows struct {
	id         []pgtype.UUID
	name, zone []string
	at         []time.Time
	version    []int64
}

func (r *tenantRows) add(ev eventschema.TenantCreated, e eventschema.Envelope) {
	r.id = append(r.id, pgUUID(ev.TenantID))
	r.name = append(r.name, ev.Name)
	r.zone = append(r.zone, ev.TimeZone)
	r.at = append(r.at, occurredAt(e))
	r.version = append(r.version, int64(e.StreamVersion))
}

type settingRows struct {
	tenant                   []pgtype.UUID
	key, value               []string
	at                       []time.Time
	version, commit, prepare []int64
}

func (r *settingRows) add(ev eventschema.TenantSettingChanged, e eventschema.Envelope) {
	r.tenant = append(r.tenant, pgUUID(ev.TenantID))
	r.key = append(r.key, ev.Key)
	r.value = append(r.value, "")
	r.at = append(r.at, time.Time{})
	r.version = append(r.version, 0)
	r.commit = append(r.commit, 0)
	r.prepare = append(r.prepare, 0)
	r.set(len(r.tenant)-1, ev, e)
}

func (r *settingRows) set(i int, ev eventschema.TenantSettingChanged, e eventschema.Envelope) {
	value := ev.Value
	if len(value) == 0 {
		value = json.RawMessage("null")
	}
	r.value[i] = string(value)
	r.at[i] = occurredAt(e)
	r.version[i] = int64(e.StreamVersion)
	r.commit[i] = int64(e.Position.Commit)
	r.prepare[i] = int64(e.Position.Prepare)
}

// occurredAt is when the fact happened by the writer's clock, falling back
// to when the store recorded it.
func occurredAt(e eventschema.Envelope) time.Time {
	if e.Metadata.OccurredAt.IsZero() {
		return e.RecordedAt
	}
	return e.Metadata.OccurredAt
}

// EventTypes implements Selective.
func (*Tenants) EventTypes() []string {
	return []string{"TenantCreated", "TenantSettingChanged", "TenantProfileChanged", "TenantSeatsLicensed"}
}
