package commands

import (
	"context"

	"github.com/google/uuid"

	"supportd/domain/tenant"
)

// CreateTenant registers a new customer-service organisation.
type CreateTenant struct {
	TenantID uuid.UUID
	Name     string
	TimeZone string
}

// CreateTenant handles the CreateTenant command.
func (h *Handler) CreateTenant(ctx context.Context, m Meta, c CreateTenant) (Result, error) {
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, tenantAggregate(c.TenantID), func(s tenant.State) ([]any, error) {
		return tenant.Create(s, c.TenantID, c.Name, c.TimeZone)
	})
}

func tenantAggregate(id uuid.UUID) Aggregate[tenant.State] {
	return Aggregate[tenant.State]{Stream: tenant.Stream(id), Evolve: tenant.Evolve}
}
