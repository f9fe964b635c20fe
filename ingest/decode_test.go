package ingest

import (
	"strings"
	"testing"
	"unicode/utf8"

	"cityvitals/model"
)

func testDecoder() *decoder {
	return &decoder{maxBodyBytes: 1 << 20, maxItems: 100}
}

func TestDecodeItems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		body     string
		want     []item
		rejected []Rejection
	}{
		{
			name: "array with id, key, both time forms and every quality form",
			body: `[
				{"datastream": 17, "time": "2024-05-01T08:00:00+08:00", "value": 12.5},
				{"datastream": "gw-1/ch-2", "time": 1714521600000, "value": -3, "quality": 1, "property": "gas_lel", "uom": "%LEL", "extra": {"ignored": [1, 2]}},
				{"datastream": 18, "time": "2024-05-01T00:00:00.250Z", "value": 1e3, "quality": "bad"}
			]`,
			want: []item{
				{index: 0, id: 17, time: 1714521600000, value: 12.5},
				{index: 1, key: "gw-1/ch-2", time: 1714521600000, value: -3, quality: model.QualitySuspect, property: "gas_lel", uom: "%LEL"},
				{index: 2, id: 18, time: 1714521600250, value: 1000, quality: model.QualityBad},
			},
		},
		{
			name: "ndjson with blank lines and CRLF",
			body: "{\"datastream\":1,\"time\":0,\"value\":1}\r\n\n  \n{\"datastream\":2,\"time\":1,\"value\":2,\"quality\":\"suspect\"}",
			want: []item{
				{index: 0, id: 1, time: 0, value: 1},
				{index: 1, id: 2, time: 1, value: 2, quality: model.QualitySuspect},
			},
		},
		{
			name: "ndjson broken line is only that item",
			body: "{\"datastream\":1,\"time\":0,\"value\":1}\n{\"datastream\":2,\"time\":\n{\"datastream\":3,\"time\":0,\"value\":3}\n",
			want: []item{
				{index: 0, id: 1, value: 1},
				{index: 2, id: 3, value: 3},
			},
			rejected: []Rejection{{Index: 1, Reason: "item: malformed JSON line"}},
		},
		{
			name: "every field fault",
			body: `[
				{"time": 0, "value": 1},
				{"datastream": true, "time": 0, "value": 1},
				{"datastream": 0, "time": 0, "value": 1},
				{"datastream": 1.5, "time": 0, "value": 1},
				{"datastream": "", "time": 0, "value": 1},
				{"datastream": 1, "value": 1},
				{"datastream": 1, "time": "2024-05-01 08:00:00", "value": 1},
				{"datastream": 1, "time": "2024-05-01T08:00:00", "value": 1},
				{"datastream": 1, "time": 1714521600000.5, "value": 1},
				{"datastream": "k", "time": 0},
				{"datastream": "k", "time": 0, "value": "12"},
				{"datastream": "k", "time": 0, "value": NaN},
				{"datastream": "k", "time": 0, "value": 1e999},
				{"datastream": "k", "time": 0, "value": null},
				{"datastream": 1, "time": 0, "value": 1, "quality": 3},
				{"datastream": 1, "time": 0, "value": 1, "quality": "great"},
				{"datastream": 1, "time": 0, "value": 1, "property": 7},
				42,
				[1, 2]
			]`,
			rejected: []Rejection{
				{Index: 0, Reason: "datastream: missing"},
				{Index: 1, Reason: "datastream: must be a positive integer id or a non-empty string key, got bool"},
				{Index: 2, Reason: "datastream: must be a positive integer id or a non-empty string key"},
				{Index: 3, Reason: "datastream: must be a positive integer id or a non-empty string key"},
				{Index: 4, Reason: "datastream: must be a positive integer id or a non-empty string key"},
				{Index: 5, Stream: "1", Reason: "time: missing"},
				{Index: 6, Stream: "1", Reason: "time: not RFC 3339 or Unix ms"},
				{Index: 7, Stream: "1", Reason: "time: not RFC 3339 or Unix ms"},
				{Index: 8, Stream: "1", Reason: "time: not RFC 3339 or Unix ms"},
				{Index: 9, Stream: "k", Reason: "value: missing"},
				{Index: 10, Stream: "k", Reason: "value: must be a finite number, got string"},
				{Index: 11, Stream: "k", Reason: "value: must be a finite number"},
				{Index: 12, Stream: "k", Reason: "value: must be a finite number"},
				{Index: 13, Stream: "k", Reason: "value: must be a finite number, got null"},
				{Index: 14, Stream: "1", Reason: `quality: must be 0, 1, 2, "good", "suspect" or "bad"`},
				{Index: 15, Stream: "1", Reason: `quality: must be 0, 1, 2, "good", "suspect" or "bad"`},
				{Index: 16, Stream: "1", Reason: "property: must be a string, got number"},
				{Index: 17, Reason: "item: must be a JSON object, got number"},
				{Index: 18, Reason: "item: must be a JSON object, got array"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b batch
			if err := testDecoder().decode([]byte(tt.body), &b); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if len(b.items) != len(tt.want) {
				t.Fatalf("items = %+v, want %+v", b.items, tt.want)
			}
			for i := range tt.want {
				if b.items[i] != tt.want[i] {
					t.Errorf("item %d = %+v, want %+v", i, b.items[i], tt.want[i])
				}
			}
			if len(b.rejected.list) != len(tt.rejected) {
				t.Fatalf("rejected = %+v, want %+v", b.rejected.list, tt.rejected)
			}
			for i := range tt.rejected {
				if b.rejected.list[i] != tt.rejected[i] {
					t.Errorf("rejection %d = %+v, want %+v", i, b.rejected.list[i], tt.rejected[i])
				}
			}
			if got := len(b.items) + len(b.rejected.list); got != b.seen {
				t.Errorf("items+rejected = %d, seen = %d", got, b.seen)
			}
		})
	}
}

func TestDecodeBodyErrors(t *testing.T) {
	t.Parallel()
	tooManyArray := "[" + strings.Repeat(`{"datastream":1,"time":0,"value":1},`, 100) + `{"datastream":1,"time":0,"value":1}]`
	tooManyLines := strings.Repeat("{\"datastream\":1,\"time\":0,\"value\":1}\n", 101)
	tests := []struct {
		name     string
		body     string
		wantCode string
		wantText string
	}{
		{"empty", "", model.EINVALID, "empty"},
		{"only space", " \n\t ", model.EINVALID, "empty"},
		{"not json", "datastream=1&value=2", model.EINVALID, "not a JSON array"},
		{"json scalar", "42", model.EINVALID, "not a JSON array"},
		{"json string", `"hello"`, model.EINVALID, "not a JSON array"},
		{"csv", "stream,time,value\n1,0,1\n", model.EINVALID, "not a JSON array"},
		{"array not closed", `[{"datastream":1,"time":0,"value":1}`, model.EINVALID, "not closed"},
		{"array broken element", `[{"datastream":1,"time":0,"value":1},{"datastream":}]`, model.EINVALID, "item 1: malformed JSON"},
		{"array missing comma", `[{"datastream":1} {"datastream":2}]`, model.EINVALID, "item 0: expected ','"},
		{"array trailing comma", `[{"datastream":1},]`, model.EINVALID, "item 1: malformed JSON"},
		{"array unterminated string", `[{"datastream":"abc}]`, model.EINVALID, "unterminated string"},
		{"data after array", `[] []`, model.EINVALID, "after the closing"},
		{"body over limit", "[" + strings.Repeat(" ", 1<<20) + "]", model.ETOOLARGE, "limit is 1048576 bytes"},
		{"array over item limit", tooManyArray, model.ETOOLARGE, "limit is 100 items"},
		{"ndjson over item limit", tooManyLines, model.ETOOLARGE, "limit is 100 items"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b batch
			err := testDecoder().decode([]byte(tt.body), &b)
			if model.ErrorCode(err) != tt.wantCode {
				t.Fatalf("decode error = %v, want code %s", err, tt.wantCode)
			}
			if !strings.Contains(model.ErrorMessage(err), tt.wantText) {
				t.Errorf("message %q does not mention %q", model.ErrorMessage(err), tt.wantText)
			}
		})
	}
}

func TestDecodeEmptyArray(t *testing.T) {
	t.Parallel()
	var b batch
	if err := testDecoder().decode([]byte(" [ ] \n"), &b); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if b.seen != 0 || len(b.items) != 0 || len(b.rejected.list) != 0 {
		t.Errorf("empty array decoded to %+v", b)
	}
}

func TestDecodeEscapedStrings(t *testing.T) {
	t.Parallel()
	// Brackets and escaped quotes inside strings must not confuse the
	// scanner that finds element boundaries.
	body := `[{"datastream":"a\"]},{[\\","time":0,"value":1,"note":"]]]"},{"datastream":"b","time":0,"value":2}]`
	var b batch
	if err := testDecoder().decode([]byte(body), &b); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(b.items) != 2 || b.items[0].key != `a"]},{[\` || b.items[1].key != "b" {
		t.Errorf("items = %+v", b.items)
	}
}

func TestEcho(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("漢", 100) // 300 bytes
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"plain", "gw-1/ch-2", "gw-1/ch-2"},
		{"control characters", "a\x00b\nc\x1b[31m", "a\uFFFDb\uFFFDc\uFFFD[31m"},
		{"invalid utf-8", "a\xff\xfeb", "a\uFFFD\uFFFDb"},
		{"exactly the limit", strings.Repeat("x", 128), strings.Repeat("x", 128)},
		{"one over the limit", strings.Repeat("x", 129), strings.Repeat("x", 125) + "…"},
		{"multibyte cut at a rune boundary", long, strings.Repeat("漢", 41) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := echo(tt.in)
			if got != tt.want {
				t.Errorf("echo(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if len(got) > maxEchoBytes || !utf8.ValidString(got) {
				t.Errorf("echo(%q) = %q: %d bytes, valid UTF-8 %v", tt.in, got, len(got), utf8.ValidString(got))
			}
		})
	}
}

func TestDecodeHostileKeyIsBoundedInRejection(t *testing.T) {
	t.Parallel()
	key := strings.Repeat("\x01\xff", 50_000)
	body := `{"datastream":"` + key + `","time":"yesterday","value":1}`
	var b batch
	if err := testDecoder().decode([]byte(body), &b); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(b.rejected.list) != 1 {
		t.Fatalf("rejected = %d items, want 1", len(b.rejected.list))
	}
	r := b.rejected.list[0]
	if len(r.Stream) > maxEchoBytes || !utf8.ValidString(r.Stream) || strings.ContainsRune(r.Stream, '\x01') {
		t.Errorf("stream echoed unsafely: %d bytes %q", len(r.Stream), r.Stream)
	}
}
