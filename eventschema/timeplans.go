package eventschema

import "github.com/google/uuid"

// Time plan events live in stream "timeplan-{plan id}"; the choice of the
// tenant's default plan is a fact of the tenant and lives in its stream.

// TimeRange is a span of wall-clock time within one day, "HH:MM:SS" to
// "HH:MM:SS"; To may be "24:00:00", the end of the day.
type TimeRange struct {
	From string `json:"from" jsonschema:"pattern=^[0-2][0-9]:[0-5][0-9]:[0-5][0-9]$"`
	To   string `json:"to" jsonschema:"pattern=^[0-2][0-9]:[0-5][0-9]:[0-5][0-9]$"`
}

// WeeklyHours holds the working hours of each weekday; a day without
// ranges is a day off.
type WeeklyHours struct {
	Monday    []TimeRange `json:"monday"`
	Tuesday   []TimeRange `json:"tuesday"`
	Wednesday []TimeRange `json:"wednesday"`
	Thursday  []TimeRange `json:"thursday"`
	Friday    []TimeRange `json:"friday"`
	Saturday  []TimeRange `json:"saturday"`
	Sunday    []TimeRange `json:"sunday"`
}

// TimePlanHoliday is a run of whole days off, dates "YYYY-MM-DD", First to
// Last inclusive.
type TimePlanHoliday struct {
	Name  string `json:"name"`
	First string `json:"first" jsonschema:"format=date"`
	Last  string `json:"last" jsonschema:"format=date"`
}

// TimePlanWorkday is a date worked with its own hours even if it falls on
// a weekend or inside a holiday (a make-up day).
type TimePlanWorkday struct {
	Date  string      `json:"date" jsonschema:"format=date"`
	Hours []TimeRange `json:"hours"`
}

// TimePlanSchedule is a whole schedule: weekly hours, holidays and custom
// workdays, in the wall-clock time of the tenant's time zone.
type TimePlanSchedule struct {
	Weekly         WeeklyHours       `json:"weekly"`
	Holidays       []TimePlanHoliday `json:"holidays"`
	CustomWorkdays []TimePlanWorkday `json:"custom_workdays"`
}

// TimePlanDefined records a new named time plan with its whole schedule.
type TimePlanDefined struct {
	TenantID uuid.UUID        `json:"tenant_id"`
	PlanID   uuid.UUID        `json:"plan_id"`
	Name     string           `json:"name" jsonschema:"minLength=1,maxLength=100"`
	Schedule TimePlanSchedule `json:"schedule"`
}

// TimePlanChanged records a new name or schedule of a plan. It carries the
// whole plan, not a diff.
type TimePlanChanged struct {
	TenantID uuid.UUID        `json:"tenant_id"`
	PlanID   uuid.UUID        `json:"plan_id"`
	Name     string           `json:"name" jsonschema:"minLength=1,maxLength=100"`
	Schedule TimePlanSchedule `json:"schedule"`
}

// TimePlanDeleted records the removal of a plan no team was bound to and
// that was not the tenant's default.
type TimePlanDeleted struct {
	TenantID uuid.UUID `json:"tenant_id"`
	PlanID   uuid.UUID `json:"plan_id"`
	Name     string    `json:"name"`
}

// TenantDefaultTimePlanChosen records which plan applies to teams and
// routing rules bound to none. It lives in the tenant's stream, so one
// tenant has one default at a time. Previous is the nil UUID when there was
// no default.
type TenantDefaultTimePlanChosen struct {
	TenantID uuid.UUID `json:"tenant_id"`
	PlanID   uuid.UUID `json:"plan_id"`
	Previous uuid.UUID `json:"previous"`
}

func registerTimePlans(r *Registry) {
	Register[TimePlanDefined](r, "TimePlanDefined", 1)
	Register[TimePlanChanged](r, "TimePlanChanged", 1)
	Register[TimePlanDeleted](r, "TimePlanDeleted", 1)
	Register[TenantDefaultTimePlanChosen](r, "TenantDefaultTimePlanChosen", 1)
}
