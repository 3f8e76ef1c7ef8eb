package commands

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"

	"supportd/domain/tenant"
)

// ChangeTenantSetting sets one function switch or timeout of a tenant.
type ChangeTenantSetting struct {
	TenantID uuid.UUID
	Key      string
	Value    json.RawMessage
}

// ChangeTenantSetting handles the ChangeTenantSetting command.
func (h *Handler) ChangeTenantSetting(ctx context.Context, m Meta, c ChangeTenantSetting) (Result, error) {
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, tenantAggregate(c.TenantID), func(s tenant.State) ([]any, error) {
		return tenant.ChangeSetting(s, c.Key, c.Value)
	})
}
