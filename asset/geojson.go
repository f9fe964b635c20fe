package asset

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/paulmach/orb/geojson"

	"cityvitals/model"
)

// ImportGeoJSON reads a GeoJSON FeatureCollection and returns the assets
// of its good features and a RowError (Index = feature position) for every
// bad one: unknown or missing type, missing or duplicate id, bad or missing
// geometry, oversized text. The collection is streamed feature by feature,
// so memory grows with the assets kept, not with the file.
//
// The error is non-nil only when the input as a whole cannot be read (I/O
// failure, not JSON, not a FeatureCollection: EINVALID) or ctx ends.
func ImportGeoJSON(ctx context.Context, r io.Reader, opts Options) ([]model.Asset, []RowError, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := enterFeatures(dec); err != nil {
		return nil, nil, err
	}
	b := newBuilder(opts)
	var (
		assets []model.Asset
		bad    []RowError
	)
	for i := 0; dec.More(); i++ {
		if i%ctxCheckPeriod == 0 && ctx.Err() != nil {
			return nil, nil, fmt.Errorf("import geojson: %w", ctx.Err())
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, readError("geojson feature "+strconv.Itoa(i), err)
		}
		a, rerr := b.feature(i, raw)
		if rerr != nil {
			bad = append(bad, *rerr)
			continue
		}
		assets = append(assets, a)
	}
	return assets, bad, nil
}

// enterFeatures advances dec into the "features" array of the top-level
// object, checking that the object is a FeatureCollection. Members before
// "features" are read; members after it are not needed.
func enterFeatures(dec *json.Decoder) error {
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return readError("geojson", err)
		}
		key, _ := tok.(string)
		switch key {
		case "features":
			return expectDelim(dec, '[')
		case "type":
			var typ string
			if err := dec.Decode(&typ); err != nil || typ != "FeatureCollection" {
				return model.Errorf(model.EINVALID, "geojson: type must be FeatureCollection")
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return readError("geojson member "+strconv.Quote(truncate(key, 64)), err)
			}
		}
	}
	return model.Errorf(model.EINVALID, "geojson: no features array")
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return readError("geojson", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return model.Errorf(model.EINVALID, "geojson: expected %q, found %v", want, tok)
	}
	return nil
}

// readError classifies a decoding failure: malformed JSON is the caller's
// to fix (EINVALID); anything else is an I/O failure, wrapped.
func readError(what string, err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	if errors.As(err, &syntax) || errors.As(err, &typ) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return model.Errorf(model.EINVALID, "%s: malformed JSON: %v", what, err)
	}
	return fmt.Errorf("read %s: %w", what, err)
}

// feature turns one feature into an asset, or says why not.
func (b *builder) feature(i int, data json.RawMessage) (model.Asset, *RowError) {
	f, err := geojson.UnmarshalFeature(data)
	if err != nil {
		return model.Asset{}, &RowError{Index: i, Field: featureField(data), Reason: truncate(err.Error(), 200)}
	}
	raw := b.featureItem(f)
	a, fe := b.build(i, raw)
	if fe != nil {
		return model.Asset{}, &RowError{Index: i, ID: truncate(raw.id, 64), Field: fe.field, Reason: fe.reason}
	}
	return a, nil
}

// featureField guesses which part of an undecodable feature is wrong, so
// the error points somewhere useful.
func featureField(data []byte) string {
	var parts struct {
		Type       string          `json:"type"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties json.RawMessage `json:"properties"`
	}
	if json.Unmarshal(data, &parts) != nil || parts.Type != "Feature" {
		return "feature"
	}
	if _, err := geojson.UnmarshalGeometry(parts.Geometry); err != nil && !bytes.Equal(parts.Geometry, []byte("null")) {
		return "geometry"
	}
	return "properties"
}

// featureItem maps a feature's properties onto the standard fields; the
// properties left over become attributes.
func (b *builder) featureItem(f *geojson.Feature) rawItem {
	fields := b.opts.Fields
	props := make(map[string]string, len(f.Properties))
	for k, v := range f.Properties {
		if s, ok := propertyString(v); ok {
			props[k] = s
		}
	}
	raw := rawItem{
		id:     take(props, fields.ID),
		typ:    take(props, fields.Type),
		nameZH: take(props, fields.NameZH),
		nameEN: take(props, fields.NameEN),
		dept:   take(props, fields.Dept),
		status: take(props, fields.Status),
	}
	if raw.nameZH == "" {
		raw.nameZH = take(props, "name")
	}
	if raw.id == "" {
		raw.id, _ = propertyString(f.ID)
	}
	if raw.id == "" {
		raw.id = props["@id"]
	}
	if len(props) > 0 {
		raw.attrs = props
	}
	if f.Geometry != nil {
		raw.geom = f.Geometry
	}
	return raw
}

// take removes and returns props[key].
func take(props map[string]string, key string) string {
	v := props[key]
	delete(props, key)
	return v
}

// propertyString renders a JSON property value as an attribute string;
// null and absent values have none.
func propertyString(v any) (string, bool) {
	switch v := v.(type) {
	case nil:
		return "", false
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(v), true
	default:
		data, err := json.Marshal(v)
		if err != nil {
			return "", false
		}
		return string(data), true
	}
}
