package asset

import (
	"cmp"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"cityvitals/model"
)

// Options tune an import. The zero value imports WGS84 input with the
// default type catalog and field names, and leaves Asset.Unit empty.
type Options struct {
	// Types is the type catalog rows are checked against; nil means
	// DefaultTypes().
	Types *TypeCatalog
	// Type, when set, is the type of every item; the type field is ignored.
	Type model.AssetType
	// Fields names the input fields that hold the standard attributes.
	Fields Fields
	// IDPrefix is prepended to every id, e.g. "osm:" to keep ids from
	// different sources apart.
	IDPrefix string
	// ToWGS84 converts input coordinates to WGS84, e.g. a GCJ-02 to WGS84
	// transform for data from Chinese web maps; nil means the input is WGS84.
	ToWGS84 func(lon, lat float64) (float64, float64)
	// Resolve returns the code of the deepest spatial unit holding a WGS84
	// point; nil leaves Asset.Unit empty. It must be safe to call from the
	// importing goroutine; the importers call it sequentially.
	Resolve func(lon, lat float64) (code string, ok bool)
	// UpdatedAt is stamped on every asset (importers do not read the clock).
	UpdatedAt time.Time
}

// Fields names the input property (GeoJSON) or column (CSV) holding each
// standard attribute. Empty fields take the defaults in parentheses.
// Every other property or column becomes an entry of Asset.Attrs.
type Fields struct {
	ID     string // ("id"); GeoJSON falls back to the feature id, then "@id"
	Type   string // ("type") a type id or a GB/T 30428.2 component code
	NameZH string // ("name_zh"); GeoJSON and OSM fall back to "name"
	NameEN string // ("name_en")
	Dept   string // ("dept") owner department; defaults to the type's
	Status string // ("status") see ParseStatus
	Lon    string // ("lon") CSV only
	Lat    string // ("lat") CSV only
	WKT    string // ("wkt") CSV only: a WKT geometry instead of lon/lat
}

func (f Fields) withDefaults() Fields {
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&f.ID, "id")
	def(&f.Type, "type")
	def(&f.NameZH, "name_zh")
	def(&f.NameEN, "name_en")
	def(&f.Dept, "dept")
	def(&f.Status, "status")
	def(&f.Lon, "lon")
	def(&f.Lat, "lat")
	def(&f.WKT, "wkt")
	return f
}

// RowError says why one row or feature was not imported.
type RowError struct {
	Index  int    `json:"index"`          // 0-based position among features, data rows or OSM elements
	Line   int    `json:"line,omitempty"` // 1-based input line where known (CSV, OSM)
	ID     string `json:"id,omitempty"`   // the item's id, when it has one
	Field  string `json:"field"`          // the field at fault: id, type, geometry, lon, …
	Reason string `json:"reason"`
}

func (e RowError) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d", e.Line)
	} else {
		fmt.Fprintf(&b, "item %d", e.Index)
	}
	if e.ID != "" {
		fmt.Fprintf(&b, " (id %q)", e.ID)
	}
	fmt.Fprintf(&b, ": field %s: %s", e.Field, e.Reason)
	return b.String()
}

// Limits on one item, so that hostile input cannot make one asset huge.
const (
	maxIDLen       = 256
	maxTextLen     = 1024 // names, dept, status, attribute keys
	maxAttrLen     = 8192 // one attribute value
	maxAttrs       = 256
	maxGeomPoints  = 1 << 20
	ctxCheckPeriod = 1024 // items between context checks
)

// rawItem is one input item before checking, in any source format.
type rawItem struct {
	id, typ, nameZH, nameEN, dept, status string
	attrs                                 map[string]string
	geom                                  orb.Geometry
}

// fieldErr is a problem with one field of one item.
type fieldErr struct{ field, reason string }

// builder turns raw items into assets with the options of one import and
// remembers ids seen, to report duplicates.
type builder struct {
	opts  Options
	types *TypeCatalog
	seen  map[string]int // id → index of the first item with it
}

func newBuilder(opts Options) *builder {
	opts.Fields = opts.Fields.withDefaults()
	types := opts.Types
	if types == nil {
		types = DefaultTypes()
	}
	return &builder{opts: opts, types: types, seen: make(map[string]int)}
}

// build checks raw and returns the asset, or the field at fault.
func (b *builder) build(index int, raw rawItem) (model.Asset, *fieldErr) {
	id := b.opts.IDPrefix + strings.TrimSpace(raw.id)
	if fe := checkText(raw); fe != nil {
		return model.Asset{}, fe
	}
	switch {
	case id == b.opts.IDPrefix:
		return model.Asset{}, &fieldErr{"id", "missing"}
	case len(id) > maxIDLen:
		return model.Asset{}, &fieldErr{"id", fmt.Sprintf("longer than %d bytes", maxIDLen)}
	}
	if first, dup := b.seen[id]; dup {
		return model.Asset{}, &fieldErr{"id", fmt.Sprintf("duplicate of item %d", first)}
	}
	a := model.Asset{ID: id, NameZH: raw.nameZH, NameEN: raw.nameEN, Attrs: raw.attrs, UpdatedAt: b.opts.UpdatedAt}
	typ, sub, fe := b.resolveType(raw.typ)
	if fe != nil {
		return model.Asset{}, fe
	}
	a.Type = typ.ID
	a.Dept = cmp.Or(strings.TrimSpace(raw.dept), typ.Dept)
	if sub != nil {
		a.Dept = cmp.Or(strings.TrimSpace(raw.dept), sub.Dept, typ.Dept)
		a.Attrs = withAttr(a.Attrs, "code", sub.Code)
	}
	status, ok := ParseStatus(raw.status)
	if !ok {
		return model.Asset{}, &fieldErr{"status", fmt.Sprintf("unknown status %q", raw.status)}
	}
	a.Status = status
	if fe := b.placeGeometry(&a, typ, raw.geom); fe != nil {
		return model.Asset{}, fe
	}
	b.seen[id] = index
	return a, nil
}

// resolveType returns the type named by the item's type field (or by
// Options.Type), and the subkind when the field held a subkind code.
func (b *builder) resolveType(field string) (Type, *Subkind, *fieldErr) {
	name := field
	if b.opts.Type != "" {
		name = string(b.opts.Type)
	}
	if strings.TrimSpace(name) == "" {
		return Type{}, nil, &fieldErr{"type", "missing"}
	}
	typ, sub, ok := b.types.Resolve(name)
	if !ok {
		return Type{}, nil, &fieldErr{"type", fmt.Sprintf("unknown asset type %q", truncate(name, 64))}
	}
	return typ, sub, nil
}

// withAttr sets attrs[k] = v, allocating the map when needed.
func withAttr(attrs map[string]string, k, v string) map[string]string {
	if attrs == nil {
		attrs = make(map[string]string, 1)
	}
	attrs[k] = v
	return attrs
}

// placeGeometry checks g, converts it to WGS84 and resolves the unit.
func (b *builder) placeGeometry(a *model.Asset, typ Type, g orb.Geometry) *fieldErr {
	if g == nil {
		return &fieldErr{"geometry", "missing"}
	}
	kind, err := geometryKind(g)
	if err != nil {
		return &fieldErr{"geometry", err.Error()}
	}
	if !typ.accepts(kind) {
		return &fieldErr{"geometry", fmt.Sprintf("%s expects a %s (or a point), got a %s", typ.ID, typ.Geometry, kind)}
	}
	if err := checkCoordinates(g); err != nil {
		return &fieldErr{"geometry", err.Error()}
	}
	if b.opts.ToWGS84 != nil {
		g = transform(g, b.opts.ToWGS84)
		if err := checkCoordinates(g); err != nil {
			return &fieldErr{"geometry", "after conversion to WGS84: " + err.Error()}
		}
	}
	a.Geometry = g
	if b.opts.Resolve != nil {
		p := RepresentativePoint(g)
		if code, ok := b.opts.Resolve(p.Lon(), p.Lat()); ok {
			a.Unit = code
		}
	}
	return nil
}

// checkText rejects oversized or non-UTF-8 strings.
func checkText(raw rawItem) *fieldErr {
	for _, f := range []struct{ name, v string }{
		{"type", raw.typ}, {"name_zh", raw.nameZH}, {"name_en", raw.nameEN},
		{"dept", raw.dept}, {"status", raw.status},
	} {
		if len(f.v) > maxTextLen {
			return &fieldErr{f.name, fmt.Sprintf("longer than %d bytes", maxTextLen)}
		}
		if !utf8.ValidString(f.v) {
			return &fieldErr{f.name, "not valid UTF-8"}
		}
	}
	if !utf8.ValidString(raw.id) {
		return &fieldErr{"id", "not valid UTF-8"}
	}
	if len(raw.attrs) > maxAttrs {
		return &fieldErr{"attrs", fmt.Sprintf("more than %d attributes", maxAttrs)}
	}
	for k, v := range raw.attrs {
		if len(k) > maxTextLen || len(v) > maxAttrLen || !utf8.ValidString(k) || !utf8.ValidString(v) {
			return &fieldErr{"attrs", fmt.Sprintf("attribute %q too long (name over %d or value over %d bytes) or not valid UTF-8",
				truncate(k, 64), maxTextLen, maxAttrLen)}
		}
	}
	return nil
}

// Status codes of a component (部件状态).
const (
	StatusIntact    = "intact"    // 完好
	StatusDamaged   = "damaged"   // 破损
	StatusLost      = "lost"      // 丢失
	StatusAbandoned = "abandoned" // 废弃
	StatusRemoved   = "removed"   // 移除
)

// ParseStatus maps a status as inventories write it (the code, its Chinese
// name, any case) to its code. Empty input is a valid unknown status "".
func ParseStatus(s string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return "", true
	case StatusIntact, "完好", "normal", "ok":
		return StatusIntact, true
	case StatusDamaged, "破损", "broken":
		return StatusDamaged, true
	case StatusLost, "丢失", "missing":
		return StatusLost, true
	case StatusAbandoned, "废弃":
		return StatusAbandoned, true
	case StatusRemoved, "移除":
		return StatusRemoved, true
	}
	return "", false
}

// truncate shortens s for quoting in an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
