package projections

import (
	"context"
	"time"

	"github.com/google/uuid"

	"supportd/eventschema"
	"supportd/readmodels"
)

// Webhooks projects the tenants' webhook endpoint streams into the
// endpoints read model (readmodels/webhooks.go), which the API lists and
// the delivery worker signs with.
type Webhooks struct {
	reg *eventschema.Registry
}

// NewWebhooks returns the webhooks projector.
func NewWebhooks(reg *eventschema.Registry) *Webhooks { return &Webhooks{reg: reg} }

// Name implements Projector.
func (*Webhooks) Name() string { return "webhooks" }

// Tables implements Projector.
func (*Webhooks) Tables() []string { return []string{readmodels.WebhookEndpointsTable} }

var webhookEvents = map[string]bool{
	"WebhookEndpointRegistered": true, "WebhookEndpointChanged": true, "WebhookEndpointDeleted": true,
	"RobotRegistered": true, "RobotChanged": true, "RobotRemoved": true,
}

// Apply implements Projector. Rows are guarded by the tenant stream's
// version, so replaying an older event changes nothing.
func (p *Webhooks) Apply(ctx context.Context, db DB, e eventschema.Envelope) error {
	if !webhookEvents[e.Type] {
		return nil
	}
	payload, err := p.reg.Decode(e)
	if err != nil {
		return err
	}
	v, at := int64(e.StreamVersion), occurredAt(e)
	switch ev := payload.(type) {
	case eventschema.RobotRegistered:
		return robotEndpoint(ctx, db, ev.TenantID, ev.RobotID, ev.Robot, at, v)
	case eventschema.RobotChanged:
		return robotEndpoint(ctx, db, ev.TenantID, ev.RobotID, ev.Robot, at, v)
	case eventschema.RobotRemoved:
		return db.Exec(ctx, `UPDATE webhook_endpoints SET deleted = true, enabled = false, updated_at = $3, version = $4
			WHERE tenant_id = $1 AND endpoint_id = $2 AND version < $4`, ev.TenantID, ev.RobotID, at, v)
	case eventschema.WebhookEndpointRegistered:
		ep := ev.Endpoint
		return db.Exec(ctx, `
			INSERT INTO webhook_endpoints (endpoint_id, tenant_id, url, secret, channels, enabled, description, created_at, updated_at, version)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9) ON CONFLICT (tenant_id, endpoint_id) DO NOTHING`,
			ev.EndpointID, ev.TenantID, ep.URL, ep.Secret, nonNil(ep.Channels), ep.Enabled, ep.Description, at, v)
	case eventschema.WebhookEndpointChanged:
		ep := ev.Endpoint
		return db.Exec(ctx, `
			UPDATE webhook_endpoints SET url = $2, secret = $3, channels = $4, enabled = $5, description = $6, updated_at = $7, version = $8
			WHERE tenant_id = $9 AND endpoint_id = $1 AND version < $8`,
			ev.EndpointID, ep.URL, ep.Secret, nonNil(ep.Channels), ep.Enabled, ep.Description, at, v, ev.TenantID)
	case eventschema.WebhookEndpointDeleted:
		return db.Exec(ctx, `UPDATE webhook_endpoints SET deleted = true, enabled = false, updated_at = $2, version = $3
			WHERE tenant_id = $4 AND endpoint_id = $1 AND version < $3`, ev.EndpointID, at, v, ev.TenantID)
	}
	return nil
}

// EventTypes implements Selective.
func (*Webhooks) EventTypes() []string { return typesOf(webhookEvents) }

// robotEndpoint keeps a robot's webhook as a delivery endpoint named by the
// robot's ID (robot = true: the webhooks list leaves it out). A robot
// without a webhook has a disabled one, so its deliveries, if any, wait.
func robotEndpoint(ctx context.Context, db DB, tenantID, robotID uuid.UUID, r eventschema.Robot, at time.Time, v int64) error {
	return db.Exec(ctx, `
		INSERT INTO webhook_endpoints (endpoint_id, tenant_id, url, secret, channels, enabled, description, created_at, updated_at, version, robot)
		VALUES ($1, $2, $3, $4, '{}', $5, $6, $7, $7, $8, true)
		ON CONFLICT (tenant_id, endpoint_id) DO UPDATE SET url = excluded.url, secret = excluded.secret, enabled = excluded.enabled,
			description = excluded.description, updated_at = excluded.updated_at, version = excluded.version
		WHERE webhook_endpoints.version < excluded.version`,
		robotID, tenantID, r.WebhookURL, r.Secret, r.WebhookURL != "", "robot "+r.Name, at, v)
}
