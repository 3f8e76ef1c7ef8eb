package team_test

import (
	"reflect"
	"testing"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/team"
	"supportd/domain/timeplan"
	"supportd/eventschema"
)

var (
	tenantID = uuid.MustParse("0190f3b0-0000-7000-8000-000000000001")
	otherTen = uuid.MustParse("0190f3b0-0000-7000-8000-000000000002")
	teamID   = uuid.MustParse("0190f3b0-0000-7000-8000-0000000000d1")
	planID   = uuid.MustParse("0190f3b0-0000-7000-8000-0000000000e1")
	ann      = uuid.MustParse("0190f3b0-0000-7000-8000-0000000000a1")
	bob      = uuid.MustParse("0190f3b0-0000-7000-8000-0000000000a2")
	stranger = uuid.MustParse("0190f3b0-0000-7000-8000-0000000000a9")

	created = eventschema.TeamCreated{TenantID: tenantID, TeamID: teamID, Name: "Billing", Greeting: "Hi ##dear##"}
	annIn   = eventschema.TeamMembersUpdated{TenantID: tenantID, TeamID: teamID, Added: []uuid.UUID{ann}}
	deleted = eventschema.TeamDeleted{TenantID: tenantID, TeamID: teamID, Name: "Billing"}
	bound   = eventschema.TeamTimePlanBound{TenantID: tenantID, TeamID: teamID, PlanID: planID}
	plan    = timeplan.Evolve(timeplan.State{}, eventschema.TimePlanDefined{TenantID: tenantID, PlanID: planID, Name: "Office"})
)

func given(events ...any) team.State {
	var s team.State
	for _, e := range events {
		s = team.Evolve(s, e)
	}
	return s
}

func isAgent(id uuid.UUID) bool { return id == ann || id == bob }

func TestDecisions(t *testing.T) {
	others := team.Others{uuid.New(): "Sales"}
	cases := []struct {
		name   string
		given  []any
		decide func(team.State) ([]any, error)
		want   []any
		kind   domain.Kind
		field  string
	}{
		{"create", nil, func(s team.State) ([]any, error) {
			return team.Create(s, tenantID, teamID, " Billing ", "Hi ##dear##", others)
		}, []any{created}, 0, ""},
		{"create twice", []any{created}, func(s team.State) ([]any, error) {
			return team.Create(s, tenantID, teamID, "Billing", "", others)
		}, nil, domain.Conflict, ""},
		{"name taken, any case", nil, func(s team.State) ([]any, error) {
			return team.Create(s, tenantID, teamID, "SALES", "", others)
		}, nil, domain.Conflict, "name"},
		{"empty name", nil, func(s team.State) ([]any, error) {
			return team.Create(s, tenantID, teamID, "  ", "", others)
		}, nil, domain.Invalid, "name"},
		{"unknown placeholder", nil, func(s team.State) ([]any, error) {
			return team.Create(s, tenantID, teamID, "Billing", "Hi ##name##", others)
		}, nil, domain.Invalid, "greeting"},
		{"rename and new greeting", []any{created}, func(s team.State) ([]any, error) {
			return team.Edit(s, tenantID, "Payments", "Hello", team.Others{teamID: "Billing"})
		}, []any{
			eventschema.TeamRenamed{TenantID: tenantID, TeamID: teamID, Name: "Payments", Previous: "Billing"},
			eventschema.TeamGreetingChanged{TenantID: tenantID, TeamID: teamID, Greeting: "Hello"},
		}, 0, ""},
		{"edit to the same is nothing", []any{created}, func(s team.State) ([]any, error) {
			return team.Edit(s, tenantID, "Billing", "Hi ##dear##", team.Others{teamID: "Billing"})
		}, nil, 0, ""},
		{"rename to a taken name", []any{created}, func(s team.State) ([]any, error) {
			return team.Edit(s, tenantID, "sales", "", others)
		}, nil, domain.Conflict, "name"},
		{"edit of another tenant's team", []any{created}, func(s team.State) ([]any, error) {
			return team.Edit(s, otherTen, "X", "", nil)
		}, nil, domain.NotFound, ""},
		{"edit of a deleted team", []any{created, deleted}, func(s team.State) ([]any, error) {
			return team.Edit(s, tenantID, "X", "", nil)
		}, nil, domain.NotFound, ""},
		{"add and remove in one batch", []any{created, annIn}, func(s team.State) ([]any, error) {
			return team.UpdateMembers(s, tenantID, []uuid.UUID{bob, bob}, []uuid.UUID{ann, stranger}, isAgent)
		}, []any{eventschema.TeamMembersUpdated{TenantID: tenantID, TeamID: teamID, Added: []uuid.UUID{bob}, Removed: []uuid.UUID{ann}}}, 0, ""},
		{"a batch that changes nothing", []any{created, annIn}, func(s team.State) ([]any, error) {
			return team.UpdateMembers(s, tenantID, []uuid.UUID{ann}, []uuid.UUID{bob}, isAgent)
		}, nil, 0, ""},
		{"members must be agents of the tenant", []any{created}, func(s team.State) ([]any, error) {
			return team.UpdateMembers(s, tenantID, []uuid.UUID{ann, stranger}, nil, isAgent)
		}, nil, domain.Invalid, "add[1]"},
		{"added and removed at once", []any{created}, func(s team.State) ([]any, error) {
			return team.UpdateMembers(s, tenantID, []uuid.UUID{ann}, []uuid.UUID{ann}, isAgent)
		}, nil, domain.Invalid, "add[0]"},
		{"bind a plan", []any{created}, func(s team.State) ([]any, error) {
			return team.BindTimePlan(s, tenantID, planID, plan)
		}, []any{bound}, 0, ""},
		{"bind the same plan again", []any{created, bound}, func(s team.State) ([]any, error) {
			return team.BindTimePlan(s, tenantID, planID, plan)
		}, nil, 0, ""},
		{"unbind", []any{created, bound}, func(s team.State) ([]any, error) {
			return team.BindTimePlan(s, tenantID, uuid.Nil, timeplan.State{})
		}, []any{eventschema.TeamTimePlanBound{TenantID: tenantID, TeamID: teamID, PlanID: uuid.Nil, Previous: planID}}, 0, ""},
		{"bind a missing plan", []any{created}, func(s team.State) ([]any, error) {
			return team.BindTimePlan(s, tenantID, planID, timeplan.State{})
		}, nil, domain.Invalid, "plan_id"},
		{"bind another tenant's plan", []any{created}, func(s team.State) ([]any, error) {
			p := plan
			p.TenantID = otherTen
			return team.BindTimePlan(s, tenantID, planID, p)
		}, nil, domain.Invalid, "plan_id"},
		{"delete", []any{created}, func(s team.State) ([]any, error) { return team.Delete(s, tenantID) }, []any{deleted}, 0, ""},
		{"delete twice", []any{created, deleted}, func(s team.State) ([]any, error) { return team.Delete(s, tenantID) }, nil, domain.NotFound, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.decide(given(tc.given...))
			check(t, got, err, tc.want, tc.kind, tc.field)
		})
	}
}

func TestMembersFold(t *testing.T) {
	s := given(created, annIn, eventschema.TeamMembersUpdated{Added: []uuid.UUID{bob}, Removed: []uuid.UUID{ann}})
	if !reflect.DeepEqual(s.Members, map[uuid.UUID]bool{bob: true}) {
		t.Errorf("members %v", s.Members)
	}
	earlier := given(created, annIn)
	_ = team.Evolve(earlier, eventschema.TeamMembersUpdated{Removed: []uuid.UUID{ann}})
	if !earlier.Members[ann] {
		t.Error("evolving changed an earlier state")
	}
}

func check(t *testing.T, got []any, err error, want []any, kind domain.Kind, field string) {
	t.Helper()
	if kind != 0 {
		if domain.KindOf(err) != kind {
			t.Fatalf("err = %v, want kind %v", err, kind)
		}
		if de, ok := err.(*domain.Error); field != "" && (!ok || de.Field != field) {
			t.Errorf("err field = %v, want %q", err, field)
		}
		return
	}
	if err != nil {
		t.Fatalf("unexpected error %v", err)
	}
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("events\n got %+v\nwant %+v", got, want)
	}
}
