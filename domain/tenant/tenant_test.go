package tenant_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/tenant"
	"supportd/eventschema"
)

var id = uuid.MustParse("0190f3b0-0000-7000-8000-0000000000aa")

// given folds events into a state, as the command side does.
func given(events ...any) tenant.State {
	var s tenant.State
	for _, e := range events {
		s = tenant.Evolve(s, e)
	}
	return s
}

var (
	created  = eventschema.TenantCreated{TenantID: id, Name: "Acme", TimeZone: "Europe/Berlin"}
	adminID  = uuid.MustParse("0190f3b0-0000-7000-8000-0000000000a1")
	newAdmin = tenant.NewAgent{AgentID: adminID, Email: "Boss@Acme.example", Nickname: "Boss"}
	added    = eventschema.AgentAdded{TenantID: id, AgentID: adminID, Email: "boss@acme.example", Nickname: "Boss", Role: "admin", Enabled: true}
)

func TestCreate(t *testing.T) {
	cases := []struct {
		name     string
		given    []any
		tenantID uuid.UUID
		tname    string
		zone     string
		want     []any
		wantKind domain.Kind
		field    string
	}{
		{"new tenant with its first admin", nil, id, "Acme", "Europe/Berlin", []any{created, added}, 0, ""},
		{"zone defaults to UTC", nil, id, "Acme", "", []any{eventschema.TenantCreated{TenantID: id, Name: "Acme", TimeZone: "UTC"}, added}, 0, ""},
		{"already exists", []any{created}, id, "Acme", "UTC", nil, domain.Conflict, ""},
		{"empty name", nil, id, "", "UTC", nil, domain.Invalid, "name"},
		{"unknown zone", nil, id, "Acme", "Mars/Olympus", nil, domain.Invalid, "time_zone"},
		{"nil id", nil, uuid.Nil, "Acme", "UTC", nil, domain.Invalid, "tenant_id"},
	}
	t.Run("admin e-mail must be valid", func(t *testing.T) {
		bad := newAdmin
		bad.Email = "not-an-address"
		_, err := tenant.Create(tenant.State{}, id, "Acme", "UTC", bad)
		check(t, nil, err, nil, domain.Invalid, "admin.email")
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tenant.Create(given(tc.given...), tc.tenantID, tc.tname, tc.zone, newAdmin)
			check(t, got, err, tc.want, tc.wantKind, tc.field)
		})
	}
}

func TestChangeSetting(t *testing.T) {
	changed := eventschema.TenantSettingChanged{TenantID: id, Key: "transfer.require_confirmation",
		Value: json.RawMessage(`true`), Previous: json.RawMessage(`false`)}
	cases := []struct {
		name     string
		given    []any
		key      string
		value    string
		want     []any
		wantKind domain.Kind
		field    string
	}{
		{"from default", []any{created}, "transfer.require_confirmation", `true`, []any{changed}, 0, ""},
		{"same as default is no change", []any{created}, "transfer.require_confirmation", `false`, nil, 0, ""},
		{"same as current is no change", []any{created, changed}, "transfer.require_confirmation", `true`, nil, 0, ""},
		{"back to default", []any{created, changed}, "transfer.require_confirmation", `false`,
			[]any{eventschema.TenantSettingChanged{TenantID: id, Key: "transfer.require_confirmation", Value: json.RawMessage(`false`), Previous: json.RawMessage(`true`)}}, 0, ""},
		{"canonical form", []any{created}, "conversation.inactivity_close_hours", ` 48 `,
			[]any{eventschema.TenantSettingChanged{TenantID: id, Key: "conversation.inactivity_close_hours", Value: json.RawMessage(`48`), Previous: json.RawMessage(`24`)}}, 0, ""},
		{"wrong type", []any{created}, "transfer.require_confirmation", `"yes"`, nil, domain.Invalid, "transfer.require_confirmation"},
		{"out of range", []any{created}, "transfer.confirmation_timeout_seconds", `5`, nil, domain.Invalid, "transfer.confirmation_timeout_seconds"},
		{"not whole", []any{created}, "transfer.confirmation_timeout_seconds", `60.5`, nil, domain.Invalid, "transfer.confirmation_timeout_seconds"},
		{"unknown key", []any{created}, "no.such.switch", `true`, nil, domain.Invalid, "key"},
		{"no tenant", nil, "transfer.require_confirmation", `true`, nil, domain.NotFound, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tenant.ChangeSetting(given(tc.given...), tc.key, json.RawMessage(tc.value))
			check(t, got, err, tc.want, tc.wantKind, tc.field)
		})
	}
}

func TestEveryDefaultPassesItsOwnCheck(t *testing.T) {
	for key, def := range tenant.Settings {
		if _, err := def.Check(def.Default); err != nil {
			t.Errorf("%s: default %s rejected: %v", key, def.Default, err)
		}
	}
}

func check(t *testing.T, got []any, err error, want []any, kind domain.Kind, field string) {
	t.Helper()
	if kind != 0 {
		if domain.KindOf(err) != kind {
			t.Fatalf("err = %v, want kind %v", err, kind)
		}
		var de *domain.Error
		if field != "" && (!asError(err, &de) || de.Field != field) {
			t.Errorf("err field = %v, want %q", err, field)
		}
		return
	}
	if err != nil {
		t.Fatalf("unexpected error %v", err)
	}
	if !reflect.DeepEqual(normalize(got), normalize(want)) {
		t.Errorf("events\n got %+v\nwant %+v", got, want)
	}
}

func asError(err error, de **domain.Error) bool {
	e, ok := err.(*domain.Error)
	*de = e
	return ok
}

// normalize compares events by their JSON form, so RawMessage spacing does
// not matter.
func normalize(events []any) []string {
	var out []string
	for _, e := range events {
		b, _ := json.Marshal(e)
		out = append(out, string(b))
	}
	return out
}
