package timeplan_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/timeplan"
	"supportd/eventschema"
)

var (
	tenantID = uuid.MustParse("0190f3b0-0000-7000-8000-000000000001")
	otherTen = uuid.MustParse("0190f3b0-0000-7000-8000-000000000002")
	planID   = uuid.MustParse("0190f3b0-0000-7000-8000-0000000000e1")
	teamID   = uuid.MustParse("0190f3b0-0000-7000-8000-0000000000d1")
)

func r(from, to string) eventschema.TimeRange { return eventschema.TimeRange{From: from, To: to} }

// office is a schedule as a client writes it: minutes only, ranges out of
// order, lists left out.
var office = eventschema.TimePlanSchedule{Weekly: eventschema.WeeklyHours{
	Monday: []eventschema.TimeRange{r("13:00", "20:00"), r("08:00", "12:00")},
	Sunday: []eventschema.TimeRange{r("09:00", "24:00")},
}}

// canonical is office as events store it.
var canonical = eventschema.TimePlanSchedule{
	Weekly: eventschema.WeeklyHours{
		Monday:    []eventschema.TimeRange{r("08:00:00", "12:00:00"), r("13:00:00", "20:00:00")},
		Tuesday:   []eventschema.TimeRange{},
		Wednesday: []eventschema.TimeRange{},
		Thursday:  []eventschema.TimeRange{},
		Friday:    []eventschema.TimeRange{},
		Saturday:  []eventschema.TimeRange{},
		Sunday:    []eventschema.TimeRange{r("09:00:00", "24:00:00")},
	},
	Holidays:       []eventschema.TimePlanHoliday{},
	CustomWorkdays: []eventschema.TimePlanWorkday{},
}

var (
	defined    = eventschema.TimePlanDefined{TenantID: tenantID, PlanID: planID, Name: "Office", Schedule: canonical}
	deleted    = eventschema.TimePlanDeleted{TenantID: tenantID, PlanID: planID, Name: "Office"}
	tenantMade = eventschema.TenantCreated{TenantID: tenantID, Name: "Acme", TimeZone: "UTC"}
	chosen     = eventschema.TenantDefaultTimePlanChosen{TenantID: tenantID, PlanID: planID}
)

func given(events ...any) timeplan.State {
	var s timeplan.State
	for _, e := range events {
		s = timeplan.Evolve(s, e)
	}
	return s
}

func defaults(events ...any) timeplan.Defaults {
	var d timeplan.Defaults
	for _, e := range events {
		d = timeplan.EvolveDefaults(d, e)
	}
	return d
}

func TestDecisions(t *testing.T) {
	with := func(mod func(*eventschema.TimePlanSchedule)) eventschema.TimePlanSchedule {
		s := canonical
		s.Weekly.Monday = append([]eventschema.TimeRange(nil), canonical.Weekly.Monday...)
		mod(&s)
		return s
	}
	cases := []struct {
		name   string
		given  []any
		decide func(timeplan.State) ([]any, error)
		want   []any
		kind   domain.Kind
		field  string
	}{
		{"define, stored canonical", nil, func(s timeplan.State) ([]any, error) {
			return timeplan.Define(s, tenantID, planID, " Office ", office)
		}, []any{defined}, 0, ""},
		{"define twice", []any{defined}, func(s timeplan.State) ([]any, error) {
			return timeplan.Define(s, tenantID, planID, "Office", office)
		}, nil, domain.Conflict, ""},
		{"no name", nil, func(s timeplan.State) ([]any, error) {
			return timeplan.Define(s, tenantID, planID, "", office)
		}, nil, domain.Invalid, "name"},
		{"bad clock", nil, func(s timeplan.State) ([]any, error) {
			return timeplan.Define(s, tenantID, planID, "Office", with(func(s *eventschema.TimePlanSchedule) { s.Weekly.Monday[0].From = "8am" }))
		}, nil, domain.Invalid, "schedule.weekly.monday[0].from"},
		{"past midnight", nil, func(s timeplan.State) ([]any, error) {
			return timeplan.Define(s, tenantID, planID, "Office", with(func(s *eventschema.TimePlanSchedule) { s.Weekly.Monday[0].To = "24:00:01" }))
		}, nil, domain.Invalid, "schedule.weekly.monday[0].to"},
		{"overlapping ranges", nil, func(s timeplan.State) ([]any, error) {
			return timeplan.Define(s, tenantID, planID, "Office", with(func(s *eventschema.TimePlanSchedule) { s.Weekly.Monday[1].From = "11:00" }))
		}, nil, domain.Invalid, "schedule.weekly.monday"},
		{"holiday ending before it starts", nil, func(s timeplan.State) ([]any, error) {
			return timeplan.Define(s, tenantID, planID, "Office", with(func(s *eventschema.TimePlanSchedule) {
				s.Holidays = []eventschema.TimePlanHoliday{{Name: "Oops", First: "2026-10-07", Last: "2026-10-01"}}
			}))
		}, nil, domain.Invalid, "schedule.holidays[0]"},
		{"bad date", nil, func(s timeplan.State) ([]any, error) {
			return timeplan.Define(s, tenantID, planID, "Office", with(func(s *eventschema.TimePlanSchedule) {
				s.CustomWorkdays = []eventschema.TimePlanWorkday{{Date: "2026-02-30"}}
			}))
		}, nil, domain.Invalid, "schedule.custom_workdays[0].date"},
		{"change", []any{defined}, func(s timeplan.State) ([]any, error) {
			return timeplan.Change(s, tenantID, "Evening", office)
		}, []any{eventschema.TimePlanChanged{TenantID: tenantID, PlanID: planID, Name: "Evening", Schedule: canonical}}, 0, ""},
		{"change to the same is nothing", []any{defined}, func(s timeplan.State) ([]any, error) {
			return timeplan.Change(s, tenantID, "Office", office)
		}, nil, 0, ""},
		{"change another tenant's plan", []any{defined}, func(s timeplan.State) ([]any, error) {
			return timeplan.Change(s, otherTen, "Office", office)
		}, nil, domain.NotFound, ""},
		{"delete", []any{defined}, func(s timeplan.State) ([]any, error) {
			return timeplan.Delete(s, tenantID, false, nil, nil)
		}, []any{deleted}, 0, ""},
		{"delete the default", []any{defined}, func(s timeplan.State) ([]any, error) {
			return timeplan.Delete(s, tenantID, true, nil, nil)
		}, nil, domain.Conflict, ""},
		{"delete a plan teams use", []any{defined}, func(s timeplan.State) ([]any, error) {
			return timeplan.Delete(s, tenantID, false, []uuid.UUID{teamID}, nil)
		}, nil, domain.Conflict, ""},
		{"delete an agent's personal plan", []any{defined}, func(s timeplan.State) ([]any, error) {
			return timeplan.Delete(s, tenantID, false, nil, []uuid.UUID{teamID})
		}, nil, domain.Conflict, ""},
		{"delete twice", []any{defined, deleted}, func(s timeplan.State) ([]any, error) {
			return timeplan.Delete(s, tenantID, false, nil, nil)
		}, nil, domain.NotFound, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.decide(given(tc.given...))
			check(t, got, err, tc.want, tc.kind, tc.field)
		})
	}
}

func TestChooseDefault(t *testing.T) {
	other := uuid.MustParse("0190f3b0-0000-7000-8000-0000000000e2")
	cases := []struct {
		name     string
		tenant   []any
		plan     []any
		want     []any
		kind     domain.Kind
		previous uuid.UUID
	}{
		{"first default", []any{tenantMade}, []any{defined}, []any{chosen}, 0, uuid.Nil},
		{"already the default", []any{tenantMade, chosen}, []any{defined}, nil, 0, uuid.Nil},
		{"replaces the previous", []any{tenantMade, eventschema.TenantDefaultTimePlanChosen{TenantID: tenantID, PlanID: other}}, []any{defined},
			[]any{eventschema.TenantDefaultTimePlanChosen{TenantID: tenantID, PlanID: planID, Previous: other}}, 0, uuid.Nil},
		{"deleted plan", []any{tenantMade}, []any{defined, deleted}, nil, domain.NotFound, uuid.Nil},
		{"another tenant's plan", []any{eventschema.TenantCreated{TenantID: otherTen}}, []any{defined}, nil, domain.NotFound, uuid.Nil},
		{"no tenant", nil, []any{defined}, nil, domain.NotFound, uuid.Nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := timeplan.ChooseDefault(defaults(tc.tenant...), given(tc.plan...))
			check(t, got, err, tc.want, tc.kind, "")
		})
	}
}

// TestScheduleDrivesWorkingTime: a schedule as stored answers working time
// through the pure function.
func TestScheduleDrivesWorkingTime(t *testing.T) {
	p, _, err := timeplan.ParseSchedule(canonical)
	if err != nil {
		t.Fatal(err)
	}
	monday := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{
		{monday.Add(8 * time.Hour), true},
		{monday.Add(12*time.Hour + 30*time.Minute), false},
		{monday.Add(-time.Second), true}, // Sunday 23:59:59, inside 09:00-24:00
		{monday.Add(24 * time.Hour), false},
	} {
		if got := p.IsWorkingTime(tc.at, time.UTC); got != tc.want {
			t.Errorf("%s: working = %v, want %v", tc.at, got, tc.want)
		}
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
