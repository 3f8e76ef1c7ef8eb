package tags

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/eventschema"
)

// MaxCustomerTags bounds a tenant's customer tags, so that the tag picker
// of the agent console stays usable.
const MaxCustomerTags = 1000

// DefaultColor is the colour of a customer tag added without one.
const DefaultColor = "#999999"

// CustomerStream returns the stream of tenant's customer tags.
func CustomerStream(tenantID uuid.UUID) string { return "customertags-" + tenantID.String() }

// CustomerTag is one customer tag.
type CustomerTag struct {
	ID    uuid.UUID
	Name  string
	Color string
}

// Customer is the state of a tenant's customer tags; like Tree, its map
// is owned by the fold.
type Customer struct {
	TenantID uuid.UUID
	Tags     map[uuid.UUID]CustomerTag
}

// EvolveCustomer folds one event into the customer tags.
func EvolveCustomer(s Customer, event any) Customer {
	if s.Tags == nil {
		s.Tags = map[uuid.UUID]CustomerTag{}
	}
	switch e := event.(type) {
	case eventschema.CustomerTagAdded:
		s.TenantID = e.TenantID
		s.Tags[e.TagID] = CustomerTag{ID: e.TagID, Name: e.Name, Color: e.Color}
	case eventschema.CustomerTagChanged:
		s.Tags[e.TagID] = CustomerTag{ID: e.TagID, Name: e.Name, Color: e.Color}
	case eventschema.CustomerTagDeleted:
		delete(s.Tags, e.TagID)
	}
	return s
}

var colorPattern = regexp.MustCompile(`^#[0-9a-f]{6}$`)

func (s Customer) check(self uuid.UUID, name, color string) (string, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > MaxNameLen {
		return "", "", domain.Errorf(domain.Invalid, "customer_tag.name", "name", "must be 1 to %d characters", MaxNameLen)
	}
	color = strings.ToLower(strings.TrimSpace(color))
	if color == "" {
		color = DefaultColor
	}
	if !colorPattern.MatchString(color) {
		return "", "", domain.Errorf(domain.Invalid, "customer_tag.color", "color", "must be a colour such as #ff9900")
	}
	for _, t := range s.Tags {
		if t.ID != self && strings.EqualFold(t.Name, name) {
			return "", "", domain.Errorf(domain.Conflict, "customer_tag.name_taken", "name", "a customer tag is already called %q", t.Name)
		}
	}
	return name, color, nil
}

// AddCustomerTag decides a new customer tag; names are unique
// case-insensitively.
func AddCustomerTag(s Customer, id uuid.UUID, name, color string) ([]any, error) {
	if id == uuid.Nil {
		return nil, domain.Errorf(domain.Invalid, "customer_tag.id", "tag_id", "must be a UUID")
	}
	if _, dup := s.Tags[id]; dup {
		return nil, domain.Errorf(domain.Conflict, "customer_tag.exists", "tag_id", "tag %s already exists", id)
	}
	if len(s.Tags) >= MaxCustomerTags {
		return nil, domain.Errorf(domain.Invalid, "customer_tag.count_limit", "", "a tenant has at most %d customer tags", MaxCustomerTags)
	}
	name, color, err := s.check(uuid.Nil, name, color)
	if err != nil {
		return nil, err
	}
	return []any{eventschema.CustomerTagAdded{TenantID: s.TenantID, TagID: id, Name: name, Color: color}}, nil
}

// ChangeCustomerTag decides a customer tag's new name and colour.
func ChangeCustomerTag(s Customer, id uuid.UUID, name, color string) ([]any, error) {
	t, ok := s.Tags[id]
	if !ok {
		return nil, domain.Errorf(domain.NotFound, "customer_tag.not_found", "tag_id", "customer tag %s not found", id)
	}
	name, color, err := s.check(id, name, color)
	if err != nil || (name == t.Name && color == t.Color) {
		return nil, err
	}
	return []any{eventschema.CustomerTagChanged{TenantID: s.TenantID, TagID: id, Name: name, Color: color}}, nil
}

// DeleteCustomerTag decides the removal of a customer tag.
func DeleteCustomerTag(s Customer, id uuid.UUID) ([]any, error) {
	if _, ok := s.Tags[id]; !ok {
		return nil, domain.Errorf(domain.NotFound, "customer_tag.not_found", "tag_id", "customer tag %s not found", id)
	}
	return []any{eventschema.CustomerTagDeleted{TenantID: s.TenantID, TagID: id}}, nil
}
