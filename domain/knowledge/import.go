package knowledge

import (
	"fmt"
	"maps"
	"strings"

	"github.com/google/uuid"

	"supportd/domain"
)

// Row is one article of an import file, as the CSV template has it; Line
// is its line in the file, for problem reports.
type Row struct {
	Line      int
	Category  string
	Title     string
	Body      string
	Published bool
}

// MaxImportRows bounds one import, so that it stays one append.
const MaxImportRows = 1000

// Import decides the articles of rows, all or nothing: categories missing
// by name are added, an article whose title is already in its category is
// skipped (so an import can be repeated), and a single bad row refuses the
// whole import, listing every bad row. newID gives the ID of the i-th
// thing created; it must be deterministic for a retried command.
func Import(s State, rows []Row, newID func(i int) uuid.UUID) ([]any, error) {
	s = s.init()
	if len(rows) > MaxImportRows {
		return nil, domain.Errorf(domain.Invalid, "knowledge.import_size", "", "at most %d rows per import", MaxImportRows)
	}
	// Decide on a scratch copy, so later rows see what earlier rows made
	// (Evolve changes maps in place).
	scratch := State{TenantID: s.TenantID, Categories: maps.Clone(s.Categories), Articles: maps.Clone(s.Articles)}
	var out []any
	var problems []domain.LineProblem
	n := 0
	emit := func(events []any) {
		for _, e := range events {
			scratch = Evolve(scratch, e)
		}
		out = append(out, events...)
	}
	bad := func(r Row, err error) {
		field, msg := "row", err.Error()
		if de, ok := err.(*domain.Error); ok {
			field, msg = de.Field, de.Message
		}
		problems = append(problems, domain.LineProblem{Line: r.Line, Field: field, Message: msg})
	}
	for _, r := range rows {
		name := strings.TrimSpace(r.Category)
		var category uuid.UUID
		for id, c := range scratch.Categories {
			if c == name {
				category = id
			}
		}
		if category == uuid.Nil {
			events, err := AddCategory(scratch, newID(n), name)
			n++
			if err != nil {
				bad(r, err)
				continue
			}
			emit(events)
			category = newID(n - 1)
		}
		title := strings.TrimSpace(r.Title)
		if scratch.hasTitle(category, title) {
			continue
		}
		id := newID(n)
		n++
		events, err := DraftArticle(scratch, id, Draft{Category: category, Title: title, Body: r.Body})
		if err != nil {
			bad(r, err)
			continue
		}
		emit(events)
		if r.Published {
			events, err := SetPublished(scratch, id, true)
			if err != nil {
				bad(r, err)
				continue
			}
			emit(events)
		}
	}
	if len(problems) > 0 {
		lines := make([]string, len(problems))
		for i, p := range problems {
			lines[i] = fmt.Sprint(p.Line)
		}
		return nil, &domain.ImportError{
			Rule: domain.Errorf(domain.Invalid, "knowledge.import_rows", "", "bad rows on lines %s; nothing was imported",
				strings.Join(lines, ", ")),
			Problems: problems,
		}
	}
	return out, nil
}

func (s State) hasTitle(category uuid.UUID, title string) bool {
	for _, a := range s.Articles {
		if a.Category == category && a.Title == title {
			return true
		}
	}
	return false
}
