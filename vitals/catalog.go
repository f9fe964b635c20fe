package vitals

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"cityvitals/asset"
	"cityvitals/indicator"
	"cityvitals/property"
)

// Auditor appends to the audit log.
type Auditor interface {
	Record(ctx context.Context, actor, action, target string, detail any) error
}

// Catalogs holds the indicator catalog in force and applies changes to
// it: a change is validated against the whole catalog, handed to the
// engine (which applies it from the stated event time on) and audited. A
// refused change leaves the catalog in force untouched.
type Catalogs struct {
	mu      sync.Mutex // serialises changes
	current atomic.Pointer[indicator.Catalog]
	props   *property.Catalog
	assets  *asset.TypeCatalog
	apply   func(*indicator.Catalog)
	audit   Auditor
}

// NewCatalogs starts from initial; apply receives every new catalog.
func NewCatalogs(initial *indicator.Catalog, props *property.Catalog, assets *asset.TypeCatalog, apply func(*indicator.Catalog), audit Auditor) *Catalogs {
	c := &Catalogs{props: props, assets: assets, apply: apply, audit: audit}
	c.current.Store(initial)
	return c
}

// Current returns the catalog in force.
func (c *Catalogs) Current() *indicator.Catalog { return c.current.Load() }

// Update parses a catalog file (YAML or JSON, one domain, as in
// docs/indicators.md) and creates or replaces its indicators. Errors name
// the file, line and field; nothing changes then.
func (c *Catalogs) Update(ctx context.Context, actor, name string, data []byte) ([]string, error) {
	inds, err := indicator.Parse(name, data, c.props, c.assets)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	next, err := c.Current().With(inds...)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(inds))
	for i, ind := range inds {
		ids[i] = ind.ID
	}
	if err := c.audit.Record(ctx, actor, "indicator.put", fmt.Sprintf("%d indicators", len(ids)), map[string]any{"ids": ids}); err != nil {
		return nil, err
	}
	c.current.Store(next)
	c.apply(next)
	return ids, nil
}
