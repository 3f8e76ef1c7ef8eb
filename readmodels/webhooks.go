package readmodels

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// WebhookEndpointsTable is the table of the webhook endpoints read model,
// written by the "webhooks" projector.
const WebhookEndpointsTable = "webhook_endpoints"

// WebhookEndpoint is one endpoint as admins see it. The secret is never
// shown: SecretHint is its last four characters, to tell secrets apart.
type WebhookEndpoint struct {
	EndpointID  uuid.UUID `json:"endpoint_id"`
	URL         string    `json:"url"`
	Channels    []string  `json:"channels"`
	Enabled     bool      `json:"enabled"`
	Description string    `json:"description"`
	SecretHint  string    `json:"secret_hint"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// Version is the version of the tenant's webhooks stream that last
	// changed this endpoint.
	Version uint64 `json:"version"`

	secret string
}

// Secret is the key deliveries are signed with.
func (w WebhookEndpoint) Secret() string { return w.secret }

const webhookColumns = `endpoint_id, url, secret, channels, enabled, description, created_at, updated_at, version`

func scanWebhook(r pgx.Row) (WebhookEndpoint, error) {
	var (
		w WebhookEndpoint
		v int64
	)
	err := r.Scan(&w.EndpointID, &w.URL, &w.secret, &w.Channels, &w.Enabled, &w.Description, &w.CreatedAt, &w.UpdatedAt, &v)
	w.Version = uint64(v)
	if r := []rune(w.secret); len(r) >= 4 {
		w.SecretHint = "…" + string(r[len(r)-4:])
	}
	if w.Channels == nil {
		w.Channels = []string{}
	}
	return w, err
}

// ListWebhookEndpoints lists a tenant's endpoints, oldest first.
func ListWebhookEndpoints(ctx context.Context, q Querier, tenantID uuid.UUID) ([]WebhookEndpoint, error) {
	rows, err := q.Query(ctx, `SELECT `+webhookColumns+` FROM webhook_endpoints
		WHERE tenant_id = $1 AND NOT deleted ORDER BY created_at, endpoint_id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("list webhook endpoints: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (WebhookEndpoint, error) { return scanWebhook(r) })
	if err != nil {
		return nil, fmt.Errorf("list webhook endpoints: %w", err)
	}
	if out == nil {
		out = []WebhookEndpoint{}
	}
	return out, nil
}

// GetWebhookEndpoint returns an endpoint of the tenant, or ErrNotFound.
func GetWebhookEndpoint(ctx context.Context, q Querier, tenantID, endpointID uuid.UUID) (WebhookEndpoint, error) {
	w, err := scanWebhook(q.QueryRow(ctx, `SELECT `+webhookColumns+` FROM webhook_endpoints
		WHERE tenant_id = $1 AND endpoint_id = $2 AND NOT deleted`, tenantID, endpointID))
	if errors.Is(err, pgx.ErrNoRows) {
		return WebhookEndpoint{}, fmt.Errorf("webhook endpoint %s: %w", endpointID, ErrNotFound)
	}
	if err != nil {
		return WebhookEndpoint{}, fmt.Errorf("webhook endpoint %s: %w", endpointID, err)
	}
	return w, nil
}
