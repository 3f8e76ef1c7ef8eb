package satisfaction_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"supportd/domain"
	"supportd/domain/satisfaction"
	"supportd/eventschema"
)

func code(err error) string {
	var de *domain.Error
	if errors.As(err, &de) {
		return de.Code
	}
	return ""
}

func TestValidate(t *testing.T) {
	got, err := satisfaction.Validate(eventschema.RatingOptions{Stars: []eventschema.RatingStar{
		{Stars: 5, Prompt: " Great ", Labels: []string{" Fast ", "Fast", "Kind"}},
		{Stars: 1, Prompt: "Bad"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := eventschema.RatingOptions{Stars: []eventschema.RatingStar{
		{Stars: 1, Prompt: "Bad", Labels: []string{}}, {Stars: 2, Labels: []string{}}, {Stars: 3, Labels: []string{}},
		{Stars: 4, Labels: []string{}}, {Stars: 5, Prompt: "Great", Labels: []string{"Fast", "Kind"}},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("canonical form\n got %+v\nwant %+v", got, want)
	}
	for name, o := range map[string]eventschema.RatingOptions{
		"six stars":     {Stars: []eventschema.RatingStar{{Stars: 6}}},
		"a level twice": {Stars: []eventschema.RatingStar{{Stars: 2}, {Stars: 2}}},
		"long prompt":   {Stars: []eventschema.RatingStar{{Stars: 2, Prompt: strings.Repeat("x", 51)}}},
		"empty label":   {Stars: []eventschema.RatingStar{{Stars: 2, Labels: []string{" "}}}},
		"long label":    {Stars: []eventschema.RatingStar{{Stars: 2, Labels: []string{strings.Repeat("x", 21)}}}},
		"11 labels":     {Stars: []eventschema.RatingStar{{Stars: 2, Labels: strings.Split("a b c d e f g h i j k", " ")}}},
	} {
		if _, err := satisfaction.Validate(o); code(err) != "rating.options" {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestCheckRating(t *testing.T) {
	o, _ := satisfaction.Validate(eventschema.RatingOptions{Stars: []eventschema.RatingStar{{Stars: 1, Labels: []string{"Slow", "Rude"}}}})
	cases := []struct {
		name   string
		stars  int
		labels []string
		code   string
	}{
		{"a level with labels takes one", 1, []string{"Slow"}, ""},
		{"or several of its own", 1, []string{"Slow", "Rude"}, ""},
		{"not none", 1, nil, "rating.label_required"},
		{"not another's", 1, []string{"Fast"}, "rating.labels"},
		{"a level without labels takes none", 5, nil, ""},
		{"the default options ask for nothing", 3, nil, ""},
	}
	for _, tc := range cases {
		if err := satisfaction.CheckRating(o, tc.stars, tc.labels); code(err) != tc.code {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.code)
		}
	}
	if err := satisfaction.CheckRating(satisfaction.Default(), 1, nil); err != nil {
		t.Errorf("default options: %v", err)
	}
}
