package timeplan_test

import (
	"testing"
	"time"

	"supportd/domain"
	"supportd/domain/timeplan"
)

func officeHours() timeplan.Plan {
	var p timeplan.Plan
	for wd := time.Monday; wd <= time.Friday; wd++ {
		p.Weekly[wd] = []timeplan.Range{timeplan.HM(8, 0, 12, 0), timeplan.HM(13, 0, 20, 0)}
	}
	p.Weekly[time.Saturday] = []timeplan.Range{timeplan.HM(22, 0, 24, 0)} // a late shift to midnight
	p.Weekly[time.Sunday] = []timeplan.Range{timeplan.HM(0, 0, 3, 0), timeplan.HM(9, 0, 17, 0)}
	p.Holidays = []timeplan.Holiday{{Name: "National Day", First: timeplan.Day{Year: 2026, Month: 10, Day: 1}, Last: timeplan.Day{Year: 2026, Month: 10, Day: 7}}}
	p.CustomWorkdays = []timeplan.Workday{
		{Date: timeplan.Day{Year: 2026, Month: 10, Day: 10}, Hours: []timeplan.Range{timeplan.HM(9, 0, 18, 0)}}, // a Saturday make-up day
		{Date: timeplan.Day{Year: 2026, Month: 10, Day: 5}, Hours: []timeplan.Range{timeplan.HM(10, 0, 14, 0)}}, // worked inside the holiday
	}
	return p
}

func TestIsWorkingTime(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	p := officeHours()
	cases := []struct {
		name string
		at   string // local wall time in loc (RFC 3339 with the zone's offset)
		loc  *time.Location
		want bool
	}{
		{"Monday opening instant", "2026-11-23T08:00:00+01:00", berlin, true},
		{"Monday one second before opening", "2026-11-23T07:59:59+01:00", berlin, false},
		{"lunch break start is off", "2026-11-23T12:00:00+01:00", berlin, false},
		{"lunch break end is on", "2026-11-23T13:00:00+01:00", berlin, true},
		{"closing instant is off", "2026-11-23T20:00:00+01:00", berlin, false},
		{"same instant seen from UTC", "2026-11-23T07:30:00Z", berlin, true},
		{"Saturday 23:59:59 late shift", "2026-11-28T23:59:59+01:00", berlin, true},
		{"Sunday midnight continues", "2026-11-29T00:00:00+01:00", berlin, true},
		{"Sunday 03:00 off", "2026-11-29T03:00:00+01:00", berlin, false},
		{"Friday midnight is Saturday: off", "2026-11-28T00:00:00+01:00", berlin, false},
		{"holiday first day", "2026-10-01T09:00:00+02:00", berlin, false},
		{"holiday last day", "2026-10-07T09:00:00+02:00", berlin, false},
		{"day after holiday", "2026-10-08T09:00:00+02:00", berlin, true},
		{"custom workday inside holiday", "2026-10-05T11:00:00+02:00", berlin, true},
		{"custom workday inside holiday, outside its hours", "2026-10-05T09:00:00+02:00", berlin, false},
		{"make-up Saturday", "2026-10-10T17:59:59+02:00", berlin, true},
		{"make-up Saturday has no late shift", "2026-10-10T22:30:00+02:00", berlin, false},
		// 2026-03-29 02:00 CET → 03:00 CEST (spring forward) is a Sunday.
		{"DST spring: 01:59 Sunday shift", "2026-03-29T01:59:59+01:00", berlin, true},
		{"DST spring: the instant after is 03:00", "2026-03-29T02:00:00+01:00", berlin, false},
		// 2026-10-25 03:00 CEST → 02:00 CET (fall back) is a Sunday: 02:30 happens twice.
		{"DST fall: first 02:30", "2026-10-25T02:30:00+02:00", berlin, true},
		{"DST fall: second 02:30", "2026-10-25T02:30:00+01:00", berlin, true},
		{"DST fall: 03:00 after the change", "2026-10-25T03:00:00+01:00", berlin, false},
		{"DST fall: 09:00 local still opens", "2026-10-25T09:00:00+01:00", berlin, true},
		{"DST fall: 08:59 local still closed", "2026-10-25T07:59:00Z", berlin, false},
		{"other zone, its own wall time", "2026-11-23T08:00:00+08:00", shanghai, true},
		{"instant of Berlin opening is Shanghai afternoon", "2026-11-23T08:00:00+01:00", shanghai, true},
		{"instant of Berlin 07:00 is Shanghai 14:00", "2026-11-23T07:00:00+01:00", shanghai, true},
		{"Shanghai 12:30 lunch", "2026-11-23T12:30:00+08:00", shanghai, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			at, err := time.Parse(time.RFC3339, tc.at)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.IsWorkingTime(at, tc.loc); got != tc.want {
				t.Errorf("IsWorkingTime(%s in %s) = %v, want %v", at.In(tc.loc), tc.loc, got, tc.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	day := timeplan.Day{Year: 2026, Month: 5, Day: 1}
	cases := []struct {
		name  string
		edit  func(*timeplan.Plan)
		field string
	}{
		{"valid", func(*timeplan.Plan) {}, ""},
		{"overlapping ranges", func(p *timeplan.Plan) {
			p.Weekly[time.Monday] = []timeplan.Range{timeplan.HM(8, 0, 12, 0), timeplan.HM(11, 0, 13, 0)}
		}, "weekly.Monday"},
		{"empty range", func(p *timeplan.Plan) { p.Weekly[time.Tuesday] = []timeplan.Range{timeplan.HM(9, 0, 9, 0)} }, "weekly.Tuesday"},
		{"past midnight", func(p *timeplan.Plan) { p.Weekly[time.Friday] = []timeplan.Range{timeplan.HM(22, 0, 25, 0)} }, "weekly.Friday"},
		{"holiday backwards", func(p *timeplan.Plan) {
			p.Holidays = []timeplan.Holiday{{First: day, Last: timeplan.Day{Year: 2026, Month: 4, Day: 30}}}
		}, "holidays[0]"},
		{"workday twice", func(p *timeplan.Plan) {
			p.CustomWorkdays = []timeplan.Workday{{Date: day, Hours: []timeplan.Range{timeplan.HM(9, 0, 10, 0)}}, {Date: day}}
		}, "custom_workdays[1]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := officeHours()
			tc.edit(&p)
			err := p.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			de, ok := err.(*domain.Error)
			if !ok || de.Kind != domain.Invalid || de.Field != tc.field {
				t.Fatalf("err = %#v, want invalid %s", err, tc.field)
			}
		})
	}
}
