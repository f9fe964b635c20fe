package obsimport

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"cityvitals/model"
)

// Layout says how a file arranges its values.
type Layout string

const (
	// Wide files hold one station and time per row and a column per measurement.
	Wide Layout = "wide"
	// Long files hold one value per row.
	Long Layout = "long"
)

// Encoding names a file encoding the reader decodes.
type Encoding string

const (
	UTF8    Encoding = "utf-8"   // a leading byte-order mark is dropped
	GB18030 Encoding = "gb18030" // superset of GBK and GB2312, common in Chinese exports
)

// Station is where one station of a file stands and what it is called.
type Station struct {
	NameZH string  `yaml:"name_zh"`
	NameEN string  `yaml:"name_en"`
	Lon    float64 `yaml:"lon"`
	Lat    float64 `yaml:"lat"`
}

// Measurement maps one value of a row to an observed property.
type Measurement struct {
	Column   string  // wide layout: the column holding the value
	Match    string  // long layout: the property column's cell value selecting this measurement
	Property string  // observed-property id, e.g. "pm25"
	UoM      string  // unit of measurement after scaling, e.g. "mg/m³"
	Scale    float64 // stored value = raw × Scale + Offset; Scale defaults to 1
	Offset   float64
	Compass  bool // the cell is a compass point (N, NNE, …, NNW) stored as degrees
}

// Mapping is a validated mapping file. It is immutable after LoadMapping
// and safe for concurrent use.
type Mapping struct {
	Path         string
	Layout       Layout
	Encoding     Encoding
	Interval     time.Duration
	Stations     map[string]Station // by the station's name in the file
	Measurements []Measurement

	delimiter      rune
	header         bool
	skipRows       int
	columns        []string // the column names when the file has no header
	na             map[string]bool
	key, name      template
	time           timeSpec
	stationColumn  string
	fixedStation   string
	valueColumn    string
	propertyColumn string
	lines          map[string]int // field path → line, for errors found later
}

// defaultNA are the cells that mean "no value" unless the mapping says otherwise.
var defaultNA = []string{"NA", "", "NaN", "null"}

// rawMapping is the YAML document as written.
type rawMapping struct {
	Layout         string             `yaml:"layout"`
	Delimiter      string             `yaml:"delimiter"`
	Header         *bool              `yaml:"header"`
	SkipRows       int                `yaml:"skip_rows"`
	Columns        []string           `yaml:"columns"`
	Encoding       string             `yaml:"encoding"`
	NA             []string           `yaml:"na"`
	Key            string             `yaml:"key"`
	Name           string             `yaml:"name"`
	Interval       string             `yaml:"interval"`
	Time           rawTime            `yaml:"time"`
	Station        rawStation         `yaml:"station"`
	Stations       map[string]rawSite `yaml:"stations"`
	StationsFile   *rawStationsFile   `yaml:"stations_file"`
	ValueColumn    string             `yaml:"value_column"`
	PropertyColumn string             `yaml:"property_column"`
	Measurements   []rawMeasurement   `yaml:"measurements"`
}

type rawTime struct {
	Column string            `yaml:"column"`
	Layout string            `yaml:"layout"`
	Parts  map[string]string `yaml:"parts"`
	Zone   string            `yaml:"zone"`
}

type rawStation struct {
	Column string `yaml:"column"`
	Fixed  string `yaml:"fixed"`
}

type rawSite struct {
	NameZH string   `yaml:"name_zh"`
	NameEN string   `yaml:"name_en"`
	Lon    *float64 `yaml:"lon"`
	Lat    *float64 `yaml:"lat"`
}

type rawStationsFile struct {
	Path      string `yaml:"path"`
	Delimiter string `yaml:"delimiter"`
	Key       string `yaml:"key"`
	Lon       string `yaml:"lon"`
	Lat       string `yaml:"lat"`
	NameZH    string `yaml:"name_zh"`
	NameEN    string `yaml:"name_en"`
}

type rawMeasurement struct {
	Column   string   `yaml:"column"`
	Match    string   `yaml:"match"`
	Property string   `yaml:"property"`
	UoM      string   `yaml:"uom"`
	Scale    *float64 `yaml:"scale"`
	Offset   float64  `yaml:"offset"`
	Compass  bool     `yaml:"compass"`
}

// LoadMapping reads and validates a mapping file. It returns a
// *model.Error with code EINVALID listing every problem found, each as
// "file:line: field: what is wrong".
func LoadMapping(path string) (*Mapping, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read mapping: %w", err)
	}
	return parseMapping(path, data)
}

func parseMapping(path string, data []byte) (*Mapping, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, model.Errorf(model.EINVALID, "%s: %v", path, err)
	}
	var raw rawMapping
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, model.Errorf(model.EINVALID, "%s: empty mapping", path)
		}
		return nil, model.Errorf(model.EINVALID, "%s: %v", path, err)
	}
	c := &compiler{path: path, root: &root, m: &Mapping{Path: path, lines: map[string]int{}}}
	c.compile(&raw)
	if len(c.problems) > 0 {
		return nil, model.Errorf(model.EINVALID, "%s", strings.Join(c.problems, "; "))
	}
	return c.m, nil
}

// compiler turns a rawMapping into a Mapping, collecting every problem
// so that one run of the command shows the author all of them.
type compiler struct {
	path     string
	root     *yaml.Node
	m        *Mapping
	problems []string
}

// fail records a problem at a dotted field path such as
// "measurements.3.column"; the line is looked up in the YAML tree.
func (c *compiler) fail(field, format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf("%s:%d: %s: %s", c.path, c.line(field), field, fmt.Sprintf(format, args...)))
}

func (c *compiler) line(field string) int {
	n := c.root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, seg := range strings.Split(field, ".") {
		n = child(n, seg)
		if n == nil {
			break
		}
		line = n.Line
	}
	return line
}

// child returns the value under a mapping key or the element at a
// sequence index, or nil.
func child(n *yaml.Node, seg string) *yaml.Node {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == seg {
				return n.Content[i+1]
			}
		}
	case yaml.SequenceNode:
		if i, err := strconv.Atoi(seg); err == nil && i >= 0 && i < len(n.Content) {
			return n.Content[i]
		}
	}
	return nil
}

func (c *compiler) compile(raw *rawMapping) {
	c.compileFormat(raw)
	c.compileTime(raw.Time)
	c.compileStations(raw)
	c.compileMeasurements(raw)
	c.compileTemplates(raw)
	c.checkColumns()
	for _, ref := range c.m.columnRefs() {
		c.m.lines[ref.field] = c.line(ref.field)
	}
}

func (c *compiler) compileFormat(raw *rawMapping) {
	m := c.m
	switch Layout(raw.Layout) {
	case Wide, Long:
		m.Layout = Layout(raw.Layout)
	case "":
		c.fail("layout", "missing: say wide or long")
	default:
		c.fail("layout", "unknown layout %q: use wide or long", raw.Layout)
	}
	m.delimiter = ','
	if raw.Delimiter != "" {
		d, ok := parseDelimiter(raw.Delimiter)
		if !ok {
			c.fail("delimiter", "%q is not one usable character", raw.Delimiter)
		}
		m.delimiter = d
	}
	m.header = raw.Header == nil || *raw.Header
	if !m.header && len(raw.Columns) == 0 {
		c.fail("columns", "a file without a header needs the list of its column names")
	}
	m.columns = raw.Columns
	if raw.SkipRows < 0 {
		c.fail("skip_rows", "must not be negative")
	}
	m.skipRows = raw.SkipRows
	switch Encoding(strings.ToLower(raw.Encoding)) {
	case "", UTF8, "utf8":
		m.Encoding = UTF8
	case GB18030, "gbk", "gb2312":
		m.Encoding = GB18030
	default:
		c.fail("encoding", "unknown encoding %q: use utf-8 or gb18030", raw.Encoding)
	}
	na := raw.NA
	if na == nil {
		na = defaultNA
	}
	m.na = make(map[string]bool, len(na))
	for _, s := range na {
		m.na[s] = true
	}
	if raw.Interval != "" {
		d, err := time.ParseDuration(raw.Interval)
		if err != nil || d <= 0 {
			c.fail("interval", "%q is not a positive duration such as 1h or 5m", raw.Interval)
		}
		m.Interval = d
	}
}

// parseDelimiter accepts one character, or "tab" / `\t`, and refuses the
// characters encoding/csv cannot split on.
func parseDelimiter(s string) (rune, bool) {
	switch s {
	case "tab", `\t`:
		return '\t', true
	}
	r, size := utf8.DecodeRuneInString(s)
	if size != len(s) || r == utf8.RuneError || r == '"' || r == '\r' || r == '\n' {
		return 0, false
	}
	return r, true
}

func (c *compiler) compileStations(raw *rawMapping) {
	m := c.m
	switch {
	case raw.Station.Column != "" && raw.Station.Fixed != "":
		c.fail("station", "give column or fixed, not both")
	case raw.Station.Column == "" && raw.Station.Fixed == "":
		c.fail("station", "missing: name the station column, or a fixed station for the whole file")
	}
	m.stationColumn, m.fixedStation = raw.Station.Column, raw.Station.Fixed
	m.Stations = map[string]Station{}
	if raw.StationsFile != nil {
		c.loadStationsFile(raw.StationsFile)
	}
	// Inline stations win over the file: they are the author's correction.
	for name, s := range raw.Stations {
		field := "stations." + name
		if s.Lon == nil || s.Lat == nil {
			c.fail(field, "needs both lon and lat")
			continue
		}
		if !validPoint(*s.Lon, *s.Lat) {
			c.fail(field, "lon %v, lat %v is not a WGS84 point", *s.Lon, *s.Lat)
			continue
		}
		m.Stations[name] = Station{NameZH: s.NameZH, NameEN: s.NameEN, Lon: *s.Lon, Lat: *s.Lat}
	}
	if m.fixedStation != "" && len(m.Stations) > 0 {
		if _, ok := m.Stations[m.fixedStation]; !ok {
			c.fail("station.fixed", "station %q has no location in stations or stations_file", m.fixedStation)
		}
	}
}

func validPoint(lon, lat float64) bool {
	return lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90
}

var propertyID = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

func (c *compiler) compileMeasurements(raw *rawMapping) {
	m := c.m
	if len(raw.Measurements) == 0 {
		c.fail("measurements", "missing: map at least one value to a property")
	}
	m.valueColumn, m.propertyColumn = raw.ValueColumn, raw.PropertyColumn
	if m.Layout == Long {
		c.checkLongColumns(raw)
	}
	seenProperty := map[string]bool{}
	for i, rm := range raw.Measurements {
		field := fmt.Sprintf("measurements.%d", i)
		mm := Measurement{
			Column: rm.Column, Match: rm.Match, Property: rm.Property, UoM: rm.UoM,
			Scale: 1, Offset: rm.Offset, Compass: rm.Compass,
		}
		if rm.Scale != nil {
			mm.Scale = *rm.Scale
		}
		c.checkMeasurement(field, mm, rm.Scale != nil)
		if seenProperty[mm.Property] {
			c.fail(field+".property", "property %q is mapped twice: stream keys would collide", mm.Property)
		}
		seenProperty[mm.Property] = true
		m.Measurements = append(m.Measurements, mm)
	}
}

func (c *compiler) checkLongColumns(raw *rawMapping) {
	if raw.ValueColumn == "" {
		c.fail("value_column", "missing: the long layout needs the column holding the value")
	}
	if raw.PropertyColumn == "" && len(raw.Measurements) > 1 {
		c.fail("property_column", "missing: with several measurements the long layout needs the column naming the property")
	}
}

func (c *compiler) checkMeasurement(field string, mm Measurement, scaled bool) {
	switch c.m.Layout {
	case Wide:
		if mm.Column == "" {
			c.fail(field+".column", "missing: the wide layout maps a column to each property")
		}
		if mm.Match != "" {
			c.fail(field+".match", "only for the long layout")
		}
	case Long:
		if mm.Column != "" {
			c.fail(field+".column", "only for the wide layout: the long layout reads value_column")
		}
		if mm.Match == "" && c.m.propertyColumn != "" {
			c.fail(field+".match", "missing: the value of %s that selects this measurement", c.m.propertyColumn)
		}
	}
	if !propertyID.MatchString(mm.Property) {
		c.fail(field+".property", "%q is not a property id (lower case letters, digits, _)", mm.Property)
	}
	if mm.UoM == "" {
		c.fail(field+".uom", "missing: the unit of measurement of the stored value")
	}
	if scaled && mm.Scale == 0 {
		c.fail(field+".scale", "zero would erase every value")
	}
}

// placeholders a key or name template may use.
var placeholders = []string{"station", "station_name", "property", "column"}

func (c *compiler) compileTemplates(raw *rawMapping) {
	m := c.m
	var err error
	if raw.Key == "" {
		c.fail("key", "missing: a datastream key template such as \"source/{station}/{property}\"")
	} else if m.key, err = parseTemplate(raw.Key); err != nil {
		c.fail("key", "%v", err)
	} else {
		if len(raw.Measurements) > 1 && !m.key.uses("property") && !m.key.uses("column") {
			c.fail("key", "%q must contain {property}: several measurements would share one stream", raw.Key)
		}
		if m.stationColumn != "" && !m.key.uses("station") {
			c.fail("key", "%q must contain {station}: every station would share one stream", raw.Key)
		}
	}
	name := raw.Name
	if name == "" {
		name = "{station_name} {property}"
	}
	if m.name, err = parseTemplate(name); err != nil {
		c.fail("name", "%v", err)
	}
}

// checkColumns checks column references against the declared column list
// when there is one; otherwise they are checked against each file's header.
func (c *compiler) checkColumns() {
	m := c.m
	if len(m.columns) == 0 {
		return
	}
	have := map[string]bool{}
	for _, col := range m.columns {
		have[col] = true
	}
	for _, ref := range m.columnRefs() {
		if !have[ref.column] {
			c.fail(ref.field, "column %q is not among the declared columns", ref.column)
		}
	}
}

type columnRef struct{ field, column string }

// columnRefs lists every column the mapping reads, with the field naming it.
func (m *Mapping) columnRefs() []columnRef {
	var refs []columnRef
	add := func(field, col string) {
		if col != "" {
			refs = append(refs, columnRef{field, col})
		}
	}
	add("station.column", m.stationColumn)
	add("time.column", m.time.column)
	for i, p := range timeParts {
		add("time.parts."+p, m.time.parts[i])
	}
	add("value_column", m.valueColumn)
	add("property_column", m.propertyColumn)
	for i, mm := range m.Measurements {
		add(fmt.Sprintf("measurements.%d.column", i), mm.Column)
	}
	return refs
}

// loadStationsFile reads station locations from a CSV file named relative
// to the mapping. Rows with an empty key are other cities' stations.
func (c *compiler) loadStationsFile(sf *rawStationsFile) {
	if sf.Path == "" || sf.Key == "" || sf.Lon == "" || sf.Lat == "" {
		c.fail("stations_file", "needs path, key, lon and lat")
		return
	}
	path := sf.Path
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(c.path), path)
	}
	delim := ','
	if sf.Delimiter != "" {
		var ok bool
		if delim, ok = parseDelimiter(sf.Delimiter); !ok {
			c.fail("stations_file.delimiter", "%q is not one usable character", sf.Delimiter)
			return
		}
	}
	stations, err := readStations(path, delim, sf)
	if err != nil {
		c.fail("stations_file", "%v", err)
		return
	}
	for k, s := range stations {
		c.m.Stations[k] = s
	}
}
