package crew_test

import (
	"strings"
	"testing"
	"time"

	"cityvitals/crew"
	"cityvitals/model"
)

var shanghai = mustLocation("Asia/Shanghai")

func mustLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at is a time in Shanghai in the week of Monday 7 July 2025.
func at(day time.Weekday, hour, minute int) time.Time {
	return time.Date(2025, 7, 6+int(day), hour, minute, 0, 0, shanghai)
}

func TestParseShiftRejects(t *testing.T) {
	t.Parallel()
	tests := []struct{ spec, mention string }{
		{"", "must look like"},
		{"mon-fri", "must look like"},
		{"mon-fri 08:00-20:00 extra", "must look like"},
		{"mon-fry 08:00-20:00", `day "fry"`},
		{"monday 08:00-20:00", `day "monday"`},
		{"mon,,fri 08:00-20:00", `day ""`},
		{"mon-fri 0800-2000", `time "0800"`},
		{"mon-fri 08:00", `hours "08:00"`},
		{"mon-fri 8:00-20:00", `time "8:00"`},
		{"mon-fri 08:60-20:00", `time "08:60"`},
		{"mon-fri 25:00-26:00", `time "25:00"`},
		{"mon-fri 24:00-08:00", `time "24:00"`}, // 24:00 only ends a shift
		{"mon-fri 08:00-24:01", `time "24:01"`},
		{"mon-fri +1:00-08:00", `time "+1:00"`},
		{"mon-fri 08:00-08:00", "cannot be empty"},
		{"mon-fri 08:00-20:00\x00", `time "20:00\x00"`},
		{strings.Repeat("mon,", 1000) + "mon 08:00-20:00", "4015 bytes long"},
	}
	for _, tc := range tests {
		_, err := model.ParseShift(tc.spec)
		if model.ErrorCode(err) != model.EINVALID || !strings.Contains(model.ErrorMessage(err), tc.mention) {
			t.Errorf("ParseShift(%q) = %v; want EINVALID mentioning %q", tc.spec, err, tc.mention)
		}
	}
}

func TestOnShift(t *testing.T) {
	t.Parallel()
	tests := []struct {
		shifts []string
		at     time.Time
		want   bool
	}{
		{nil, at(time.Sunday, 3, 0), true}, // no shifts: always on duty
		{[]string{"mon-fri 08:00-20:00"}, at(time.Monday, 8, 0), true},
		{[]string{"mon-fri 08:00-20:00"}, at(time.Monday, 7, 59), false},
		{[]string{"mon-fri 08:00-20:00"}, at(time.Friday, 19, 59), true},
		{[]string{"mon-fri 08:00-20:00"}, at(time.Friday, 20, 0), false}, // the end is exclusive
		{[]string{"mon-fri 08:00-20:00"}, at(time.Saturday, 12, 0), false},
		{[]string{"MON-FRI 08:00-20:00"}, at(time.Tuesday, 12, 0), true}, // case does not matter
		{[]string{"fri-mon 09:00-17:00"}, at(time.Sunday, 12, 0), true},  // wraps past Sunday
		{[]string{"fri-mon 09:00-17:00"}, at(time.Wednesday, 12, 0), false},
		{[]string{"sat,sun,wed 09:00-17:00"}, at(time.Wednesday, 9, 30), true},
		{[]string{"daily 00:00-24:00"}, at(time.Thursday, 23, 59), true},
		// Overnight: starts Friday 22:00, so Saturday 05:00 is on, Friday 05:00 is not.
		{[]string{"fri 22:00-06:00"}, at(time.Saturday, 5, 0), true},
		{[]string{"fri 22:00-06:00"}, at(time.Friday, 5, 0), false},
		{[]string{"fri 22:00-06:00"}, at(time.Friday, 23, 0), true},
		{[]string{"sun 22:00-06:00"}, at(time.Monday, 1, 0), true}, // Sunday night into Monday
		{[]string{"mon 08:00-12:00", "mon 14:00-18:00"}, at(time.Monday, 13, 0), false},
		{[]string{"mon 08:00-12:00", "mon 14:00-18:00"}, at(time.Monday, 15, 0), true},
	}
	for _, tc := range tests {
		team := model.Team{Name: "A", Shifts: tc.shifts}
		// The same instant seen from UTC must give the same answer: shifts are read in the team's zone.
		got, err := crew.OnShift(team, tc.at.UTC())
		if err != nil || got != tc.want {
			t.Errorf("shifts %q at %s: %v, %v; want %v", tc.shifts, tc.at.Format("Mon 15:04"), got, err, tc.want)
		}
	}
}

func TestOnShiftTimeZoneAndErrors(t *testing.T) {
	t.Parallel()
	// 10:00 Monday in Shanghai is 02:00 Monday in London (BST): off duty there.
	team := model.Team{Name: "A", Shifts: []string{"mon-fri 08:00-20:00"}, TimeZone: "Europe/London"}
	if on, err := crew.OnShift(team, at(time.Monday, 10, 0)); on || err != nil {
		t.Errorf("London team at 02:00 local: %v, %v; want off duty", on, err)
	}
	team.Disabled, team.TimeZone = true, ""
	if on, err := crew.OnShift(team, at(time.Monday, 10, 0)); on || err != nil {
		t.Errorf("disabled team: %v, %v; want off duty", on, err)
	}
	for _, bad := range []model.Team{
		{Name: "A", TimeZone: "Nowhere/City"},
		{Name: "A", Shifts: []string{"lunchtime"}},
	} {
		if _, err := crew.OnShift(bad, at(time.Monday, 10, 0)); model.ErrorCode(err) != model.EINVALID {
			t.Errorf("team %+v: %v, want EINVALID", bad, err)
		}
	}
}

func TestStates(t *testing.T) {
	t.Parallel()
	teams := []model.Team{
		{ID: 1, Name: "day", Mode: model.ModeCar, Lon: 121.4, Lat: 31.2, Skills: []string{"gas"}, Capacity: 3,
			Shifts: []string{"mon-fri 08:00-20:00"}},
		{ID: 2, Name: "night", Mode: model.ModeWalk, Capacity: 2, Shifts: []string{"mon-fri 20:00-08:00"}},
		{ID: 3, Name: "overloaded", Mode: model.ModeBike, Capacity: 1},
		{ID: 4, Name: "disabled", Mode: model.ModeVan, Capacity: 4, Disabled: true},
	}
	got, err := crew.States(teams, map[int64]int{1: 1, 3: 5}, at(time.Tuesday, 9, 0))
	if err != nil {
		t.Fatal(err)
	}
	want := []crew.TeamState{
		{ID: 1, Lon: 121.4, Lat: 31.2, Mode: model.ModeCar, Skills: []string{"gas"}, FreeCapacity: 2, OnShift: true},
		{ID: 2, Mode: model.ModeWalk, FreeCapacity: 2, OnShift: false},
		{ID: 3, Mode: model.ModeBike, FreeCapacity: 0, OnShift: true},
		{ID: 4, Mode: model.ModeVan, FreeCapacity: 4, OnShift: false},
	}
	for i := range want {
		if g, w := got[i], want[i]; g.ID != w.ID || g.Lon != w.Lon || g.Lat != w.Lat || g.Mode != w.Mode ||
			strings.Join(g.Skills, ",") != strings.Join(w.Skills, ",") || g.FreeCapacity != w.FreeCapacity || g.OnShift != w.OnShift {
			t.Errorf("state %d: %+v, want %+v", i, g, w)
		}
	}
	teams[1].Shifts = []string{"bad"}
	if _, err := crew.States(teams, nil, at(time.Tuesday, 9, 0)); model.ErrorCode(err) != model.EINVALID ||
		!strings.Contains(err.Error(), `team 2 "night": shifts[0]`) {
		t.Errorf("bad shift: %v, want EINVALID naming team 2 and shifts[0]", err)
	}
}
