package tags

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/google/uuid"

	"supportd/domain"
)

// TreeRow is one tag of an import file, in depth-first order: Level 1 is
// a root, a deeper row hangs under the last row one level up. Line is its
// line in the file, for problem reports.
type TreeRow struct {
	Line    int
	Level   int
	Name    string
	Enabled bool
}

// ImportTree decides the tags of rows, all or nothing: a tag whose name is
// already under its parent (case-insensitively) is kept as it is, a new
// one is added with its enabled flag, so an import can be repeated; a
// single bad row refuses the whole import, listing every bad row. newID
// gives the ID of the i-th tag created; it must be deterministic for a
// retried command.
func ImportTree(s Tree, rows []TreeRow, newID func(i int) uuid.UUID) ([]any, error) {
	if len(rows) > MaxTags {
		return nil, domain.Errorf(domain.Invalid, "tag.import_size", "", "at most %d rows per import", MaxTags)
	}
	// Decide on a scratch copy (EvolveTree changes maps in place).
	scratch := cloneTree(s)
	var out []any
	var problems []domain.LineProblem
	bad := func(r TreeRow, field, format string, args ...any) {
		problems = append(problems, domain.LineProblem{Line: r.Line, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	emit := func(events []any) {
		for _, e := range events {
			scratch = EvolveTree(scratch, e)
		}
		out = append(out, events...)
	}
	// path[i] is the tag of level i+1 the next deeper row hangs under;
	// uuid.Nil where the row that would have made it was bad.
	var path []uuid.UUID
	n := 0
	for _, r := range rows {
		if r.Level < 1 || r.Level > len(path)+1 || r.Level > MaxLevels {
			bad(r, "level", "must be 1 to %d, and at most one deeper than the row above", min(len(path)+1, MaxLevels))
			continue
		}
		path = path[:r.Level-1]
		parent := uuid.Nil
		if r.Level > 1 {
			if parent = path[r.Level-2]; parent == uuid.Nil {
				bad(r, "level", "its parent row is bad")
				path = append(path, uuid.Nil)
				continue
			}
		}
		name := strings.TrimSpace(r.Name)
		var id uuid.UUID
		for _, sib := range scratch.Children[parent] {
			if strings.EqualFold(scratch.Tags[sib].Name, name) {
				id = sib
			}
		}
		if id == uuid.Nil {
			id = newID(n)
			n++
			events, err := Add(scratch, id, parent, name)
			if err != nil {
				bad(r, "name", "%s", err.(*domain.Error).Message)
				path = append(path, uuid.Nil)
				continue
			}
			emit(events)
			if !r.Enabled {
				off, _ := SetEnabled(scratch, id, false) // a tag just added exists
				emit(off)
			}
		}
		path = append(path, id)
	}
	if len(problems) > 0 {
		lines := make([]string, len(problems))
		for i, p := range problems {
			lines[i] = fmt.Sprint(p.Line)
		}
		return nil, &domain.ImportError{
			Rule: domain.Errorf(domain.Invalid, "tag.import_rows", "", "bad rows on lines %s; nothing was imported",
				strings.Join(lines, ", ")),
			Problems: problems,
		}
	}
	return out, nil
}

func cloneTree(s Tree) Tree {
	c := Tree{TenantID: s.TenantID, Tags: maps.Clone(s.Tags), Children: map[uuid.UUID][]uuid.UUID{}}
	if c.Tags == nil {
		c.Tags = map[uuid.UUID]Tag{}
	}
	for k, v := range s.Children {
		c.Children[k] = slices.Clone(v)
	}
	return c
}
