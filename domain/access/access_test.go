package access_test

import (
	"testing"

	"supportd/domain"
	"supportd/domain/access"
)

func TestCustomRoleID(t *testing.T) {
	cases := []struct {
		id   string
		kind domain.Kind
		code string
	}{
		{"0190f3b0-0000-7000-8000-0000000000c1", 0, ""},
		{"admin", domain.Conflict, "role.builtin"},
		{"agent", domain.Conflict, "role.builtin"},
		{"supervisor", domain.NotFound, "role.not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			got, err := access.CustomRoleID(tc.id)
			if tc.kind == 0 {
				if err != nil || got.String() != tc.id {
					t.Fatalf("got %v, %v", got, err)
				}
				return
			}
			de, ok := err.(*domain.Error)
			if !ok || de.Kind != tc.kind || de.Code != tc.code {
				t.Fatalf("err = %v, want %v %s", err, tc.kind, tc.code)
			}
		})
	}
}
