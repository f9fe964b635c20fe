package sla

import (
	"errors"
	"strings"
	"testing"
	"time"

	"cityvitals/model"
)

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func hm(h, m int) time.Duration { return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute }

// officeHours is the sample of the brief: Monday to Friday 08:30–12:00 and
// 13:30–17:30, 7.5 working hours a day.
func officeHours() [7][]Span {
	day := []Span{{hm(8, 30), hm(12, 0)}, {hm(13, 30), hm(17, 30)}}
	var w [7][]Span
	for d := time.Monday; d <= time.Friday; d++ {
		w[d] = day
	}
	return w
}

func mustCalendar(t testing.TB, h Hours) *Calendar {
	t.Helper()
	c, err := NewCalendar(h)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// everyDay returns a week with the same spans on all seven days.
func everyDay(spans ...Span) [7][]Span {
	var w [7][]Span
	for d := range w {
		w[d] = spans
	}
	return w
}

func TestAddAndWorkingOfficeHours(t *testing.T) {
	at := func(day, h, m int) time.Time { return time.Date(2026, 3, day, h, m, 0, 0, shanghai) }
	plain := mustCalendar(t, Hours{Name: "office", Week: officeHours()})
	// Monday 2026-03-09 off; Saturday 2026-03-07 worked.
	holiday := mustCalendar(t, Hours{Name: "holiday", Week: officeHours(), Off: []Date{{2026, 3, 9}}})
	makeUp := mustCalendar(t, Hours{Name: "makeup", Week: officeHours(), Work: []Date{{2026, 3, 7}}})
	cases := []struct {
		name  string
		cal   *Calendar
		start time.Time
		d     time.Duration
		want  time.Time
	}{
		// 16:00–17:30 is 1h30m, Monday 08:30–12:00 the other 3h30m.
		{"friday 16:00 + 5h", plain, at(6, 16, 0), 5 * time.Hour, at(9, 12, 0)},
		{"ends exactly at closing", plain, at(6, 16, 0), hm(1, 30), at(6, 17, 30)},
		{"one minute past closing", plain, at(6, 16, 0), hm(1, 31), at(9, 8, 31)},
		{"from the weekend", plain, at(7, 10, 0), time.Hour, at(9, 9, 30)},
		{"from lunch", plain, at(9, 12, 30), 30 * time.Minute, at(9, 14, 0)},
		{"across lunch", plain, at(9, 11, 0), 2 * time.Hour, at(9, 14, 30)},
		{"zero stays put off hours", plain, at(8, 3, 0), 0, at(8, 3, 0)},
		{"negative stays put", plain, at(9, 10, 0), -time.Hour, at(9, 10, 0)},
		{"from midnight", plain, at(9, 0, 0), time.Minute, at(9, 8, 31)},
		{"a full day", plain, at(9, 8, 30), hm(7, 30), at(9, 17, 30)},
		{"15 working days from monday opening", plain, at(9, 8, 30), 15 * hm(7, 30), at(27, 17, 30)},
		{"15 working days mid-morning", plain, at(11, 10, 0), 15 * hm(7, 30), time.Date(2026, 4, 1, 10, 0, 0, 0, shanghai)},
		{"holiday monday pushes to tuesday", holiday, at(6, 16, 0), 5 * time.Hour, at(10, 12, 0)},
		{"make-up saturday", makeUp, at(6, 16, 0), 5 * time.Hour, at(7, 12, 0)},
		{"make-up saturday after lunch", makeUp, at(6, 17, 0), 5 * time.Hour, at(7, 14, 30)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.cal.Add(tc.start, tc.d)
			if !got.Equal(tc.want) {
				t.Fatalf("Add(%s, %s) = %s, want %s", tc.start, tc.d, got, tc.want)
			}
			if tc.d > 0 {
				if w := tc.cal.Working(tc.start, got); w != tc.d {
					t.Errorf("Working(start, Add) = %s, want %s", w, tc.d)
				}
			}
		})
	}
}

func TestWorkingOfficeHours(t *testing.T) {
	at := func(month time.Month, day, h, m int) time.Time {
		return time.Date(2026, month, day, h, m, 0, 0, shanghai)
	}
	cal := mustCalendar(t, Hours{Name: "office", Week: officeHours(), Off: []Date{{2026, 3, 9}}, Work: []Date{{2026, 3, 7}}})
	cases := []struct {
		name     string
		from, to time.Time
		want     time.Duration
	}{
		{"reversed is zero", at(3, 10, 12, 0), at(3, 10, 9, 0), 0},
		{"equal is zero", at(3, 10, 9, 0), at(3, 10, 9, 0), 0},
		{"inside one span", at(3, 10, 9, 0), at(3, 10, 10, 15), hm(1, 15)},
		{"lunch does not count", at(3, 10, 12, 0), at(3, 10, 13, 30), 0},
		{"sunday", at(3, 8, 0, 0), at(3, 9, 0, 0), 0},
		{"holiday monday", at(3, 9, 0, 0), at(3, 10, 0, 0), 0},
		{"make-up saturday", at(3, 7, 0, 0), at(3, 8, 0, 0), hm(7, 30)},
		// 22 weekdays in March 2026, less the holiday, plus the Saturday.
		{"a month", at(3, 1, 0, 0), at(4, 1, 0, 0), 22 * hm(7, 30)},
		// 261 weekdays in 2026; the holiday and the Saturday cancel out.
		{"a year", at(1, 1, 0, 0), time.Date(2027, 1, 1, 0, 0, 0, 0, shanghai), 261 * hm(7, 30)},
		{"ten years", at(1, 1, 0, 0), time.Date(2036, 1, 1, 0, 0, 0, 0, shanghai), 2608 * hm(7, 30)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := cal.Working(tc.from, tc.to); got != tc.want {
				t.Errorf("Working(%s, %s) = %s, want %s", tc.from, tc.to, got, tc.want)
			}
		})
	}
}

func TestIsWorking(t *testing.T) {
	cal := mustCalendar(t, Hours{Name: "office", Week: officeHours(), Off: []Date{{2026, 3, 9}}, Work: []Date{{2026, 3, 7}}})
	cases := []struct {
		at   time.Time
		want bool
	}{
		{time.Date(2026, 3, 10, 8, 30, 0, 0, shanghai), true},              // opening is inside
		{time.Date(2026, 3, 10, 8, 29, 59, 999, shanghai), false},          // just before
		{time.Date(2026, 3, 10, 12, 0, 0, 0, shanghai), false},             // closing is outside
		{time.Date(2026, 3, 10, 17, 29, 59, 0, shanghai), true},            // last second before closing
		{time.Date(2026, 3, 9, 10, 0, 0, 0, shanghai), false},              // holiday
		{time.Date(2026, 3, 7, 10, 0, 0, 0, shanghai), true},               // make-up Saturday
		{time.Date(2026, 3, 8, 10, 0, 0, 0, shanghai), false},              // Sunday
		{time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC), true},               // 10:00 in Shanghai
		{time.Date(2026, 3, 10, 0, 0, 0, 0, time.FixedZone("", 0)), false}, // 08:00 in Shanghai
	}
	for _, tc := range cases {
		if got := cal.IsWorking(tc.at); got != tc.want {
			t.Errorf("IsWorking(%s) = %v, want %v", tc.at, got, tc.want)
		}
	}
	if !RoundTheClock("24x7").IsWorking(time.Date(2026, 1, 1, 3, 0, 0, 0, shanghai)) {
		t.Error("round the clock must always be working")
	}
}

func TestRoundTheClock(t *testing.T) {
	c := RoundTheClock("24x7")
	start := time.Date(2026, 3, 28, 23, 0, 0, 0, mustLoad(t, "Europe/Berlin"))
	if got, want := c.Add(start, 2*time.Hour), start.Add(2*time.Hour); !got.Equal(want) {
		t.Errorf("Add = %s, want %s", got, want)
	}
	if got := c.Working(start, start.Add(36*time.Hour)); got != 36*time.Hour {
		t.Errorf("Working = %s", got)
	}
	if c.DayLength() != 24*time.Hour || !c.IsRoundTheClock() || c.Name() != "24x7" {
		t.Errorf("round the clock: day %s, always %v, name %q", c.DayLength(), c.IsRoundTheClock(), c.Name())
	}
}

// TestDaylightSaving checks hours on the days Europe/Berlin and
// America/New_York change their clocks: intervals last what the wall
// clock says, skipped wall times mean the jump, repeated ones their first
// occurrence.
func TestDaylightSaving(t *testing.T) {
	berlin, ny := mustLoad(t, "Europe/Berlin"), mustLoad(t, "America/New_York")
	utc := func(month time.Month, day, h, m int) time.Time {
		return time.Date(2026, month, day, h, m, 0, 0, time.UTC)
	}
	allDay := mustCalendar(t, Hours{Name: "all", Location: berlin, Week: everyDay(Span{0, 24 * time.Hour})})
	night := mustCalendar(t, Hours{Name: "night", Location: berlin, Week: everyDay(Span{hm(1, 0), hm(4, 0)})})
	inGap := mustCalendar(t, Hours{Name: "gap", Location: berlin, Week: everyDay(Span{hm(2, 30), hm(3, 30)})})
	gapOnly := mustCalendar(t, Hours{Name: "gaponly", Location: berlin, Week: everyDay(Span{hm(2, 15), hm(2, 45)}, Span{hm(9, 0), hm(10, 0)})})
	nyGap := mustCalendar(t, Hours{Name: "nygap", Location: ny, Week: everyDay(Span{hm(2, 30), hm(3, 30)})})
	office := mustCalendar(t, Hours{Name: "office", Location: berlin, Week: officeHours()})
	day := func(loc *time.Location, month time.Month, d int) (time.Time, time.Time) {
		return time.Date(2026, month, d, 0, 0, 0, 0, loc), time.Date(2026, month, d+1, 0, 0, 0, 0, loc)
	}
	working := []struct {
		name string
		cal  *Calendar
		loc  *time.Location
		mon  time.Month
		day  int
		want time.Duration
	}{
		{"spring day is 23h", allDay, berlin, 3, 29, 23 * time.Hour},
		{"autumn day is 25h", allDay, berlin, 10, 25, 25 * time.Hour},
		{"ordinary day", allDay, berlin, 3, 28, 24 * time.Hour},
		{"01–04 in spring loses the skipped hour", night, berlin, 3, 29, 2 * time.Hour},
		{"01–04 in autumn gains the repeated hour", night, berlin, 10, 25, 4 * time.Hour},
		{"02:30 skipped: starts at the jump (03:00)", inGap, berlin, 3, 29, 30 * time.Minute},
		{"02:15–02:45 skipped entirely", gapOnly, berlin, 3, 29, time.Hour},
		{"02:15–02:45 repeated: counted once", gapOnly, berlin, 10, 25, hm(1, 30)},
		{"new york 02:30 skipped: starts at the jump (03:00)", nyGap, ny, 3, 8, 30 * time.Minute},
		{"new york ordinary day", nyGap, ny, 3, 9, time.Hour},
	}
	for _, tc := range working {
		t.Run(tc.name, func(t *testing.T) {
			from, to := day(tc.loc, tc.mon, tc.day)
			if got := tc.cal.Working(from, to); got != tc.want {
				t.Errorf("Working over %s = %s, want %s", from.Format(time.DateOnly), got, tc.want)
			}
		})
	}
	adds := []struct {
		name  string
		cal   *Calendar
		start time.Time
		d     time.Duration
		want  time.Time
	}{
		{"24h over the spring night", allDay, time.Date(2026, 3, 28, 12, 0, 0, 0, berlin), 24 * time.Hour, time.Date(2026, 3, 29, 13, 0, 0, 0, berlin)},
		{"24h over the autumn night", allDay, time.Date(2026, 10, 24, 12, 0, 0, 0, berlin), 24 * time.Hour, time.Date(2026, 10, 25, 11, 0, 0, 0, berlin)},
		{"gap interval starts at 01:00 UTC", inGap, utc(3, 28, 23, 0), 10 * time.Minute, utc(3, 29, 1, 10)},
		{"first occurrence of 02:15 (00:15 UTC)", gapOnly, utc(10, 24, 22, 0), 10 * time.Minute, utc(10, 25, 0, 25)},
		{"second occurrence is not working", gapOnly, utc(10, 25, 1, 0), 10 * time.Minute, time.Date(2026, 10, 25, 9, 10, 0, 0, berlin)},
		{"new york jump is 07:00 UTC", nyGap, utc(3, 8, 6, 0), 10 * time.Minute, utc(3, 8, 7, 10)},
		{"office week across the change", office, time.Date(2026, 3, 23, 9, 0, 0, 0, berlin), 5 * hm(7, 30), time.Date(2026, 3, 30, 9, 0, 0, 0, berlin)},
		{"office 15 days across the change", office, time.Date(2026, 3, 18, 9, 0, 0, 0, berlin), 15 * hm(7, 30), time.Date(2026, 4, 8, 9, 0, 0, 0, berlin)},
	}
	for _, tc := range adds {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.cal.Add(tc.start, tc.d)
			if !got.Equal(tc.want) {
				t.Fatalf("Add(%s, %s) = %s, want %s", tc.start, tc.d, got, tc.want.In(got.Location()))
			}
			if w := tc.cal.Working(tc.start, got); w != tc.d {
				t.Errorf("Working(start, Add) = %s, want %s", w, tc.d)
			}
		})
	}
	if gapOnly.IsWorking(utc(10, 25, 1, 20)) || !gapOnly.IsWorking(utc(10, 25, 0, 20)) {
		t.Error("IsWorking: only the first occurrence of 02:20 on 2026-10-25 is working")
	}
}

func TestNewCalendarErrors(t *testing.T) {
	week := officeHours()
	bad := func(mut func(h *Hours)) Hours {
		h := Hours{Name: "c", Week: week}
		mut(&h)
		return h
	}
	cases := []struct {
		name string
		h    Hours
		want string
	}{
		{"no name", bad(func(h *Hours) { h.Name = " " }), "name is empty"},
		{"no hours", bad(func(h *Hours) { h.Week = [7][]Span{} }), "no working hours"},
		{"reversed span", bad(func(h *Hours) { h.Week[time.Tuesday] = []Span{{hm(12, 0), hm(8, 0)}} }), "tue: span 12:00–08:00"},
		{"past midnight", bad(func(h *Hours) { h.Week[time.Monday] = []Span{{hm(22, 0), hm(25, 0)}} }), "mon: span 22:00–25:00"},
		{"overlap", bad(func(h *Hours) { h.Week[time.Friday] = []Span{{hm(8, 0), hm(12, 0)}, {hm(11, 0), hm(13, 0)}} }), "starts before the previous one ends (12:00)"},
		{"fractions of a second", bad(func(h *Hours) { h.Week[time.Monday] = []Span{{hm(8, 0), hm(9, 0) + time.Millisecond}} }), "whole seconds"},
		{"both off and work", bad(func(h *Hours) { h.Off = []Date{{2026, 5, 1}}; h.Work = []Date{{2026, 5, 1}} }), "2026-05-01 is both"},
		{"no such day", bad(func(h *Hours) { h.Off = []Date{{2026, 2, 30}} }), "holiday 2026-02-30 is not an existing day"},
		{"make-up without hours", bad(func(h *Hours) { h.Week[time.Monday] = nil; h.Work = []Date{{2026, 5, 9}} }), "need make-up hours"},
		{"bad make-up hours", bad(func(h *Hours) { h.MakeUp = []Span{{hm(9, 0), hm(9, 0)}} }), "make-up hours: span 09:00–09:00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewCalendar(tc.h)
			var me *model.Error
			if !errors.As(err, &me) || me.Code != model.EINVALID || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want EINVALID containing %q", err, tc.want)
			}
		})
	}
}

func TestDayLength(t *testing.T) {
	c := mustCalendar(t, Hours{Name: "office", Week: officeHours()})
	if c.DayLength() != hm(7, 30) {
		t.Errorf("DayLength = %s, want 7h30m (Monday's hours)", c.DayLength())
	}
	w := officeHours()
	w[time.Monday] = nil
	c = mustCalendar(t, Hours{Name: "no-monday", Week: w, MakeUp: []Span{{hm(9, 0), hm(15, 0)}}})
	if c.DayLength() != 6*time.Hour {
		t.Errorf("DayLength = %s, want the make-up hours' 6h", c.DayLength())
	}
	if c.Location().String() != DefaultZone {
		t.Errorf("Location = %s, want %s", c.Location(), DefaultZone)
	}
}

func TestParseDate(t *testing.T) {
	d, err := ParseDate("2026-10-01")
	if err != nil || d != (Date{2026, 10, 1}) || d.String() != "2026-10-01" {
		t.Fatalf("ParseDate = %v, %v", d, err)
	}
	for _, s := range []string{"2026-13-01", "2026-02-29", "26-1-1", "", "2026-01-01T00:00:00Z"} {
		if _, err := ParseDate(s); model.ErrorCode(err) != model.EINVALID {
			t.Errorf("ParseDate(%q) err = %v, want EINVALID", s, err)
		}
	}
}
