package sla

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	// The default policy counts working time in Asia/Shanghai; embedding
	// the zone database keeps that true on hosts without /usr/share/zoneinfo
	// (minimal containers), where the policy would otherwise fail to load.
	_ "time/tzdata"

	"cityvitals/model"
)

// DefaultZone is the time zone of a working-hours calendar that names none.
const DefaultZone = "Asia/Shanghai"

// maxDay bounds the walk: instants are Unix nanoseconds, which end in 2262.
// Add saturates there instead of overflowing.
const maxDay = dayNum(math.MaxInt64/nsPerDay - 16)

// Span is one working interval of a day, as wall-clock offsets from local
// midnight: Start inclusive, End exclusive, 0 ≤ Start < End ≤ 24h, in whole
// seconds. 13:30–17:30 is Span{13*time.Hour + 30*time.Minute, 17*time.Hour + 30*time.Minute}.
type Span struct {
	Start, End time.Duration
}

// Hours describes a working-hours calendar for NewCalendar.
type Hours struct {
	Name     string
	Location *time.Location // nil means DefaultZone
	Week     [7][]Span      // indexed by time.Weekday; a weekday without spans is off
	MakeUp   []Span         // hours of a make-up working day; nil means Monday's
	Off      []Date         // holidays: no working time all day
	Work     []Date         // make-up working days (调休), worked with the MakeUp hours
}

// Calendar counts working time; see the package documentation for the
// model. A Calendar is immutable and safe for concurrent use. Instants are
// supported from 1678 to 2262 (the range of Unix nanoseconds).
type Calendar struct {
	name      string
	always    bool
	loc       *time.Location
	week      [7][]span
	makeUp    []span
	special   []special // sorted by day
	weekTotal int64     // ns of working time in a week without special days or offset changes
	dayLength time.Duration
}

// span is a Span in nanoseconds since local midnight.
type span struct{ from, to int64 }

// interval is a span placed on a day: Unix nanoseconds.
type interval struct{ from, to int64 }

// special is a date whose hours differ from its weekday's.
type special struct {
	day  dayNum
	work bool // a make-up working day; else a holiday
}

// RoundTheClock returns a calendar on which every instant is working time.
func RoundTheClock(name string) *Calendar {
	return &Calendar{name: name, always: true, loc: time.UTC, dayLength: 24 * time.Hour}
}

// NewCalendar checks h and builds its calendar. Problems are EINVALID
// errors naming the calendar and the weekday, span or date at fault.
func NewCalendar(h Hours) (*Calendar, error) {
	if strings.TrimSpace(h.Name) == "" {
		return nil, model.Errorf(model.EINVALID, "calendar: name is empty")
	}
	c := &Calendar{name: h.Name, loc: h.Location}
	if c.loc == nil {
		loc, err := time.LoadLocation(DefaultZone)
		if err != nil {
			return nil, fmt.Errorf("calendar %q: load zone %s: %w", h.Name, DefaultZone, err)
		}
		c.loc = loc
	}
	if err := c.setWeek(h); err != nil {
		return nil, err
	}
	if err := c.setSpecials(h.Off, h.Work); err != nil {
		return nil, err
	}
	return c, nil
}

// setWeek converts and checks the weekly hours and the make-up hours.
func (c *Calendar) setWeek(h Hours) error {
	longest := int64(0)
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		spans, err := toSpans(h.Week[wd])
		if err != nil {
			return model.Errorf(model.EINVALID, "calendar %q: %s: %v", c.name, strings.ToLower(wd.String()[:3]), err)
		}
		c.week[wd] = spans
		c.weekTotal += total(spans)
		longest = max(longest, total(spans))
	}
	if c.weekTotal == 0 {
		return model.Errorf(model.EINVALID, "calendar %q: no working hours on any weekday (a deadline would never come); give hours or use a round-the-clock calendar", c.name)
	}
	c.makeUp = c.week[time.Monday]
	if h.MakeUp != nil {
		spans, err := toSpans(h.MakeUp)
		if err != nil {
			return model.Errorf(model.EINVALID, "calendar %q: make-up hours: %v", c.name, err)
		}
		c.makeUp = spans
	}
	if len(c.makeUp) == 0 && len(h.Work) > 0 {
		return model.Errorf(model.EINVALID, "calendar %q: make-up working days need make-up hours (Monday has none to copy)", c.name)
	}
	c.dayLength = time.Duration(total(c.makeUp))
	if c.dayLength == 0 {
		c.dayLength = time.Duration(longest)
	}
	return nil
}

// setSpecials records holidays and make-up days, refusing a date that is both.
func (c *Calendar) setSpecials(off, work []Date) error {
	kinds := map[dayNum]bool{}
	add := func(what string, dates []Date, isWork bool) error {
		for _, d := range dates {
			if !d.valid() {
				return model.Errorf(model.EINVALID, "calendar %q: %s %s is not an existing day", c.name, what, d)
			}
			if prev, seen := kinds[d.num()]; seen && prev != isWork {
				return model.Errorf(model.EINVALID, "calendar %q: %s is both a holiday and a make-up working day", c.name, d)
			}
			kinds[d.num()] = isWork
		}
		return nil
	}
	if err := add("holiday", off, false); err != nil {
		return err
	}
	if err := add("make-up working day", work, true); err != nil {
		return err
	}
	for day, isWork := range kinds {
		c.special = append(c.special, special{day, isWork})
	}
	slices.SortFunc(c.special, func(a, b special) int { return cmp.Compare(a.day, b.day) })
	return nil
}

// toSpans checks one day's spans: in range, whole seconds, ascending and
// not overlapping (touching is fine).
func toSpans(in []Span) ([]span, error) {
	out := make([]span, 0, len(in))
	for i, s := range in {
		switch {
		case s.Start < 0 || s.End > 24*time.Hour || s.Start >= s.End:
			return nil, fmt.Errorf("span %s–%s: want 00:00 ≤ start < end ≤ 24:00", clockText(s.Start), clockText(s.End))
		case s.Start%time.Second != 0 || s.End%time.Second != 0:
			return nil, fmt.Errorf("span %s–%s: want whole seconds", clockText(s.Start), clockText(s.End))
		case i > 0 && s.Start < in[i-1].End:
			return nil, fmt.Errorf("span %s–%s starts before the previous one ends (%s); list spans in order without overlap",
				clockText(s.Start), clockText(s.End), clockText(in[i-1].End))
		}
		out = append(out, span{int64(s.Start), int64(s.End)})
	}
	return out, nil
}

func total(spans []span) int64 {
	var t int64
	for _, s := range spans {
		t += s.to - s.from
	}
	return t
}

// clockText writes an offset from midnight as HH:MM or HH:MM:SS.
func clockText(d time.Duration) string {
	if d < 0 {
		return "-" + clockText(-d)
	}
	h, m, s := int(d/time.Hour), int(d/time.Minute%60), int(d/time.Second%60)
	if s != 0 {
		return fmt.Sprintf("%02d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%02d:%02d", h, m)
}

// Name returns the calendar's name, which rules and clocks refer to.
func (c *Calendar) Name() string { return c.name }

// Location returns the zone the hours are in (UTC when round the clock).
func (c *Calendar) Location() *time.Location { return c.loc }

// IsRoundTheClock reports whether every instant is working time.
func (c *Calendar) IsRoundTheClock() bool { return c.always }

// DayLength is one working day as a duration of working time: the hours of
// a make-up day (Monday's unless given; the longest weekday's when that is
// empty), 24h round the clock. Rules written in days ("1d") use it.
func (c *Calendar) DayLength() time.Duration { return c.dayLength }

// Add returns the earliest instant by which d of working time has elapsed
// after start: Friday 16:00 + 1h30m with hours ending 17:30 is Friday
// 17:30, not Monday morning. d ≤ 0 returns start unchanged. The result is
// in start's location; past the year 2262 it saturates.
func (c *Calendar) Add(start time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return start
	}
	if c.always {
		return start.Add(d)
	}
	var z zoneSpan
	var buf [8]interval
	t, rem := start.UnixNano(), int64(d)
	for day := c.dayOf(&z, t); day <= maxDay; day++ {
		for _, iv := range c.intervals(&z, day, buf[:0]) {
			if iv.to <= t {
				continue
			}
			from := max(iv.from, t)
			if rem <= iv.to-from {
				return time.Unix(0, from+rem).In(start.Location())
			}
			rem -= iv.to - from
		}
		// Keep at least 1ns to place in a day, so the result is the end of
		// an interval rather than the start of the week after.
		if n := c.regularWeeks(&z, day+1, (rem-1)/c.weekTotal); n > 0 {
			rem -= n * c.weekTotal
			day += dayNum(7 * n)
		}
	}
	return time.Unix(0, maxDay.wall()).In(start.Location())
}

// Working returns the working time between from and to; 0 if to is not
// after from.
func (c *Calendar) Working(from, to time.Time) time.Duration {
	if !to.After(from) {
		return 0
	}
	if c.always {
		return to.Sub(from)
	}
	var z, zEnd zoneSpan
	var buf [8]interval
	f, e := from.UnixNano(), to.UnixNano()
	last := c.dayOf(&zEnd, e)
	var sum int64
	// last+1: where an offset change falls at midnight, the next day's
	// hours can begin before the local date changes.
	for day := c.dayOf(&z, f); day <= last+1; day++ {
		for _, iv := range c.intervals(&z, day, buf[:0]) {
			if s, en := max(iv.from, f), min(iv.to, e); en > s {
				sum += en - s
			}
		}
		if n := c.regularWeeks(&z, day+1, int64(last-day-1)/7); n > 0 {
			sum += n * c.weekTotal
			day += dayNum(7 * n)
		}
	}
	return time.Duration(sum)
}

// IsWorking reports whether t is working time.
func (c *Calendar) IsWorking(t time.Time) bool {
	if c.always {
		return true
	}
	var z zoneSpan
	var buf [8]interval
	u := t.UnixNano()
	day := c.dayOf(&z, u)
	for _, d := range [2]dayNum{day, day + 1} { // day+1: see Working
		for _, iv := range c.intervals(&z, d, buf[:0]) {
			if iv.from <= u && u < iv.to {
				return true
			}
		}
	}
	return false
}

// hours returns the spans of day d.
func (c *Calendar) hours(d dayNum) []span {
	i, found := slices.BinarySearchFunc(c.special, d, func(s special, d dayNum) int { return cmp.Compare(s.day, d) })
	switch {
	case !found:
		return c.week[d.weekday()]
	case c.special[i].work:
		return c.makeUp
	default:
		return nil
	}
}

// intervals appends the working intervals of day d to buf.
func (c *Calendar) intervals(z *zoneSpan, d dayNum, buf []interval) []interval {
	base := d.wall()
	for _, s := range c.hours(d) {
		from, to := c.instant(z, base+s.from), c.instant(z, base+s.to)
		if to > from { // empty when both ends fall in a skipped hour
			buf = append(buf, interval{from, to})
		}
	}
	return buf
}

// regularWeeks returns how many whole weeks, at most limit, from day first
// on hold no special day and no change of UTC offset, so that each holds
// exactly weekTotal of working time and can be skipped in one step.
func (c *Calendar) regularWeeks(z *zoneSpan, first dayNum, limit int64) int64 {
	limit = min(limit, int64(maxDay-first)/7)
	i, _ := slices.BinarySearchFunc(c.special, first, func(s special, d dayNum) int { return cmp.Compare(s.day, d) })
	if i < len(c.special) {
		limit = min(limit, int64(c.special[i].day-first)/7)
	}
	if limit <= 0 {
		return 0
	}
	u := c.instant(z, first.wall())
	if u < z.from+nsPerDay {
		return 0 // just after an offset change: walk this day
	}
	return max(0, min(limit, (z.to-u-1)/nsPerWeek))
}

// dayOf returns the local date of the instant u.
func (c *Calendar) dayOf(z *zoneSpan, u int64) dayNum {
	if !z.set || u < z.from || u >= z.to {
		z.reset(time.Unix(0, u).In(c.loc))
	}
	return dayNum(floorDiv(u+z.offset, nsPerDay))
}

// instant returns the first instant at which the calendar's wall clock
// shows at least wall (nanoseconds, counted as if the zone were UTC): the
// moment of the jump for a wall time a spring-forward skips, the first
// occurrence for one a fall-back repeats.
func (c *Calendar) instant(z *zoneSpan, wall int64) int64 {
	if u, ok := z.fast(wall); ok {
		return u
	}
	t := c.slowInstant(wall)
	z.reset(t)
	return t.UnixNano()
}

func (c *Calendar) slowInstant(wall int64) time.Time {
	day := floorDiv(wall, nsPerDay)
	t := time.Date(1970, 1, 1+int(day), 0, 0, 0, int(wall-day*nsPerDay), c.loc)
	_, off := t.Zone()
	got := t.UnixNano() + int64(off)*int64(time.Second)
	start, end := t.ZoneBounds()
	switch {
	case got > wall && !start.IsZero(): // skipped; time.Date went past the jump
		return start
	case got < wall && !end.IsZero(): // skipped; time.Date stayed before the jump
		return end
	case got == wall && !start.IsZero():
		_, prev := start.Add(-time.Nanosecond).Zone()
		if u := wall - int64(prev)*int64(time.Second); u < start.UnixNano() {
			return time.Unix(0, u).In(c.loc) // repeated: the earlier occurrence
		}
	}
	return t
}

// zoneSpan caches one period of constant UTC offset of the calendar's
// zone, so that most conversions from wall clock to instant are one
// subtraction. The zero value is empty.
type zoneSpan struct {
	set      bool
	offset   int64 // ns east of UTC
	from, to int64 // Unix ns; far past and far future when unbounded
}

func (z *zoneSpan) reset(t time.Time) {
	_, off := t.Zone()
	from, to := t.ZoneBounds()
	*z = zoneSpan{set: true, offset: int64(off) * int64(time.Second), from: math.MinInt64 / 2, to: math.MaxInt64 / 2}
	if !from.IsZero() {
		z.from = from.UnixNano()
	}
	if !to.IsZero() {
		z.to = to.UnixNano()
	}
}

// fast converts wall with the cached offset when the result lies in the
// cached period and at least a day after its start: only just after a
// fall-back could the same wall time have occurred earlier.
func (z *zoneSpan) fast(wall int64) (int64, bool) {
	if !z.set {
		return 0, false
	}
	u := wall - z.offset
	return u, u >= z.from+nsPerDay && u < z.to
}
