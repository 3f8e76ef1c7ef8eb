package reviewcats_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/reviewcats"
	"supportd/eventschema"
)

var (
	tenant = uuid.MustParse("0190f3b0-0000-7000-8000-0000000000aa")
	c1     = uuid.MustParse("0190f3b0-0000-7000-8000-000000000e01")
	c2     = uuid.MustParse("0190f3b0-0000-7000-8000-000000000e02")
)

func TestReviewCategories(t *testing.T) {
	s := reviewcats.Evolve(reviewcats.State{TenantID: tenant},
		eventschema.ReviewCategoryAdded{TenantID: tenant, CategoryID: c1, Name: "Polite greeting", Kind: "plus", Score: 5})
	cases := []struct {
		name   string
		decide func() ([]any, error)
		want   []any
		kind   domain.Kind
		code   string
	}{
		{"add a minus item", func() ([]any, error) {
			return reviewcats.Add(s, reviewcats.Category{ID: c2, Name: "Rude wording", Kind: "minus", Score: 10})
		}, []any{eventschema.ReviewCategoryAdded{TenantID: tenant, CategoryID: c2, Name: "Rude wording", Kind: "minus", Score: 10}}, 0, ""},
		{"score at the maximum", func() ([]any, error) {
			return reviewcats.Add(s, reviewcats.Category{ID: c2, Name: "Big", Kind: "plus", Score: 100})
		}, []any{eventschema.ReviewCategoryAdded{TenantID: tenant, CategoryID: c2, Name: "Big", Kind: "plus", Score: 100}}, 0, ""},
		{"score above the maximum", func() ([]any, error) {
			return reviewcats.Add(s, reviewcats.Category{ID: c2, Name: "Big", Kind: "plus", Score: 101})
		}, nil, domain.Invalid, "review_category.score"},
		{"zero score", func() ([]any, error) {
			return reviewcats.Add(s, reviewcats.Category{ID: c2, Name: "Nil", Kind: "plus", Score: 0})
		}, nil, domain.Invalid, "review_category.score"},
		{"unknown kind", func() ([]any, error) {
			return reviewcats.Add(s, reviewcats.Category{ID: c2, Name: "X", Kind: "bonus", Score: 1})
		}, nil, domain.Invalid, "review_category.kind"},
		{"name taken", func() ([]any, error) {
			return reviewcats.Add(s, reviewcats.Category{ID: c2, Name: "polite greeting", Kind: "plus", Score: 1})
		}, nil, domain.Conflict, "review_category.name_taken"},
		{"change kind", func() ([]any, error) {
			return reviewcats.Change(s, reviewcats.Category{ID: c1, Name: "Polite greeting", Kind: "minus", Score: 5})
		}, []any{eventschema.ReviewCategoryChanged{TenantID: tenant, CategoryID: c1, Name: "Polite greeting", Kind: "minus", Score: 5}}, 0, ""},
		{"remove", func() ([]any, error) { return reviewcats.Remove(s, c1) },
			[]any{eventschema.ReviewCategoryRemoved{TenantID: tenant, CategoryID: c1}}, 0, ""},
		{"remove unknown", func() ([]any, error) { return reviewcats.Remove(s, c2) }, nil, domain.NotFound, "review_category.not_found"},
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
