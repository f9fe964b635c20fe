package obsimport

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// StreamSpec describes the datastream one station's measurement goes to.
// Ensure receives it the first time the stream has a value.
type StreamSpec struct {
	Key      string
	Name     string
	Property string
	UoM      string
	Interval time.Duration
	Lon, Lat float64
	HasPoint bool
}

// Record is one row turned into values. Read reuses the Record and its
// Readings between calls: copy what you keep.
type Record struct {
	File     string
	Line     int
	Station  string // the station's name in the file
	Time     int64  // Unix milliseconds, UTC
	Readings []Reading
}

// Reading is one accepted value of a row.
type Reading struct {
	// Stream is the same pointer for the same stream throughout one Read,
	// so callers can cache per stream by pointer.
	Stream *StreamSpec
	Value  float64
}

// rowSkip is one problem found in a row; column is -1 when no single
// cell is at fault.
type rowSkip struct {
	reason Reason
	column int
	detail string
}

// station is a station seen in this read, with its streams created
// lazily, one per measurement.
type station struct {
	name    string
	site    Station
	located bool
	streams []*streamState
}

type streamState struct {
	spec StreamSpec
	seen timeSet
	used bool // has had an accepted value
}

// stations is the per-read registry of stations and their streams,
// shared by every file of one Read.
type stations struct {
	m      *Mapping
	byName map[string]*station
	used   int // streams with at least one accepted value
}

func newStations(m *Mapping) *stations {
	return &stations{m: m, byName: map[string]*station{}}
}

// lookup returns the station named in a row, or nil when the mapping
// lists stations and this one is not among them.
func (ss *stations) lookup(name string) *station {
	if st, ok := ss.byName[name]; ok {
		return st
	}
	site, located := ss.m.Stations[name]
	if !located && len(ss.m.Stations) > 0 {
		ss.byName[name] = nil
		return nil
	}
	st := &station{name: name, site: site, located: located, streams: make([]*streamState, len(ss.m.Measurements))}
	ss.byName[name] = st
	return st
}

// stream returns the state of a station's i-th measurement's stream.
func (ss *stations) stream(st *station, i int) *streamState {
	if s := st.streams[i]; s != nil {
		return s
	}
	mm := ss.m.Measurements[i]
	displayName := st.site.NameZH
	if displayName == "" {
		displayName = st.site.NameEN
	}
	if displayName == "" {
		displayName = st.name
	}
	values := map[string]string{"station": st.name, "station_name": displayName, "property": mm.Property, "column": mm.Column}
	s := &streamState{spec: StreamSpec{
		Key: ss.m.key.expand(values), Name: ss.m.name.expand(values),
		Property: mm.Property, UoM: mm.UoM, Interval: ss.m.Interval,
		Lon: st.site.Lon, Lat: st.site.Lat, HasPoint: st.located,
	}}
	st.streams[i] = s
	return s
}

// rowParser turns the cells of one file's rows into Records. It is bound
// to the file's header and not safe for concurrent use.
type rowParser struct {
	m        *Mapping
	stations *stations
	width    int
	time     boundTime
	station  int   // -1: the mapping's fixed station
	values   []int // wide: the column of each measurement
	value    int   // long: the value column
	property int   // long: the property column, -1 for one fixed measurement
	byMatch  map[string]int
	skips    []rowSkip
}

// bind resolves the mapping's columns against a file's header. Problems
// name the header's file and the mapping's field and line.
func (m *Mapping) bind(header []string, ss *stations) (*rowParser, error) {
	index := headerIndex(header)
	p := &rowParser{m: m, stations: ss, width: len(header), station: -1, property: -1}
	var missing []string
	col := func(field, name string) int {
		if name == "" {
			return -1
		}
		i, ok := index[name]
		if !ok {
			missing = append(missing, fmt.Sprintf("%s:%d: %s: no column %q in the header", m.Path, m.lines[field], field, name))
		}
		return i
	}
	m.bindFields(p, col)
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(missing, "; "))
	}
	return p, nil
}

func (m *Mapping) bindFields(p *rowParser, col func(field, name string) int) {
	p.time = boundTime{spec: &m.time, column: col("time.column", m.time.column)}
	for i, part := range timeParts {
		p.time.parts[i] = col("time.parts."+part, m.time.parts[i])
	}
	p.station = col("station.column", m.stationColumn)
	if m.Layout == Wide {
		p.values = make([]int, len(m.Measurements))
		for i, mm := range m.Measurements {
			p.values[i] = col(fmt.Sprintf("measurements.%d.column", i), mm.Column)
		}
		return
	}
	p.value = col("value_column", m.valueColumn)
	p.property = col("property_column", m.propertyColumn)
	p.byMatch = make(map[string]int, len(m.Measurements))
	for i, mm := range m.Measurements {
		p.byMatch[mm.Match] = i
	}
}

// parse fills out from one row's cells and reports whether the row
// produced a record; p.skips lists what was left out either way.
func (p *rowParser) parse(cells []string, out *Record) bool {
	p.skips = p.skips[:0]
	out.Readings = out.Readings[:0]
	if len(cells) != p.width {
		p.skip(ReasonColumns, -1, "%d cells, the header has %d", len(cells), p.width)
		return false
	}
	t, col, err := p.time.parse(cells)
	if err != nil {
		p.skip(ReasonTime, col, "%v", err)
		return false
	}
	name := p.m.fixedStation
	if p.station >= 0 {
		name = strings.TrimSpace(cells[p.station])
	}
	if name == "" {
		p.skip(ReasonStation, p.station, "no station named")
		return false
	}
	st := p.stations.lookup(name)
	if st == nil {
		p.skip(ReasonStation, p.station, "station %q has no location in the mapping", name)
		return false
	}
	out.Station, out.Time = st.name, t
	if p.m.Layout == Wide {
		for i, c := range p.values {
			p.accept(out, st, i, c, cells[c])
		}
	} else {
		p.parseLong(out, st, cells)
	}
	return true
}

func (p *rowParser) parseLong(out *Record, st *station, cells []string) {
	i := 0
	if p.property >= 0 {
		var ok bool
		if i, ok = p.byMatch[strings.TrimSpace(cells[p.property])]; !ok {
			p.skip(ReasonProperty, p.property, "property %q is not in the mapping's measurements", cells[p.property])
			return
		}
	}
	p.accept(out, st, i, p.value, cells[p.value])
}

// accept parses one cell of measurement i and appends it to out unless
// it is NA, not a number, or a duplicate.
func (p *rowParser) accept(out *Record, st *station, i, column int, cell string) {
	mm := &p.m.Measurements[i]
	cell = strings.TrimSpace(cell)
	if p.m.na[cell] {
		p.skip(ReasonNA, column, "%q", cell)
		return
	}
	v, err := parseValue(mm, cell)
	if err != nil {
		p.skip(ReasonNumber, column, "%v", err)
		return
	}
	s := p.stations.stream(st, i)
	if !s.seen.add(out.Time) {
		p.skip(ReasonDuplicate, column, "stream %s already has a value at %d", s.spec.Key, out.Time)
		return
	}
	if !s.used {
		s.used = true
		p.stations.used++
	}
	out.Readings = append(out.Readings, Reading{Stream: &s.spec, Value: v})
}

func (p *rowParser) skip(r Reason, column int, format string, args ...any) {
	p.skips = append(p.skips, rowSkip{reason: r, column: column, detail: fmt.Sprintf(format, args...)})
}

func parseValue(mm *Measurement, cell string) (float64, error) {
	var v float64
	if mm.Compass {
		d, ok := compassDegrees(cell)
		if !ok {
			return 0, fmt.Errorf("%q is not a compass point", cell)
		}
		return d, nil
	}
	v, err := strconv.ParseFloat(cell, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a number", cell)
	}
	return v*mm.Scale + mm.Offset, nil
}

// compassPoints in clockwise order from north, 22.5° apart.
var compassPoints = [...]string{"N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"}

func compassDegrees(s string) (float64, bool) {
	for i, p := range compassPoints {
		if strings.EqualFold(s, p) {
			return float64(i) * 22.5, true
		}
	}
	return 0, false
}
