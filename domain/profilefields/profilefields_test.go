package profilefields_test

import (
	"reflect"
	"testing"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/profilefields"
	"supportd/eventschema"
)

var (
	tenant = uuid.MustParse("0190f3b0-0000-7000-8000-0000000000aa")
	fid    = uuid.MustParse("0190f3b0-0000-7000-8000-000000000b01")
	tier   = eventschema.ProfileFieldAdded{TenantID: tenant, FieldID: fid.String(), Name: "Tier", Type: "select",
		Options: []string{"Basic", "Pro"}, Enabled: true}
)

func given(events ...any) profilefields.State {
	s := profilefields.State{TenantID: tenant}
	for _, e := range events {
		s = profilefields.Evolve(s, e)
	}
	return s
}

func TestProfileFields(t *testing.T) {
	s := given(tier)
	cases := []struct {
		name   string
		decide func() ([]any, error)
		want   []any
		kind   domain.Kind
		code   string
	}{
		{"add a date field", func() ([]any, error) {
			return profilefields.Add(given(), fid, profilefields.Field{Name: " Birthday ", Type: "date", Enabled: true})
		}, []any{eventschema.ProfileFieldAdded{TenantID: tenant, FieldID: fid.String(), Name: "Birthday", Type: "date", Options: []string{}, Enabled: true}}, 0, ""},
		{"select needs options", func() ([]any, error) {
			return profilefields.Add(given(), fid, profilefields.Field{Name: "Plan", Type: "select"})
		}, nil, domain.Invalid, "profile_field.options"},
		{"only select has options", func() ([]any, error) {
			return profilefields.Add(given(), fid, profilefields.Field{Name: "Plan", Type: "text", Options: []string{"a"}})
		}, nil, domain.Invalid, "profile_field.options"},
		{"unknown type", func() ([]any, error) {
			return profilefields.Add(given(), fid, profilefields.Field{Name: "Plan", Type: "colour"})
		}, nil, domain.Invalid, "profile_field.type"},
		{"name of a system field", func() ([]any, error) {
			return profilefields.Add(given(), fid, profilefields.Field{Name: "phone", Type: "text"})
		}, nil, domain.Conflict, "profile_field.name_taken"},
		{"system field made read-only", func() ([]any, error) {
			return profilefields.Change(s, profilefields.Field{ID: "phone", Enabled: true, ReadOnly: true})
		}, []any{eventschema.ProfileFieldChanged{TenantID: tenant, FieldID: "phone", System: true, Name: "Phone", Type: "text", Options: []string{}, Enabled: true, ReadOnly: true}}, 0, ""},
		{"system field renamed", func() ([]any, error) {
			return profilefields.Change(s, profilefields.Field{ID: "phone", Name: "Mobile", Enabled: true})
		}, nil, domain.Invalid, "profile_field.system"},
		{"system field unchanged", func() ([]any, error) {
			return profilefields.Change(s, profilefields.Field{ID: "email", Enabled: true})
		}, nil, 0, ""},
		{"custom field switched off", func() ([]any, error) {
			return profilefields.Change(s, profilefields.Field{ID: fid.String(), Name: "Tier", Type: "select", Options: []string{"Basic", "Pro"}})
		}, []any{eventschema.ProfileFieldChanged{TenantID: tenant, FieldID: fid.String(), Name: "Tier", Type: "select", Options: []string{"Basic", "Pro"}}}, 0, ""},
		{"system field cannot be deleted", func() ([]any, error) { return profilefields.Remove(s, "email") }, nil, domain.Conflict, "profile_field.system"},
		{"custom field deleted", func() ([]any, error) { return profilefields.Remove(s, fid.String()) },
			[]any{eventschema.ProfileFieldRemoved{TenantID: tenant, FieldID: fid.String()}}, 0, ""},
		{"unknown field", func() ([]any, error) { return profilefields.Remove(s, "shoe_size") }, nil, domain.NotFound, "profile_field.not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.decide()
			if tc.kind != 0 {
				if de, ok := err.(*domain.Error); !ok || de.Kind != tc.kind || de.Code != tc.code {
					t.Fatalf("got %v %v, want %v %s", got, err, tc.kind, tc.code)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v %v\nwant %#v", got, err, tc.want)
			}
		})
	}
}
