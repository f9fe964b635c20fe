package ingest

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxEchoBytes bounds any sender-supplied text that is echoed back in a
// rejection, so a hostile batch cannot make the response larger than the
// request or smuggle control characters into logs and terminals.
const maxEchoBytes = 128

// echo returns s fit to be shown back to the sender: invalid UTF-8 and
// control characters replaced by U+FFFD, and at most maxEchoBytes bytes,
// cut at a rune boundary and ending in "…" when cut.
func echo(s string) string {
	if len(s) <= maxEchoBytes && isClean(s) {
		return s
	}
	// Replacing only lengthens text, so one byte past the limit is enough
	// input to decide; the rest of a huge key is never looked at.
	clean := sanitize(s[:min(len(s), maxEchoBytes+1)])
	if len(clean) <= maxEchoBytes {
		return clean
	}
	const ellipsis = "…"
	end := 0
	for i, r := range clean {
		if i+utf8.RuneLen(r) > maxEchoBytes-len(ellipsis) {
			break
		}
		end = i + utf8.RuneLen(r)
	}
	return clean[:end] + ellipsis
}

func isClean(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// sanitize replaces invalid UTF-8 and control characters by U+FFFD.
func sanitize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s { // an invalid byte arrives as utf8.RuneError
		if unicode.IsControl(r) {
			r = utf8.RuneError
		}
		b.WriteRune(r)
	}
	return b.String()
}
