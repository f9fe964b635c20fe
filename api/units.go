package api

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/paulmach/orb/geojson"

	"cityvitals/auth"
	"cityvitals/geo"
	"cityvitals/inventory"
	"cityvitals/model"
)

// unitJSON is a unit on the wire; geometry only when asked for.
type unitJSON struct {
	model.Unit
	Children int               `json:"children"`
	Geometry *geojson.Geometry `json:"geometry,omitempty"`
}

func (s *Server) unitOut(u model.Unit, withGeometry bool) unitJSON {
	out := unitJSON{Unit: u, Children: len(s.Inventory.Children(u.Code))}
	if withGeometry && u.Geometry != nil {
		out.Geometry = geojson.NewGeometry(u.Geometry)
	}
	return out
}

// listUnits lists the children of ?parent= (default: the roots).
func (s *Server) listUnits(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	s.writeChildren(w, r, p, r.URL.Query().Get("parent"))
}

func (s *Server) getChildren(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	s.writeChildren(w, r, p, r.PathValue("code"))
}

// writeChildren answers JSON, or with ?format=geojson a FeatureCollection
// for the map.
func (s *Server) writeChildren(w http.ResponseWriter, r *http.Request, p auth.Principal, parent string) {
	if parent != "" {
		if _, ok := s.Inventory.Unit(parent); !ok {
			s.fail(w, r, model.Errorf(model.ENOTFOUND, "unit %q not found", clipText(parent)))
			return
		}
	}
	geoJSON := r.URL.Query().Get("format") == "geojson"
	var items []unitJSON
	fc := geojson.NewFeatureCollection()
	for _, code := range s.Inventory.Children(parent) {
		if !s.visible(p, code) {
			continue
		}
		u, _ := s.Inventory.Unit(code)
		if geoJSON {
			f := geojson.NewFeature(u.Geometry)
			f.ID = u.Code
			f.Properties = geojson.Properties{"code": u.Code, "name_zh": u.NameZH, "name_en": u.NameEN, "level": u.Level, "parent": u.Parent}
			fc.Append(f)
			continue
		}
		items = append(items, s.unitOut(u, false))
	}
	if geoJSON {
		w.Header().Set("Content-Type", "application/geo+json")
		_ = json.NewEncoder(w).Encode(fc)
		return
	}
	if items == nil {
		items = []unitJSON{}
	}
	writeJSON(w, s.log, http.StatusOK, listing[unitJSON]{Items: items})
}

// visible says whether a unit shows in listings: inside the principal's
// area, or above it (so a scoped user can navigate down to their area).
func (s *Server) visible(p auth.Principal, code string) bool {
	if s.checkScope(p, code) == nil {
		return true
	}
	for _, c := range s.Inventory.Ancestors(scopeOf(p)) {
		if c == code {
			return true
		}
	}
	return false
}

func (s *Server) getUnit(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	code := r.PathValue("code")
	u, ok := s.Inventory.Unit(code)
	if !ok {
		s.fail(w, r, model.Errorf(model.ENOTFOUND, "unit %q not found", clipText(code)))
		return
	}
	if !s.visible(p, code) {
		s.fail(w, r, s.checkScope(p, code))
		return
	}
	out := s.unitOut(u, r.URL.Query().Get("geometry") != "false")
	writeJSON(w, s.log, http.StatusOK, map[string]any{"unit": out, "path": s.Inventory.Ancestors(code)})
}

func (s *Server) locate(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	lon, err1 := strconv.ParseFloat(r.URL.Query().Get("lon"), 64)
	lat, err2 := strconv.ParseFloat(r.URL.Query().Get("lat"), 64)
	if err1 != nil || err2 != nil {
		s.fail(w, r, model.Errorf(model.EINVALID, "lon, lat: both must be numbers (WGS84 degrees)"))
		return
	}
	if r.URL.Query().Get("crs") == string(geo.CRSGCJ02) {
		lon, lat = geo.GCJ02ToWGS84(lon, lat)
	}
	code, ok := s.Inventory.Locate(lon, lat)
	if !ok {
		s.fail(w, r, model.Errorf(model.ENOTFOUND, "no unit contains (%v, %v)", lon, lat))
		return
	}
	writeJSON(w, s.log, http.StatusOK, map[string]any{"unit": code, "path": s.Inventory.Ancestors(code)})
}

// importUnits takes a GeoJSON FeatureCollection as the body; the query
// names the level, the CRS and the property names.
func (s *Server) importUnits(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if err := requireCityWide(p); err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	crs, err := geo.ParseCRS(q.Get("crs"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body, err := readBody(r, s.MaxBodyBytes)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	opts := inventory.GeoJSONImport{
		ImportOptions: geo.ImportOptions{
			Level: model.UnitLevel(q.Get("level")), CRS: crs,
			CodeProp: q.Get("code_prop"), NameZHProp: q.Get("name_prop"),
			NameENProp: q.Get("name_en_prop"), ParentProp: q.Get("parent_prop"),
		},
		CreateParents: q.Get("create_parents") == "true",
	}
	res, err := s.Inventory.ImportUnitsGeoJSON(r.Context(), p.Name(), body, opts)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, s.log, http.StatusOK, res)
}

// gridRequest asks for grid cells under a unit.
type gridRequest struct {
	CellMetres float64       `json:"cell_m"`
	Shape      geo.GridShape `json:"shape"`
}

func (s *Server) generateGrid(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var req gridRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.checkScope(p, r.PathValue("code")); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Shape == "" {
		req.Shape = geo.GridSquare
	}
	res, err := s.Inventory.GenerateGrid(r.Context(), p.Name(), r.PathValue("code"), req.CellMetres, req.Shape)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, s.log, http.StatusOK, res)
}
