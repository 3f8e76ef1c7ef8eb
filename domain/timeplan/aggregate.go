package timeplan

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/eventschema"
)

// Stream returns the stream name of plan id.
func Stream(tenantID, id uuid.UUID) string {
	return eventschema.ObjectStream("timeplan", tenantID, id)
}

// State is what a plan's decisions need.
type State struct {
	ID       uuid.UUID
	TenantID uuid.UUID
	Exists   bool
	Deleted  bool
	Name     string
	Schedule eventschema.TimePlanSchedule
}

// Evolve folds one event of the plan's stream into the state.
func Evolve(s State, event any) State {
	switch e := event.(type) {
	case eventschema.TimePlanDefined:
		s = State{ID: e.PlanID, TenantID: e.TenantID, Exists: true, Name: e.Name, Schedule: e.Schedule}
	case eventschema.TimePlanChanged:
		s.Name, s.Schedule = e.Name, e.Schedule
	case eventschema.TimePlanDeleted:
		s.Deleted = true
	}
	return s
}

// Live reports whether the plan exists, is not deleted and belongs to
// tenantID: what a team needs before it binds to the plan.
func (s State) Live(tenantID uuid.UUID) bool {
	return s.Exists && !s.Deleted && s.TenantID == tenantID
}

// require answers NotFound for a plan that another tenant owns, too, so
// that an ID never hints that it exists elsewhere.
func (s State) require(tenantID uuid.UUID) error {
	if !s.Live(tenantID) {
		return domain.Errorf(domain.NotFound, "timeplan.not_found", "", "time plan not found")
	}
	return nil
}

// Define decides a new named plan.
func Define(s State, tenantID, planID uuid.UUID, name string, schedule eventschema.TimePlanSchedule) ([]any, error) {
	if s.Exists {
		return nil, domain.Errorf(domain.Conflict, "timeplan.exists", "", "time plan %s already exists", planID)
	}
	if planID == uuid.Nil {
		return nil, domain.Errorf(domain.Invalid, "timeplan.id", "plan_id", "must be a UUID")
	}
	name, err := validName(name)
	if err != nil {
		return nil, err
	}
	_, canonical, err := ParseSchedule(schedule)
	if err != nil {
		return nil, err
	}
	return []any{eventschema.TimePlanDefined{TenantID: tenantID, PlanID: planID, Name: name, Schedule: canonical}}, nil
}

// Change decides a plan's new name and schedule; the same plan again
// decides nothing.
func Change(s State, tenantID uuid.UUID, name string, schedule eventschema.TimePlanSchedule) ([]any, error) {
	if err := s.require(tenantID); err != nil {
		return nil, err
	}
	name, err := validName(name)
	if err != nil {
		return nil, err
	}
	_, canonical, err := ParseSchedule(schedule)
	if err != nil {
		return nil, err
	}
	if name == s.Name && sameSchedule(canonical, s.Schedule) {
		return nil, nil
	}
	return []any{eventschema.TimePlanChanged{TenantID: tenantID, PlanID: s.ID, Name: name, Schedule: canonical}}, nil
}

// Delete decides the removal of a plan. The tenant's default plan and a
// plan teams are bound to stay: removing them would silently change the
// working hours of those teams. boundTeams are the teams bound to the plan;
// the command learns them from the teams read model, so a team binding the
// plan in the instant of the deletion can slip through; the binding then
// points at a deleted plan, and the team falls back to the tenant's default
// plan (see team.State.PlanID).
func Delete(s State, tenantID uuid.UUID, isDefault bool, boundTeams, boundAgents []uuid.UUID) ([]any, error) {
	if err := s.require(tenantID); err != nil {
		return nil, err
	}
	if isDefault {
		return nil, domain.Errorf(domain.Conflict, "timeplan.is_default", "", "the tenant's default time plan cannot be deleted; choose another default first")
	}
	if len(boundTeams) > 0 {
		return nil, domain.Errorf(domain.Conflict, "timeplan.in_use", "", "%d team(s) are bound to this time plan; bind them to another plan first", len(boundTeams))
	}
	if len(boundAgents) > 0 {
		return nil, domain.Errorf(domain.Conflict, "timeplan.in_use", "", "%d agent(s) keep their personal hours by this time plan; bind them to another plan first", len(boundAgents))
	}
	return []any{eventschema.TimePlanDeleted{TenantID: tenantID, PlanID: s.ID, Name: s.Name}}, nil
}

// Defaults is the part of the tenant stream about time plans: which one is
// the tenant's default.
type Defaults struct {
	TenantID uuid.UUID
	Created  bool
	Plan     uuid.UUID
}

// EvolveDefaults folds one event of the tenant stream into Defaults.
func EvolveDefaults(d Defaults, event any) Defaults {
	switch e := event.(type) {
	case eventschema.TenantCreated:
		d.TenantID, d.Created = e.TenantID, true
	case eventschema.TenantDefaultTimePlanChosen:
		d.Plan = e.PlanID
	}
	return d
}

// ChooseDefault decides that plan becomes the tenant's default.
func ChooseDefault(d Defaults, plan State) ([]any, error) {
	if !d.Created {
		return nil, domain.Errorf(domain.NotFound, "tenant.not_found", "", "tenant not found")
	}
	if err := plan.require(d.TenantID); err != nil {
		return nil, err
	}
	if d.Plan == plan.ID {
		return nil, nil
	}
	return []any{eventschema.TenantDefaultTimePlanChosen{TenantID: d.TenantID, PlanID: plan.ID, Previous: d.Plan}}, nil
}

func validName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if n := utf8.RuneCountInString(name); n < 1 || n > 100 {
		return "", domain.Errorf(domain.Invalid, "timeplan.name", "name", "must be 1 to 100 characters")
	}
	return name, nil
}

var weekdays = []struct {
	day   time.Weekday
	name  string
	hours func(*eventschema.WeeklyHours) *[]eventschema.TimeRange
}{
	{time.Monday, "monday", func(w *eventschema.WeeklyHours) *[]eventschema.TimeRange { return &w.Monday }},
	{time.Tuesday, "tuesday", func(w *eventschema.WeeklyHours) *[]eventschema.TimeRange { return &w.Tuesday }},
	{time.Wednesday, "wednesday", func(w *eventschema.WeeklyHours) *[]eventschema.TimeRange { return &w.Wednesday }},
	{time.Thursday, "thursday", func(w *eventschema.WeeklyHours) *[]eventschema.TimeRange { return &w.Thursday }},
	{time.Friday, "friday", func(w *eventschema.WeeklyHours) *[]eventschema.TimeRange { return &w.Friday }},
	{time.Saturday, "saturday", func(w *eventschema.WeeklyHours) *[]eventschema.TimeRange { return &w.Saturday }},
	{time.Sunday, "sunday", func(w *eventschema.WeeklyHours) *[]eventschema.TimeRange { return &w.Sunday }},
}

// ParseSchedule turns a schedule as written in events and the API ("08:00"
// or "08:00:00", dates "2026-10-01") into a Plan, checking every rule, and
// returns the schedule in canonical form: seconds written out, ranges
// sorted, empty lists instead of missing ones.
func ParseSchedule(sc eventschema.TimePlanSchedule) (Plan, eventschema.TimePlanSchedule, error) {
	var p Plan
	for _, wd := range weekdays {
		rs, err := parseRanges(*wd.hours(&sc.Weekly), "schedule.weekly."+wd.name)
		if err != nil {
			return Plan{}, eventschema.TimePlanSchedule{}, err
		}
		p.Weekly[wd.day] = rs
	}
	for i, h := range sc.Holidays {
		f := fmt.Sprintf("schedule.holidays[%d]", i)
		first, err := parseDay(h.First, f+".first")
		if err != nil {
			return Plan{}, eventschema.TimePlanSchedule{}, err
		}
		last, err := parseDay(h.Last, f+".last")
		if err != nil {
			return Plan{}, eventschema.TimePlanSchedule{}, err
		}
		if utf8.RuneCountInString(h.Name) > 100 {
			return Plan{}, eventschema.TimePlanSchedule{}, domain.Errorf(domain.Invalid, "timeplan.holiday", f+".name", "must be at most 100 characters")
		}
		p.Holidays = append(p.Holidays, Holiday{Name: strings.TrimSpace(h.Name), First: first, Last: last})
	}
	for i, w := range sc.CustomWorkdays {
		f := fmt.Sprintf("schedule.custom_workdays[%d]", i)
		date, err := parseDay(w.Date, f+".date")
		if err != nil {
			return Plan{}, eventschema.TimePlanSchedule{}, err
		}
		rs, err := parseRanges(w.Hours, f+".hours")
		if err != nil {
			return Plan{}, eventschema.TimePlanSchedule{}, err
		}
		p.CustomWorkdays = append(p.CustomWorkdays, Workday{Date: date, Hours: rs})
	}
	if err := p.Validate(); err != nil {
		if de, ok := err.(*domain.Error); ok {
			c := *de
			c.Field = "schedule." + strings.ToLower(c.Field)
			return Plan{}, eventschema.TimePlanSchedule{}, &c
		}
		return Plan{}, eventschema.TimePlanSchedule{}, err
	}
	return p, p.Schedule(), nil
}

// Schedule writes p in the canonical form of events and the API.
func (p Plan) Schedule() eventschema.TimePlanSchedule {
	sc := eventschema.TimePlanSchedule{Holidays: []eventschema.TimePlanHoliday{}, CustomWorkdays: []eventschema.TimePlanWorkday{}}
	for _, wd := range weekdays {
		*wd.hours(&sc.Weekly) = writeRanges(p.Weekly[wd.day])
	}
	for _, h := range p.Holidays {
		sc.Holidays = append(sc.Holidays, eventschema.TimePlanHoliday{Name: h.Name, First: h.First.String(), Last: h.Last.String()})
	}
	for _, w := range p.CustomWorkdays {
		sc.CustomWorkdays = append(sc.CustomWorkdays, eventschema.TimePlanWorkday{Date: w.Date.String(), Hours: writeRanges(w.Hours)})
	}
	return sc
}

func writeRanges(rs []Range) []eventschema.TimeRange {
	sorted := slices.Clone(rs)
	slices.SortFunc(sorted, func(a, b Range) int { return a.From - b.From })
	out := make([]eventschema.TimeRange, len(sorted))
	for i, r := range sorted {
		out[i] = eventschema.TimeRange{From: clock(r.From), To: clock(r.To)}
	}
	return out
}

func clock(s int) string { return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60) }

func parseRanges(in []eventschema.TimeRange, field string) ([]Range, error) {
	out := make([]Range, len(in))
	for i, r := range in {
		f := fmt.Sprintf("%s[%d]", field, i)
		from, err := parseClock(r.From, f+".from")
		if err != nil {
			return nil, err
		}
		to, err := parseClock(r.To, f+".to")
		if err != nil {
			return nil, err
		}
		out[i] = Range{From: from, To: to}
	}
	return out, nil
}

// parseClock reads "HH:MM" or "HH:MM:SS" as seconds since midnight;
// "24:00" is the end of the day.
func parseClock(s, field string) (int, error) {
	var h, m, sec int
	n, err := fmt.Sscanf(s, "%d:%d:%d", &h, &m, &sec)
	if err != nil && n != 2 {
		return 0, domain.Errorf(domain.Invalid, "timeplan.clock", field, "%q is not a time of day like 08:00 or 08:00:00", s)
	}
	if (len(s) != 5 && len(s) != 8) || h < 0 || m < 0 || m > 59 || sec < 0 || sec > 59 || h*3600+m*60+sec > 86400 {
		return 0, domain.Errorf(domain.Invalid, "timeplan.clock", field, "%q is not a time of day like 08:00 or 08:00:00", s)
	}
	return h*3600 + m*60 + sec, nil
}

func parseDay(s, field string) (Day, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Day{}, domain.Errorf(domain.Invalid, "timeplan.date", field, "%q is not a date like 2026-10-01", s)
	}
	return Day{t.Year(), t.Month(), t.Day()}, nil
}

func sameSchedule(a, b eventschema.TimePlanSchedule) bool {
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// AllDay is the schedule of a plan that works every hour of every day: a
// new tenant's default plan, so that it serves at once.
func AllDay() eventschema.TimePlanSchedule {
	day := []eventschema.TimeRange{{From: "00:00:00", To: "24:00:00"}}
	return eventschema.TimePlanSchedule{
		Weekly:   eventschema.WeeklyHours{Monday: day, Tuesday: day, Wednesday: day, Thursday: day, Friday: day, Saturday: day, Sunday: day},
		Holidays: []eventschema.TimePlanHoliday{}, CustomWorkdays: []eventschema.TimePlanWorkday{}}
}
