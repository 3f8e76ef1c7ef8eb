// Package tenant is the tenant aggregate: one customer-service
// organisation, its profile and its settings (function switches and
// timeouts). Stream: "tenant-{tenant id}".
package tenant

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/access"
	"supportd/eventschema"
)

// Stream returns the stream name of tenant id.
func Stream(id uuid.UUID) string { return "tenant-" + id.String() }

// State is what the tenant's decisions need to know.
type State struct {
	ID       uuid.UUID
	Created  bool
	Name     string
	TimeZone string
	LogoURL  string
	// Settings holds the values changed from their defaults.
	Settings map[string]json.RawMessage
	// Roster holds the users, roles and credentials.
	Roster roster
}

// Evolve folds one event into the state.
func Evolve(s State, event any) State {
	switch e := event.(type) {
	case eventschema.TenantCreated:
		s.ID, s.Created, s.Name, s.TimeZone = e.TenantID, true, e.Name, e.TimeZone
	case eventschema.TenantProfileChanged:
		s.Name, s.LogoURL, s.TimeZone = e.Name, e.LogoURL, e.TimeZone
	case eventschema.TenantSettingChanged:
		next := make(map[string]json.RawMessage, len(s.Settings)+1)
		for k, v := range s.Settings {
			next[k] = v
		}
		next[e.Key] = e.Value
		s.Settings = next
	}
	s.Roster.evolve(event)
	return s
}

// Setting returns the current value of key: the changed value, else the
// documented default.
func (s State) Setting(key string) (json.RawMessage, bool) {
	if v, ok := s.Settings[key]; ok {
		return v, true
	}
	def, ok := Settings[key]
	if !ok {
		return nil, false
	}
	return def.Default, true
}

// Create decides the creation of a tenant and of its first admin, the
// support administrator.
func Create(s State, id uuid.UUID, name, timeZone string, admin NewAgent) ([]any, error) {
	if s.Created {
		return nil, domain.Errorf(domain.Conflict, "tenant.exists", "", "tenant %s already exists", id)
	}
	if id == uuid.Nil {
		return nil, domain.Errorf(domain.Invalid, "tenant.id", "tenant_id", "must be a UUID")
	}
	if name == "" || len(name) > 200 {
		return nil, domain.Errorf(domain.Invalid, "tenant.name", "name", "must be 1 to 200 characters")
	}
	if timeZone == "" {
		timeZone = "UTC"
	}
	if _, err := time.LoadLocation(timeZone); err != nil {
		return nil, domain.Errorf(domain.Invalid, "tenant.time_zone", "time_zone", "unknown IANA time zone %q", timeZone)
	}
	created := eventschema.TenantCreated{TenantID: id, Name: name, TimeZone: timeZone}
	admin.Role, admin.Enabled = access.AdminRole, true
	added, err := AddAgent(Evolve(s, created), admin)
	if err != nil {
		return nil, prefixField(err, "admin.")
	}
	return append([]any{created}, added...), nil
}

// prefixField points a rule violation at a nested input.
func prefixField(err error, prefix string) error {
	if de, ok := err.(*domain.Error); ok && de.Field != "" {
		c := *de
		c.Field = prefix + c.Field
		return &c
	}
	return err
}

// ChangeProfile decides a new tenant profile.
func ChangeProfile(s State, name, logoURL, timeZone string) ([]any, error) {
	if err := s.requireCreated(); err != nil {
		return nil, err
	}
	if name == "" || len(name) > 200 {
		return nil, domain.Errorf(domain.Invalid, "tenant.name", "name", "must be 1 to 200 characters")
	}
	if _, err := time.LoadLocation(timeZone); err != nil || timeZone == "" {
		return nil, domain.Errorf(domain.Invalid, "tenant.time_zone", "time_zone", "unknown IANA time zone %q", timeZone)
	}
	if len(logoURL) > 2000 {
		return nil, domain.Errorf(domain.Invalid, "tenant.logo_url", "logo_url", "is longer than 2000 characters")
	}
	if name == s.Name && logoURL == s.LogoURL && timeZone == s.TimeZone {
		return nil, nil
	}
	return []any{eventschema.TenantProfileChanged{TenantID: s.ID, Name: name, LogoURL: logoURL, TimeZone: timeZone}}, nil
}

// ChangeSetting decides a change of one setting. Setting a value equal to
// the current one decides nothing.
func ChangeSetting(s State, key string, value json.RawMessage) ([]any, error) {
	if !s.Created {
		return nil, domain.Errorf(domain.NotFound, "tenant.not_found", "", "tenant not found")
	}
	def, ok := Settings[key]
	if !ok {
		return nil, domain.Errorf(domain.Invalid, "setting.unknown", "key", "unknown setting %q", key)
	}
	canonical, err := def.Check(value)
	if err != nil {
		return nil, domain.Errorf(domain.Invalid, "setting.value", key, "%v", err)
	}
	current, _ := s.Setting(key)
	if string(current) == string(canonical) {
		return nil, nil
	}
	return []any{eventschema.TenantSettingChanged{TenantID: s.ID, Key: key, Value: canonical, Previous: current}}, nil
}
