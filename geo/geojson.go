package geo

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"cityvitals/model"
)

// ImportOptions say how to read one level of the unit tree from GeoJSON.
// Zero values take the defaults that fit the DataV/Amap district files
// (properties "adcode", "name", "parent": {"adcode": ...}).
type ImportOptions struct {
	Level model.UnitLevel // level of every imported unit; required
	CRS   CRS             // CRS of the input; "" means WGS84 (RFC 7946)

	// Property names. A name with dots ("parent.adcode") is a path into
	// nested objects unless a property with the literal name exists.
	CodeProp   string // default "adcode"; a string or an integral number
	NameZHProp string // default "name"
	NameENProp string // default "name_en"
	ParentProp string // default "parent.adcode"

	// Parents, if set, resolves the parent of a feature that has no parent
	// property: the deepest unit above Level containing the feature's
	// interior point. Without it such features become roots.
	Parents *Index
}

// Defaults for ImportOptions.
const (
	DefaultCodeProp   = "adcode"
	DefaultNameZHProp = "name"
	DefaultNameENProp = "name_en"
	DefaultParentProp = "parent.adcode"
)

// Limits on imported text, so hostile input cannot smuggle megabyte names
// or control characters into the unit tree.
const (
	maxCodeLen = 64
	maxNameLen = 200
)

// maxReportedProblems bounds the per-feature errors joined into one error.
const maxReportedProblems = 50

// UnitsFromGeoJSON reads a FeatureCollection of Polygon and MultiPolygon
// features into units of opts.Level, converting coordinates to WGS84.
//
// One bad feature does not lose the good ones: the valid units are
// returned together with an error joining one EINVALID *model.Error per
// rejected feature, each naming the feature index and the property or
// geometry at fault (missing or duplicate code, non-polygon or empty
// geometry, coordinates out of range, parent not found). If the input as a
// whole is unusable (not JSON, not a FeatureCollection, bad options) the
// units are nil and the error is a single EINVALID.
func UnitsFromGeoJSON(data []byte, opts ImportOptions) ([]model.Unit, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	features, err := splitFeatureCollection(data)
	if err != nil {
		return nil, err
	}
	var (
		units    []model.Unit
		problems []error
		seen     = make(map[string]int, len(features))
	)
	for i, raw := range features {
		u, err := opts.unitFromFeature(i, raw)
		if err == nil {
			err = checkUnique(seen, i, u.Code)
		}
		if err != nil {
			problems = append(problems, err)
			continue
		}
		units = append(units, u)
	}
	return units, joinProblems(problems)
}

func (o ImportOptions) withDefaults() (ImportOptions, error) {
	if o.Level.Depth() < 0 {
		return o, model.Errorf(model.EINVALID, "import options: unknown level %q", o.Level)
	}
	if o.CRS == "" {
		o.CRS = CRSWGS84
	}
	if _, err := ParseCRS(string(o.CRS)); err != nil {
		return o, fmt.Errorf("import options: %w", err)
	}
	o.CodeProp = cmpOr(o.CodeProp, DefaultCodeProp)
	o.NameZHProp = cmpOr(o.NameZHProp, DefaultNameZHProp)
	o.NameENProp = cmpOr(o.NameENProp, DefaultNameENProp)
	o.ParentProp = cmpOr(o.ParentProp, DefaultParentProp)
	return o, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// splitFeatureCollection checks the outer object and returns each feature
// undecoded, so that a bad feature is reported by index rather than
// failing the whole document.
func splitFeatureCollection(data []byte) ([]json.RawMessage, error) {
	var fc struct {
		Type     string            `json:"type"`
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(data, &fc); err != nil {
		return nil, model.Errorf(model.EINVALID, "GeoJSON: %s", describeJSONError(err))
	}
	if fc.Type != "FeatureCollection" {
		return nil, model.Errorf(model.EINVALID, "GeoJSON: type is %q, want \"FeatureCollection\"", shorten(fc.Type))
	}
	return fc.Features, nil
}

// describeJSONError shortens decoder errors to what helps the sender.
func describeJSONError(err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("malformed JSON at byte %d: %s", syn.Offset, syn)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Sprintf("field %q has JSON type %s, want %s", typ.Field, typ.Value, typ.Type)
	}
	return err.Error()
}

// unitFromFeature decodes and validates feature i.
func (o ImportOptions) unitFromFeature(i int, raw json.RawMessage) (model.Unit, error) {
	f, err := geojson.UnmarshalFeature(raw)
	if err != nil {
		return model.Unit{}, model.Errorf(model.EINVALID, "feature %d: %s", i, describeJSONError(err))
	}
	u := model.Unit{Level: o.Level}
	if u.Code, err = o.code(i, f.Properties); err != nil {
		return model.Unit{}, err
	}
	if err := checkPositions(raw); err != nil {
		return model.Unit{}, model.Errorf(model.EINVALID, "feature %d (code %s): geometry: %s", i, u.Code, err)
	}
	if u.Geometry, err = o.geometry(f.Geometry); err != nil {
		return model.Unit{}, model.Errorf(model.EINVALID, "feature %d (code %s): geometry: %s", i, u.Code, err)
	}
	if u.NameZH, err = textProp(f.Properties, o.NameZHProp); err != nil {
		return model.Unit{}, featureErr(i, u.Code, o.NameZHProp, err)
	}
	if u.NameEN, err = textProp(f.Properties, o.NameENProp); err != nil {
		return model.Unit{}, featureErr(i, u.Code, o.NameENProp, err)
	}
	if u.Parent, err = o.parent(i, u, f.Properties); err != nil {
		return model.Unit{}, err
	}
	return u, nil
}

func featureErr(i int, code, prop string, err error) error {
	return model.Errorf(model.EINVALID, "feature %d (code %s): property %q: %s", i, code, prop, err)
}

func (o ImportOptions) code(i int, props geojson.Properties) (string, error) {
	v, found := lookupProp(props, o.CodeProp)
	if !found || v == nil {
		return "", model.Errorf(model.EINVALID, "feature %d: missing code property %q", i, o.CodeProp)
	}
	code, err := codeValue(v)
	if err != nil {
		return "", model.Errorf(model.EINVALID, "feature %d: property %q: %s", i, o.CodeProp, err)
	}
	return code, nil
}

// parent returns the parent code from the parent property, or else by
// containment of the unit's interior point in o.Parents.
func (o ImportOptions) parent(i int, u model.Unit, props geojson.Properties) (string, error) {
	if v, found := lookupProp(props, o.ParentProp); found && v != nil {
		code, err := codeValue(v)
		if err != nil {
			return "", featureErr(i, u.Code, o.ParentProp, err)
		}
		return code, nil
	}
	if o.Parents == nil {
		return "", nil
	}
	p, ok := InteriorPoint(u.Geometry)
	if !ok {
		return "", model.Errorf(model.EINVALID, "feature %d (code %s): geometry has no interior point", i, u.Code)
	}
	code, ok := o.Parents.LocateParent(p[0], p[1], o.Level)
	if !ok {
		return "", model.Errorf(model.EINVALID,
			"feature %d (code %s): no %q property and no parent unit contains its interior point (%.6f, %.6f)",
			i, u.Code, o.ParentProp, p[0], p[1])
	}
	return code, nil
}

// geometry validates g in the input CRS and returns it in WGS84.
func (o ImportOptions) geometry(g orb.Geometry) (orb.MultiPolygon, error) {
	var mp orb.MultiPolygon
	switch g := g.(type) {
	case nil:
		return nil, errors.New("missing")
	case orb.Polygon:
		mp = orb.MultiPolygon{g}
	case orb.MultiPolygon:
		mp = g
	default:
		return nil, fmt.Errorf("type %s, want Polygon or MultiPolygon", g.GeoJSONType())
	}
	mp = closeRings(mp)
	if err := checkMultiPolygon(mp); err != nil {
		return nil, err
	}
	if len(mp) == 0 {
		return nil, errors.New("empty")
	}
	if _, ok := InteriorPoint(mp); !ok {
		return nil, errors.New("encloses no area (degenerate or self-cancelling rings)")
	}
	if err := multiPolygonToWGS84(o.CRS, mp); err != nil {
		return nil, err
	}
	return mp, nil
}

// checkPositions rejects positions with fewer than two numbers, which the
// orb decoder silently pads with zeros ([] becomes 0, 0: a unit at null
// island). Only Polygon and MultiPolygon are checked; other types are
// rejected by type afterwards.
func checkPositions(rawFeature json.RawMessage) error {
	var f struct {
		Geometry *struct {
			Type        string          `json:"type"`
			Coordinates json.RawMessage `json:"coordinates"`
		} `json:"geometry"`
	}
	if err := json.Unmarshal(rawFeature, &f); err != nil || f.Geometry == nil {
		return nil // the orb decoder has reported or will report it
	}
	var polys [][][][]float64
	var err error
	switch f.Geometry.Type {
	case "Polygon":
		polys = make([][][][]float64, 1)
		err = json.Unmarshal(f.Geometry.Coordinates, &polys[0])
	case "MultiPolygon":
		err = json.Unmarshal(f.Geometry.Coordinates, &polys)
	default:
		return nil
	}
	if err != nil {
		return fmt.Errorf("coordinates: %s", describeJSONError(err))
	}
	for pi, poly := range polys {
		for ri, ring := range poly {
			for vi, pos := range ring {
				if len(pos) < 2 {
					return fmt.Errorf("polygon %d ring %d position %d has %d numbers, want longitude and latitude", pi, ri, vi, len(pos))
				}
			}
		}
	}
	return nil
}

// closeRings appends the first position to every ring that does not end
// with it: RFC 7946 requires closed rings, but open ones are common.
func closeRings(mp orb.MultiPolygon) orb.MultiPolygon {
	for _, poly := range mp {
		for r, ring := range poly {
			if n := len(ring); n > 0 && ring[0] != ring[n-1] {
				poly[r] = append(ring, ring[0])
			}
		}
	}
	return mp
}

// checkMultiPolygon rejects empty polygons, rings with fewer than three
// distinct positions and coordinates outside the longitude/latitude range
// (NaN included). A nil mp is valid: a unit may have no geometry.
func checkMultiPolygon(mp orb.MultiPolygon) error {
	for pi, poly := range mp {
		if len(poly) == 0 {
			return fmt.Errorf("polygon %d is empty", pi)
		}
		for ri, ring := range poly {
			if len(ring) < 4 {
				return fmt.Errorf("polygon %d ring %d has %d positions, want at least 4 (closed)", pi, ri, len(ring))
			}
			for vi, p := range ring {
				if !validLonLat(p) {
					return fmt.Errorf("polygon %d ring %d position %d (%g, %g) is outside longitude [-180, 180], latitude [-90, 90]",
						pi, ri, vi, p[0], p[1])
				}
			}
		}
	}
	return nil
}

// validLonLat is written so that NaN fails every comparison and is rejected.
func validLonLat(p orb.Point) bool {
	return p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90
}

func checkUnique(seen map[string]int, i int, code string) error {
	if first, dup := seen[code]; dup {
		return model.Errorf(model.EINVALID, "feature %d: duplicate code %s (first used by feature %d)", i, code, first)
	}
	seen[code] = i
	return nil
}

// lookupProp finds a property by its literal name, else by a dotted path
// through nested objects.
func lookupProp(props geojson.Properties, name string) (any, bool) {
	if v, ok := props[name]; ok {
		return v, true
	}
	var cur any = map[string]any(props)
	for part := range strings.SplitSeq(name, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// codeValue accepts a code as a string or an integral JSON number (DataV
// writes adcodes as numbers; float64 holds the 12-digit statistics codes
// exactly).
func codeValue(v any) (string, error) {
	var code string
	switch v := v.(type) {
	case string:
		code = strings.TrimSpace(v)
	case float64:
		if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
			return "", fmt.Errorf("number %g is not an integral code", v)
		}
		code = strconv.FormatFloat(v, 'f', -1, 64)
	default:
		return "", fmt.Errorf("has JSON type %s, want string or integer", jsonTypeName(v))
	}
	if err := checkText(code, maxCodeLen); err != nil {
		return "", err
	}
	if code == "" {
		return "", errors.New("is empty")
	}
	if strings.ContainsFunc(code, unicode.IsSpace) {
		return "", fmt.Errorf("code %q contains white space", code)
	}
	return code, nil
}

// textProp returns an optional text property; absent or null is "".
func textProp(props geojson.Properties, name string) (string, error) {
	v, found := lookupProp(props, name)
	if !found || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("has JSON type %s, want string", jsonTypeName(v))
	}
	s = strings.TrimSpace(s)
	return s, checkText(s, maxNameLen)
}

func checkText(s string, maxRunes int) error {
	if !utf8.ValidString(s) {
		return errors.New("is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > maxRunes {
		return fmt.Errorf("is %d characters long, limit %d", n, maxRunes)
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		return fmt.Errorf("%q contains control characters", shorten(s))
	}
	return nil
}

func jsonTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// shorten shortens s for an error message.
func shorten(s string) string {
	const limit = 40
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	return string([]rune(s)[:limit]) + "…"
}

// joinProblems joins per-feature errors, listing at most
// maxReportedProblems of them.
func joinProblems(problems []error) error {
	if len(problems) > maxReportedProblems {
		more := len(problems) - maxReportedProblems
		problems = append(problems[:maxReportedProblems:maxReportedProblems],
			model.Errorf(model.EINVALID, "and %d more rejected features", more))
	}
	return errors.Join(problems...)
}
