package inventory

import (
	"context"
	"fmt"
	"io"

	"github.com/paulmach/orb"

	"cityvitals/asset"
	"cityvitals/geo"
	"cityvitals/model"
)

// PutAssets stores assets, resolving the unit of each from its geometry
// (the asset importers resolve it too, but assets may also arrive through
// the API with geometry only).
func (s *Service) PutAssets(ctx context.Context, actor string, assets []model.Asset) error {
	if len(assets) == 0 {
		return model.Errorf(model.EINVALID, "no assets to store")
	}
	now := s.now().UTC()
	for i := range assets {
		a := &assets[i]
		if a.Geometry != nil {
			p := assetPoint(*a)
			a.Unit, _ = s.Locate(p.Lon(), p.Lat())
		}
		a.UpdatedAt = now
	}
	if err := s.stores.Assets.PutAssets(ctx, assets); err != nil {
		return fmt.Errorf("store assets: %w", err)
	}
	return s.record(ctx, actor, "asset.put", fmt.Sprintf("%d assets", len(assets)),
		map[string]any{"first_id": assets[0].ID, "count": len(assets)})
}

func assetPoint(a model.Asset) orb.Point { return asset.RepresentativePoint(a.Geometry) }

// AssetFormat names an asset import format.
type AssetFormat string

const (
	FormatGeoJSON AssetFormat = "geojson"
	FormatCSV     AssetFormat = "csv"
	FormatOSM     AssetFormat = "osm"
)

// AssetImport is the outcome of an asset import: valid rows are stored,
// bad rows are listed with their line or feature and the field at fault.
type AssetImport struct {
	Stored   int              `json:"stored"`
	Rejected []asset.RowError `json:"rejected"`
}

// ImportAssets reads assets in the given format, converts them from crs to
// WGS84, places each in its unit and stores the valid ones.
func (s *Service) ImportAssets(ctx context.Context, actor string, r io.Reader, format AssetFormat, crs geo.CRS, opts asset.Options) (AssetImport, error) {
	read := map[AssetFormat]func(context.Context, io.Reader, asset.Options) ([]model.Asset, []asset.RowError, error){
		FormatGeoJSON: asset.ImportGeoJSON,
		FormatCSV:     asset.ImportCSV,
		FormatOSM:     asset.ImportOSM,
	}[format]
	if read == nil {
		return AssetImport{}, model.Errorf(model.EINVALID, "format: %q is not geojson, csv or osm", clip(string(format)))
	}
	if crs == geo.CRSGCJ02 {
		opts.ToWGS84 = geo.GCJ02ToWGS84
	}
	opts.Resolve = s.Locate
	opts.UpdatedAt = s.now().UTC()
	assets, rejected, err := read(ctx, r, opts)
	if err != nil {
		return AssetImport{}, err
	}
	res := AssetImport{Rejected: rejected}
	if res.Rejected == nil {
		res.Rejected = []asset.RowError{}
	}
	for start := 0; start < len(assets); start += 5000 {
		chunk := assets[start:min(start+5000, len(assets))]
		if err := s.stores.Assets.PutAssets(ctx, chunk); err != nil {
			return res, fmt.Errorf("store assets: %w", err)
		}
		res.Stored += len(chunk)
	}
	return res, s.record(ctx, actor, "asset.import", fmt.Sprintf("%d assets", res.Stored),
		map[string]any{"format": format, "stored": res.Stored, "rejected": len(rejected)})
}
