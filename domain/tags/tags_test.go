package tags_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/tags"
	"supportd/eventschema"
)

var tenant = uuid.MustParse("0190f3b0-0000-7000-8000-0000000000aa")

func id(n int) uuid.UUID { return uuid.MustParse(fmt.Sprintf("0190f3b0-0000-7000-8000-%012x", n)) }

func added(tag, parent uuid.UUID, name string, pos int) eventschema.ConversationTagAdded {
	return eventschema.ConversationTagAdded{TenantID: tenant, TagID: tag, ParentID: parent, Name: name, Position: pos}
}

func tree(events ...any) tags.Tree {
	s := tags.Tree{TenantID: tenant}
	for _, e := range events {
		s = tags.EvolveTree(s, e)
	}
	return s
}

// chain returns tags 1..n, each the child of the one before: n levels.
func chain(n int) []any {
	var out []any
	for i := 1; i <= n; i++ {
		out = append(out, added(id(i), parentOf(i), fmt.Sprint("L", i), 0))
	}
	return out
}

func parentOf(i int) uuid.UUID {
	if i == 1 {
		return uuid.Nil
	}
	return id(i - 1)
}

// roots returns n root tags with IDs from 1000.
func roots(n int) []any {
	var out []any
	for i := 0; i < n; i++ {
		out = append(out, added(id(1000+i), uuid.Nil, fmt.Sprint("Root ", i), i))
	}
	return out
}

// flat returns n tags: 20 roots and the rest children of the first root.
func flat(n int) []any {
	out := roots(min(n, tags.MaxRoots))
	for i := tags.MaxRoots; i < n; i++ {
		out = append(out, added(id(5000+i), id(1000), fmt.Sprint("Child ", i), i-tags.MaxRoots))
	}
	return out
}

func check(t *testing.T, got []any, err error, want []any, kind domain.Kind, code string) {
	t.Helper()
	if kind != 0 {
		de, ok := err.(*domain.Error)
		if !ok || de.Kind != kind || (code != "" && de.Code != code) {
			t.Fatalf("got %v (%#v), want %v %s", got, err, kind, code)
		}
		return
	}
	if err != nil {
		t.Fatalf("unexpected %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %#v\nwant %#v", got, want)
	}
}

func TestAddTag(t *testing.T) {
	cases := []struct {
		name   string
		given  []any
		tag    uuid.UUID
		parent uuid.UUID
		tname  string
		want   []any
		kind   domain.Kind
		code   string
	}{
		{"first root", nil, id(1), uuid.Nil, " Consultation ", []any{added(id(1), uuid.Nil, "Consultation", 0)}, 0, ""},
		{"child goes last", []any{added(id(1), uuid.Nil, "A", 0), added(id(2), id(1), "B", 0)}, id(3), id(1), "C",
			[]any{added(id(3), id(1), "C", 1)}, 0, ""},
		{"10th level is allowed", chain(9), id(10), id(9), "L10", []any{added(id(10), id(9), "L10", 0)}, 0, ""},
		{"11th level is refused", chain(10), id(11), id(10), "L11", nil, domain.Invalid, "tag.level_limit"},
		{"20th root is allowed", roots(19), id(1), uuid.Nil, "Last", []any{added(id(1), uuid.Nil, "Last", 19)}, 0, ""},
		{"21st root is refused", roots(20), id(1), uuid.Nil, "One too many", nil, domain.Invalid, "tag.root_limit"},
		{"21st tag may be a child", roots(20), id(1), id(1000), "Child", []any{added(id(1), id(1000), "Child", 0)}, 0, ""},
		{"1000th tag is allowed", flat(999), id(1), id(1001), "Last", []any{added(id(1), id(1001), "Last", 0)}, 0, ""},
		{"1001st tag is refused", flat(1000), id(1), id(1001), "Over", nil, domain.Invalid, "tag.count_limit"},
		{"sibling name taken", []any{added(id(1), uuid.Nil, "Price", 0)}, id(2), uuid.Nil, "price", nil, domain.Conflict, "tag.name_taken"},
		{"same name under another parent", []any{added(id(1), uuid.Nil, "A", 0), added(id(2), id(1), "A", 0)}, id(3), id(2), "A",
			[]any{added(id(3), id(2), "A", 0)}, 0, ""},
		{"unknown parent", nil, id(1), id(99), "A", nil, domain.Invalid, "tag.parent"},
		{"empty name", nil, id(1), uuid.Nil, "  ", nil, domain.Invalid, "tag.name"},
		{"name too long", nil, id(1), uuid.Nil, string(make([]rune, 51)), nil, domain.Invalid, "tag.name"},
		{"id taken", []any{added(id(1), uuid.Nil, "A", 0)}, id(1), uuid.Nil, "B", nil, domain.Conflict, "tag.exists"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tags.Add(tree(tc.given...), tc.tag, tc.parent, tc.tname)
			check(t, got, err, tc.want, tc.kind, tc.code)
		})
	}
}

func TestMoveTag(t *testing.T) {
	// A(1) > B(2) > C(3); D(4) a root; chain E1..: used for depth.
	base := []any{added(id(1), uuid.Nil, "A", 0), added(id(2), id(1), "B", 0), added(id(3), id(2), "C", 0), added(id(4), uuid.Nil, "D", 1)}
	moved := func(tag, from, to uuid.UUID, pos int) eventschema.ConversationTagMoved {
		return eventschema.ConversationTagMoved{TenantID: tenant, TagID: tag, FromParentID: from, ToParentID: to, Position: pos}
	}
	deep := append(chain(8), added(id(20), uuid.Nil, "X", 1), added(id(21), id(20), "Y", 0), added(id(22), id(21), "Z", 0))
	cases := []struct {
		name   string
		given  []any
		tag    uuid.UUID
		parent uuid.UUID
		want   []any
		kind   domain.Kind
		code   string
	}{
		{"subtree under another root", base, id(2), id(4), []any{moved(id(2), id(1), id(4), 0)}, 0, ""},
		{"to the roots", base, id(3), uuid.Nil, []any{moved(id(3), id(2), uuid.Nil, 2)}, 0, ""},
		{"same parent is no change", base, id(2), id(1), nil, 0, ""},
		{"below itself", base, id(1), id(3), nil, domain.Invalid, "tag.cycle"},
		{"onto itself", base, id(1), id(1), nil, domain.Invalid, "tag.cycle"},
		{"two levels onto level 8 reach 10", deep, id(21), id(8), []any{moved(id(21), id(20), id(8), 0)}, 0, ""},
		{"three levels onto level 8 would reach 11", deep, id(20), id(8), nil, domain.Invalid, "tag.level_limit"},
		{"21st root by moving", append(roots(20), added(id(1), id(1000), "A", 0)), id(1), uuid.Nil, nil, domain.Invalid, "tag.root_limit"},
		{"name taken at destination", append(base, added(id(5), id(4), "C", 0)), id(3), id(4), nil, domain.Conflict, "tag.name_taken"},
		{"unknown tag", base, id(9), uuid.Nil, nil, domain.NotFound, "tag.not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tags.Move(tree(tc.given...), tc.tag, tc.parent)
			check(t, got, err, tc.want, tc.kind, tc.code)
		})
	}
	t.Run("moved subtree keeps its shape", func(t *testing.T) {
		s := tree(append(base, moved(id(2), id(1), id(4), 0))...)
		if s.Level(id(3)) != 3 || s.Tags[id(2)].Parent != id(4) || len(s.Children[id(1)]) != 0 {
			t.Errorf("tree after move: %+v", s)
		}
	})
}

func TestRenameEnableDeleteReorder(t *testing.T) {
	base := []any{added(id(1), uuid.Nil, "A", 0), added(id(2), id(1), "B", 0), added(id(3), id(2), "C", 0),
		added(id(4), id(1), "D", 1), added(id(5), uuid.Nil, "E", 1)}
	s := tree(base...)
	cases := []struct {
		name   string
		decide func() ([]any, error)
		want   []any
		kind   domain.Kind
		code   string
	}{
		{"rename", func() ([]any, error) { return tags.Rename(s, id(2), "Bee") },
			[]any{eventschema.ConversationTagRenamed{TenantID: tenant, TagID: id(2), From: "B", To: "Bee"}}, 0, ""},
		{"rename to same", func() ([]any, error) { return tags.Rename(s, id(2), "B") }, nil, 0, ""},
		{"rename to a sibling's name", func() ([]any, error) { return tags.Rename(s, id(2), "d") }, nil, domain.Conflict, "tag.name_taken"},
		{"disable", func() ([]any, error) { return tags.SetEnabled(s, id(2), false) },
			[]any{eventschema.ConversationTagDisabled{TenantID: tenant, TagID: id(2)}}, 0, ""},
		{"enable an enabled tag", func() ([]any, error) { return tags.SetEnabled(s, id(2), true) }, nil, 0, ""},
		{"delete takes the subtree", func() ([]any, error) { return tags.Delete(s, id(1)) },
			[]any{eventschema.ConversationTagDeleted{TenantID: tenant, TagID: id(1), Deleted: []uuid.UUID{id(1), id(2), id(3), id(4)}}}, 0, ""},
		{"delete unknown", func() ([]any, error) { return tags.Delete(s, id(9)) }, nil, domain.NotFound, "tag.not_found"},
		{"reorder children", func() ([]any, error) { return tags.Reorder(s, id(1), []uuid.UUID{id(4), id(2)}) },
			[]any{eventschema.ConversationTagsReordered{TenantID: tenant, ParentID: id(1), Order: []uuid.UUID{id(4), id(2)}}}, 0, ""},
		{"reorder missing one", func() ([]any, error) { return tags.Reorder(s, id(1), []uuid.UUID{id(4)}) }, nil, domain.Invalid, "tag.order"},
		{"reorder with a stranger", func() ([]any, error) { return tags.Reorder(s, uuid.Nil, []uuid.UUID{id(5), id(2)}) }, nil, domain.Invalid, "tag.order"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.decide()
			check(t, got, err, tc.want, tc.kind, tc.code)
		})
	}
	t.Run("after deletion the names and a root slot are free", func(t *testing.T) {
		after := tree(append(base, eventschema.ConversationTagDeleted{TenantID: tenant, TagID: id(1), Deleted: []uuid.UUID{id(1), id(2), id(3), id(4)}})...)
		if len(after.Tags) != 1 || len(after.Children[uuid.Nil]) != 1 {
			t.Fatalf("tree %+v", after)
		}
		if _, err := tags.Add(after, id(7), uuid.Nil, "A"); err != nil {
			t.Error(err)
		}
	})
}

func TestCustomerTags(t *testing.T) {
	tagAdded := eventschema.CustomerTagAdded{TenantID: tenant, TagID: id(1), Name: "VIP", Color: "#ff9900"}
	s := tags.EvolveCustomer(tags.Customer{TenantID: tenant}, tagAdded)
	cases := []struct {
		name   string
		decide func() ([]any, error)
		want   []any
		kind   domain.Kind
		code   string
	}{
		{"add with default colour", func() ([]any, error) { return tags.AddCustomerTag(s, id(2), "New", "") },
			[]any{eventschema.CustomerTagAdded{TenantID: tenant, TagID: id(2), Name: "New", Color: tags.DefaultColor}}, 0, ""},
		{"name unique", func() ([]any, error) { return tags.AddCustomerTag(s, id(2), "vip", "") }, nil, domain.Conflict, "customer_tag.name_taken"},
		{"bad colour", func() ([]any, error) { return tags.AddCustomerTag(s, id(2), "X", "red") }, nil, domain.Invalid, "customer_tag.color"},
		{"change", func() ([]any, error) { return tags.ChangeCustomerTag(s, id(1), "Gold", "#FFD700") },
			[]any{eventschema.CustomerTagChanged{TenantID: tenant, TagID: id(1), Name: "Gold", Color: "#ffd700"}}, 0, ""},
		{"change to same", func() ([]any, error) { return tags.ChangeCustomerTag(s, id(1), "VIP", "#ff9900") }, nil, 0, ""},
		{"delete", func() ([]any, error) { return tags.DeleteCustomerTag(s, id(1)) },
			[]any{eventschema.CustomerTagDeleted{TenantID: tenant, TagID: id(1)}}, 0, ""},
		{"delete unknown", func() ([]any, error) { return tags.DeleteCustomerTag(s, id(2)) }, nil, domain.NotFound, "customer_tag.not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.decide()
			check(t, got, err, tc.want, tc.kind, tc.code)
		})
	}
}

func TestCheckUsable(t *testing.T) {
	s := tree(added(id(1), uuid.Nil, "A", 0), added(id(2), id(1), "B", 0),
		eventschema.ConversationTagDisabled{TenantID: tenant, TagID: id(2)})
	cases := []struct {
		name string
		ids  []uuid.UUID
		code string
	}{
		{"enabled tag", []uuid.UUID{id(1)}, ""},
		{"unknown tag", []uuid.UUID{id(1), id(9)}, "tag.unknown"},
		{"disabled tag", []uuid.UUID{id(2)}, "tag.disabled"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := s.CheckUsable(tc.ids)
			var code string
			if de, ok := err.(*domain.Error); ok {
				code = de.Code
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code {
				t.Errorf("code %q, want %q", code, tc.code)
			}
		})
	}
}

func TestImportTree(t *testing.T) {
	ids := func(i int) uuid.UUID { return uuid.NewSHA1(uuid.Nil, []byte{byte(i)}) }
	rows := []tags.TreeRow{
		{Line: 2, Level: 1, Name: "Orders", Enabled: true},
		{Line: 3, Level: 2, Name: "Late", Enabled: true},
		{Line: 4, Level: 3, Name: "Courier", Enabled: false},
		{Line: 5, Level: 2, Name: "Missing", Enabled: true},
		{Line: 6, Level: 1, Name: "Billing", Enabled: true},
	}
	events, err := tags.ImportTree(tags.Tree{}, rows, ids)
	if err != nil {
		t.Fatal(err)
	}
	var s tags.Tree
	for _, e := range events {
		s = tags.EvolveTree(s, e)
	}
	if len(s.Tags) != 5 || len(s.Children[uuid.Nil]) != 2 {
		t.Fatalf("imported %d tags, %d roots", len(s.Tags), len(s.Children[uuid.Nil]))
	}
	courier := s.Tags[ids(2)]
	if courier.Name != "Courier" || courier.Enabled || s.Level(courier.ID) != 3 {
		t.Errorf("the level-3 row: %+v at level %d", courier, s.Level(courier.ID))
	}
	// Again, names in another case: nothing new.
	rows[0].Name = "ORDERS"
	if again, err := tags.ImportTree(s, rows, func(i int) uuid.UUID { return uuid.NewSHA1(uuid.Max, []byte{byte(i)}) }); err != nil || len(again) != 0 {
		t.Errorf("a repeated import decided %v, %v", again, err)
	}
	// Bad rows, each named: a level jump, an empty name, a row under a bad
	// one; nothing is decided.
	_, err = tags.ImportTree(tags.Tree{}, []tags.TreeRow{
		{Line: 2, Level: 1, Name: "Fine", Enabled: true},
		{Line: 3, Level: 3, Name: "Jump", Enabled: true},
		{Line: 4, Level: 2, Name: " ", Enabled: true},
		{Line: 5, Level: 3, Name: "Orphan", Enabled: true},
	}, ids)
	var ie *domain.ImportError
	if !errors.As(err, &ie) || len(ie.Problems) != 3 || ie.Problems[0].Line != 3 || ie.Problems[1].Line != 4 || ie.Problems[2].Line != 5 {
		t.Errorf("bad rows: %v %+v", err, ie)
	}
}
