package eventschema

import "github.com/google/uuid"

// A tenant's webhook endpoints live in one stream, "webhooks-{tenant id}":
// the endpoints are few, admins edit them rarely, and one stream bounds
// their number without multi-stream transactions.

// WebhookEndpoint is the whole definition of one endpoint, as admins last
// saved it. Outbound events of conversations on Channels (every channel
// when empty) are POSTed to URL, signed with Secret, while Enabled.
type WebhookEndpoint struct {
	URL string `json:"url" jsonschema:"minLength=1,maxLength=2000"`
	// Secret keys the HMAC-SHA256 signature of every delivery. It is kept
	// in the log because deliveries must be signed with it again after a
	// restart; the API shows it only when it is set.
	Secret      string   `json:"secret" jsonschema:"minLength=16,maxLength=1200"`
	Channels    []string `json:"channels"`
	Enabled     bool     `json:"enabled"`
	Description string   `json:"description" jsonschema:"maxLength=200"`
}

// WebhookEndpointRegistered records a new endpoint.
type WebhookEndpointRegistered struct {
	TenantID   uuid.UUID       `json:"tenant_id"`
	EndpointID uuid.UUID       `json:"endpoint_id"`
	Endpoint   WebhookEndpoint `json:"endpoint"`
}

// WebhookEndpointChanged records an endpoint's new definition, whole
// (secret included: a rotation is a change).
type WebhookEndpointChanged struct {
	TenantID   uuid.UUID       `json:"tenant_id"`
	EndpointID uuid.UUID       `json:"endpoint_id"`
	Endpoint   WebhookEndpoint `json:"endpoint"`
}

// WebhookEndpointDeleted records the removal of an endpoint; deliveries
// still pending for it are given up.
type WebhookEndpointDeleted struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	EndpointID uuid.UUID `json:"endpoint_id"`
}

func registerWebhooks(r *Registry) {
	Register[WebhookEndpointRegistered](r, "WebhookEndpointRegistered", 1)
	Register[WebhookEndpointChanged](r, "WebhookEndpointChanged", 1)
	Register[WebhookEndpointDeleted](r, "WebhookEndpointDeleted", 1)
}
