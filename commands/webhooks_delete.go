package commands

import (
	"context"

	"github.com/google/uuid"

	"supportd/domain/webhook"
)

// DeleteWebhook removes an endpoint; its pending deliveries are given up.
type DeleteWebhook struct {
	TenantID   uuid.UUID
	EndpointID uuid.UUID
}

// DeleteWebhook handles the DeleteWebhook command.
func (h *Handler) DeleteWebhook(ctx context.Context, m Meta, c DeleteWebhook) (Result, error) {
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, webhooksAggregate(c.TenantID), func(s webhook.State) ([]any, error) {
		return webhook.Delete(s, c.TenantID, c.EndpointID)
	})
}
