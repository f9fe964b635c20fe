package mqtt

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"cityvitals/model"
)

// streamItemBody turns the payload of a per-datastream topic into a
// one-item batch body for Ingest, so that the ingest service parses and
// validates every message in one format. The payload is either a bare
// JSON number (the reading, taken at receipt time) or a JSON object with
// "value" and optional "time" and "quality"; the datastream key comes from
// the topic, so the object must not name one.
//
// Errors are *model.Error with code EINVALID.
func streamItemBody(key string, payload []byte, received time.Time) ([]byte, error) {
	if key == "" || !utf8.ValidString(key) {
		return nil, model.Errorf(model.EINVALID, "topic: datastream key %q is not valid UTF-8 text", key)
	}
	payload = bytes.TrimSpace(payload)
	if len(payload) == 0 {
		return nil, model.Errorf(model.EINVALID, "payload of datastream %q: empty", key)
	}
	if payload[0] == '{' {
		return objectItemBody(key, payload, received)
	}
	return numberItemBody(key, payload, received)
}

// numberItemBody builds the batch for a bare-number payload. The number's
// literal text is passed on unchanged so no precision is lost on the way.
func numberItemBody(key string, payload []byte, received time.Time) ([]byte, error) {
	if !isJSONNumber(payload) {
		return nil, model.Errorf(model.EINVALID,
			"payload of datastream %q: want a bare number or a JSON object, got %.40q", key, payload)
	}
	if _, err := strconv.ParseFloat(string(payload), 64); err != nil {
		return nil, model.Errorf(model.EINVALID, "payload of datastream %q: number %s out of range", key, payload)
	}
	keyJSON, _ := json.Marshal(key) // a valid UTF-8 string always marshals
	body := make([]byte, 0, len(keyJSON)+len(payload)+64)
	body = append(body, `[{"datastream":`...)
	body = append(body, keyJSON...)
	body = append(body, `,"time":`...)
	body = strconv.AppendInt(body, received.UnixMilli(), 10)
	body = append(body, `,"value":`...)
	body = append(body, payload...)
	return append(body, "}]"...), nil
}

// objectItemBody builds the batch for a JSON-object payload, adding the
// datastream key from the topic and the receipt time when "time" is absent.
func objectItemBody(key string, payload []byte, received time.Time) ([]byte, error) {
	var item map[string]json.RawMessage
	if err := json.Unmarshal(payload, &item); err != nil {
		return nil, model.Errorf(model.EINVALID, "payload of datastream %q: not a JSON object: %v", key, err)
	}
	if _, ok := item["datastream"]; ok {
		return nil, model.Errorf(model.EINVALID,
			"payload of datastream %q: field \"datastream\" is not allowed, the key comes from the topic", key)
	}
	if _, ok := item["value"]; !ok {
		return nil, model.Errorf(model.EINVALID, "payload of datastream %q: field \"value\" is missing", key)
	}
	if _, ok := item["time"]; !ok {
		item["time"] = strconv.AppendInt(nil, received.UnixMilli(), 10)
	}
	item["datastream"], _ = json.Marshal(key)
	obj, err := json.Marshal(item)
	if err != nil { // unreachable: every value came out of the decoder
		return nil, model.Errorf(model.EINVALID, "payload of datastream %q: %v", key, err)
	}
	return append(append([]byte{'['}, obj...), ']'), nil
}

// isJSONNumber reports whether b is exactly one JSON number literal.
func isJSONNumber(b []byte) bool {
	if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) {
		return false
	}
	return json.Valid(b)
}

// keyTemplate builds a datastream key from the levels of a topic: "{1}/pm25"
// applied to "sensors/dev7/pm25" gives "dev7/pm25". Levels count from 0.
type keyTemplate struct {
	parts []templatePart
}

// templatePart is either literal text or the index of a topic level.
type templatePart struct {
	literal string
	level   int // used when literal is ""
}

// parseKeyTemplate parses a template of literal text and {n} placeholders.
// Every placeholder must name a level below maxLevels, the number of levels
// of the filter it is used with (0 means unbounded, for filters ending in #).
func parseKeyTemplate(tmpl string, maxLevels int) (keyTemplate, error) {
	var t keyTemplate
	rest := tmpl
	for rest != "" {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			t.parts = append(t.parts, templatePart{literal: rest})
			break
		}
		if open > 0 {
			t.parts = append(t.parts, templatePart{literal: rest[:open]})
		}
		closing := strings.IndexByte(rest[open:], '}')
		if closing < 0 {
			return keyTemplate{}, model.Errorf(model.EINVALID, "key template %q: unclosed {", tmpl)
		}
		level, err := strconv.Atoi(rest[open+1 : open+closing])
		if err != nil || level < 0 || (maxLevels > 0 && level >= maxLevels) {
			return keyTemplate{}, model.Errorf(model.EINVALID,
				"key template %q: %q does not name a level of the topic filter", tmpl, rest[open:open+closing+1])
		}
		t.parts = append(t.parts, templatePart{level: level})
		rest = rest[open+closing+1:]
	}
	if len(t.parts) == 0 {
		return keyTemplate{}, model.Errorf(model.EINVALID, "key template is empty")
	}
	return t, nil
}

// expand builds the key for topic. It fails when the topic has fewer levels
// than the template names, which only filters ending in # allow.
func (t keyTemplate) expand(topic string) (string, error) {
	levels := strings.Split(topic, "/")
	var b strings.Builder
	for _, p := range t.parts {
		if p.literal != "" {
			b.WriteString(p.literal)
			continue
		}
		if p.level >= len(levels) || levels[p.level] == "" {
			return "", model.Errorf(model.EINVALID, "topic %q: no level %d for the datastream key", topic, p.level)
		}
		b.WriteString(levels[p.level])
	}
	return b.String(), nil
}
