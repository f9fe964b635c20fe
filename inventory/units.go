package inventory

import (
	"context"
	"errors"
	"fmt"

	"cityvitals/asset"
	"cityvitals/geo"
	"cityvitals/model"
	"cityvitals/store"
)

// ImportResult says what a change to the unit tree did.
type ImportResult struct {
	Units          int `json:"units"`
	AssetsRehomed  int `json:"assets_rehomed"`
	StreamsRehomed int `json:"streams_rehomed"`
}

// ImportUnits inserts or replaces units, rebuilds the spatial index and
// moves every asset and datastream whose deepest unit changed. Returns
// EINVALID naming the unit and field if a unit has no code, an unknown
// level, or a parent that is missing or not above it; nothing is stored
// then.
func (s *Service) ImportUnits(ctx context.Context, actor string, units []model.Unit) (ImportResult, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if err := s.checkUnits(units); err != nil {
		return ImportResult{}, err
	}
	if err := s.stores.Units.PutUnits(ctx, units); err != nil {
		return ImportResult{}, fmt.Errorf("store units: %w", err)
	}
	if err := s.reloadTree(ctx); err != nil {
		return ImportResult{}, err
	}
	res := ImportResult{Units: len(units)}
	var err error
	if res.AssetsRehomed, err = s.rehomeAssets(ctx); err != nil {
		return res, err
	}
	if res.StreamsRehomed, err = s.rehomeStreams(ctx); err != nil {
		return res, err
	}
	s.changed()
	codes := make([]string, 0, min(len(units), 20))
	for _, u := range units[:min(len(units), 20)] {
		codes = append(codes, u.Code)
	}
	return res, s.record(ctx, actor, "unit.import", fmt.Sprintf("%d units", len(units)),
		map[string]any{"first_codes": codes, "result": res})
}

// GenerateGrid covers a unit with regular grid cells (the smallest
// spatial units) and imports them.
func (s *Service) GenerateGrid(ctx context.Context, actor, parent string, cellMetres float64, shape geo.GridShape) (ImportResult, error) {
	u, ok := s.Unit(parent)
	if !ok {
		return ImportResult{}, model.Errorf(model.ENOTFOUND, "unit %q not found", parent)
	}
	if u.Level == model.LevelGrid {
		return ImportResult{}, model.Errorf(model.EINVALID, "unit %q is already a grid cell", parent)
	}
	cells, err := geo.GenerateGrid(u, cellMetres, shape)
	if err != nil {
		return ImportResult{}, err
	}
	return s.ImportUnits(ctx, actor, cells)
}

func (s *Service) checkUnits(units []model.Unit) error {
	if len(units) == 0 {
		return model.Errorf(model.EINVALID, "no units to import")
	}
	current := s.tree.Load()
	batch := make(map[string]model.Unit, len(units))
	for _, u := range units {
		batch[u.Code] = u
	}
	levelOf := func(code string) (model.UnitLevel, bool) {
		if u, ok := batch[code]; ok {
			return u.Level, true
		}
		u, ok := current.index.Unit(code)
		return u.Level, ok
	}
	var problems []error
	for i, u := range units {
		if err := checkUnit(i, u, levelOf); err != nil {
			problems = append(problems, err)
			if len(problems) == 20 {
				break
			}
		}
	}
	return errors.Join(problems...)
}

func checkUnit(i int, u model.Unit, levelOf func(string) (model.UnitLevel, bool)) error {
	switch {
	case u.Code == "":
		return model.Errorf(model.EINVALID, "units[%d].code: missing", i)
	case u.Level.Depth() < 0:
		return model.Errorf(model.EINVALID, "units[%d] (%s).level: unknown level %q", i, u.Code, u.Level)
	case u.Parent == "":
		return nil
	case u.Parent == u.Code:
		return model.Errorf(model.EINVALID, "units[%d] (%s).parent: a unit cannot be its own parent", i, u.Code)
	}
	pl, ok := levelOf(u.Parent)
	if !ok {
		return model.Errorf(model.EINVALID, "units[%d] (%s).parent: unknown unit %q", i, u.Code, u.Parent)
	}
	if pl.Depth() >= u.Level.Depth() {
		return model.Errorf(model.EINVALID, "units[%d] (%s).parent: %q is a %s, not above a %s", i, u.Code, u.Parent, pl, u.Level)
	}
	return nil
}

// rehomeAssets re-resolves every asset's unit from its geometry.
func (s *Service) rehomeAssets(ctx context.Context) (int, error) {
	moved := 0
	page := store.Page{Limit: 5000}
	for {
		items, next, err := s.stores.Assets.Assets(ctx, store.AssetFilter{}, page)
		if err != nil {
			return moved, fmt.Errorf("list assets: %w", err)
		}
		var changed []model.Asset
		for _, a := range items {
			if a.Geometry == nil {
				continue
			}
			p := asset.RepresentativePoint(a.Geometry)
			if code, _ := s.Locate(p.Lon(), p.Lat()); code != a.Unit {
				a.Unit = code
				changed = append(changed, a)
			}
		}
		if len(changed) > 0 {
			if err := s.stores.Assets.PutAssets(ctx, changed); err != nil {
				return moved, fmt.Errorf("re-home assets: %w", err)
			}
			moved += len(changed)
		}
		if next == "" {
			return moved, nil
		}
		page.After = next
	}
}

// rehomeStreams re-resolves the unit of every stream that has a point.
func (s *Service) rehomeStreams(ctx context.Context) (int, error) {
	changes := map[int64]string{}
	var moved []model.Datastream
	err := s.stores.Datastreams.EachDatastream(ctx, func(ds model.Datastream) error {
		if !ds.HasPoint {
			return nil
		}
		if code, _ := s.Locate(ds.Lon, ds.Lat); code != ds.Unit {
			changes[ds.ID] = code
			s.movePlacement(ds.ID, ds.Unit, code)
			ds.Unit = code
			moved = append(moved, ds)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("scan datastreams: %w", err)
	}
	if len(changes) == 0 {
		return 0, nil
	}
	if err := s.stores.Datastreams.SetDatastreamUnits(ctx, changes); err != nil {
		return 0, fmt.Errorf("re-home datastreams: %w", err)
	}
	s.sink.Put(moved...)
	return len(changes), nil
}

func (s *Service) movePlacement(id int64, from, to string) {
	s.streamsMu.Lock()
	defer s.streamsMu.Unlock()
	if from != "" {
		ids := s.byUnit[from]
		for i, x := range ids {
			if x == id {
				ids[i] = ids[len(ids)-1]
				s.byUnit[from] = ids[:len(ids)-1]
				break
			}
		}
	}
	if to != "" {
		s.byUnit[to] = append(s.byUnit[to], id)
	}
}

// GeoJSONImport says how to read one level of the tree from GeoJSON.
type GeoJSONImport struct {
	geo.ImportOptions
	// CreateParents makes a unit one level up for every parent code the
	// features name that the tree does not have, covering its children
	// (e.g. the city 310000 from its 16 districts), so a file can be
	// imported without importing its parent level first.
	CreateParents bool
}

// ImportUnitsGeoJSON reads one level of the tree from GeoJSON and imports
// it. Parents are found by containment in the current tree when features
// name none. All or nothing: any bad feature refuses the whole file, with
// every problem named.
func (s *Service) ImportUnitsGeoJSON(ctx context.Context, actor string, data []byte, in GeoJSONImport) (ImportResult, error) {
	opts := in.ImportOptions
	if opts.Parents == nil && s.Index().Len() > 0 {
		opts.Parents = s.Index()
	}
	units, err := geo.UnitsFromGeoJSON(data, opts)
	if err != nil {
		return ImportResult{}, err
	}
	if in.CreateParents {
		units = append(s.missingParents(units), units...)
	}
	return s.ImportUnits(ctx, actor, units)
}

// missingParents returns a covering unit one level up for each parent
// code the units name that is neither in the tree nor among them.
func (s *Service) missingParents(units []model.Unit) []model.Unit {
	known := make(map[string]bool, len(units))
	for _, u := range units {
		known[u.Code] = true
	}
	made := map[string]*model.Unit{}
	var order []string
	for _, u := range units {
		if u.Parent == "" || known[u.Parent] {
			continue
		}
		if _, ok := s.Unit(u.Parent); ok {
			continue
		}
		p, ok := made[u.Parent]
		if !ok {
			depth := u.Level.Depth()
			if depth <= 0 {
				continue // a city has no level above it; checkUnits reports it
			}
			p = &model.Unit{Code: u.Parent, Level: model.UnitLevels[depth-1], NameZH: u.Parent, NameEN: u.Parent}
			made[u.Parent] = p
			order = append(order, u.Parent)
		}
		p.Geometry = append(p.Geometry, u.Geometry...)
	}
	out := make([]model.Unit, 0, len(order))
	for _, code := range order {
		out = append(out, *made[code])
	}
	return out
}
