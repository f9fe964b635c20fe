package ingest

import (
	"bytes"
	"testing"
	"unicode/utf8"

	"cityvitals/model"
)

// FuzzDecode checks that the decoder never panics, that a body either
// fails as a whole with a domain error or accounts for every item exactly
// once (accepted or rejected, each index once), that NDJSON bodies yield
// one item per non-blank line, and that rejections echo bounded, clean text.
func FuzzDecode(f *testing.F) {
	seeds := []string{
		`[{"datastream":1,"time":"2024-05-01T00:00:00Z","value":1}]`,
		`[{"datastream":"a\"]}","time":0,"value":1,"quality":"bad"},{"datastream":2,"time":1,"value":"x"}]`,
		"{\"datastream\":1,\"time\":0,\"value\":1}\n{broken\n\n{\"datastream\":\"k\",\"time\":0,\"value\":NaN}",
		`[1, "two", [3], {"datastream": null}]`,
		`[`, `]`, `{`, `[]`, ` `, "\xef\xbb\xbf[]",
		"{\"datastream\":\"\x00\xff\",\"time\":true,\"value\":1e999}",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	d := &decoder{maxBodyBytes: 1 << 16, maxItems: 1000}
	f.Fuzz(func(t *testing.T, body []byte) {
		var b batch
		err := d.decode(body, &b)
		if err != nil {
			if code := model.ErrorCode(err); code != model.EINVALID && code != model.ETOOLARGE {
				t.Fatalf("body error %v has code %s", err, code)
			}
			return
		}
		seen := make([]int, b.seen)
		for _, it := range b.items {
			seen[it.index]++
		}
		for _, r := range b.rejected.list {
			seen[r.Index]++
			if len(r.Stream) > maxEchoBytes || !utf8.ValidString(r.Stream) {
				t.Fatalf("rejection echoes %d bytes %q", len(r.Stream), r.Stream)
			}
		}
		for i, n := range seen {
			if n != 1 {
				t.Fatalf("item %d accounted for %d times", i, n)
			}
		}
		body = bytes.TrimPrefix(body, []byte("\uFEFF"))
		if first := skipSpace(body, 0); body[first] == '{' {
			if want := nonBlankLines(body); b.seen != want {
				t.Fatalf("NDJSON body with %d non-blank lines gave %d items", want, b.seen)
			}
		}
	})
}

func nonBlankLines(body []byte) int {
	n := 0
	for line := range bytes.SplitSeq(body, []byte("\n")) {
		if len(bytes.TrimLeft(line, " \t\r\n")) > 0 {
			n++
		}
	}
	return n
}
