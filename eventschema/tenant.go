package eventschema

import (
	"encoding/json"

	"github.com/google/uuid"
)

// Tenant events live in stream "tenant-{tenant id}".

// TenantCreated records a new tenant: one customer-service organisation.
type TenantCreated struct {
	TenantID uuid.UUID `json:"tenant_id"`
	Name     string    `json:"name" jsonschema:"minLength=1,maxLength=200"`
	// TimeZone is an IANA zone name; report day and hour buckets use it.
	TimeZone string `json:"time_zone" jsonschema:"minLength=1"`
}

// TenantSettingChanged records a change of one function switch or timeout
// of a tenant. Value and Previous hold the setting's JSON value; Previous is
// the documented default when the setting was never changed before.
type TenantSettingChanged struct {
	TenantID uuid.UUID       `json:"tenant_id"`
	Key      string          `json:"key" jsonschema:"minLength=1"`
	Value    json.RawMessage `json:"value"`
	Previous json.RawMessage `json:"previous"`
}

func registerTenants(r *Registry) {
	Register[TenantCreated](r, "TenantCreated", 1)
	Register[TenantSettingChanged](r, "TenantSettingChanged", 1)
	Register[TenantProfileChanged](r, "TenantProfileChanged", 1)
	Register[TenantSeatsLicensed](r, "TenantSeatsLicensed", 1)
}
