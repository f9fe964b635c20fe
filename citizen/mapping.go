package citizen

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"cityvitals/model"
)

// Mapping describes a 311-style CSV file: which column holds what, how
// times are written, and how the file's categories and statuses map onto
// ours. It is immutable after loading.
type Mapping struct {
	Name           string // the file it came from, for messages
	Source         string // namespace of the file's ids: external id = Source + ":" + id
	Channel        string // channel of every row, unless the channel column says otherwise
	DefaultService string // service of rows whose category is not in Services
	Services       map[string]string
	Statuses       map[string]model.ReportStatus

	delimiter rune
	layout    string
	zone      *time.Location
	na        map[string]bool
	columns   map[string]string // our field → the file's column
	template  []templatePart    // description, when built from several columns
}

// mappingFields are the fields columns may name. id, created and service
// are required.
var mappingFields = []string{
	"id", "created", "closed", "status", "service", "description", "lat", "lon",
	"address", "address_id", "zipcode", "notes", "media_url", "agency", "channel",
}

type rawMapping struct {
	Source         string            `yaml:"source"`
	Delimiter      string            `yaml:"delimiter"`
	TimeLayout     string            `yaml:"time_layout"`
	TimeZone       string            `yaml:"time_zone"`
	NA             []string          `yaml:"na"`
	Channel        string            `yaml:"channel"`
	Columns        map[string]string `yaml:"columns"`
	Statuses       map[string]string `yaml:"statuses"`
	Services       map[string]string `yaml:"services"`
	DefaultService string            `yaml:"default_service"`
}

var sourcePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// LoadMapping reads and checks a mapping file.
func LoadMapping(path string) (*Mapping, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read mapping: %w", err)
	}
	return ParseMapping(path, data)
}

// ParseMapping checks a mapping document; name is used in errors. It
// returns EINVALID listing every problem found.
func ParseMapping(name string, data []byte) (*Mapping, error) {
	var raw rawMapping
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, model.Errorf(model.EINVALID, "%s: empty mapping", name)
		}
		return nil, model.Errorf(model.EINVALID, "%s: %v", name, err)
	}
	var problems []string
	fail := func(field, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s: %s: %s", name, field, fmt.Sprintf(format, args...)))
	}
	m := &Mapping{
		Name: name, Source: raw.Source, Channel: raw.Channel, DefaultService: raw.DefaultService,
		Services: raw.Services, Statuses: map[string]model.ReportStatus{}, columns: raw.Columns,
	}
	compileFormat(m, raw, fail)
	compileColumns(m, raw, fail)
	for value, status := range raw.Statuses {
		if !model.ReportStatus(status).Valid() {
			fail("statuses."+value, "%q is not one of %v", status, model.ReportStatuses())
		}
		m.Statuses[value] = model.ReportStatus(status)
	}
	if len(problems) > 0 {
		slices.Sort(problems) // map iteration order must not change the message
		return nil, model.Errorf(model.EINVALID, "%s", strings.Join(problems, "; "))
	}
	return m, nil
}

func compileFormat(m *Mapping, raw rawMapping, fail func(field, format string, args ...any)) {
	if !sourcePattern.MatchString(raw.Source) {
		fail("source", "%q must be 1-32 lower-case letters, digits, _ or - (it prefixes every external id)", raw.Source)
	}
	if m.Channel == "" {
		m.Channel = "import"
	}
	if m.DefaultService == "" {
		m.DefaultService = "other"
	}
	m.delimiter = ','
	if raw.Delimiter != "" {
		r, size := utf8.DecodeRuneInString(raw.Delimiter)
		if raw.Delimiter == "tab" || raw.Delimiter == `\t` {
			r, size = '\t', len(raw.Delimiter)
		}
		if size != len(raw.Delimiter) || r == '"' || r == '\n' || r == '\r' || r == utf8.RuneError {
			fail("delimiter", "%q is not one usable character", raw.Delimiter)
		}
		m.delimiter = r
	}
	m.layout = raw.TimeLayout
	if m.layout == "" {
		m.layout = time.RFC3339
	}
	m.zone = time.UTC
	if raw.TimeZone != "" {
		loc, err := time.LoadLocation(raw.TimeZone)
		if err != nil {
			fail("time_zone", "%q is not an IANA time zone such as Asia/Shanghai", raw.TimeZone)
		} else {
			m.zone = loc
		}
	}
	m.na = map[string]bool{"": true}
	for _, v := range raw.NA {
		m.na[v] = true
	}
}

func compileColumns(m *Mapping, raw rawMapping, fail func(field, format string, args ...any)) {
	for field, col := range raw.Columns {
		if !slices.Contains(mappingFields, field) {
			fail("columns."+field, "not a field; the fields are %s", strings.Join(mappingFields, ", "))
		}
		if col == "" {
			fail("columns."+field, "names no column")
		}
	}
	for _, field := range []string{"id", "created", "service"} {
		if raw.Columns[field] == "" {
			fail("columns."+field, "required")
		}
	}
	if (raw.Columns["lat"] == "") != (raw.Columns["lon"] == "") {
		fail("columns", "lat and lon go together: name both or neither")
	}
	if d := raw.Columns["description"]; strings.Contains(d, "{") {
		parts, err := parseTemplate(d)
		if err != nil {
			fail("columns.description", "%v", err)
		}
		m.template = parts
	}
}

// templatePart is literal text or, when column is set, a cell.
type templatePart struct {
	text, column string
}

// parseTemplate reads "{complaint_type}: {descriptor}".
func parseTemplate(s string) ([]templatePart, error) {
	var parts []templatePart
	for s != "" {
		open := strings.IndexByte(s, '{')
		if open < 0 {
			parts = append(parts, templatePart{text: s})
			break
		}
		end := strings.IndexByte(s[open:], '}')
		if end < 0 {
			return nil, fmt.Errorf("%q: a { without its }", s)
		}
		if open > 0 {
			parts = append(parts, templatePart{text: s[:open]})
		}
		col := s[open+1 : open+end]
		if col == "" {
			return nil, fmt.Errorf("{} names no column")
		}
		parts = append(parts, templatePart{column: col})
		s = s[open+end+1:]
	}
	return parts, nil
}

// referencedColumns lists every column of the file the mapping reads.
func (m *Mapping) referencedColumns() []string {
	var cols []string
	for _, field := range mappingFields {
		if col := m.columns[field]; col != "" && !(field == "description" && m.template != nil) {
			cols = append(cols, col)
		}
	}
	for _, p := range m.template {
		if p.column != "" {
			cols = append(cols, p.column)
		}
	}
	return cols
}

// column returns the file's column for one of our fields, "" if unmapped.
func (m *Mapping) column(field string) string { return m.columns[field] }

// checkServices refuses a mapping that names services the catalog lacks.
func (m *Mapping) checkServices(c *Catalog) error {
	var unknown []string
	if _, ok := c.Service(m.DefaultService); !ok {
		unknown = append(unknown, fmt.Sprintf("default_service: %q", m.DefaultService))
	}
	for _, value := range sortedKeys(m.Services) {
		if _, ok := c.Service(m.Services[value]); !ok {
			unknown = append(unknown, fmt.Sprintf("services.%s: %q", value, m.Services[value]))
		}
	}
	if len(unknown) > 0 {
		return model.Errorf(model.EINVALID, "%s: not services of the catalog (%s): %s",
			m.Name, strings.Join(c.Codes(), ", "), strings.Join(unknown, "; "))
	}
	return nil
}
