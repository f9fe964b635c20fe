package sla

import (
	"math/rand/v2"
	"testing"
	"time"
)

// propertyCalendars are calendars of different shapes for the property
// tests: many special days, several spans a day, zones with daylight
// saving time. Hours are on whole hours so that the naive reference below
// agrees with the calendar's reading of repeated and skipped wall times.
func propertyCalendars(t testing.TB) []*Calendar {
	rng := rand.New(rand.NewPCG(1, 2))
	var off, work []Date
	for d := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2030; d = d.AddDate(0, 0, 1) {
		weekend := d.Weekday() == time.Saturday || d.Weekday() == time.Sunday
		switch r := rng.IntN(100); {
		case !weekend && r < 8:
			off = append(off, Date{d.Year(), d.Month(), d.Day()})
		case weekend && r < 4:
			work = append(work, Date{d.Year(), d.Month(), d.Day()})
		}
	}
	office := officeHours()
	office[time.Monday] = []Span{{hm(8, 0), hm(12, 0)}, {hm(13, 0), hm(17, 0)}}
	nights := everyDay(Span{0, hm(1, 0)}, Span{hm(2, 0), hm(3, 0)}, Span{hm(5, 0), hm(6, 0)}, Span{hm(22, 0), 24 * time.Hour})
	return []*Calendar{
		mustCalendar(t, Hours{Name: "shanghai", Week: office, Off: off, Work: work}),
		mustCalendar(t, Hours{Name: "berlin", Location: mustLoad(t, "Europe/Berlin"), Week: nights, Off: off[:20], Work: work[:10]}),
		mustCalendar(t, Hours{Name: "new_york", Location: mustLoad(t, "America/New_York"), Week: office, Off: off, Work: work}),
		mustCalendar(t, Hours{Name: "berlin_office", Location: mustLoad(t, "Europe/Berlin"), Week: officeHours()}),
	}
}

// randomInstant returns an instant in 2025–2028 with nanoseconds, or,
// one time in three, within three days of a daylight-saving change.
func randomInstant(rng *rand.Rand) time.Time {
	if rng.IntN(3) == 0 {
		changes := []time.Time{
			time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), time.Date(2026, 10, 25, 1, 0, 0, 0, time.UTC),
			time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC),
		}
		c := changes[rng.IntN(len(changes))]
		return c.Add(time.Duration(rng.Int64N(int64(6*24*time.Hour))) - 3*24*time.Hour)
	}
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	return base.Add(time.Duration(rng.Int64N(int64(4 * 365 * 24 * time.Hour))))
}

// checkAddWorking asserts the properties that tie Add and Working together.
func checkAddWorking(t *testing.T, c *Calendar, start time.Time, d time.Duration) {
	t.Helper()
	end := c.Add(start, d)
	if got := c.Working(start, end); got != d {
		t.Fatalf("%s: Working(%s, Add(start, %s) = %s) = %s", c.Name(), start, d, end, got)
	}
	if end.Before(start) {
		t.Fatalf("%s: Add(%s, %s) = %s is before start", c.Name(), start, d, end)
	}
	if !c.IsWorking(end.Add(-time.Nanosecond)) {
		t.Fatalf("%s: Add(%s, %s) = %s, but the nanosecond before it is not working time", c.Name(), start, d, end)
	}
	if later := c.Add(start, d+time.Nanosecond); !later.After(end) {
		t.Fatalf("%s: Add(start, d+1ns) = %s is not after Add(start, d) = %s", c.Name(), later, end)
	}
}

func TestAddWorkingProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range propertyCalendars(t) {
		t.Run(c.Name(), func(t *testing.T) {
			for range 2000 {
				start := randomInstant(rng)
				d := time.Duration(rng.Int64N(int64(60*c.DayLength()))) + 1
				checkAddWorking(t, c, start, d)
			}
		})
	}
}

// naiveWorking counts working minutes one by one from each minute's local
// wall clock: slow, but independent of the calendar's interval arithmetic.
func naiveWorking(h Hours, from, to time.Time) time.Duration {
	kind := map[Date]bool{}
	for _, d := range h.Off {
		kind[d] = false
	}
	for _, d := range h.Work {
		kind[d] = true
	}
	var sum time.Duration
	for m := from; m.Before(to); m = m.Add(time.Minute) {
		lt := m.In(h.Location)
		spans := h.Week[lt.Weekday()]
		if work, special := kind[Date{lt.Year(), lt.Month(), lt.Day()}]; special && work {
			spans = h.Week[time.Monday]
		} else if special {
			spans = nil
		}
		wall := hm(lt.Hour(), lt.Minute())
		for _, s := range spans {
			if s.Start <= wall && wall < s.End {
				sum += time.Minute
			}
		}
	}
	return sum
}

func TestWorkingAgainstNaiveCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	hours := []Hours{
		{Name: "berlin", Location: mustLoad(t, "Europe/Berlin"),
			Week: everyDay(Span{0, hm(1, 0)}, Span{hm(2, 0), hm(3, 0)}, Span{hm(9, 0), hm(17, 0)}, Span{hm(23, 0), 24 * time.Hour}),
			Off:  []Date{{2026, 3, 30}}, Work: []Date{{2026, 10, 24}}},
		{Name: "new_york", Location: mustLoad(t, "America/New_York"),
			Week: everyDay(Span{hm(1, 0), hm(4, 0)}, Span{hm(20, 0), hm(21, 0)})},
		{Name: "shanghai", Location: mustLoad(t, "Asia/Shanghai"), Week: officeHours(),
			Off: []Date{{2026, 3, 9}}, Work: []Date{{2026, 3, 7}}},
	}
	for _, h := range hours {
		c := mustCalendar(t, h)
		t.Run(h.Name, func(t *testing.T) {
			for range 40 {
				from := randomInstant(rng).Truncate(time.Minute)
				to := from.Add(time.Duration(rng.IntN(4*24*60)) * time.Minute)
				if got, want := c.Working(from, to), naiveWorking(h, from, to); got != want {
					t.Fatalf("Working(%s, %s) = %s, naive count %s", from, to, got, want)
				}
			}
		})
	}
}

func FuzzAddWorking(f *testing.F) {
	f.Add(int64(1772784000), int64(5*time.Hour), uint8(0))  // Friday 2026-03-06 16:00 in Shanghai
	f.Add(int64(1774742400), int64(24*time.Hour), uint8(1)) // Berlin, the spring change
	f.Add(int64(1761350400), int64(15*7*time.Hour+30*time.Minute), uint8(3))
	f.Add(int64(0), int64(1), uint8(2))
	cals := propertyCalendars(f)
	f.Fuzz(func(t *testing.T, startSec, d int64, which uint8) {
		c := cals[int(which)%len(cals)]
		// Keep to 2000–2100 and at most a year of working time.
		const span = 100 * 365 * 86400
		start := time.Unix(946684800+((startSec%span)+span)%span, startSec%1e9)
		if d <= 0 || d > int64(365*24*time.Hour) {
			d = d%int64(365*24*time.Hour) + int64(365*24*time.Hour)
		}
		checkAddWorking(t, c, start, time.Duration(d))
	})
}
