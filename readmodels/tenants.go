package readmodels

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Tables of the tenants read model, written by the "tenants" projector.
const (
	TenantsTable        = "tenants"
	TenantSettingsTable = "tenant_settings"
)

// Tenant is one customer-service organisation.
type Tenant struct {
	ID   uuid.UUID `json:"tenant_id"`
	Name string    `json:"name"`
	// TimeZone is the IANA zone in which the tenant's reports bucket days
	// and hours.
	TimeZone      string    `json:"time_zone"`
	LogoURL       string    `json:"logo_url"`
	LicensedSeats int       `json:"licensed_seats"`
	CreatedAt     time.Time `json:"created_at"`
}

// TenantSetting is the current value of one setting a tenant has changed.
type TenantSetting struct {
	Key       string          `json:"key"`
	Value     json.RawMessage `json:"value"`
	UpdatedAt time.Time       `json:"updated_at"`
	// Version is the tenant stream's version of the change, usable as an
	// If-Match value for the next change.
	Version uint64 `json:"version"`
}

// GetTenant returns the tenant with id, or ErrNotFound.
func GetTenant(ctx context.Context, q Querier, id uuid.UUID) (Tenant, error) {
	var t Tenant
	err := q.QueryRow(ctx, `
		SELECT tenant_id, name, time_zone, logo_url, licensed_seats, created_at FROM tenants WHERE tenant_id = $1`, id).
		Scan(&t.ID, &t.Name, &t.TimeZone, &t.LogoURL, &t.LicensedSeats, &t.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Tenant{}, fmt.Errorf("tenant %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Tenant{}, fmt.Errorf("tenant %s: %w", id, err)
	}
	return t, nil
}

// GetTenantSettings returns every setting the tenant has changed, sorted by
// key. A tenant that changed none, or does not exist, has none.
func GetTenantSettings(ctx context.Context, q Querier, tenantID uuid.UUID) ([]TenantSetting, error) {
	rows, err := q.Query(ctx, `
		SELECT key, value, updated_at, version FROM tenant_settings
		WHERE tenant_id = $1 ORDER BY key`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("settings of tenant %s: %w", tenantID, err)
	}
	defer rows.Close()
	out := []TenantSetting{}
	for rows.Next() {
		var (
			s       TenantSetting
			value   []byte
			version int64
		)
		if err := rows.Scan(&s.Key, &value, &s.UpdatedAt, &version); err != nil {
			return nil, fmt.Errorf("settings of tenant %s: %w", tenantID, err)
		}
		s.Value, s.Version = value, uint64(version)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("settings of tenant %s: %w", tenantID, err)
	}
	return out, nil
}

// GetTenantSetting returns one setting of a tenant, or ErrNotFound when the
// tenant never changed it (its documented default applies).
func GetTenantSetting(ctx context.Context, q Querier, tenantID uuid.UUID, key string) (TenantSetting, error) {
	var (
		s       TenantSetting
		value   []byte
		version int64
	)
	err := q.QueryRow(ctx, `
		SELECT key, value, updated_at, version FROM tenant_settings
		WHERE tenant_id = $1 AND key = $2`, tenantID, key).
		Scan(&s.Key, &value, &s.UpdatedAt, &version)
	if errors.Is(err, pgx.ErrNoRows) {
		return TenantSetting{}, fmt.Errorf("setting %s of tenant %s: %w", key, tenantID, ErrNotFound)
	}
	if err != nil {
		return TenantSetting{}, fmt.Errorf("setting %s of tenant %s: %w", key, tenantID, err)
	}
	s.Value, s.Version = value, uint64(version)
	return s, nil
}
