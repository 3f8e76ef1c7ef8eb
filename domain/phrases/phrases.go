// Package phrases holds phrase books: the public phrases an admin keeps for
// every agent of the tenant (stream "phrases-{tenant id}") and each agent's
// personal phrases (stream "agentphrases-{tenant id}_{agent id}"). Both have two
// category levels (category → subcategory) and phrases in either level.
// A phrase's text is kept verbatim: placeholders such as ##dear## are
// filled in when the phrase is sent, never here.
package phrases

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/eventschema"
)

// Placeholder is the default address a phrase may contain: when sent, it
// becomes the customer's nickname if valid, else the tenant's default
// address.
const Placeholder = "##dear##"

// Limits of a phrase book.
const (
	MaxPhrases    = 5000
	MaxCategories = 500
	MaxTextLen    = 2000
	MaxNameLen    = 50
)

// PublicStream returns the stream of tenant's public phrases.
func PublicStream(tenantID uuid.UUID) string { return "phrases-" + tenantID.String() }

// PersonalStream returns the stream of an agent's personal phrases.
func PersonalStream(tenantID, agentID uuid.UUID) string {
	return eventschema.ObjectStream("agentphrases", tenantID, agentID)
}

// Category is a phrase category; a nil Parent makes it level 1.
type Category struct {
	ID     uuid.UUID
	Parent uuid.UUID
	Name   string
}

// Phrase is one phrase.
type Phrase struct {
	ID       uuid.UUID
	Category uuid.UUID
	Text     string
}

// Book is one phrase book: public (OwnerID nil) or an agent's. Evolve
// updates its maps in place; decisions only read them.
type Book struct {
	TenantID   uuid.UUID
	OwnerID    uuid.UUID
	Categories map[uuid.UUID]Category
	Phrases    map[uuid.UUID]Phrase
}

// Evolve folds one event into the book.
func Evolve(s Book, event any) Book {
	if s.Categories == nil {
		s.Categories, s.Phrases = map[uuid.UUID]Category{}, map[uuid.UUID]Phrase{}
	}
	switch e := event.(type) {
	case eventschema.PhraseCategoryAdded:
		s.Categories[e.CategoryID] = Category{ID: e.CategoryID, Parent: e.ParentID, Name: e.Name}
	case eventschema.PhraseCategoryRenamed:
		c := s.Categories[e.CategoryID]
		c.Name = e.Name
		s.Categories[e.CategoryID] = c
	case eventschema.PhraseCategoryDeleted:
		for _, id := range e.Categories {
			delete(s.Categories, id)
		}
		for _, id := range e.Phrases {
			delete(s.Phrases, id)
		}
	case eventschema.PhraseAdded:
		s.Phrases[e.PhraseID] = Phrase{ID: e.PhraseID, Category: e.CategoryID, Text: e.Text}
	case eventschema.PhraseEdited:
		s.Phrases[e.PhraseID] = Phrase{ID: e.PhraseID, Category: e.CategoryID, Text: e.Text}
	case eventschema.PhraseDeleted:
		delete(s.Phrases, e.PhraseID)
	}
	return s
}

func (s Book) init() Book {
	if s.Categories == nil {
		s.Categories, s.Phrases = map[uuid.UUID]Category{}, map[uuid.UUID]Phrase{}
	}
	return s
}

// childNamed finds the category called name (case-insensitively) under
// parent.
func (s Book) childNamed(parent uuid.UUID, name string) (Category, bool) {
	for _, c := range s.Categories {
		if c.Parent == parent && strings.EqualFold(c.Name, name) {
			return c, true
		}
	}
	return Category{}, false
}

func checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > MaxNameLen {
		return "", domain.Errorf(domain.Invalid, "phrase_category.name", "name", "must be 1 to %d characters", MaxNameLen)
	}
	return name, nil
}

// checkText accepts any text that is not blank and not too long; it is
// kept exactly as given.
func checkText(text string) error {
	if strings.TrimSpace(text) == "" || utf8.RuneCountInString(text) > MaxTextLen {
		return domain.Errorf(domain.Invalid, "phrase.text", "text", "must be 1 to %d characters", MaxTextLen)
	}
	return nil
}

// checkParent checks that a new category under parent stays within two
// levels.
func (s Book) checkParent(parent uuid.UUID) error {
	if parent == uuid.Nil {
		return nil
	}
	p, ok := s.Categories[parent]
	if !ok {
		return domain.Errorf(domain.Invalid, "phrase_category.parent", "parent_id", "category %s not found", parent)
	}
	if p.Parent != uuid.Nil {
		return domain.Errorf(domain.Invalid, "phrase_category.level_limit", "parent_id", "phrases have two category levels; %q is already level 2", p.Name)
	}
	return nil
}

// AddCategory decides a new category under parent (nil: level 1).
func AddCategory(s Book, id, parent uuid.UUID, name string) ([]any, error) {
	s = s.init()
	if id == uuid.Nil {
		return nil, domain.Errorf(domain.Invalid, "phrase_category.id", "category_id", "must be a UUID")
	}
	if _, dup := s.Categories[id]; dup {
		return nil, domain.Errorf(domain.Conflict, "phrase_category.exists", "category_id", "category %s already exists", id)
	}
	if err := s.checkParent(parent); err != nil {
		return nil, err
	}
	if len(s.Categories) >= MaxCategories {
		return nil, domain.Errorf(domain.Invalid, "phrase_category.count_limit", "", "at most %d categories", MaxCategories)
	}
	name, err := checkName(name)
	if err != nil {
		return nil, err
	}
	if c, taken := s.childNamed(parent, name); taken {
		return nil, domain.Errorf(domain.Conflict, "phrase_category.name_taken", "name", "a category is already called %q here", c.Name)
	}
	return []any{eventschema.PhraseCategoryAdded{TenantID: s.TenantID, OwnerID: s.OwnerID, CategoryID: id, ParentID: parent, Name: name}}, nil
}

func (s Book) category(id uuid.UUID) (Category, error) {
	c, ok := s.Categories[id]
	if !ok {
		return Category{}, domain.Errorf(domain.NotFound, "phrase_category.not_found", "category_id", "category %s not found", id)
	}
	return c, nil
}

// RenameCategory decides a category's new name.
func RenameCategory(s Book, id uuid.UUID, name string) ([]any, error) {
	s = s.init()
	c, err := s.category(id)
	if err != nil {
		return nil, err
	}
	if name, err = checkName(name); err != nil || name == c.Name {
		return nil, err
	}
	if other, taken := s.childNamed(c.Parent, name); taken && other.ID != id {
		return nil, domain.Errorf(domain.Conflict, "phrase_category.name_taken", "name", "a category is already called %q here", other.Name)
	}
	return []any{eventschema.PhraseCategoryRenamed{TenantID: s.TenantID, OwnerID: s.OwnerID, CategoryID: id, Name: name}}, nil
}

// DeleteCategory decides the deletion of a category with its subcategories
// and every phrase in them.
func DeleteCategory(s Book, id uuid.UUID) ([]any, error) {
	s = s.init()
	if _, err := s.category(id); err != nil {
		return nil, err
	}
	cats := []uuid.UUID{id}
	for _, c := range sortedCategories(s) {
		if c.Parent == id {
			cats = append(cats, c.ID)
		}
	}
	phrases := []uuid.UUID{}
	for _, p := range sortedPhrases(s) {
		for _, c := range cats {
			if p.Category == c {
				phrases = append(phrases, p.ID)
			}
		}
	}
	return []any{eventschema.PhraseCategoryDeleted{TenantID: s.TenantID, OwnerID: s.OwnerID, CategoryID: id, Categories: cats, Phrases: phrases}}, nil
}

func (s Book) checkPhrase(self, category uuid.UUID, text string) error {
	if _, ok := s.Categories[category]; !ok {
		return domain.Errorf(domain.Invalid, "phrase.category", "category_id", "category %s not found", category)
	}
	if err := checkText(text); err != nil {
		return err
	}
	for _, p := range s.Phrases {
		if p.ID != self && p.Category == category && p.Text == text {
			return domain.Errorf(domain.Conflict, "phrase.duplicate", "text", "the category already has this phrase")
		}
	}
	return nil
}

// AddPhrase decides a new phrase in category.
func AddPhrase(s Book, id, category uuid.UUID, text string) ([]any, error) {
	s = s.init()
	if id == uuid.Nil {
		return nil, domain.Errorf(domain.Invalid, "phrase.id", "phrase_id", "must be a UUID")
	}
	if _, dup := s.Phrases[id]; dup {
		return nil, domain.Errorf(domain.Conflict, "phrase.exists", "phrase_id", "phrase %s already exists", id)
	}
	if len(s.Phrases) >= MaxPhrases {
		return nil, domain.Errorf(domain.Invalid, "phrase.count_limit", "", "at most %d phrases", MaxPhrases)
	}
	if err := s.checkPhrase(id, category, text); err != nil {
		return nil, err
	}
	return []any{eventschema.PhraseAdded{TenantID: s.TenantID, OwnerID: s.OwnerID, PhraseID: id, CategoryID: category, Text: text}}, nil
}

// EditPhrase decides a phrase's new text and category.
func EditPhrase(s Book, id, category uuid.UUID, text string) ([]any, error) {
	s = s.init()
	p, ok := s.Phrases[id]
	if !ok {
		return nil, domain.Errorf(domain.NotFound, "phrase.not_found", "phrase_id", "phrase %s not found", id)
	}
	if category == uuid.Nil {
		category = p.Category
	}
	if err := s.checkPhrase(id, category, text); err != nil {
		return nil, err
	}
	if p.Category == category && p.Text == text {
		return nil, nil
	}
	return []any{eventschema.PhraseEdited{TenantID: s.TenantID, OwnerID: s.OwnerID, PhraseID: id, CategoryID: category, Text: text}}, nil
}

// DeletePhrase decides the removal of a phrase.
func DeletePhrase(s Book, id uuid.UUID) ([]any, error) {
	s = s.init()
	if _, ok := s.Phrases[id]; !ok {
		return nil, domain.Errorf(domain.NotFound, "phrase.not_found", "phrase_id", "phrase %s not found", id)
	}
	return []any{eventschema.PhraseDeleted{TenantID: s.TenantID, OwnerID: s.OwnerID, PhraseID: id}}, nil
}

// Row is one phrase of an import or export: its category names and text.
// Line is the row's line in the uploaded file, for problem reports.
type Row struct {
	Line        int
	Category    string
	Subcategory string
	Text        string
}

// LineProblem and ImportError report a refused import (domain/imports.go).
type (
	LineProblem = domain.LineProblem
	ImportError = domain.ImportError
)

// MaxImportRows bounds one import, so that it stays one append.
const MaxImportRows = 2000

// Import decides the phrases of rows, all or nothing: categories missing by
// name are added, phrases already in their category are skipped (so an
// import can be repeated), and a single bad row refuses the whole import.
// newID gives the ID of the i-th thing created; it must be deterministic
// for a retried command.
func Import(s Book, rows []Row, newID func(i int) uuid.UUID) ([]any, error) {
	s = s.init()
	if len(rows) > MaxImportRows {
		return nil, domain.Errorf(domain.Invalid, "phrase.import_size", "", "at most %d rows per import", MaxImportRows)
	}
	var problems []LineProblem
	bad := func(r Row, field, format string, args ...any) {
		problems = append(problems, LineProblem{Line: r.Line, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	// Fold the decided events into a scratch copy as we go, so later rows
	// see the categories earlier rows created.
	scratch := Book{TenantID: s.TenantID, OwnerID: s.OwnerID, Categories: map[uuid.UUID]Category{}, Phrases: map[uuid.UUID]Phrase{}}
	for k, v := range s.Categories {
		scratch.Categories[k] = v
	}
	for k, v := range s.Phrases {
		scratch.Phrases[k] = v
	}
	var out []any
	n := 0
	emit := func(events []any) {
		for _, e := range events {
			scratch = Evolve(scratch, e)
		}
		out = append(out, events...)
	}
	ensure := func(r Row, parent uuid.UUID, name, field string) (uuid.UUID, bool) {
		clean, err := checkName(name)
		if err != nil {
			bad(r, field, "must be 1 to %d characters", MaxNameLen)
			return uuid.Nil, false
		}
		if c, ok := scratch.childNamed(parent, clean); ok {
			return c.ID, true
		}
		events, err := AddCategory(scratch, newID(n), parent, clean)
		n++
		if err != nil {
			bad(r, field, "%s", err.(*domain.Error).Message)
			return uuid.Nil, false
		}
		emit(events)
		return events[0].(eventschema.PhraseCategoryAdded).CategoryID, true
	}
	for _, r := range rows {
		if err := checkText(r.Text); err != nil {
			bad(r, "text", "must be 1 to %d characters", MaxTextLen)
			continue
		}
		cat, ok := ensure(r, uuid.Nil, r.Category, "category")
		if !ok {
			continue
		}
		if strings.TrimSpace(r.Subcategory) != "" {
			if cat, ok = ensure(r, cat, r.Subcategory, "subcategory"); !ok {
				continue
			}
		}
		dup := false
		for _, p := range scratch.Phrases {
			if p.Category == cat && p.Text == r.Text {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		events, err := AddPhrase(scratch, newID(n), cat, r.Text)
		n++
		if err != nil {
			bad(r, "text", "%s", err.(*domain.Error).Message)
			continue
		}
		emit(events)
	}
	if len(problems) > 0 {
		lines := make([]string, len(problems))
		for i, p := range problems {
			lines[i] = fmt.Sprint(p.Line)
		}
		return nil, &ImportError{
			Rule:     domain.Errorf(domain.Invalid, "phrase.import_rows", "", "bad rows on lines %s; nothing was imported", strings.Join(lines, ", ")),
			Problems: problems,
		}
	}
	return out, nil
}

// sortedCategories and sortedPhrases give deterministic orders for the
// IDs an event lists.
func sortedCategories(s Book) []Category {
	out := make([]Category, 0, len(s.Categories))
	for _, c := range s.Categories {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Category) int { return strings.Compare(a.ID.String(), b.ID.String()) })
	return out
}

func sortedPhrases(s Book) []Phrase {
	out := make([]Phrase, 0, len(s.Phrases))
	for _, p := range s.Phrases {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Phrase) int { return strings.Compare(a.ID.String(), b.ID.String()) })
	return out
}
