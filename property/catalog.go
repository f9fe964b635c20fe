package property

import (
	_ "embed"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"sync"

	"cityvitals/model"
)

//go:embed catalog.yaml
var defaultYAML []byte

// Catalog is a validated, immutable set of properties, safe for concurrent
// use.
type Catalog struct {
	byID  map[string]Property
	order []string // ids in file order, for listing
}

// Default returns the catalog embedded in the binary. It panics if the
// embedded file is invalid, which the package tests rule out.
func Default() *Catalog { return defaultCatalog() }

var defaultCatalog = sync.OnceValue(func() *Catalog {
	c, err := Parse("catalog.yaml", defaultYAML)
	if err != nil {
		panic(fmt.Sprintf("property: embedded catalog: %v", err))
	}
	return c
})

// LoadFile reads and validates a catalog file. Problems in the file come
// back as EINVALID errors naming the file, line and field.
func LoadFile(path string) (*Catalog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read property catalog: %w", err)
	}
	return Parse(path, data)
}

// New builds a catalog from properties already in memory, checking them as
// Parse does (without line numbers).
func New(props []Property) (*Catalog, error) {
	c := &Catalog{byID: make(map[string]Property, len(props))}
	for i, p := range props {
		if err := c.add(p); err != nil {
			return nil, fmt.Errorf("property %d: %w", i, err)
		}
	}
	return c, nil
}

// add checks p and adds it; the returned *model.Error names the field.
func (c *Catalog) add(p Property) error {
	if _, dup := c.byID[p.ID]; dup {
		return model.Errorf(model.EINVALID, "property %q: field id: duplicate", p.ID)
	}
	if err := check(p); err != nil {
		return err
	}
	p.States = slices.Clone(p.States)
	c.byID[p.ID] = p
	c.order = append(c.order, p.ID)
	return nil
}

// fieldError is a problem with one field of one catalog entry.
type fieldError struct {
	field  string
	reason string
}

// check validates one property on its own.
func check(p Property) error {
	if fe := checkFields(p); fe != nil {
		return model.Errorf(model.EINVALID, "property %q: field %s: %s", p.ID, fe.field, fe.reason)
	}
	return nil
}

func checkFields(p Property) *fieldError {
	switch {
	case p.ID == "":
		return &fieldError{"id", "missing"}
	case p.NameZH == "":
		return &fieldError{"name_zh", "missing"}
	case p.NameEN == "":
		return &fieldError{"name_en", "missing"}
	case p.UoM == "":
		return &fieldError{"uom", "missing"}
	case !p.Domain.Known():
		return &fieldError{"domain", fmt.Sprintf("unknown domain %q", p.Domain)}
	case p.Kind != KindQuantity && p.Kind != KindState && p.Kind != KindCode:
		return &fieldError{"kind", fmt.Sprintf("must be %s, %s or %s, not %q", KindQuantity, KindState, KindCode, p.Kind)}
	case math.IsNaN(p.Min) || math.IsInf(p.Min, 0):
		return &fieldError{"min", "must be a finite number"}
	case math.IsNaN(p.Max) || math.IsInf(p.Max, 0):
		return &fieldError{"max", "must be a finite number"}
	case p.Min >= p.Max:
		return &fieldError{"max", fmt.Sprintf("must be greater than min (%v), got %v", p.Min, p.Max)}
	case p.DefaultInterval <= 0:
		return &fieldError{"default_interval", "must be a positive duration such as 1m"}
	case p.Kind == KindState && len(p.States) == 0:
		return &fieldError{"states", "a state property needs at least one state"}
	case p.Kind != KindState && len(p.States) > 0:
		return &fieldError{"states", "only state properties have states"}
	}
	return checkStates(p)
}

func checkStates(p Property) *fieldError {
	seen := make(map[int]bool, len(p.States))
	for _, s := range p.States {
		if seen[s.Code] {
			return &fieldError{"states", fmt.Sprintf("code %d listed twice", s.Code)}
		}
		seen[s.Code] = true
		if float64(s.Code) < p.Min || float64(s.Code) > p.Max {
			return &fieldError{"states", fmt.Sprintf("code %d outside min..max", s.Code)}
		}
	}
	return nil
}

// Lookup returns the property with the id.
func (c *Catalog) Lookup(id string) (Property, bool) {
	p, ok := c.byID[id]
	if ok {
		p.States = slices.Clone(p.States)
	}
	return p, ok
}

// List returns every property in catalog order.
func (c *Catalog) List() []Property {
	out := make([]Property, 0, len(c.order))
	for _, id := range c.order {
		p, _ := c.Lookup(id)
		out = append(out, p)
	}
	return out
}

// Len returns the number of properties.
func (c *Catalog) Len() int { return len(c.order) }

// Validate checks that value, measured in uom, is a plausible reading of
// property id and returns it in the property's canonical unit. An empty uom
// means the canonical unit. Every failure is an EINVALID *model.Error
// naming the property and the field at fault (property, uom or value).
func (c *Catalog) Validate(id, uom string, value float64) (float64, error) {
	p, ok := c.byID[id]
	if !ok {
		return 0, model.Errorf(model.EINVALID, "property %q: unknown observed property", id)
	}
	v, err := p.toCanonical(uom, value)
	if err != nil {
		return 0, err
	}
	return v, p.checkValue(v)
}

// toCanonical converts value from uom to p.UoM.
func (p Property) toCanonical(uom string, value float64) (float64, error) {
	if uom == "" || foldUoM(uom) == foldUoM(p.UoM) {
		return value, nil
	}
	from, okFrom := defaultUnits.lookup(uom)
	to, okTo := defaultUnits.lookup(p.UoM)
	if !okFrom || !okTo || from.dimension != to.dimension {
		return 0, model.Errorf(model.EINVALID, "property %q: uom %q cannot be converted to %q", p.ID, uom, p.UoM)
	}
	return convert(value, from, to), nil
}

// checkValue rejects values that no working sensor of p could report.
func (p Property) checkValue(v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return model.Errorf(model.EINVALID, "property %q: value %v is not a finite number", p.ID, v)
	}
	if v < p.Min || v > p.Max {
		return model.Errorf(model.EINVALID, "property %q: value %s %s outside plausible range [%s, %s]",
			p.ID, formatFloat(v), p.UoM, formatFloat(p.Min), formatFloat(p.Max))
	}
	if p.Kind == KindQuantity {
		return nil
	}
	if v != math.Trunc(v) {
		return model.Errorf(model.EINVALID, "property %q: value %s is not a whole-number code", p.ID, formatFloat(v))
	}
	if p.Kind == KindState {
		if _, ok := p.State(int(v)); !ok {
			return model.Errorf(model.EINVALID, "property %q: value %d is not a known state", p.ID, int(v))
		}
	}
	return nil
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
