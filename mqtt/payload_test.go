package mqtt

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"cityvitals/model"
)

func TestStreamItemBody(t *testing.T) {
	received := time.UnixMilli(1714550400123)
	tests := []struct {
		name    string
		key     string
		payload string
		want    string // body, or the error message when wantErr
		wantErr bool
	}{
		{name: "integer", key: "lel-1", payload: "42", want: `[{"datastream":"lel-1","time":1714550400123,"value":42}]`},
		{name: "negative exponent kept verbatim", key: "t", payload: " -1.5e-3\n", want: `[{"datastream":"t","time":1714550400123,"value":-1.5e-3}]`},
		{name: "object with time", key: "kpa", payload: `{"value":1,"time":"2024-05-01T08:00:00Z"}`, want: `[{"datastream":"kpa","time":"2024-05-01T08:00:00Z","value":1}]`},
		{name: "object without time", key: "kpa", payload: `{"value":1,"quality":2}`, want: `[{"datastream":"kpa","quality":2,"time":1714550400123,"value":1}]`},
		{name: "key needing escapes", key: `a"b`, payload: "1", want: `[{"datastream":"a\"b","time":1714550400123,"value":1}]`},
		{name: "empty", key: "k", payload: "  ", want: `payload of datastream "k": empty`, wantErr: true},
		{name: "word", key: "k", payload: "NaN", want: `payload of datastream "k": want a bare number or a JSON object, got "NaN"`, wantErr: true},
		{name: "quoted number", key: "k", payload: `"1"`, want: `payload of datastream "k": want a bare number or a JSON object, got "\"1\""`, wantErr: true},
		{name: "two numbers", key: "k", payload: "1 2", want: `payload of datastream "k": want a bare number or a JSON object, got "1 2"`, wantErr: true},
		{name: "out of range", key: "k", payload: "1e999", want: `payload of datastream "k": number 1e999 out of range`, wantErr: true},
		{name: "object naming a datastream", key: "k", payload: `{"datastream":"x","value":1}`, want: `payload of datastream "k": field "datastream" is not allowed, the key comes from the topic`, wantErr: true},
		{name: "object without value", key: "k", payload: `{"time":1}`, want: `payload of datastream "k": field "value" is missing`, wantErr: true},
		{name: "broken object", key: "k", payload: `{"value":`, want: `payload of datastream "k": not a JSON object: unexpected end of JSON input`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := streamItemBody(tt.key, []byte(tt.payload), received)
			if tt.wantErr {
				if model.ErrorCode(err) != model.EINVALID || model.ErrorMessage(err) != tt.want {
					t.Fatalf("err = %v, want EINVALID %q", err, tt.want)
				}
				return
			}
			if err != nil || string(body) != tt.want {
				t.Fatalf("got %s, %v; want %s", body, err, tt.want)
			}
		})
	}
}

// FuzzStreamItemBody checks that any payload either becomes a one-item
// batch for the topic's key with a value and a time, or is refused with
// EINVALID; never a panic, never a body naming another stream.
func FuzzStreamItemBody(f *testing.F) {
	for _, seed := range []string{"1", "-0.5e10", `{"value":1}`, `{"value":1,"time":"2024-05-01T08:00:00Z"}`,
		`{"datastream":"x","value":1}`, "", "{", "nan", `{"value":1,"value":2}`, "1e400", "\xff"} {
		f.Add("lel-1", []byte(seed))
	}
	received := time.UnixMilli(1714550400000)
	f.Fuzz(func(t *testing.T, key string, payload []byte) {
		body, err := streamItemBody(key, payload, received)
		if err != nil {
			if model.ErrorCode(err) != model.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		if !utf8.ValidString(key) || key == "" {
			t.Fatalf("accepted invalid key %q", key)
		}
		var items []map[string]json.RawMessage
		if err := json.Unmarshal(body, &items); err != nil || len(items) != 1 {
			t.Fatalf("body %s is not a one-item batch: %v", body, err)
		}
		var stream string
		if err := json.Unmarshal(items[0]["datastream"], &stream); err != nil || stream != key {
			t.Fatalf("body %s names stream %q, want %q", body, stream, key)
		}
		for _, field := range []string{"value", "time"} {
			if _, ok := items[0][field]; !ok {
				t.Fatalf("body %s has no %q", body, field)
			}
		}
	})
}

func TestKeyTemplate(t *testing.T) {
	tests := []struct {
		name      string
		filter    string
		template  string
		topic     string
		want      string
		wantError string // from parse or expand
	}{
		{name: "level and literal", filter: "sensors/+/pm25", template: "{1}/pm25", topic: "sensors/dev7/pm25", want: "dev7/pm25"},
		{name: "several levels", filter: "site/+/+/#", template: "{1}.{2}", topic: "site/a/b/c/d", want: "a.b"},
		{name: "literal only", filter: "river/level", template: "river-level", topic: "river/level", want: "river-level"},
		{name: "level past the filter", filter: "sensors/+/pm25", template: "{3}", wantError: `key template "{3}": "{3}" does not name a level of the topic filter`},
		{name: "not a number", filter: "a/+", template: "{x}", wantError: `key template "{x}": "{x}" does not name a level of the topic filter`},
		{name: "unclosed", filter: "a/+", template: "{1", wantError: `key template "{1": unclosed {`},
		{name: "empty", filter: "a/+", template: "", wantError: "key template is empty"},
		{name: "topic shorter than a # filter needs", filter: "a/#", template: "{3}", topic: "a/b", wantError: `topic "a/b": no level 3 for the datastream key`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			levels, err := filterLevels(tt.filter)
			if err != nil {
				t.Fatalf("filterLevels(%q): %v", tt.filter, err)
			}
			got, err := expandTemplate(tt.template, levels, tt.topic)
			if tt.wantError != "" {
				if model.ErrorMessage(err) != tt.wantError {
					t.Fatalf("err = %v, want %q", err, tt.wantError)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func expandTemplate(template string, levels int, topic string) (string, error) {
	tmpl, err := parseKeyTemplate(template, levels)
	if err != nil {
		return "", err
	}
	return tmpl.expand(topic)
}

func TestFilterLevels(t *testing.T) {
	tests := []struct {
		name    string
		filter  string
		want    int
		wantErr bool
	}{
		{name: "plain", filter: "a/b/c", want: 3},
		{name: "plus", filter: "a/+/c", want: 3},
		{name: "hash", filter: "a/#", want: 0},
		{name: "hash inside", filter: "a/#/c", wantErr: true},
		{name: "partial plus", filter: "a/b+/c", wantErr: true},
		{name: "empty", filter: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := filterLevels(tt.filter)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("filterLevels(%q) = %d, %v; want %d, error %v", tt.filter, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestTopicACL(t *testing.T) {
	tests := []struct {
		name      string
		device    string
		topic     string
		publish   bool
		subscribe bool
	}{
		{name: "own observations", device: "d1", topic: "cityvitals/v1/devices/d1/observations", publish: true},
		{name: "own datastream", device: "d1", topic: "cityvitals/v1/devices/d1/datastreams/lel", publish: true},
		{name: "own rejections", device: "d1", topic: "cityvitals/v1/devices/d1/rejections", subscribe: true},
		{name: "other device", device: "d1", topic: "cityvitals/v1/devices/d2/observations"},
		{name: "key with slashes", device: "d1", topic: "cityvitals/v1/devices/d1/datastreams/a/b", publish: true},
		{name: "empty key level", device: "d1", topic: "cityvitals/v1/devices/d1/datastreams/a//b"},
		{name: "empty key", device: "d1", topic: "cityvitals/v1/devices/d1/datastreams/"},
		{name: "wildcard device", device: "d1", topic: "cityvitals/v1/devices/+/observations"},
		{name: "wildcard under own", device: "d1", topic: "cityvitals/v1/devices/d1/#"},
		{name: "prefix of another device", device: "d", topic: "cityvitals/v1/devices/d1/observations"},
		{name: "no device", device: "", topic: "cityvitals/v1/devices//observations"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mayPublish(tt.device, tt.topic); got != tt.publish {
				t.Errorf("mayPublish = %v, want %v", got, tt.publish)
			}
			if got := maySubscribe(tt.device, tt.topic); got != tt.subscribe {
				t.Errorf("maySubscribe = %v, want %v", got, tt.subscribe)
			}
		})
	}
}

func TestBridgeConfigErrorsNameTheField(t *testing.T) {
	valid := BridgeSubscription{Filter: "s/+/pm25", Device: "gw", Format: FormatStream, KeyTemplate: "{1}"}
	tests := []struct {
		name string
		cfg  BridgeConfig
		want string
	}{
		{name: "no url", cfg: BridgeConfig{ClientID: "c", Subscriptions: []BridgeSubscription{valid}}, want: "broker_url"},
		{name: "bad scheme", cfg: BridgeConfig{BrokerURL: "http://h:1", ClientID: "c", Subscriptions: []BridgeSubscription{valid}}, want: "scheme"},
		{name: "no client id", cfg: BridgeConfig{BrokerURL: "tcp://h:1", Subscriptions: []BridgeSubscription{valid}}, want: "client_id"},
		{name: "no subscriptions", cfg: BridgeConfig{BrokerURL: "tcp://h:1", ClientID: "c"}, want: "subscriptions is empty"},
		{name: "no device", cfg: BridgeConfig{BrokerURL: "tcp://h:1", ClientID: "c", Subscriptions: []BridgeSubscription{{Filter: "a", Format: FormatBatch}}}, want: "subscriptions[0]: device"},
		{name: "bad format", cfg: BridgeConfig{BrokerURL: "tcp://h:1", ClientID: "c", Subscriptions: []BridgeSubscription{valid, {Filter: "a", Device: "d", Format: "csv"}}}, want: `subscriptions[1]: format "csv"`},
		{name: "template on batch", cfg: BridgeConfig{BrokerURL: "tcp://h:1", ClientID: "c", Subscriptions: []BridgeSubscription{{Filter: "a", Device: "d", Format: FormatBatch, KeyTemplate: "{0}"}}}, want: "key_template is only"},
		{name: "duplicate filter", cfg: BridgeConfig{BrokerURL: "tcp://h:1", ClientID: "c", Subscriptions: []BridgeSubscription{valid, valid}}, want: "listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewBridge(tt.cfg, newFakeIngester(), nil, nil)
			if model.ErrorCode(err) != model.EINVALID || !strings.Contains(model.ErrorMessage(err), tt.want) {
				t.Fatalf("err = %v, want EINVALID mentioning %q", err, tt.want)
			}
		})
	}
}
