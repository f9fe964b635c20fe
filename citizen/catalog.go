package citizen

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"cityvitals/model"
)

//go:embed services.yaml
var defaultCatalogYAML []byte

// Lang selects the language of catalog texts.
type Lang string

const (
	ZH Lang = "zh" // Simplified Chinese, the default
	EN Lang = "en"
)

// Text is a text in both languages of the platform.
type Text struct {
	ZH string `json:"zh,omitempty"`
	EN string `json:"en,omitempty"`
}

// In returns the text in lang, or in the other language if that one is
// empty, so a half-translated catalog still shows something.
func (t Text) In(lang Lang) string {
	if (lang == EN && t.EN != "") || t.ZH == "" {
		return t.EN
	}
	return t.ZH
}

// EventCode is a classification code of the event an incident records,
// e.g. {Standard: "GB/T 30428", Code: "06010"} for 暴露垃圾. Confidence
// says how the code is known, as in CN_REFERENCE.md: V read in the
// standard, P seen in implementations, R recollection.
type EventCode struct {
	Standard   string `json:"standard"`
	Code       string `json:"code"`
	Confidence string `json:"confidence,omitempty"`
}

// Datatype is an Open311 service-attribute datatype.
type Datatype string

const (
	DatatypeString          Datatype = "string"          // one line of text
	DatatypeNumber          Datatype = "number"          // a finite decimal number
	DatatypeDatetime        Datatype = "datetime"        // ISO 8601 with a zone
	DatatypeText            Datatype = "text"            // free text, line breaks allowed
	DatatypeSingleValueList Datatype = "singlevaluelist" // one key of Values
	DatatypeMultiValueList  Datatype = "multivaluelist"  // any keys of Values
)

// Value is one choice of a list attribute.
type Value struct {
	Key  string
	Name Text
}

// Attribute is one question of a service definition.
type Attribute struct {
	Code                string
	Variable            bool // false: shown to the user for information, takes no answer
	Datatype            Datatype
	Required            bool
	Order               int
	Description         Text
	DatatypeDescription string
	Values              []Value
	Min, Max            *float64 // bounds of a number, when set
}

// ServiceType is one kind of report citizens can submit (an Open311
// "service"), with what it becomes on the incident side.
type ServiceType struct {
	Code        string
	Name        Text
	Description Text
	Keywords    Text
	Notice      Text // shown after submission (Open311 service_notice)
	Group       string
	Category    string    // incident category the report opens
	Domain      string    // domain of the indicator catalog, e.g. "gas"
	EventCode   EventCode // zero when no standard code is known
	Agency      string    // department responsible (Open311 agency_responsible)
	Expected    time.Duration
	Attributes  []Attribute // in Order
}

// HasMetadata reports whether the service has a definition worth fetching
// (Open311 "metadata").
func (s ServiceType) HasMetadata() bool { return len(s.Attributes) > 0 }

// Catalog is the set of services citizens can report against. It is
// immutable after loading and safe for concurrent use.
type Catalog struct {
	Version  string
	services []ServiceType
	byCode   map[string]int
}

// DefaultCatalog returns the catalog shipped with the platform
// (services.yaml in this package).
func DefaultCatalog() (*Catalog, error) {
	return LoadCatalog("citizen/services.yaml", defaultCatalogYAML)
}

// Services returns every service in catalog order.
func (c *Catalog) Services() []ServiceType { return slices.Clone(c.services) }

// Service returns the service with the code.
func (c *Catalog) Service(code string) (ServiceType, bool) {
	i, ok := c.byCode[code]
	if !ok {
		return ServiceType{}, false
	}
	return c.services[i], true
}

// Codes lists the service codes in catalog order.
func (c *Catalog) Codes() []string {
	codes := make([]string, len(c.services))
	for i, s := range c.services {
		codes[i] = s.Code
	}
	return codes
}

type rawCatalog struct {
	Version  string       `yaml:"version"`
	Services []rawService `yaml:"services"`
}

type rawService struct {
	Code          string         `yaml:"code"`
	NameZH        string         `yaml:"name_zh"`
	NameEN        string         `yaml:"name_en"`
	DescriptionZH string         `yaml:"description_zh"`
	DescriptionEN string         `yaml:"description_en"`
	KeywordsZH    string         `yaml:"keywords_zh"`
	KeywordsEN    string         `yaml:"keywords_en"`
	NoticeZH      string         `yaml:"notice_zh"`
	NoticeEN      string         `yaml:"notice_en"`
	Group         string         `yaml:"group"`
	Category      string         `yaml:"category"`
	Domain        string         `yaml:"domain"`
	EventCode     *EventCode     `yaml:"event_code"`
	Agency        string         `yaml:"agency"`
	Expected      string         `yaml:"expected"`
	Attributes    []rawAttribute `yaml:"attributes"`
}

type rawAttribute struct {
	Code                string     `yaml:"code"`
	Variable            *bool      `yaml:"variable"`
	Datatype            string     `yaml:"datatype"`
	Required            bool       `yaml:"required"`
	Order               int        `yaml:"order"`
	DescriptionZH       string     `yaml:"description_zh"`
	DescriptionEN       string     `yaml:"description_en"`
	DatatypeDescription string     `yaml:"datatype_description"`
	Values              []rawValue `yaml:"values"`
	Min                 *float64   `yaml:"min"`
	Max                 *float64   `yaml:"max"`
}

type rawValue struct {
	Key    string `yaml:"key"`
	NameZH string `yaml:"name_zh"`
	NameEN string `yaml:"name_en"`
}

var (
	serviceCodePattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	attributeCodePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)
)

// LoadCatalog parses and checks a catalog document; name is used in
// errors. It returns EINVALID listing every problem found, each naming the
// service and attribute it is about.
func LoadCatalog(name string, data []byte) (*Catalog, error) {
	var raw rawCatalog
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // a misspelt field is an error, not a silent default
	if err := dec.Decode(&raw); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, model.Errorf(model.EINVALID, "%s: empty catalog", name)
		}
		return nil, model.Errorf(model.EINVALID, "%s: %v", name, err)
	}
	var problems []string
	fail := func(where, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s: %s: %s", name, where, fmt.Sprintf(format, args...)))
	}
	if raw.Version == "" {
		fail("version", "missing")
	}
	if len(raw.Services) == 0 {
		fail("services", "the catalog lists no service")
	}
	c := &Catalog{Version: raw.Version, byCode: make(map[string]int, len(raw.Services))}
	for i, rs := range raw.Services {
		where := fmt.Sprintf("services[%d]", i)
		if rs.Code != "" {
			where = "service " + rs.Code
		}
		s := compileService(rs, func(format string, args ...any) { fail(where, format, args...) })
		if _, dup := c.byCode[s.Code]; dup {
			fail(where, "code is used twice")
			continue
		}
		c.byCode[s.Code] = len(c.services)
		c.services = append(c.services, s)
	}
	if len(problems) > 0 {
		return nil, model.Errorf(model.EINVALID, "%s", strings.Join(problems, "; "))
	}
	return c, nil
}

func compileService(rs rawService, fail func(format string, args ...any)) ServiceType {
	s := ServiceType{
		Code:        rs.Code,
		Name:        Text{ZH: rs.NameZH, EN: rs.NameEN},
		Description: Text{ZH: rs.DescriptionZH, EN: rs.DescriptionEN},
		Keywords:    Text{ZH: rs.KeywordsZH, EN: rs.KeywordsEN},
		Notice:      Text{ZH: rs.NoticeZH, EN: rs.NoticeEN},
		Group:       rs.Group, Category: rs.Category, Domain: rs.Domain, Agency: rs.Agency,
	}
	if !serviceCodePattern.MatchString(rs.Code) {
		fail("code %q must be 1-64 lower-case letters, digits, _ or -, starting with a letter or digit", rs.Code)
	}
	if rs.NameZH == "" || rs.NameEN == "" {
		fail("name_zh and name_en are both required")
	}
	for field, v := range map[string]string{"group": rs.Group, "category": rs.Category, "domain": rs.Domain} {
		if v == "" {
			fail("%s is required", field)
		}
	}
	if rs.EventCode != nil {
		s.EventCode = *rs.EventCode
		if s.EventCode.Standard == "" || s.EventCode.Code == "" {
			fail("event_code needs both standard and code")
		}
	}
	if rs.Expected != "" {
		d, err := time.ParseDuration(rs.Expected)
		if err != nil || d <= 0 {
			fail("expected %q is not a positive duration such as 6h", rs.Expected)
		}
		s.Expected = d
	}
	s.Attributes = compileAttributes(rs.Attributes, fail)
	return s
}

func compileAttributes(raws []rawAttribute, fail func(format string, args ...any)) []Attribute {
	seenCode, seenOrder := map[string]bool{}, map[int]bool{}
	attrs := make([]Attribute, 0, len(raws))
	for _, ra := range raws {
		a := compileAttribute(ra, func(format string, args ...any) {
			fail("attribute %s: %s", ra.Code, fmt.Sprintf(format, args...))
		})
		if seenCode[a.Code] {
			fail("attribute %s: code is used twice", a.Code)
		}
		if seenOrder[a.Order] {
			fail("attribute %s: order %d is used twice", a.Code, a.Order)
		}
		seenCode[a.Code], seenOrder[a.Order] = true, true
		attrs = append(attrs, a)
	}
	slices.SortFunc(attrs, func(a, b Attribute) int { return a.Order - b.Order })
	return attrs
}

func compileAttribute(ra rawAttribute, fail func(format string, args ...any)) Attribute {
	a := Attribute{
		Code: ra.Code, Variable: ra.Variable == nil || *ra.Variable, Datatype: Datatype(ra.Datatype),
		Required: ra.Required, Order: ra.Order,
		Description:         Text{ZH: ra.DescriptionZH, EN: ra.DescriptionEN},
		DatatypeDescription: ra.DatatypeDescription, Min: ra.Min, Max: ra.Max,
	}
	if !attributeCodePattern.MatchString(ra.Code) {
		fail("code must be 1-64 letters, digits, _ or -")
	}
	if ra.Order <= 0 {
		fail("order must be a positive integer")
	}
	if a.Description.ZH == "" && a.Description.EN == "" {
		fail("a description is required")
	}
	if a.Required && !a.Variable {
		fail("an informational attribute (variable: false) cannot be required")
	}
	switch a.Datatype {
	case DatatypeString, DatatypeNumber, DatatypeDatetime, DatatypeText:
		if len(ra.Values) > 0 {
			fail("values are only for singlevaluelist and multivaluelist")
		}
	case DatatypeSingleValueList, DatatypeMultiValueList:
		a.Values = compileValues(ra.Values, fail)
	default:
		fail("datatype %q is not one of string, number, datetime, text, singlevaluelist, multivaluelist", ra.Datatype)
	}
	if (a.Min != nil || a.Max != nil) && a.Datatype != DatatypeNumber {
		fail("min and max are only for numbers")
	}
	if a.Min != nil && a.Max != nil && *a.Min > *a.Max {
		fail("min %v is above max %v", *a.Min, *a.Max)
	}
	return a
}

func compileValues(raws []rawValue, fail func(format string, args ...any)) []Value {
	if len(raws) == 0 {
		fail("a list attribute needs values")
	}
	seen := map[string]bool{}
	values := make([]Value, 0, len(raws))
	for _, rv := range raws {
		switch {
		case rv.Key == "":
			fail("a value has no key")
		case seen[rv.Key]:
			fail("value key %q is used twice", rv.Key)
		case rv.NameZH == "" && rv.NameEN == "":
			fail("value %q has no name", rv.Key)
		}
		seen[rv.Key] = true
		values = append(values, Value{Key: rv.Key, Name: Text{ZH: rv.NameZH, EN: rv.NameEN}})
	}
	return values
}
