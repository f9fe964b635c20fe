package ingest

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/valyala/fastjson"

	"cityvitals/model"
)

// item is one decoded batch item, not yet resolved or validated.
type item struct {
	index    int
	id       int64  // datastream as a numeric id; 0 when given as a key
	key      string // datastream as an external key; "" when given as an id
	time     int64  // Unix ms
	value    float64
	quality  uint8
	property string // optional; "" when absent
	uom      string // optional; only used for auto-provisioning
}

// stream names the item's datastream the way the sender did, safe to
// echo; "" when the item has no valid datastream.
func (it *item) stream() string {
	switch {
	case it.key != "":
		return echo(it.key)
	case it.id != 0:
		return strconv.FormatInt(it.id, 10)
	}
	return ""
}

// batch is the decoded form of one body. Batches are pooled by the service;
// reset makes one ready for reuse.
type batch struct {
	items    []item
	rejected rejections
	seen     int // items in the body: len(items) + rejected at decode time
}

func (b *batch) reset() {
	b.items = b.items[:0]
	b.rejected.reset()
	b.seen = 0
}

// decoder decodes batch bodies. It is safe for concurrent use: each call
// borrows a fastjson parser from the pool.
type decoder struct {
	maxBodyBytes int
	maxItems     int
	parsers      fastjson.ParserPool
}

// decode fills b from body: a JSON array of item objects, or NDJSON (one
// object per line; blank lines are not items). The first non-space byte
// tells which. Items that decode but are wrong are rejected in b; the
// returned error is for the body as a whole: EINVALID when it is neither
// form (or an array that is not valid JSON), ETOOLARGE over the limits.
func (d *decoder) decode(body []byte, b *batch) error {
	if len(body) > d.maxBodyBytes {
		return model.Errorf(model.ETOOLARGE, "body is %d bytes; the limit is %d bytes", len(body), d.maxBodyBytes)
	}
	body = bytes.TrimPrefix(body, []byte("\uFEFF")) // some Windows tools prepend a BOM
	start := skipSpace(body, 0)
	if start == len(body) {
		return model.Errorf(model.EINVALID, "body is empty; send a JSON array of items or NDJSON")
	}
	p := d.parsers.Get()
	defer d.parsers.Put(p)
	switch body[start] {
	case '[':
		return d.decodeArray(p, body, start+1, b)
	case '{':
		return d.decodeNDJSON(p, body, b)
	}
	return model.Errorf(model.EINVALID, "body is not a JSON array of items or NDJSON objects (first byte %q)", body[start])
}

func (d *decoder) tooMany() error {
	return model.Errorf(model.ETOOLARGE, "batch has more than %d items; the limit is %d items per batch", d.maxItems, d.maxItems)
}

// decodeArray walks the array element by element: the scanner finds each
// element's extent and the parser parses only that element, so the parse
// tree of a 16 MiB body never exists at once. A JSON array is one
// document, so any syntax error fails the whole body.
func (d *decoder) decodeArray(p *fastjson.Parser, body []byte, pos int, b *batch) error {
	pos = skipSpace(body, pos)
	if pos < len(body) && body[pos] == ']' {
		return trailingSpaceOnly(body, pos+1)
	}
	for {
		end, err := valueEnd(body, pos)
		if err != nil {
			return model.Errorf(model.EINVALID, "item %d: malformed JSON: %v", b.seen, err)
		}
		if b.seen == d.maxItems {
			return d.tooMany()
		}
		v, err := p.ParseBytes(body[pos:end])
		if err != nil {
			return model.Errorf(model.EINVALID, "item %d: malformed JSON", b.seen)
		}
		b.add(v)
		pos = skipSpace(body, end)
		if pos == len(body) {
			return model.Errorf(model.EINVALID, "array is not closed after item %d", b.seen-1)
		}
		switch body[pos] {
		case ',':
			pos = skipSpace(body, pos+1)
		case ']':
			return trailingSpaceOnly(body, pos+1)
		default:
			return model.Errorf(model.EINVALID, "item %d: expected ',' or ']' after it", b.seen-1)
		}
	}
}

func trailingSpaceOnly(body []byte, pos int) error {
	if skipSpace(body, pos) != len(body) {
		return model.Errorf(model.EINVALID, "unexpected data after the closing ']' of the array")
	}
	return nil
}

// decodeNDJSON parses line by line. A line that is not valid JSON is that
// item's rejection; the other lines are kept.
func (d *decoder) decodeNDJSON(p *fastjson.Parser, body []byte, b *batch) error {
	for len(body) > 0 {
		line := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			body = nil
		}
		if skipSpace(line, 0) == len(line) {
			continue
		}
		if b.seen == d.maxItems {
			return d.tooMany()
		}
		v, err := p.ParseBytes(line)
		if err != nil {
			b.rejected.add(b.seen, "", fault{reasonMalformed, "item: malformed JSON line"})
			b.seen++
			continue
		}
		b.add(v)
	}
	return nil
}

// add decodes one parsed element into the next item or a rejection.
func (b *batch) add(v *fastjson.Value) {
	index := b.seen
	b.seen++
	b.items = append(b.items, item{index: index})
	it := &b.items[len(b.items)-1]
	if f := parseItem(v, it); !f.ok() {
		b.rejected.add(index, it.stream(), f)
		b.items = b.items[:len(b.items)-1]
	}
}

// itemFields are the recognised members of an item object.
type itemFields struct {
	datastream, time, value, quality, property, uom *fastjson.Value
}

// parseItem fills it from v, checking fields in a fixed order so that the
// first fault reported is deterministic. Unknown members are ignored.
func parseItem(v *fastjson.Value, it *item) fault {
	obj, err := v.Object()
	if err != nil {
		return fault{reasonMalformed, "item: must be a JSON object, got " + typeName(v)}
	}
	var f itemFields
	obj.Visit(func(key []byte, fv *fastjson.Value) {
		switch string(key) {
		case "datastream":
			f.datastream = fv
		case "time":
			f.time = fv
		case "value":
			f.value = fv
		case "quality":
			f.quality = fv
		case "property":
			f.property = fv
		case "uom":
			f.uom = fv
		}
	})
	if flt := parseDatastream(f.datastream, it); !flt.ok() {
		return flt
	}
	if flt := parseOptionalString(f.property, "property", &it.property); !flt.ok() {
		return flt
	}
	if flt := parseOptionalString(f.uom, "uom", &it.uom); !flt.ok() {
		return flt
	}
	if flt := parseTime(f.time, &it.time); !flt.ok() {
		return flt
	}
	if flt := parseValue(f.value, &it.value); !flt.ok() {
		return flt
	}
	return parseQuality(f.quality, &it.quality)
}

func parseDatastream(v *fastjson.Value, it *item) fault {
	const want = "datastream: must be a positive integer id or a non-empty string key"
	if v == nil {
		return fault{reasonBadDatastream, "datastream: missing"}
	}
	switch v.Type() {
	case fastjson.TypeNumber:
		id, err := v.Int64()
		if err != nil || id <= 0 {
			return fault{reasonBadDatastream, want}
		}
		it.id = id
	case fastjson.TypeString:
		key := v.GetStringBytes()
		if len(key) == 0 {
			return fault{reasonBadDatastream, want}
		}
		it.key = string(key)
	default:
		return fault{reasonBadDatastream, want + ", got " + typeName(v)}
	}
	return fault{}
}

func parseOptionalString(v *fastjson.Value, field string, dst *string) fault {
	if v == nil || v.Type() == fastjson.TypeNull {
		return fault{}
	}
	s, err := v.StringBytes()
	if err != nil {
		return fault{reasonMalformed, field + ": must be a string, got " + typeName(v)}
	}
	*dst = string(s)
	return fault{}
}

var errNotTime = errors.New("not RFC 3339 or Unix ms")

func parseTime(v *fastjson.Value, dst *int64) fault {
	if v == nil {
		return fault{reasonBadTime, "time: missing"}
	}
	ms, err := timeMillis(v)
	if err != nil {
		return fault{reasonBadTime, "time: " + err.Error()}
	}
	*dst = ms
	return fault{}
}

func timeMillis(v *fastjson.Value) (int64, error) {
	switch v.Type() {
	case fastjson.TypeNumber:
		ms, err := v.Int64()
		if err != nil {
			return 0, errNotTime
		}
		return ms, nil
	case fastjson.TypeString:
		t, err := time.Parse(time.RFC3339, string(v.GetStringBytes()))
		if err != nil {
			return 0, errNotTime
		}
		return t.UnixMilli(), nil
	}
	return 0, errNotTime
}

func parseValue(v *fastjson.Value, dst *float64) fault {
	if v == nil {
		return fault{reasonBadValue, "value: missing"}
	}
	if v.Type() != fastjson.TypeNumber {
		return fault{reasonBadValue, "value: must be a finite number, got " + typeName(v)}
	}
	x, err := v.Float64()
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return fault{reasonBadValue, "value: must be a finite number"}
	}
	*dst = x
	return fault{}
}

func parseQuality(v *fastjson.Value, dst *uint8) fault {
	const want = `quality: must be 0, 1, 2, "good", "suspect" or "bad"`
	if v == nil || v.Type() == fastjson.TypeNull {
		*dst = model.QualityGood
		return fault{}
	}
	switch v.Type() {
	case fastjson.TypeNumber:
		q, err := v.Int()
		if err != nil || q < int(model.QualityGood) || q > int(model.QualityBad) {
			return fault{reasonBadQuality, want}
		}
		*dst = uint8(q)
		return fault{}
	case fastjson.TypeString:
		switch string(v.GetStringBytes()) {
		case "good":
			*dst = model.QualityGood
		case "suspect":
			*dst = model.QualitySuspect
		case "bad":
			*dst = model.QualityBad
		default:
			return fault{reasonBadQuality, want}
		}
		return fault{}
	}
	return fault{reasonBadQuality, want + ", got " + typeName(v)}
}

// typeName names a JSON value's type the way a sender would say it.
func typeName(v *fastjson.Value) string {
	switch v.Type() {
	case fastjson.TypeTrue, fastjson.TypeFalse:
		return "bool"
	default:
		return v.Type().String()
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// valueEnd returns the index just past the JSON value starting at b[i].
// It only finds the extent (strings, nesting); the parser checks syntax.
func valueEnd(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errors.New("unexpected end of body")
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		return containerEnd(b, i)
	case ',', ']', '}', ':':
		return 0, errors.New("missing value")
	}
	j := i
	for j < len(b) && !isDelimiter(b[j]) {
		j++
	}
	return j, nil
}

func isDelimiter(c byte) bool {
	switch c {
	case ',', ']', '}', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

// stringEnd returns the index just past the string starting at b[i] == '"'.
func stringEnd(b []byte, i int) (int, error) {
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return 0, errors.New("unterminated string")
		}
		j += k
		backslashes := 0
		for n := j - 1; n > i && b[n] == '\\'; n-- {
			backslashes++
		}
		j++
		if backslashes%2 == 0 {
			return j, nil
		}
	}
}

// containerEnd returns the index just past the object or array starting
// at b[i], counting brackets outside strings.
func containerEnd(b []byte, i int) (int, error) {
	depth := 0
	for j := i; j < len(b); j++ {
		switch b[j] {
		case '"':
			end, err := stringEnd(b, j)
			if err != nil {
				return 0, err
			}
			j = end - 1
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return j + 1, nil
			}
		}
	}
	return 0, errors.New("unterminated object or array")
}
