package readmodels

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"supportd/secrets"
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
	if hint := secrets.Hint(w.secret); hint != "" {
		w.SecretHint = "…" + hint
	}
	if w.Channels == nil {
		w.Channels = []string{}
	}
	return w, err
}

// ListWebhookEndpoints lists a tenant's endpoints, oldest first.
func ListWebhookEndpoints(ctx context.Context, q Querier, tenantID uuid.UUID) ([]WebhookEndpoint, error) {
	rows, err := q.Query(ctx, `SELECT `+webhookColumns+` FROM webhook_endpoints
		WHERE tenant_id = $1 AND NOT deleted AND NOT robot ORDER BY created_at, endpoint_id`, tenantID)
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
		WHERE tenant_id = $1 AND endpoint_id = $2 AND NOT deleted AND NOT robot`, tenantID, endpointID))
	if errors.Is(err, pgx.ErrNoRows) {
		return WebhookEndpoint{}, fmt.Errorf("webhook endpoint %s: %w", endpointID, ErrNotFound)
	}
	if err != nil {
		return WebhookEndpoint{}, fmt.Errorf("webhook endpoint %s: %w", endpointID, err)
	}
	return w, nil
}

// SealWebhookSecrets seals the endpoint secrets still held in plain text
// (written before sealing, or replayed from old events by a rebuild) and
// answers how many it sealed.
func SealWebhookSecrets(ctx context.Context, q interface {
	Querier
	Execer
}, seal func(string) (string, error)) (int, error) {
	rows, err := q.Query(ctx, `SELECT endpoint_id, secret FROM `+WebhookEndpointsTable+` WHERE secret NOT LIKE 'sealed.v1.%'`)
	if err != nil {
		return 0, fmt.Errorf("seal webhook secrets: %w", err)
	}
	plain := map[uuid.UUID]string{}
	for rows.Next() {
		var id uuid.UUID
		var s string
		if err := rows.Scan(&id, &s); err != nil {
			rows.Close()
			return 0, fmt.Errorf("seal webhook secrets: %w", err)
		}
		plain[id] = s
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("seal webhook secrets: %w", err)
	}
	n := 0
	for id, s := range plain {
		sealed, err := seal(s)
		if err != nil {
			return n, err
		}
		// Only if unchanged since read: a concurrent change wins.
		tag, err := q.Exec(ctx, `UPDATE `+WebhookEndpointsTable+` SET secret = $2 WHERE endpoint_id = $1 AND secret = $3`, id, sealed, s)
		if err != nil {
			return n, fmt.Errorf("seal webhook secret of %s: %w", id, err)
		}
		n += int(tag.RowsAffected())
	}
	return n, nil
}
