// Package timeplan answers whether an instant is working time under a time
// plan: weekly working hours (several ranges a day), holidays, and custom
// workdays, all in the wall-clock time of the tenant's time zone. Teams and
// routing rules are bound to plans; dispatch and reminders ask them.
package timeplan

import (
	"fmt"
	"sort"
	"time"

	"supportd/domain"
)

// Day is a calendar date in the plan's time zone.
type Day struct {
	Year  int
	Month time.Month
	Day   int
}

// DayOf returns the calendar date of t in loc.
func DayOf(t time.Time, loc *time.Location) Day {
	y, m, d := t.In(loc).Date()
	return Day{y, m, d}
}

func (d Day) before(e Day) bool {
	if d.Year != e.Year {
		return d.Year < e.Year
	}
	if d.Month != e.Month {
		return d.Month < e.Month
	}
	return d.Day < e.Day
}

func (d Day) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// Range is a span of wall-clock time within one day, [From, To), in seconds
// since midnight. To may be 86400 (24:00) so that a day can run to its end.
type Range struct {
	From int `json:"from"`
	To   int `json:"to"`
}

// HM builds a Range from hours and minutes, e.g. HM(8, 0, 20, 0).
func HM(fromH, fromM, toH, toM int) Range {
	return Range{From: fromH*3600 + fromM*60, To: toH*3600 + toM*60}
}

func (r Range) contains(sec int) bool { return sec >= r.From && sec < r.To }

// Holiday is a run of whole days off, from First to Last inclusive.
type Holiday struct {
	Name  string `json:"name"`
	First Day    `json:"first"`
	Last  Day    `json:"last"`
}

// Workday is a custom workday: a date worked with its own hours, even if it
// falls on a weekend or inside a holiday (e.g. a make-up day).
type Workday struct {
	Date  Day     `json:"date"`
	Hours []Range `json:"hours"`
}

// Plan is one named schedule.
type Plan struct {
	// Weekly holds the working hours per weekday, indexed by time.Weekday.
	Weekly         [7][]Range
	Holidays       []Holiday
	CustomWorkdays []Workday
}

// Validate checks the plan's rules: ranges inside a day, non-empty and not
// overlapping; holidays that end on or after they start; one custom
// workday per date.
func (p Plan) Validate() error {
	for wd, ranges := range p.Weekly {
		if err := validRanges(ranges); err != nil {
			return domain.Errorf(domain.Invalid, "timeplan.hours", "weekly."+time.Weekday(wd).String(), "%v", err)
		}
	}
	for i, h := range p.Holidays {
		if h.Last.before(h.First) {
			return domain.Errorf(domain.Invalid, "timeplan.holiday", fmt.Sprintf("holidays[%d]", i), "ends (%s) before it starts (%s)", h.Last, h.First)
		}
	}
	seen := map[Day]bool{}
	for i, w := range p.CustomWorkdays {
		if seen[w.Date] {
			return domain.Errorf(domain.Invalid, "timeplan.workday", fmt.Sprintf("custom_workdays[%d]", i), "%s is listed twice", w.Date)
		}
		seen[w.Date] = true
		if err := validRanges(w.Hours); err != nil {
			return domain.Errorf(domain.Invalid, "timeplan.hours", fmt.Sprintf("custom_workdays[%d]", i), "%v", err)
		}
	}
	return nil
}

func validRanges(rs []Range) error {
	sorted := append([]Range(nil), rs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].From < sorted[j].From })
	for i, r := range sorted {
		if r.From < 0 || r.To > 86400 || r.From >= r.To {
			return fmt.Errorf("range %s must lie within one day and end after it starts", r)
		}
		if i > 0 && r.From < sorted[i-1].To {
			return fmt.Errorf("ranges %s and %s overlap", sorted[i-1], r)
		}
	}
	return nil
}

func (r Range) String() string {
	f := func(s int) string { return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60) }
	return f(r.From) + "-" + f(r.To)
}

// IsWorkingTime reports whether t is working time of p in loc: a custom
// workday uses its own hours; otherwise a holiday is off; otherwise the
// weekday's hours apply. Wall-clock times are those of loc, so across a
// daylight-saving change "08:00" stays 08:00 local time.
func (p Plan) IsWorkingTime(t time.Time, loc *time.Location) bool {
	local := t.In(loc)
	day := DayOf(t, loc)
	sec := local.Hour()*3600 + local.Minute()*60 + local.Second()
	for _, r := range p.hoursOn(day, local.Weekday()) {
		if r.contains(sec) {
			return true
		}
	}
	return false
}

// hoursOn returns the working hours of a date.
func (p Plan) hoursOn(day Day, wd time.Weekday) []Range {
	for _, w := range p.CustomWorkdays {
		if w.Date == day {
			return w.Hours
		}
	}
	for _, h := range p.Holidays {
		if !day.before(h.First) && !h.Last.before(day) {
			return nil
		}
	}
	return p.Weekly[wd]
}
