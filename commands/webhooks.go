package commands

import (
	"context"

	"github.com/google/uuid"

	"supportd/domain/webhook"
	"supportd/eventschema"
)

func webhooksAggregate(tenantID uuid.UUID) Aggregate[webhook.State] {
	return Aggregate[webhook.State]{Tenant: tenantID, Stream: webhook.Stream(tenantID), Evolve: webhook.Evolve}
}

// RegisterWebhook adds a webhook endpoint. An empty Secret has one made.
type RegisterWebhook struct {
	TenantID   uuid.UUID
	EndpointID uuid.UUID
	Endpoint   eventschema.WebhookEndpoint
}

// WebhookRegistered answers a registration; Secret is shown only when this
// call recorded it (a retried request answers without it).
type WebhookRegistered struct {
	Result
	EndpointID uuid.UUID `json:"endpoint_id"`
	Secret     string    `json:"secret,omitempty"`
}

// RegisterWebhook handles the RegisterWebhook command.
func (h *Handler) RegisterWebhook(ctx context.Context, m Meta, c RegisterWebhook) (WebhookRegistered, error) {
	m.TenantID = c.TenantID
	if err := h.checkWebhookAddress(c.Endpoint.URL); err != nil {
		return WebhookRegistered{}, err
	}
	if c.Endpoint.Secret == "" {
		c.Endpoint.Secret, _ = NewSecret()
	}
	plain := c.Endpoint.Secret
	sealed, err := h.sealSecret(plain)
	if err != nil {
		return WebhookRegistered{}, err
	}
	c.Endpoint.Secret = sealed
	decided := false
	res, err := Execute(ctx, h, m, webhooksAggregate(c.TenantID), func(s webhook.State) ([]any, error) {
		decided = true
		return webhook.Register(s, c.TenantID, c.EndpointID, c.Endpoint)
	})
	if err != nil {
		return WebhookRegistered{}, err
	}
	out := WebhookRegistered{Result: res, EndpointID: c.EndpointID}
	if decided {
		out.Secret = plain
	}
	return out, nil
}
