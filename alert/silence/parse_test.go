package silence

import (
	"reflect"
	"strings"
	"testing"

	"cityvitals/model"
)

func TestParseMatchers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []Matcher
	}{
		{"braced", `{unit="310101",indicator=~"gas\\..*"}`,
			[]Matcher{{"unit", OpEqual, "310101"}, {"indicator", OpRegexp, `gas\..*`}}},
		{"bare with blanks", ` unit = "310101" , level !~ "blue|yellow" `,
			[]Matcher{{"unit", OpEqual, "310101"}, {"level", OpNotRegexp, "blue|yellow"}}},
		{"trailing comma", `{rule!="silent",}`, []Matcher{{"rule", OpNotEqual, "silent"}}},
		{"escaped quote and unicode", `{comment="a \"b\" 街道"}`, []Matcher{{"comment", OpEqual, `a "b" 街道`}}},
		{"empty value", `{asset=""}`, []Matcher{{"asset", OpEqual, ""}}},
		{"empty braces", `{}`, nil},
		{"empty string", ``, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseMatchers(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseMatchers(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseMatchersErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"unclosed brace", `{unit="1"`, "offset 9: expected , or }"},
		{"no operator", `{unit "1"}`, `offset 6: expected =, !=, =~ or !~ after "unit"`},
		{"unquoted value", `{unit=1}`, `offset 6: expected a "quoted" value`},
		{"unterminated value", `{unit="1}`, "offset 6: unterminated quoted value"},
		{"bad escape", `{unit="\q"}`, "offset 6: bad quoted value"},
		{"no name", `{="1"}`, "offset 1: expected a label name"},
		{"junk after", `{unit="1"} x`, `offset 11: unexpected "x"`},
		{"missing comma", `unit="1" domain="gas"`, `offset 9: unexpected`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseMatchers(tc.in)
			if model.ErrorCode(err) != model.EINVALID {
				t.Fatalf("ParseMatchers(%q) error %v, want EINVALID", tc.in, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

// FuzzParseMatchers checks that parsing never panics, that whatever
// parses survives a format/parse round trip, and that compiling it either
// succeeds or fails with EINVALID.
func FuzzParseMatchers(f *testing.F) {
	for _, seed := range []string{
		`{unit="310101",indicator=~"gas\\..*"}`, `a!~"(x|y)+"`, `{b="\u8857",}`, `{c=~"(("}`, `{`, `x="\xff"`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := ParseMatchers(s)
		if err != nil {
			if model.ErrorCode(err) != model.EINVALID {
				t.Fatalf("ParseMatchers(%q) error %v is not EINVALID", s, err)
			}
			return
		}
		again, err := ParseMatchers(FormatMatchers(ms))
		if err != nil {
			t.Fatalf("formatted %q does not parse: %v", FormatMatchers(ms), err)
		}
		if len(ms) > 0 && !reflect.DeepEqual(again, ms) {
			t.Fatalf("round trip of %q: %v, want %v", s, again, ms)
		}
		if _, err := Compile(ms); err != nil && model.ErrorCode(err) != model.EINVALID {
			t.Fatalf("Compile(%v) error %v is not EINVALID", ms, err)
		}
	})
}
