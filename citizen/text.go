package citizen

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// checkText returns what makes s unacceptable as text from a citizen, or
// "": it must be valid UTF-8 without control characters; multiline text
// may contain line breaks and tabs. Markup is not refused here: every
// output escapes it (JSON, XML, CSV), which is the defence that holds.
func checkText(s string, multiline bool) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	for i, r := range s {
		if r == '\n' || r == '\r' || r == '\t' {
			if multiline {
				continue
			}
			return fmt.Sprintf("contains a line break or tab at byte %d; only one line is allowed", i)
		}
		if unicode.IsControl(r) {
			return fmt.Sprintf("contains the control character %U at byte %d", r, i)
		}
	}
	return ""
}

// clip shortens caller-supplied text before it goes into an error message.
func clip(s string) string {
	const limit = 64
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	return string([]rune(s)[:limit]) + "…"
}
