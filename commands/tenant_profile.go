package commands

import (
	"context"

	"github.com/google/uuid"

	"supportd/domain/tenant"
)

// ChangeTenantProfile sets a tenant's name, logo and time zone.
type ChangeTenantProfile struct {
	TenantID uuid.UUID
	Name     string
	LogoURL  string
	TimeZone string
}

// ChangeTenantProfile handles the ChangeTenantProfile command.
func (h *Handler) ChangeTenantProfile(ctx context.Context, m Meta, c ChangeTenantProfile) (Result, error) {
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, tenantAggregate(c.TenantID), func(s tenant.State) ([]any, error) {
		return tenant.ChangeProfile(s, c.Name, c.LogoURL, c.TimeZone)
	})
}

// LicenseSeats sets how many accounts a tenant may have enabled.
type LicenseSeats struct {
	TenantID uuid.UUID
	Seats    int
}

// LicenseSeats handles the LicenseSeats command.
func (h *Handler) LicenseSeats(ctx context.Context, m Meta, c LicenseSeats) (Result, error) {
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, tenantAggregate(c.TenantID), func(s tenant.State) ([]any, error) {
		return tenant.LicenseSeats(s, c.Seats)
	})
}
