// Package reviewcats is the tenant's quality-review form: categories that
// add points to a review (plus) or deduct them (minus), each up to its
// score. Inspections use them later. Stream: "reviewcategories-{tenant id}".
package reviewcats

import (
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/eventschema"
)

// Stream returns the stream of tenant's review categories.
func Stream(tenantID uuid.UUID) string { return "reviewcategories-" + tenantID.String() }

// Kinds of review categories.
const (
	Plus  = "plus"
	Minus = "minus"
)

// Limits of the review form.
const (
	MaxCategories = 100
	MaxScore      = 100
	MaxNameLen    = 50
)

// Category is one item of the review form.
type Category struct {
	ID    uuid.UUID
	Name  string
	Kind  string
	Score int
}

// State is the review form; Evolve updates its map in place.
type State struct {
	TenantID   uuid.UUID
	Categories map[uuid.UUID]Category
}

// Evolve folds one event into the form.
func Evolve(s State, event any) State {
	if s.Categories == nil {
		s.Categories = map[uuid.UUID]Category{}
	}
	switch e := event.(type) {
	case eventschema.ReviewCategoryAdded:
		s.Categories[e.CategoryID] = Category{ID: e.CategoryID, Name: e.Name, Kind: e.Kind, Score: e.Score}
	case eventschema.ReviewCategoryChanged:
		s.Categories[e.CategoryID] = Category{ID: e.CategoryID, Name: e.Name, Kind: e.Kind, Score: e.Score}
	case eventschema.ReviewCategoryRemoved:
		delete(s.Categories, e.CategoryID)
	}
	return s
}

func (s State) check(c Category) (Category, error) {
	c.Name = strings.TrimSpace(c.Name)
	if c.Name == "" || utf8.RuneCountInString(c.Name) > MaxNameLen {
		return c, domain.Errorf(domain.Invalid, "review_category.name", "name", "must be 1 to %d characters", MaxNameLen)
	}
	if c.Kind != Plus && c.Kind != Minus {
		return c, domain.Errorf(domain.Invalid, "review_category.kind", "kind", "must be %q or %q", Plus, Minus)
	}
	if c.Score < 1 || c.Score > MaxScore {
		return c, domain.Errorf(domain.Invalid, "review_category.score", "score", "must be 1 to %d", MaxScore)
	}
	for _, o := range s.Categories {
		if o.ID != c.ID && strings.EqualFold(o.Name, c.Name) {
			return c, domain.Errorf(domain.Conflict, "review_category.name_taken", "name", "a category is already called %q", o.Name)
		}
	}
	return c, nil
}

// Add decides a new review category.
func Add(s State, c Category) ([]any, error) {
	if c.ID == uuid.Nil {
		return nil, domain.Errorf(domain.Invalid, "review_category.id", "category_id", "must be a UUID")
	}
	if _, dup := s.Categories[c.ID]; dup {
		return nil, domain.Errorf(domain.Conflict, "review_category.exists", "category_id", "category %s already exists", c.ID)
	}
	if len(s.Categories) >= MaxCategories {
		return nil, domain.Errorf(domain.Invalid, "review_category.count_limit", "", "at most %d review categories", MaxCategories)
	}
	c, err := s.check(c)
	if err != nil {
		return nil, err
	}
	return []any{eventschema.ReviewCategoryAdded{TenantID: s.TenantID, CategoryID: c.ID, Name: c.Name, Kind: c.Kind, Score: c.Score}}, nil
}

// Change decides a category's new definition; it applies to reviews made
// from then on.
func Change(s State, c Category) ([]any, error) {
	cur, ok := s.Categories[c.ID]
	if !ok {
		return nil, domain.Errorf(domain.NotFound, "review_category.not_found", "category_id", "category %s not found", c.ID)
	}
	c, err := s.check(c)
	if err != nil || c == cur {
		return nil, err
	}
	return []any{eventschema.ReviewCategoryChanged{TenantID: s.TenantID, CategoryID: c.ID, Name: c.Name, Kind: c.Kind, Score: c.Score}}, nil
}

// Remove decides the removal of a category; past reviews keep their
// scores.
func Remove(s State, id uuid.UUID) ([]any, error) {
	if _, ok := s.Categories[id]; !ok {
		return nil, domain.Errorf(domain.NotFound, "review_category.not_found", "category_id", "category %s not found", id)
	}
	return []any{eventschema.ReviewCategoryRemoved{TenantID: s.TenantID, CategoryID: id}}, nil
}
