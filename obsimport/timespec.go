package obsimport

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// timeParts are the columns a composed time may use, largest first.
var timeParts = [...]string{"year", "month", "day", "hour", "minute", "second"}

type timeKind int

const (
	timeLayout timeKind = iota // one column, a Go layout
	timeUnix                   // one column, seconds since 1970 (decimals allowed)
	timeUnixMS                 // one column, milliseconds since 1970
	timeParted                 // year, month, day… in separate columns
)

// timeSpec says where a row's time is and how to read it.
type timeSpec struct {
	kind   timeKind
	column string
	layout string
	parts  [len(timeParts)]string // column per part; "" = absent (zero)
	loc    *time.Location
}

func (c *compiler) compileTime(raw rawTime) {
	ts := &c.m.time
	loc, err := parseZone(raw.Zone)
	if err != nil {
		c.fail("time.zone", "%v", err)
	}
	ts.loc = loc
	switch {
	case raw.Column != "" && len(raw.Parts) > 0:
		c.fail("time", "give column (with layout) or parts, not both")
	case raw.Column != "":
		ts.column = raw.Column
		c.compileTimeLayout(raw.Layout)
	case len(raw.Parts) > 0:
		ts.kind = timeParted
		c.compileTimeParts(raw)
	default:
		c.fail("time", "missing: a time column with its layout, or parts (year, month, day, hour…)")
	}
}

func (c *compiler) compileTimeLayout(layout string) {
	ts := &c.m.time
	switch strings.ToLower(layout) {
	case "rfc3339", "iso8601":
		ts.layout = time.RFC3339Nano
	case "unix":
		ts.kind = timeUnix
	case "unix_ms":
		ts.kind = timeUnixMS
	case "":
		c.fail("time.layout", "missing: a Go layout such as \"2006-01-02 15:04\", or rfc3339, unix, unix_ms")
	default:
		if err := checkGoLayout(layout); err != nil {
			c.fail("time.layout", "%v", err)
		}
		ts.layout = layout
	}
}

// checkGoLayout accepts a layout only if it round-trips Go's reference
// date, so a layout written in another convention (yyyy-MM-dd) is caught
// at load time instead of failing on every row.
func checkGoLayout(layout string) error {
	ref := time.Date(2006, time.January, 2, 15, 4, 5, 0, time.UTC)
	parsed, err := time.Parse(layout, ref.Format(layout))
	if err != nil || parsed.Year() != 2006 || parsed.Month() != time.January || parsed.Day() != 2 {
		return fmt.Errorf("%q is not a Go time layout with year, month and day (write the reference time 2006-01-02 15:04:05)", layout)
	}
	return nil
}

func (c *compiler) compileTimeParts(raw rawTime) {
	ts := &c.m.time
	if raw.Layout != "" {
		c.fail("time.layout", "only with time.column: parts are plain integers")
	}
	known := map[string]int{}
	for i, p := range timeParts {
		known[p] = i
	}
	for part, col := range raw.Parts {
		i, ok := known[part]
		if !ok {
			c.fail("time.parts."+part, "unknown part %q: use year, month, day, hour, minute, second", part)
			continue
		}
		ts.parts[i] = col
	}
	for _, p := range timeParts[:3] {
		if raw.Parts[p] == "" {
			c.fail("time.parts", "missing %s: year, month and day are required", p)
		}
	}
}

// parseZone accepts an IANA name (Asia/Shanghai), UTC, or a fixed offset
// such as +08:00. An empty zone means UTC.
func parseZone(zone string) (*time.Location, error) {
	if zone == "" || zone == "UTC" || zone == "Z" {
		return time.UTC, nil
	}
	if zone[0] == '+' || zone[0] == '-' {
		t, err := time.Parse("-07:00", zone)
		if err != nil {
			return time.UTC, fmt.Errorf("bad offset %q: write it as +08:00", zone)
		}
		_, offset := t.Zone()
		return time.FixedZone(zone, offset), nil
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return time.UTC, fmt.Errorf("unknown time zone %q: use an IANA name such as Asia/Shanghai, or +08:00", zone)
	}
	return loc, nil
}

// boundTime is a timeSpec with its columns resolved against one file.
type boundTime struct {
	spec   *timeSpec
	column int
	parts  [len(timeParts)]int // -1 = absent
}

// parse returns the row's time in Unix milliseconds (UTC) and, on
// failure, the column at fault.
func (b *boundTime) parse(rec []string) (int64, int, error) {
	if b.spec.kind == timeParted {
		return b.parseParts(rec)
	}
	cell := strings.TrimSpace(rec[b.column])
	ms, err := b.parseCell(cell)
	return ms, b.column, err
}

func (b *boundTime) parseCell(cell string) (int64, error) {
	switch b.spec.kind {
	case timeUnix:
		s, err := strconv.ParseFloat(cell, 64)
		if err != nil || math.IsNaN(s) || math.Abs(s) > 1e13 {
			return 0, fmt.Errorf("%q is not Unix seconds", cell)
		}
		return int64(math.Round(s * 1000)), nil
	case timeUnixMS:
		ms, err := strconv.ParseInt(cell, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not Unix milliseconds", cell)
		}
		return ms, nil
	default:
		t, err := time.ParseInLocation(b.spec.layout, cell, b.spec.loc)
		if err != nil {
			return 0, fmt.Errorf("%q does not match layout %q", cell, b.spec.layout)
		}
		return t.UnixMilli(), nil
	}
}

// partLimits bound each part; day is checked against its month below.
var partLimits = [len(timeParts)][2]int{{1, 9999}, {1, 12}, {1, 31}, {0, 23}, {0, 59}, {0, 60}}

func (b *boundTime) parseParts(rec []string) (int64, int, error) {
	var v [len(timeParts)]int
	for i, col := range b.parts {
		if col < 0 {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(rec[col]))
		if err != nil || n < partLimits[i][0] || n > partLimits[i][1] {
			return 0, col, fmt.Errorf("%s %q is not an integer in %d..%d", timeParts[i], rec[col], partLimits[i][0], partLimits[i][1])
		}
		v[i] = n
	}
	t := time.Date(v[0], time.Month(v[1]), v[2], v[3], v[4], v[5], 0, b.spec.loc)
	if t.Day() != v[2] && v[5] != 60 {
		return 0, b.parts[2], fmt.Errorf("day %d does not exist in %04d-%02d", v[2], v[0], v[1])
	}
	return t.UnixMilli(), -1, nil
}
