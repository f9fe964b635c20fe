package sla

import (
	"testing"
	"time"
)

// starts spreads start instants over 2026, so the benchmarks meet holidays,
// make-up days and (in Berlin) offset changes as often as real incidents.
func starts(loc *time.Location) []time.Time {
	out := make([]time.Time, 97)
	for i := range out {
		out[i] = time.Date(2026, 1, 1, 9, 17, 0, 0, loc).Add(time.Duration(i) * 90 * time.Hour)
	}
	return out
}

func benchmarkAdd(b *testing.B, cal *Calendar, d time.Duration) {
	ss := starts(cal.Location())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		_ = cal.Add(ss[i%len(ss)], d)
	}
}

func BenchmarkAdd15WorkingDays(b *testing.B) {
	cal, err := DefaultPolicy().Calendar("workdays")
	if err != nil {
		b.Fatal(err)
	}
	benchmarkAdd(b, cal, 15*cal.DayLength())
}

func BenchmarkAdd5WorkingHours(b *testing.B) {
	cal, err := DefaultPolicy().Calendar("workdays")
	if err != nil {
		b.Fatal(err)
	}
	benchmarkAdd(b, cal, 5*time.Hour)
}

func BenchmarkAdd15WorkingDaysBerlin(b *testing.B) {
	cal := mustCalendar(b, Hours{Name: "berlin", Location: mustLoad(b, "Europe/Berlin"), Week: officeHours()})
	benchmarkAdd(b, cal, 15*cal.DayLength())
}

func BenchmarkWorkingMonth(b *testing.B) {
	cal, err := DefaultPolicy().Calendar("workdays")
	if err != nil {
		b.Fatal(err)
	}
	ss := starts(cal.Location())
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s := ss[i%len(ss)]
		_ = cal.Working(s, s.Add(30*24*time.Hour))
	}
}

// BenchmarkClockDue is the scanner's cost per open incident.
func BenchmarkClockDue(b *testing.B) {
	p := DefaultPolicy()
	r, err := p.Match("exposed_garbage", LevelAny)
	if err != nil {
		b.Fatal(err)
	}
	c, err := Start(r, time.Date(2026, 3, 9, 9, 0, 0, 0, shanghai))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 3, 9, 9, 30, 0, 0, shanghai)
	b.ReportAllocs()
	for b.Loop() {
		if len(c.Due(now)) != 0 {
			b.Fatal("nothing is due")
		}
	}
}

func BenchmarkStartClock(b *testing.B) {
	p := DefaultPolicy()
	r, err := p.Match("illegal_building", LevelAny)
	if err != nil {
		b.Fatal(err)
	}
	ss := starts(shanghai)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := Start(r, ss[i%len(ss)]); err != nil {
			b.Fatal(err)
		}
	}
}
