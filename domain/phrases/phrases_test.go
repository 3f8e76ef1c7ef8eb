package phrases_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/phrases"
	"supportd/eventschema"
)

var (
	tenant = uuid.MustParse("0190f3b0-0000-7000-8000-0000000000aa")
	agent  = uuid.MustParse("0190f3b0-0000-7000-8000-0000000000a2")
)

func id(n int) uuid.UUID { return uuid.MustParse(fmt.Sprintf("0190f3b0-0000-7000-8000-%012x", n)) }

func book(owner uuid.UUID, events ...any) phrases.Book {
	s := phrases.Book{TenantID: tenant, OwnerID: owner}
	for _, e := range events {
		s = phrases.Evolve(s, e)
	}
	return s
}

func catAdded(owner, cat, parent uuid.UUID, name string) eventschema.PhraseCategoryAdded {
	return eventschema.PhraseCategoryAdded{TenantID: tenant, OwnerID: owner, CategoryID: cat, ParentID: parent, Name: name}
}

func phraseAdded(owner, p, cat uuid.UUID, text string) eventschema.PhraseAdded {
	return eventschema.PhraseAdded{TenantID: tenant, OwnerID: owner, PhraseID: p, CategoryID: cat, Text: text}
}

func TestPhraseBook(t *testing.T) {
	greet := catAdded(uuid.Nil, id(1), uuid.Nil, "Greetings")
	morning := catAdded(uuid.Nil, id(2), id(1), "Morning")
	hello := phraseAdded(uuid.Nil, id(10), id(2), "##dear##, good morning!")
	s := book(uuid.Nil, greet, morning, hello)
	mine := book(agent, catAdded(agent, id(1), uuid.Nil, "Mine"))
	cases := []struct {
		name   string
		decide func() ([]any, error)
		want   []any
		kind   domain.Kind
		code   string
	}{
		{"level-2 category", func() ([]any, error) { return phrases.AddCategory(s, id(3), id(1), "Evening") },
			[]any{catAdded(uuid.Nil, id(3), id(1), "Evening")}, 0, ""},
		{"no third level", func() ([]any, error) { return phrases.AddCategory(s, id(3), id(2), "Early") }, nil, domain.Invalid, "phrase_category.level_limit"},
		{"sibling name taken", func() ([]any, error) { return phrases.AddCategory(s, id(3), id(1), "morning") }, nil, domain.Conflict, "phrase_category.name_taken"},
		{"placeholder kept verbatim", func() ([]any, error) { return phrases.AddPhrase(s, id(11), id(1), "  ##dear##, hello!  ") },
			[]any{phraseAdded(uuid.Nil, id(11), id(1), "  ##dear##, hello!  ")}, 0, ""},
		{"personal phrase carries its owner", func() ([]any, error) { return phrases.AddPhrase(mine, id(11), id(1), "Hi") },
			[]any{phraseAdded(agent, id(11), id(1), "Hi")}, 0, ""},
		{"blank text", func() ([]any, error) { return phrases.AddPhrase(s, id(11), id(1), "  ") }, nil, domain.Invalid, "phrase.text"},
		{"unknown category", func() ([]any, error) { return phrases.AddPhrase(s, id(11), id(9), "Hi") }, nil, domain.Invalid, "phrase.category"},
		{"duplicate in category", func() ([]any, error) { return phrases.AddPhrase(s, id(11), id(2), "##dear##, good morning!") }, nil, domain.Conflict, "phrase.duplicate"},
		{"edit", func() ([]any, error) { return phrases.EditPhrase(s, id(10), uuid.Nil, "Morning, ##dear##") },
			[]any{eventschema.PhraseEdited{TenantID: tenant, PhraseID: id(10), CategoryID: id(2), Text: "Morning, ##dear##"}}, 0, ""},
		{"another book's phrase is not found", func() ([]any, error) { return phrases.EditPhrase(mine, id(10), uuid.Nil, "x") }, nil, domain.NotFound, "phrase.not_found"},
		{"delete category takes subcategories and phrases", func() ([]any, error) { return phrases.DeleteCategory(s, id(1)) },
			[]any{eventschema.PhraseCategoryDeleted{TenantID: tenant, CategoryID: id(1), Categories: []uuid.UUID{id(1), id(2)}, Phrases: []uuid.UUID{id(10)}}}, 0, ""},
		{"delete phrase", func() ([]any, error) { return phrases.DeletePhrase(s, id(10)) },
			[]any{eventschema.PhraseDeleted{TenantID: tenant, PhraseID: id(10)}}, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.decide()
			check(t, got, err, tc.want, tc.kind, tc.code)
		})
	}
}

func check(t *testing.T, got []any, err error, want []any, kind domain.Kind, code string) {
	t.Helper()
	if kind != 0 {
		var de *domain.Error
		if !errors.As(err, &de) || de.Kind != kind || de.Code != code {
			t.Fatalf("got %v %v, want %v %s", got, err, kind, code)
		}
		return
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %#v %v\nwant %#v", got, err, want)
	}
}

func TestImport(t *testing.T) {
	greet := catAdded(uuid.Nil, id(1), uuid.Nil, "Greetings")
	existing := phraseAdded(uuid.Nil, id(10), id(1), "Hello")
	newID := func(i int) uuid.UUID { return id(100 + i) }
	t.Run("adds missing categories, skips known phrases", func(t *testing.T) {
		rows := []phrases.Row{
			{Line: 2, Category: "greetings", Text: "Hello"},
			{Line: 3, Category: "Greetings", Subcategory: "Morning", Text: "##dear##, good morning"},
			{Line: 4, Category: "Closing", Text: "Bye"},
			{Line: 5, Category: "Closing", Text: "Bye"},
		}
		got, err := phrases.Import(book(uuid.Nil, greet, existing), rows, newID)
		want := []any{
			catAdded(uuid.Nil, id(100), id(1), "Morning"),
			phraseAdded(uuid.Nil, id(101), id(100), "##dear##, good morning"),
			catAdded(uuid.Nil, id(102), uuid.Nil, "Closing"),
			phraseAdded(uuid.Nil, id(103), id(102), "Bye"),
		}
		check(t, got, err, want, 0, "")
	})
	t.Run("every bad row is reported and nothing is imported", func(t *testing.T) {
		rows := []phrases.Row{
			{Line: 2, Category: "A", Text: "fine"},
			{Line: 3, Category: "", Text: "no category"},
			{Line: 4, Category: "A", Text: "   "},
		}
		got, err := phrases.Import(book(uuid.Nil), rows, newID)
		var ie *phrases.ImportError
		if got != nil || !errors.As(err, &ie) || domain.KindOf(err) != domain.Invalid {
			t.Fatalf("got %v %v", got, err)
		}
		want := []phrases.LineProblem{{Line: 3, Field: "category", Message: "must be 1 to 50 characters"}, {Line: 4, Field: "text", Message: "must be 1 to 2000 characters"}}
		if !reflect.DeepEqual(ie.Problems, want) {
			t.Errorf("problems %+v", ie.Problems)
		}
	})
}
