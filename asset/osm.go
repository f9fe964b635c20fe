package asset

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"cityvitals/model"
)

// tag is one OpenStreetMap key=value pair.
type tag struct{ k, v string }

// osmRule maps a set of tags, all of which must be present, to a type.
type osmRule struct {
	typ  model.AssetType
	tags []tag
}

// parseTagSet parses "k=v" or "k=v,k2=v2".
func parseTagSet(s string) ([]tag, error) {
	var tags []tag
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("tag set %q: want k=v[,k=v]", s)
		}
		tags = append(tags, tag{k, v})
	}
	return tags, nil
}

func (r osmRule) matches(tags map[string]string) bool {
	for _, t := range r.tags {
		if tags[t.k] != t.v {
			return false
		}
	}
	return true
}

// osmType returns the first type whose tag set the tags contain.
func (c *TypeCatalog) osmType(tags map[string]string) (model.AssetType, bool) {
	for _, r := range c.osm {
		if r.matches(tags) {
			return r.typ, true
		}
	}
	return "", false
}

// ImportOSM streams an OpenStreetMap XML file (.osm) and returns an asset
// for every node whose tags match a type's osm tag sets in the catalog
// (emergency=fire_hydrant → hydrant, power=tower → power_tower, …). Ways
// and relations are skipped. Ids are "node/<osm id>" after Options.IDPrefix;
// the node's other tags become attributes, "name:zh" or "name" the Chinese
// name and "name:en" the English one. Options.Fields and Options.Type do
// not apply. Nodes with a bad id or coordinate come back as RowErrors with
// their line (Index counts matched nodes). The error is non-nil only for
// unreadable or malformed XML (EINVALID) or when ctx ends.
func ImportOSM(ctx context.Context, r io.Reader, opts Options) ([]model.Asset, []RowError, error) {
	opts.Type = ""
	b := newBuilder(opts)
	dec := xml.NewDecoder(r)
	var (
		assets []model.Asset
		bad    []RowError
		index  int
	)
	for n := 0; ; n++ {
		if n%ctxCheckPeriod == 0 && ctx.Err() != nil {
			return nil, nil, fmt.Errorf("import osm: %w", ctx.Err())
		}
		tok, err := dec.Token()
		if err == io.EOF {
			return assets, bad, nil
		}
		if err != nil {
			return nil, nil, osmReadError(err)
		}
		start, ok := tok.(xml.StartElement)
		if !ok || start.Name.Local != "node" {
			continue
		}
		line, _ := dec.InputPos()
		node, err := readNode(dec, start)
		if err != nil {
			return nil, nil, osmReadError(err)
		}
		typ, ok := b.types.osmType(node.tags)
		if !ok {
			continue
		}
		a, rerr := b.osmNode(index, line, typ, node)
		index++
		if rerr != nil {
			bad = append(bad, *rerr)
			continue
		}
		assets = append(assets, a)
	}
}

func osmReadError(err error) error {
	var syntax *xml.SyntaxError
	if errors.As(err, &syntax) {
		return model.Errorf(model.EINVALID, "osm: malformed XML at line %d: %s", syntax.Line, syntax.Msg)
	}
	return fmt.Errorf("read osm: %w", err)
}

// osmNodeData is a node's attributes and tags as read.
type osmNodeData struct {
	id, lat, lon string
	tags         map[string]string
}

// readNode reads the rest of a <node> element: its <tag> children.
func readNode(dec *xml.Decoder, start xml.StartElement) (osmNodeData, error) {
	n := osmNodeData{tags: make(map[string]string)}
	for _, a := range start.Attr {
		switch a.Name.Local {
		case "id":
			n.id = a.Value
		case "lat":
			n.lat = a.Value
		case "lon":
			n.lon = a.Value
		}
	}
	for depth := 1; depth > 0; {
		tok, err := dec.Token()
		if err != nil {
			return n, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if t.Name.Local == "tag" && len(n.tags) < maxAttrs+8 {
				k, v := xmlAttr(t, "k"), xmlAttr(t, "v")
				n.tags[k] = v
			}
		case xml.EndElement:
			depth--
		}
	}
	return n, nil
}

func xmlAttr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// osmNode builds the asset of one matched node.
func (b *builder) osmNode(index, line int, typ model.AssetType, n osmNodeData) (model.Asset, *RowError) {
	fail := func(field, reason string) (model.Asset, *RowError) {
		return model.Asset{}, &RowError{Index: index, Line: line, ID: truncate(n.id, 64), Field: field, Reason: reason}
	}
	if _, err := strconv.ParseInt(n.id, 10, 64); err != nil {
		return fail("id", fmt.Sprintf("node id %q is not an integer", truncate(n.id, 64)))
	}
	lon, errLon := strconv.ParseFloat(n.lon, 64)
	lat, errLat := strconv.ParseFloat(n.lat, 64)
	if errLon != nil || errLat != nil {
		return fail("geometry", fmt.Sprintf("bad coordinate lon=%q lat=%q", truncate(n.lon, 32), truncate(n.lat, 32)))
	}
	tags := n.tags
	raw := rawItem{
		id:     "node/" + n.id,
		typ:    string(typ),
		nameZH: take(tags, "name:zh"),
		nameEN: take(tags, "name:en"),
		geom:   orb.Point{lon, lat},
	}
	if raw.nameZH == "" {
		raw.nameZH = take(tags, "name")
	}
	if len(tags) > 0 {
		raw.attrs = tags
	}
	a, fe := b.build(index, raw)
	if fe != nil {
		return fail(fe.field, fe.reason)
	}
	return a, nil
}
