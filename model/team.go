package model

import (
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// TravelMode is how a field team moves; it sets the team's speed.
type TravelMode string

const (
	ModeWalk TravelMode = "walk"
	ModeBike TravelMode = "bike" // bicycle or e-bike (电动自行车)
	ModeCar  TravelMode = "car"
	ModeVan  TravelMode = "van" // a works van carrying equipment (抢修车)
)

// TravelModes lists every travel mode.
var TravelModes = []TravelMode{ModeWalk, ModeBike, ModeCar, ModeVan}

// DefaultTeamTimeZone is the zone a team's shifts are read in when the
// team names none.
const DefaultTeamTimeZone = "Asia/Shanghai"

// Limits on a team's fields. They keep one row, and the planner's skill
// sets, small; no real team comes near them.
const (
	MaxTeamNameLen  = 200
	MaxTeamSkills   = 32
	MaxSkillLen     = 64
	MaxTeamShifts   = 21 // three windows a day, every day
	MaxTeamCapacity = 1000
)

// Team is a field team (处置力量): a crew that goes out to incidents.
// Capacity is how many incidents it handles at once. Shifts are weekly
// duty windows such as "mon-fri 08:00-20:00" read in TimeZone (see
// ParseShift); a team with no shifts is on duty around the clock.
// The position is the last one reported; only SetPosition moves it, so
// editing a team never fights with its GPS.
type Team struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Dept       string     `json:"dept,omitempty"`
	Skills     []string   `json:"skills"`
	Mode       TravelMode `json:"mode"`
	Lon        float64    `json:"lon"` // WGS84
	Lat        float64    `json:"lat"`
	PositionAt time.Time  `json:"position_at,omitzero"` // when Lon/Lat were reported; zero = never
	Shifts     []string   `json:"shifts,omitempty"`
	TimeZone   string     `json:"time_zone,omitempty"` // IANA name; "" = DefaultTeamTimeZone
	Capacity   int        `json:"capacity"`
	Disabled   bool       `json:"disabled,omitempty"`
	Version    int64      `json:"version"` // bumped by every update; an update must name the version it read
	Created    time.Time  `json:"created"`
	Updated    time.Time  `json:"updated"`
}

// maxTimeZoneLen is longer than any IANA zone name.
const maxTimeZoneLen = 64

// Location returns the team's time zone, DefaultTeamTimeZone when it
// names none; EINVALID if the zone is unknown.
func (t Team) Location() (*time.Location, error) {
	name := t.TimeZone
	if name == "" {
		name = DefaultTeamTimeZone
	}
	if len(name) > maxTimeZoneLen {
		return nil, Errorf(EINVALID, "team %q: time_zone is %d bytes long, no IANA zone is", t.Name, len(name))
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, Errorf(EINVALID, "team %q: time_zone %q is not a known IANA time zone", t.Name, name)
	}
	return loc, nil
}

// Validate checks every field a caller sets and returns an EINVALID error
// naming the first bad one.
func (t Team) Validate() error {
	switch n := utf8.RuneCountInString(t.Name); {
	case strings.TrimSpace(t.Name) == "":
		return Errorf(EINVALID, "team: name is empty")
	case n > MaxTeamNameLen || !utf8.ValidString(t.Name):
		return Errorf(EINVALID, "team: name must be valid UTF-8 of at most %d characters", MaxTeamNameLen)
	}
	if len(t.Dept) > MaxTeamNameLen || !utf8.ValidString(t.Dept) {
		return Errorf(EINVALID, "team %q: dept must be valid UTF-8 of at most %d bytes", t.Name, MaxTeamNameLen)
	}
	if !slices.Contains(TravelModes, t.Mode) {
		return Errorf(EINVALID, "team %q: mode %q is not one of %v", t.Name, t.Mode, TravelModes)
	}
	if err := checkPosition(t.Lon, t.Lat); err != nil {
		return Errorf(EINVALID, "team %q: %s", t.Name, err.Message)
	}
	if t.Capacity < 0 || t.Capacity > MaxTeamCapacity {
		return Errorf(EINVALID, "team %q: capacity %d is outside [0, %d]", t.Name, t.Capacity, MaxTeamCapacity)
	}
	if err := checkSkills(t.Skills); err != nil {
		return Errorf(EINVALID, "team %q: %s", t.Name, err.Message)
	}
	if len(t.Shifts) > MaxTeamShifts {
		return Errorf(EINVALID, "team %q: %d shifts, at most %d allowed", t.Name, len(t.Shifts), MaxTeamShifts)
	}
	for i, s := range t.Shifts {
		if _, err := parseShift(s); err != nil {
			return Errorf(EINVALID, "team %q: shifts[%d]: %s", t.Name, i, err.Message)
		}
	}
	_, err := t.Location()
	return err
}

// CheckPosition returns an EINVALID error unless lon and lat are finite
// WGS84 degrees in range.
func CheckPosition(lon, lat float64) error {
	if err := checkPosition(lon, lat); err != nil {
		return err
	}
	return nil
}

func checkPosition(lon, lat float64) *Error {
	switch {
	case math.IsNaN(lon) || math.IsInf(lon, 0) || lon < -180 || lon > 180:
		return Errorf(EINVALID, "lon %v is not a longitude in [-180, 180]", lon)
	case math.IsNaN(lat) || math.IsInf(lat, 0) || lat < -90 || lat > 90:
		return Errorf(EINVALID, "lat %v is not a latitude in [-90, 90]", lat)
	}
	return nil
}

// CheckSkills returns an EINVALID error naming the first skill that is
// blank, too long or not valid UTF-8, or if there are too many.
func CheckSkills(skills []string) error {
	if err := checkSkills(skills); err != nil {
		return err
	}
	return nil
}

func checkSkills(skills []string) *Error {
	if len(skills) > MaxTeamSkills {
		return Errorf(EINVALID, "%d skills, at most %d allowed", len(skills), MaxTeamSkills)
	}
	for i, s := range skills {
		switch {
		case len(s) > MaxSkillLen:
			return Errorf(EINVALID, "skills[%d] is %d bytes long, at most %d allowed", i, len(s), MaxSkillLen)
		case strings.TrimSpace(s) == "" || !utf8.ValidString(s):
			return Errorf(EINVALID, "skills[%d] %q must be non-blank UTF-8", i, s)
		}
	}
	return nil
}

// Shift is one weekly duty window: the days it starts on and its start
// and end as minutes after midnight. End < Start is an overnight shift
// that ends the next day; End may be 24*60.
type Shift struct {
	Days       [7]bool // indexed by time.Weekday
	Start, End int     // minutes after midnight
}

// maxShiftLen bounds a shift string; the longest sensible one,
// "sun,mon,tue,wed,thu,fri,sat 00:00-24:00", has 39 bytes.
const maxShiftLen = 64

// weekday returns the day a three-letter name stands for.
func weekday(name string) (time.Weekday, bool) {
	i := slices.Index([]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}, name)
	return time.Weekday(i), i >= 0
}

// ParseShift reads a weekly window "DAYS HH:MM-HH:MM". DAYS is a comma
// list of days (mon … sun) and day ranges (mon-fri; fri-mon wraps past
// Sunday), or "daily". An end before the start is an overnight shift:
// "mon-fri 20:00-08:00" starts Monday to Friday evenings. Errors are
// EINVALID and quote the part that is wrong.
func ParseShift(s string) (Shift, error) {
	shift, err := parseShift(s)
	if err != nil {
		return Shift{}, err
	}
	return shift, nil
}

func parseShift(s string) (Shift, *Error) {
	if len(s) > maxShiftLen {
		return Shift{}, Errorf(EINVALID, "shift is %d bytes long, at most %d allowed", len(s), maxShiftLen)
	}
	fields := strings.Fields(strings.ToLower(s))
	if len(fields) != 2 {
		return Shift{}, Errorf(EINVALID, "shift %q must look like \"mon-fri 08:00-20:00\"", s)
	}
	days, err := parseShiftDays(fields[0])
	if err != nil {
		return Shift{}, Errorf(EINVALID, "shift %q: %s", s, err.Message)
	}
	from, to, ok := strings.Cut(fields[1], "-")
	if !ok {
		return Shift{}, Errorf(EINVALID, "shift %q: hours %q must look like 08:00-20:00", s, fields[1])
	}
	start, err := parseClock(from, false)
	if err == nil {
		var end int
		end, err = parseClock(to, true)
		if err == nil && end == start {
			err = Errorf(EINVALID, "start and end are both %s: a shift cannot be empty", from)
		}
		return Shift{Days: days, Start: start, End: end}, prefixShiftError(s, err)
	}
	return Shift{}, prefixShiftError(s, err)
}

func prefixShiftError(s string, err *Error) *Error {
	if err == nil {
		return nil
	}
	return Errorf(EINVALID, "shift %q: %s", s, err.Message)
}

func parseShiftDays(spec string) ([7]bool, *Error) {
	var days [7]bool
	if spec == "daily" {
		return [7]bool{true, true, true, true, true, true, true}, nil
	}
	for part := range strings.SplitSeq(spec, ",") {
		first, last, isRange := strings.Cut(part, "-")
		from, ok := weekday(first)
		if !ok {
			return days, Errorf(EINVALID, "day %q is not one of mon, tue, wed, thu, fri, sat, sun", first)
		}
		to := from
		if isRange {
			if to, ok = weekday(last); !ok {
				return days, Errorf(EINVALID, "day %q is not one of mon, tue, wed, thu, fri, sat, sun", last)
			}
		}
		for d := from; ; d = (d + 1) % 7 {
			days[d] = true
			if d == to {
				break
			}
		}
	}
	return days, nil
}

// parseClock reads HH:MM as minutes after midnight; 24:00 only as an end.
func parseClock(s string, isEnd bool) (int, *Error) {
	digit := func(i int) (int, bool) { return int(s[i] - '0'), s[i] >= '0' && s[i] <= '9' }
	bad := Errorf(EINVALID, "time %q is not a clock time 00:00-24:00", s)
	if len(s) != 5 || s[2] != ':' {
		return 0, bad
	}
	h1, ok1 := digit(0)
	h2, ok2 := digit(1)
	m1, ok3 := digit(3)
	m2, ok4 := digit(4)
	h, m := h1*10+h2, m1*10+m2
	if !ok1 || !ok2 || !ok3 || !ok4 || m >= 60 || h > 24 || (h == 24 && (m != 0 || !isEnd)) {
		return 0, bad
	}
	return h*60 + m, nil
}

// Covers reports whether the window holds the given local weekday and
// minute after midnight, counting the tail of an overnight shift that
// started the day before.
func (s Shift) Covers(day time.Weekday, minute int) bool {
	if s.Start < s.End {
		return s.Days[day] && minute >= s.Start && minute < s.End
	}
	yesterday := (day + 6) % 7
	return (s.Days[day] && minute >= s.Start) || (s.Days[yesterday] && minute < s.End)
}
