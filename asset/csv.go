package asset

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"

	"cityvitals/model"
)

// ImportCSV reads a CSV inventory with a header row. Options.Fields names
// the columns of the standard attributes (defaults id, type, name_zh,
// name_en, dept, lon, lat, status); the location is either lon and lat or a
// WKT geometry column; every other non-empty column becomes an attribute.
// A UTF-8 byte-order mark (as Excel writes) is skipped.
//
// Each bad row comes back as a RowError with its line number and field
// (Index counts data rows from 0); good rows are kept. The error is non-nil
// only when the input cannot be read at all: I/O failure, no header, or a
// header without an id column or a location (EINVALID), or ctx ends.
func ImportCSV(ctx context.Context, r io.Reader, opts Options) ([]model.Asset, []RowError, error) {
	cr := csv.NewReader(skipBOM(r))
	cr.FieldsPerRecord = -1 // a short row is a row error, not the end
	b := newBuilder(opts)
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, model.Errorf(model.EINVALID, "csv: empty input, want a header row")
		}
		return nil, nil, csvReadError(err)
	}
	cols, err := b.columns(header)
	if err != nil {
		return nil, nil, err
	}
	var (
		assets []model.Asset
		bad    []RowError
	)
	for i := 0; ; i++ {
		if i%ctxCheckPeriod == 0 && ctx.Err() != nil {
			return nil, nil, fmt.Errorf("import csv: %w", ctx.Err())
		}
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return assets, bad, nil
		}
		var parseErr *csv.ParseError
		if errors.As(err, &parseErr) {
			bad = append(bad, RowError{Index: i, Line: parseErr.StartLine, Field: "row", Reason: parseErr.Err.Error()})
			continue
		}
		if err != nil {
			return nil, nil, csvReadError(err)
		}
		line, _ := cr.FieldPos(0)
		a, rerr := b.csvRow(cols, i, line, rec)
		if rerr != nil {
			bad = append(bad, *rerr)
			continue
		}
		assets = append(assets, a)
	}
}

func skipBOM(r io.Reader) io.Reader {
	br := bufio.NewReader(r)
	if head, err := br.Peek(3); err == nil && bytes.Equal(head, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	return br
}

func csvReadError(err error) error {
	var parseErr *csv.ParseError
	if errors.As(err, &parseErr) {
		return model.Errorf(model.EINVALID, "csv: line %d: %v", parseErr.StartLine, parseErr.Err)
	}
	return fmt.Errorf("read csv: %w", err)
}

// csvColumns holds the position of each standard column, -1 when absent.
type csvColumns struct {
	id, typ, nameZH, nameEN, dept, status, lon, lat, wkt int
	header                                               []string
	standard                                             []bool // header[i] is a standard column
}

// columns locates the standard columns in the header.
func (b *builder) columns(header []string) (csvColumns, error) {
	f := b.opts.Fields
	pos := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(h)
		if _, dup := pos[h]; dup {
			return csvColumns{}, model.Errorf(model.EINVALID, "csv header: column %q appears twice", truncate(h, 64))
		}
		pos[h] = i
	}
	find := func(name string) int {
		if i, ok := pos[name]; ok {
			return i
		}
		return -1
	}
	c := csvColumns{
		id: find(f.ID), typ: find(f.Type), nameZH: find(f.NameZH), nameEN: find(f.NameEN),
		dept: find(f.Dept), status: find(f.Status), lon: find(f.Lon), lat: find(f.Lat), wkt: find(f.WKT),
		header: header, standard: make([]bool, len(header)),
	}
	switch {
	case c.id < 0:
		return c, model.Errorf(model.EINVALID, "csv header: no id column %q", f.ID)
	case c.wkt < 0 && (c.lon < 0 || c.lat < 0):
		return c, model.Errorf(model.EINVALID, "csv header: need columns %q and %q, or %q", f.Lon, f.Lat, f.WKT)
	case c.typ < 0 && b.opts.Type == "":
		return c, model.Errorf(model.EINVALID, "csv header: no type column %q and no fixed type given", f.Type)
	}
	for _, i := range []int{c.id, c.typ, c.nameZH, c.nameEN, c.dept, c.status, c.lon, c.lat, c.wkt} {
		if i >= 0 {
			c.standard[i] = true
		}
	}
	return c, nil
}

// attrName names the attribute of column i: its header, or "column_<n>"
// (1-based) for a column without one.
func (c csvColumns) attrName(i int) string {
	if name := strings.TrimSpace(c.header[i]); name != "" {
		return name
	}
	return "column_" + strconv.Itoa(i+1)
}

// csvRow builds the asset of one data row.
func (b *builder) csvRow(c csvColumns, index, line int, rec []string) (model.Asset, *RowError) {
	get := func(i int) string {
		if i < 0 || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	fail := func(field, reason string) (model.Asset, *RowError) {
		return model.Asset{}, &RowError{Index: index, Line: line, ID: truncate(get(c.id), 64), Field: field, Reason: reason}
	}
	if len(rec) != len(c.header) {
		return fail("row", fmt.Sprintf("%d fields, header has %d", len(rec), len(c.header)))
	}
	raw := rawItem{
		id: get(c.id), typ: get(c.typ), nameZH: get(c.nameZH), nameEN: get(c.nameEN),
		dept: get(c.dept), status: get(c.status),
	}
	geom, field, err := csvGeometry(get(c.lon), get(c.lat), get(c.wkt), c.wkt >= 0)
	if err != nil {
		return fail(field, err.Error())
	}
	raw.geom = geom
	for i, v := range rec {
		if !c.standard[i] && strings.TrimSpace(v) != "" {
			raw.attrs = withAttr(raw.attrs, c.attrName(i), v)
		}
	}
	a, fe := b.build(index, raw)
	if fe != nil {
		return fail(fe.field, fe.reason)
	}
	return a, nil
}

// csvGeometry reads the location of a row from lon/lat, or from WKT when
// the row has a WKT value (lon/lat win when both are present).
func csvGeometry(lonS, latS, wktS string, hasWKT bool) (orb.Geometry, string, error) {
	if hasWKT && wktS != "" && lonS == "" && latS == "" {
		if len(wktS) > maxAttrLen*64 {
			return nil, "wkt", fmt.Errorf("longer than %d bytes", maxAttrLen*64)
		}
		g, err := wkt.Unmarshal(wktS)
		if err != nil {
			return nil, "wkt", fmt.Errorf("bad WKT: %v", err)
		}
		return g, "", nil
	}
	lon, err := parseCoord(lonS)
	if err != nil {
		return nil, "lon", err
	}
	lat, err := parseCoord(latS)
	if err != nil {
		return nil, "lat", err
	}
	if field, err := checkLonLat(lon, lat); err != nil {
		return nil, field, err
	}
	return orb.Point{lon, lat}, "", nil
}

func parseCoord(s string) (float64, error) {
	if s == "" {
		return 0, errors.New("missing")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !finite(v) {
		return 0, fmt.Errorf("%q is not a finite number", truncate(s, 32))
	}
	return v, nil
}
