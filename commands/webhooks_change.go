package commands

import (
	"context"

	"github.com/google/uuid"

	"supportd/domain/webhook"
	"supportd/eventschema"
)

// ChangeWebhook replaces an endpoint's definition (enabling or disabling
// it too). An empty Secret keeps the current one.
type ChangeWebhook struct {
	TenantID   uuid.UUID
	EndpointID uuid.UUID
	Endpoint   eventschema.WebhookEndpoint
}

// ChangeWebhook handles the ChangeWebhook command.
func (h *Handler) ChangeWebhook(ctx context.Context, m Meta, c ChangeWebhook) (Result, error) {
	m.TenantID = c.TenantID
	if err := h.checkWebhookAddress(c.Endpoint.URL); err != nil {
		return Result{}, err
	}
	var err error
	if c.Endpoint.Secret, err = h.sealSecret(c.Endpoint.Secret); err != nil {
		return Result{}, err
	}
	return Execute(ctx, h, m, webhooksAggregate(c.TenantID), func(s webhook.State) ([]any, error) {
		return webhook.Change(s, c.TenantID, c.EndpointID, c.Endpoint)
	})
}

// sealSecret checks a new plain secret and seals it, so that neither the
// log nor the read models hold it in plain text. Empty (keep the current
// one) stays empty.
func (h *Handler) sealSecret(plain string) (string, error) {
	if plain == "" || h.Secrets == nil {
		return plain, nil
	}
	if err := webhook.CheckSecret(plain); err != nil {
		return "", err
	}
	return h.Secrets.Seal(plain)
}

// checkWebhookAddress refuses URLs that name an inward address, unless
// the server allows them; deliveries check the address dialled again.
func (h *Handler) checkWebhookAddress(url string) error {
	if h.WebhooksAllowPrivate || url == "" {
		return nil
	}
	return webhook.CheckURLAddress(url)
}
