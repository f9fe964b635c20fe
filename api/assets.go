package api

import (
	"net/http"

	"github.com/paulmach/orb/geojson"

	"cityvitals/asset"
	"cityvitals/auth"
	"cityvitals/geo"
	"cityvitals/inventory"
	"cityvitals/model"
	"cityvitals/store"
)

type assetJSON struct {
	model.Asset
	Geometry *geojson.Geometry `json:"geometry,omitempty"`
}

func assetOut(a model.Asset) assetJSON {
	out := assetJSON{Asset: a}
	if a.Geometry != nil {
		out.Geometry = geojson.NewGeometry(a.Geometry)
	}
	return out
}

func (s *Server) listAssets(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	pg, err := page(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := store.AssetFilter{Type: model.AssetType(r.URL.Query().Get("type")), Unit: r.URL.Query().Get("unit")}
	if err := s.checkListingScope(p, f.Unit); err != nil {
		s.fail(w, r, err)
		return
	}
	items, next, err := s.Assets.Assets(r.Context(), f, pg)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]assetJSON, len(items))
	for i, a := range items {
		out[i] = assetOut(a)
	}
	writeJSON(w, s.log, http.StatusOK, listing[assetJSON]{Items: out, Next: next})
}

func (s *Server) getAsset(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	a, err := s.Assets.Asset(r.Context(), r.PathValue("id"))
	if err == nil {
		err = s.checkScope(p, a.Unit)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, s.log, http.StatusOK, assetOut(a))
}

// importAssets takes GeoJSON, CSV or OSM XML (?format=, default from the
// Content-Type) and stores the valid rows; bad rows are listed.
func (s *Server) importAssets(w http.ResponseWriter, r *http.Request, p auth.Principal) {
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
	format := inventory.AssetFormat(q.Get("format"))
	if format == "" {
		format = formatFromContentType(r.Header.Get("Content-Type"))
	}
	opts := asset.Options{Types: s.AssetTypes, Type: model.AssetType(q.Get("type")), IDPrefix: q.Get("id_prefix")}
	res, err := s.Inventory.ImportAssets(r.Context(), p.Name(), r.Body, format, crs, opts)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, s.log, http.StatusOK, res)
}

func formatFromContentType(ct string) inventory.AssetFormat {
	switch {
	case ct == "text/csv":
		return inventory.FormatCSV
	case ct == "application/xml" || ct == "text/xml":
		return inventory.FormatOSM
	default:
		return inventory.FormatGeoJSON
	}
}

func (s *Server) listAssetTypes(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	writeJSON(w, s.log, http.StatusOK, listing[asset.Type]{Items: s.AssetTypes.List()})
}
