package knowledge_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/knowledge"
	"supportd/eventschema"
)

var (
	tenant = uuid.MustParse("0190f3b0-0000-7000-8000-0000000000aa")
	cat    = uuid.MustParse("0190f3b0-0000-7000-8000-000000000e01")
	art    = uuid.MustParse("0190f3b0-0000-7000-8000-000000000a0a")
	other  = uuid.MustParse("0190f3b0-0000-7000-8000-000000000a0b")
	link   = eventschema.Attachment{Name: "form.pdf", URL: "https://cdn.acme.example/form.pdf"}
)

func TestKnowledge(t *testing.T) {
	catAdded := eventschema.KnowledgeCategoryAdded{TenantID: tenant, CategoryID: cat, Name: "After-sales"}
	drafted := eventschema.KnowledgeArticleDrafted{TenantID: tenant, ArticleID: art, CategoryID: cat, Title: "Returns", Body: "30 days.",
		Attachments: []eventschema.Attachment{link}}
	s := knowledge.State{TenantID: tenant}
	for _, e := range []any{catAdded, drafted} {
		s = knowledge.Evolve(s, e)
	}
	draft := knowledge.Draft{Category: cat, Title: " Returns ", Body: "30 days.", Attachments: []eventschema.Attachment{link}}
	cases := []struct {
		name   string
		decide func() ([]any, error)
		want   []any
		kind   domain.Kind
		code   string
	}{
		{"draft", func() ([]any, error) { return knowledge.DraftArticle(s, other, draft) },
			[]any{eventschema.KnowledgeArticleDrafted{TenantID: tenant, ArticleID: other, CategoryID: cat, Title: "Returns", Body: "30 days.", Attachments: []eventschema.Attachment{link}}}, 0, ""},
		{"unknown category", func() ([]any, error) {
			d := draft
			d.Category = other
			return knowledge.DraftArticle(s, other, d)
		}, nil, domain.Invalid, "knowledge_article.category"},
		{"attachment without URL", func() ([]any, error) {
			d := draft
			d.Attachments = []eventschema.Attachment{{Name: "x", URL: "file.pdf"}}
			return knowledge.DraftArticle(s, other, d)
		}, nil, domain.Invalid, "knowledge_article.attachments"},
		{"edit to same is no change", func() ([]any, error) { return knowledge.EditArticle(s, art, draft) }, nil, 0, ""},
		{"publish", func() ([]any, error) { return knowledge.SetPublished(s, art, true) },
			[]any{eventschema.KnowledgeArticlePublished{TenantID: tenant, ArticleID: art}}, 0, ""},
		{"unpublish a draft is no change", func() ([]any, error) { return knowledge.SetPublished(s, art, false) }, nil, 0, ""},
		{"category with articles stays", func() ([]any, error) { return knowledge.DeleteCategory(s, cat) }, nil, domain.Conflict, "knowledge_category.not_empty"},
		{"category name unique", func() ([]any, error) { return knowledge.AddCategory(s, other, "after-SALES") }, nil, domain.Conflict, "knowledge_category.name_taken"},
		{"delete article", func() ([]any, error) { return knowledge.DeleteArticle(s, art) },
			[]any{eventschema.KnowledgeArticleDeleted{TenantID: tenant, ArticleID: art}}, 0, ""},
		{"unknown article", func() ([]any, error) { return knowledge.DeleteArticle(s, other) }, nil, domain.NotFound, "knowledge_article.not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.decide()
			if tc.kind != 0 {
				var de *domain.Error
				if !errors.As(err, &de) || de.Kind != tc.kind || de.Code != tc.code {
					t.Fatalf("got %v %v, want %v %s", got, err, tc.kind, tc.code)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %#v %v\nwant %#v", got, err, tc.want)
			}
		})
	}
}

func TestImport(t *testing.T) {
	ids := func(i int) uuid.UUID { return uuid.NewSHA1(uuid.Nil, []byte{byte(i)}) }
	rows := []knowledge.Row{
		{Line: 2, Category: "Billing", Title: "Refunds", Body: "Within 30 days.", Published: true},
		{Line: 3, Category: "Billing", Title: "Invoices", Body: "Monthly."},
		{Line: 4, Category: "Shipping", Title: "Tracking", Body: "By e-mail."},
	}
	events, err := knowledge.Import(knowledge.State{}, rows, ids)
	if err != nil {
		t.Fatal(err)
	}
	var s knowledge.State
	for _, e := range events {
		s = knowledge.Evolve(s, e)
	}
	if len(s.Categories) != 2 || len(s.Articles) != 3 {
		t.Fatalf("imported %d categories, %d articles", len(s.Categories), len(s.Articles))
	}
	published := 0
	for _, a := range s.Articles {
		if a.Published {
			published++
		}
	}
	if published != 1 {
		t.Errorf("%d published, want the one marked", published)
	}
	// Again: nothing new (same titles in the same categories).
	if again, err := knowledge.Import(s, rows, func(i int) uuid.UUID { return uuid.NewSHA1(uuid.Max, []byte{byte(i)}) }); err != nil || len(again) != 0 {
		t.Errorf("a repeated import decided %v, %v", again, err)
	}
	// A bad row refuses everything and names each bad line.
	_, err = knowledge.Import(knowledge.State{}, []knowledge.Row{
		{Line: 2, Category: "Ok", Title: "Fine"}, {Line: 3, Category: "Ok", Title: ""}, {Line: 4, Category: "", Title: "x"},
	}, ids)
	var ie *domain.ImportError
	if !errors.As(err, &ie) || len(ie.Problems) != 2 || ie.Problems[0].Line != 3 || ie.Problems[1].Line != 4 {
		t.Errorf("bad rows: %v", err)
	}
}
