// Package profilefields is the customer-profile form of a tenant: the
// system fields every tenant has (which can be switched off or made
// read-only, never deleted) and the custom fields an admin adds. Stream:
// "profilefields-{tenant id}".
package profilefields

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/eventschema"
)

// Stream returns the stream of tenant's profile fields.
func Stream(tenantID uuid.UUID) string { return "profilefields-" + tenantID.String() }

// Field types.
const (
	Text      = "text"
	Multiline = "multiline"
	Number    = "number"
	Date      = "date"
	Select    = "select"
)

// Limits of the form.
const (
	MaxCustom  = 100
	MaxOptions = 50
	MaxNameLen = 50
)

// Field is one field of the customer profile.
type Field struct {
	ID       string   `json:"field_id"`
	System   bool     `json:"system"`
	Name     string   `json:"name"`
	Type     string   `json:"type"`
	Options  []string `json:"options"`
	Enabled  bool     `json:"enabled"`
	ReadOnly bool     `json:"read_only"`
}

// System lists the system fields as the manual's visitor settings show
// them, in that order, with their defaults. The customer ID is assigned by
// the channel, so it starts read-only.
func System() []Field {
	f := func(id, name, typ string, readOnly bool) Field {
		return Field{ID: id, System: true, Name: name, Type: typ, Options: []string{}, Enabled: true, ReadOnly: readOnly}
	}
	return []Field{
		f("nickname", "Nickname", Text, false),
		f("real_name", "Real name", Text, false),
		f("customer_id", "ID", Text, true),
		f("phone", "Phone", Text, false),
		f("qq", "QQ", Text, false),
		f("wechat", "WeChat", Text, false),
		f("email", "Email", Text, false),
		f("company", "Company", Text, false),
		f("description", "Description", Multiline, false),
	}
}

// State is the tenant's form: every field, system ones first. Evolve
// updates it in place, like every catalogue fold.
type State struct {
	TenantID uuid.UUID
	Fields   []Field
}

// Evolve folds one event into the form.
func Evolve(s State, event any) State {
	if s.Fields == nil {
		s.Fields = System()
	}
	switch e := event.(type) {
	case eventschema.ProfileFieldAdded:
		s.TenantID = e.TenantID
		s.Fields = append(s.Fields, Field{ID: e.FieldID, Name: e.Name, Type: e.Type, Options: e.Options, Enabled: e.Enabled, ReadOnly: e.ReadOnly})
	case eventschema.ProfileFieldChanged:
		s.TenantID = e.TenantID
		if i := s.index(e.FieldID); i >= 0 {
			s.Fields[i] = Field{ID: e.FieldID, System: e.System, Name: e.Name, Type: e.Type, Options: e.Options, Enabled: e.Enabled, ReadOnly: e.ReadOnly}
		}
	case eventschema.ProfileFieldRemoved:
		if i := s.index(e.FieldID); i >= 0 {
			s.Fields = slices.Delete(s.Fields, i, i+1)
		}
	}
	return s
}

func (s State) index(id string) int {
	return slices.IndexFunc(s.Fields, func(f Field) bool { return f.ID == id })
}

// Find returns the field with id.
func (s State) Find(id string) (Field, error) {
	if s.Fields == nil {
		s.Fields = System()
	}
	if i := s.index(id); i >= 0 {
		return s.Fields[i], nil
	}
	return Field{}, domain.Errorf(domain.NotFound, "profile_field.not_found", "field_id", "profile field %q not found", id)
}

// check validates and normalises a definition: name unique among all
// fields, a known type, options only (and at least one) for select fields.
func (s State) check(f Field) (Field, error) {
	f.Name = strings.TrimSpace(f.Name)
	if f.Name == "" || utf8.RuneCountInString(f.Name) > MaxNameLen {
		return f, domain.Errorf(domain.Invalid, "profile_field.name", "name", "must be 1 to %d characters", MaxNameLen)
	}
	if !slices.Contains([]string{Text, Multiline, Number, Date, Select}, f.Type) {
		return f, domain.Errorf(domain.Invalid, "profile_field.type", "type", "must be text, multiline, number, date or select")
	}
	options := []string{}
	for _, o := range f.Options {
		o = strings.TrimSpace(o)
		if o == "" || slices.Contains(options, o) {
			return f, domain.Errorf(domain.Invalid, "profile_field.options", "options", "options must be distinct and not empty")
		}
		options = append(options, o)
	}
	switch {
	case f.Type == Select && (len(options) == 0 || len(options) > MaxOptions):
		return f, domain.Errorf(domain.Invalid, "profile_field.options", "options", "a select field has 1 to %d options", MaxOptions)
	case f.Type != Select && len(options) > 0:
		return f, domain.Errorf(domain.Invalid, "profile_field.options", "options", "only select fields have options")
	}
	f.Options = options
	for _, other := range s.Fields {
		if other.ID != f.ID && strings.EqualFold(other.Name, f.Name) {
			return f, domain.Errorf(domain.Conflict, "profile_field.name_taken", "name", "a field is already called %q", other.Name)
		}
	}
	return f, nil
}

// Add decides a new custom field.
func Add(s State, id uuid.UUID, f Field) ([]any, error) {
	if s.Fields == nil {
		s.Fields = System()
	}
	if id == uuid.Nil {
		return nil, domain.Errorf(domain.Invalid, "profile_field.id", "field_id", "must be a UUID")
	}
	f.ID, f.System = id.String(), false
	if s.index(f.ID) >= 0 {
		return nil, domain.Errorf(domain.Conflict, "profile_field.exists", "field_id", "field %s already exists", id)
	}
	if len(s.Fields)-len(System()) >= MaxCustom {
		return nil, domain.Errorf(domain.Invalid, "profile_field.count_limit", "", "at most %d custom fields", MaxCustom)
	}
	f, err := s.check(f)
	if err != nil {
		return nil, err
	}
	return []any{eventschema.ProfileFieldAdded{TenantID: s.TenantID, FieldID: f.ID, Name: f.Name, Type: f.Type,
		Options: f.Options, Enabled: f.Enabled, ReadOnly: f.ReadOnly}}, nil
}

// Change decides a field's new definition. A system field keeps its name,
// type and options; only whether it is shown and editable changes.
func Change(s State, f Field) ([]any, error) {
	if s.Fields == nil {
		s.Fields = System()
	}
	cur, err := s.Find(f.ID)
	if err != nil {
		return nil, err
	}
	if cur.System {
		if f.Name == "" {
			f.Name = cur.Name
		}
		if f.Type == "" {
			f.Type = cur.Type
		}
		if f.Name != cur.Name || f.Type != cur.Type || len(f.Options) > 0 {
			return nil, domain.Errorf(domain.Invalid, "profile_field.system", "name", "a system field's name and type cannot change")
		}
	}
	f.System = cur.System
	if f, err = s.check(f); err != nil {
		return nil, err
	}
	if f.Name == cur.Name && f.Type == cur.Type && slices.Equal(f.Options, cur.Options) && f.Enabled == cur.Enabled && f.ReadOnly == cur.ReadOnly {
		return nil, nil
	}
	return []any{eventschema.ProfileFieldChanged{TenantID: s.TenantID, FieldID: f.ID, System: f.System, Name: f.Name,
		Type: f.Type, Options: f.Options, Enabled: f.Enabled, ReadOnly: f.ReadOnly}}, nil
}

// Remove decides the deletion of a custom field; system fields stay
// (switch them off instead).
func Remove(s State, id string) ([]any, error) {
	f, err := s.Find(id)
	if err != nil {
		return nil, err
	}
	if f.System {
		return nil, domain.Errorf(domain.Conflict, "profile_field.system", "field_id", "system fields cannot be deleted; switch %q off instead", f.Name)
	}
	return []any{eventschema.ProfileFieldRemoved{TenantID: s.TenantID, FieldID: id}}, nil
}
