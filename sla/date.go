package sla

import (
	"fmt"
	"time"

	"cityvitals/model"
)

// Date is a day of the civil calendar, without a time zone: what a holiday
// schedule lists. The calendar's zone decides when the day begins.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads a date written YYYY-MM-DD; anything else, including a day
// that does not exist such as 2026-02-30, is EINVALID.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, model.Errorf(model.EINVALID, "date %q: want an existing day written YYYY-MM-DD", s)
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// valid reports whether d names an existing day (time.Date would silently
// normalise 2026-02-30 to March 2).
func (d Date) valid() bool {
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
	return t.Year() == d.Year && t.Month() == d.Month && t.Day() == d.Day
}

// dayNum numbers civil days from 1970-01-01 (day 0, a Thursday); the
// calendar walks these instead of time.Time values.
type dayNum int64

const (
	nsPerDay  = int64(24 * time.Hour)
	nsPerWeek = 7 * nsPerDay
)

func (d Date) num() dayNum {
	return dayNum(time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func (n dayNum) date() Date {
	t := time.Unix(int64(n)*86400, 0).UTC()
	return Date{t.Year(), t.Month(), t.Day()}
}

func (n dayNum) weekday() time.Weekday {
	return time.Weekday(((int64(n)+4)%7 + 7) % 7)
}

// wall returns the wall-clock nanoseconds of the start of day n, counted as
// if the zone were UTC.
func (n dayNum) wall() int64 { return int64(n) * nsPerDay }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
