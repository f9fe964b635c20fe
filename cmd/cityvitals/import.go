package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"

	"cityvitals/app"
	"cityvitals/asset"
	"cityvitals/geo"
	"cityvitals/inventory"
	"cityvitals/model"
	"cityvitals/obsimport"
)

// ImportCmd groups the importers.
type ImportCmd struct {
	Units        ImportUnitsCmd        `cmd:"" help:"Import one level of the unit tree from a GeoJSON FeatureCollection."`
	Grid         ImportGridCmd         `cmd:"" help:"Cover a unit with a regular grid of cells (the smallest spatial units)."`
	Assets       ImportAssetsCmd       `cmd:"" help:"Import assets (部件) from GeoJSON, CSV or OpenStreetMap XML."`
	Observations ImportObservationsCmd `cmd:"" help:"Import observations from CSV files described by a mapping file."`
	Reports      ImportReportsCmd      `cmd:"" help:"Replay citizen reports (311-style CSV) with their creation and closing times."`
}

// ImportUnitsCmd imports units.
type ImportUnitsCmd struct {
	DataDirFlag
	File          string `arg:"" type:"existingfile" help:"GeoJSON FeatureCollection of (Multi)Polygons."`
	Level         string `required:"" enum:"city,district,street,community,grid" help:"Tree level of every feature."`
	CRS           string `name:"crs" default:"wgs84" enum:"wgs84,gcj02" help:"Coordinate system of the file; GCJ-02 is converted to WGS84."`
	CodeProp      string `help:"Property holding the unit code." default:"adcode"`
	NameProp      string `help:"Property holding the Chinese name." default:"name"`
	NameENProp    string `name:"name-en-prop" help:"Property holding the English name." default:"name_en"`
	ParentProp    string `help:"Property holding the parent code; parents are found by containment when absent." default:"parent.adcode"`
	CreateParents bool   `help:"Create a covering unit one level up for parent codes the tree lacks (e.g. the city from its districts)."`
}

// Run imports the file.
func (c *ImportUnitsCmd) Run(ctx context.Context, g *Globals) error {
	data, err := os.ReadFile(c.File)
	if err != nil {
		return err
	}
	core, err := app.OpenCore(ctx, c.DataDir)
	if err != nil {
		return err
	}
	defer core.Close()
	res, err := core.Inventory.ImportUnitsGeoJSON(ctx, cliActor(), data, inventory.GeoJSONImport{
		ImportOptions: geo.ImportOptions{
			Level: model.UnitLevel(c.Level), CRS: geo.CRS(c.CRS),
			CodeProp: c.CodeProp, NameZHProp: c.NameProp, NameENProp: c.NameENProp, ParentProp: c.ParentProp,
		},
		CreateParents: c.CreateParents,
	})
	if err != nil {
		return err
	}
	return printJSON(g, res)
}

// ImportGridCmd generates grid cells.
type ImportGridCmd struct {
	DataDirFlag
	Under string  `required:"" help:"Code of the unit to cover."`
	CellM float64 `name:"cell-m" default:"500" help:"Cell size in metres (square side, or hexagon width across flats)."`
	Shape string  `default:"square" enum:"square,hex" help:"Cell shape."`
}

// Run generates and imports the grid.
func (c *ImportGridCmd) Run(ctx context.Context, g *Globals) error {
	core, err := app.OpenCore(ctx, c.DataDir)
	if err != nil {
		return err
	}
	defer core.Close()
	res, err := core.Inventory.GenerateGrid(ctx, cliActor(), c.Under, c.CellM, geo.GridShape(c.Shape))
	if err != nil {
		return err
	}
	return printJSON(g, res)
}

// ImportAssetsCmd imports assets.
type ImportAssetsCmd struct {
	DataDirFlag
	File     string `arg:"" type:"existingfile" help:"GeoJSON, CSV or .osm file."`
	Format   string `enum:"geojson,csv,osm," default:"" help:"File format; by default from the file name."`
	Type     string `help:"Asset type of every row (otherwise the type column/property)."`
	CRS      string `name:"crs" default:"wgs84" enum:"wgs84,gcj02" help:"Coordinate system of the file."`
	IDPrefix string `name:"id-prefix" help:"Prefix for every asset id, e.g. osm: ."`
}

// Run imports the file, keeping good rows and listing bad ones.
func (c *ImportAssetsCmd) Run(ctx context.Context, g *Globals) error {
	f, err := os.Open(c.File)
	if err != nil {
		return err
	}
	defer f.Close()
	core, err := app.OpenCore(ctx, c.DataDir)
	if err != nil {
		return err
	}
	defer core.Close()
	format := inventory.AssetFormat(c.Format)
	if format == "" {
		format = formatFromName(c.File)
	}
	opts := asset.Options{Types: core.AssetTypes, Type: model.AssetType(c.Type), IDPrefix: c.IDPrefix}
	res, err := core.Inventory.ImportAssets(ctx, cliActor(), f, format, geo.CRS(c.CRS), opts)
	if err != nil {
		return err
	}
	return printJSON(g, res)
}

func formatFromName(name string) inventory.AssetFormat {
	switch {
	case hasSuffix(name, ".csv"):
		return inventory.FormatCSV
	case hasSuffix(name, ".osm"), hasSuffix(name, ".xml"):
		return inventory.FormatOSM
	default:
		return inventory.FormatGeoJSON
	}
}

func hasSuffix(s, suffix string) bool {
	return len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix
}

// ImportObservationsCmd loads CSV observations through a mapping file. It
// needs the data directory to itself (the history store allows one
// process); send to a running server over HTTP instead.
type ImportObservationsCmd struct {
	DataDirFlag
	Mapping string   `required:"" type:"existingfile" help:"Mapping YAML describing the CSV layout (see examples/import)."`
	Paths   []string `arg:"" type:"existingfile|existingdir" help:"CSV files or directories of CSV files."`
	Quiet   bool     `help:"No progress bar."`
	JSON    bool     `help:"Print the summary as JSON."`
}

// Run imports and prints what was skipped and why.
func (c *ImportObservationsCmd) Run(ctx context.Context, g *Globals) error {
	mapping, err := obsimport.LoadMapping(c.Mapping)
	if err != nil {
		return err
	}
	a, err := app.Open(ctx, app.Config{DataDir: c.DataDir}, g.Log)
	if err != nil {
		return err
	}
	defer a.Close()
	runCtx, stop := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- a.Run(runCtx) }()

	im := &obsimport.Importer{Mapping: mapping, Streams: streamEnsurer{a.Inventory}, Sink: a.Ingest.Submit, BatchSize: 50_000}
	start := time.Now()
	sum, err := im.Run(ctx, c.Paths, c.progress())
	stop()
	err = errors.Join(err, <-runDone)
	if c.JSON {
		_ = json.NewEncoder(g.Out).Encode(sum)
	} else {
		fmt.Fprintf(g.Out, "\nimported in %s\n", time.Since(start).Round(time.Millisecond))
		_ = sum.WriteReport(g.Out)
	}
	return err
}

func (c *ImportObservationsCmd) progress() func(obsimport.Progress) {
	if c.Quiet {
		return nil
	}
	var bar *progressbar.ProgressBar
	return func(p obsimport.Progress) {
		if bar == nil {
			bar = progressbar.DefaultBytes(p.BytesTotal, "importing")
		}
		_ = bar.Set64(p.BytesRead)
	}
}

// streamEnsurer finds or registers the stream an import row goes to.
type streamEnsurer struct{ inv *inventory.Service }

func (s streamEnsurer) Ensure(ctx context.Context, spec obsimport.StreamSpec) (int64, error) {
	ds, err := s.inv.EnsureDatastream(ctx, cliActor(), model.Datastream{
		Key: spec.Key, Name: spec.Name, Property: spec.Property, UoM: spec.UoM, Interval: spec.Interval,
		Lon: spec.Lon, Lat: spec.Lat, HasPoint: spec.HasPoint,
	})
	return ds.ID, err
}

func printJSON(g *Globals, v any) error {
	enc := json.NewEncoder(g.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
