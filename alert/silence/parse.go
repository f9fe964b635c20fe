package silence

import (
	"strconv"
	"strings"

	"cityvitals/model"
)

// ParseMatchers reads matchers written the Prometheus way, for the CLI and
// the API: `{unit="310101",indicator=~"gas\\..*"}`. The braces are
// optional, blanks around the parts are ignored, a trailing comma is
// allowed, and values are double-quoted Go string literals. It checks the
// syntax only; Compile checks names, operators and regular expressions.
// Errors are EINVALID and give the byte offset of the problem.
func ParseMatchers(s string) ([]Matcher, error) {
	p := parser{src: s}
	braced := p.consume("{")
	var ms []Matcher
	for {
		p.skipBlanks()
		if p.atEnd() || p.peek() == '}' {
			break
		}
		m, err := p.matcher()
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
		if !p.consume(",") {
			break
		}
	}
	if braced && !p.consume("}") {
		return nil, p.errorf("expected , or } after a matcher")
	}
	p.skipBlanks()
	if !p.atEnd() {
		return nil, p.errorf("unexpected %q", p.src[p.pos:])
	}
	return ms, nil
}

// FormatMatchers renders matchers the way ParseMatchers reads them.
func FormatMatchers(ms []Matcher) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.String()
	}
	return "{" + strings.Join(parts, ",") + "}"
}

type parser struct {
	src string
	pos int
}

func (p *parser) atEnd() bool { return p.pos >= len(p.src) }
func (p *parser) peek() byte  { return p.src[p.pos] }

func (p *parser) skipBlanks() {
	for !p.atEnd() && strings.IndexByte(" \t\r\n", p.peek()) >= 0 {
		p.pos++
	}
}

// consume skips blanks and then tok if it comes next.
func (p *parser) consume(tok string) bool {
	p.skipBlanks()
	if strings.HasPrefix(p.src[p.pos:], tok) {
		p.pos += len(tok)
		return true
	}
	return false
}

func (p *parser) errorf(format string, args ...any) error {
	return model.Errorf(model.EINVALID, "matchers at offset %d: "+format, append([]any{p.pos}, args...)...)
}

func (p *parser) matcher() (Matcher, error) {
	name := p.name()
	if name == "" {
		return Matcher{}, p.errorf("expected a label name")
	}
	op, ok := p.op()
	if !ok {
		return Matcher{}, p.errorf("expected =, !=, =~ or !~ after %q", name)
	}
	value, err := p.quoted()
	if err != nil {
		return Matcher{}, err
	}
	return Matcher{Name: name, Op: op, Value: value}, nil
}

func (p *parser) name() string {
	p.skipBlanks()
	start := p.pos
	for !p.atEnd() && isNameByte(p.peek()) {
		p.pos++
	}
	return p.src[start:p.pos]
}

func isNameByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// op reads an operator; the two-byte ones are tried first so that =~ is
// not read as = followed by a stray ~.
func (p *parser) op() (Op, bool) {
	for _, op := range []Op{OpRegexp, OpNotRegexp, OpNotEqual, OpEqual} {
		if p.consume(string(op)) {
			return op, true
		}
	}
	return "", false
}

// quoted reads a double-quoted Go string literal.
func (p *parser) quoted() (string, error) {
	p.skipBlanks()
	if p.atEnd() || p.peek() != '"' {
		return "", p.errorf(`expected a "quoted" value`)
	}
	start := p.pos
	for p.pos++; !p.atEnd(); p.pos++ {
		switch p.peek() {
		case '\\':
			p.pos++ // the escaped byte cannot end the literal
		case '"':
			p.pos++
			v, err := strconv.Unquote(p.src[start:p.pos])
			if err != nil {
				p.pos = start
				return "", p.errorf("bad quoted value: %v", err)
			}
			return v, nil
		}
	}
	p.pos = start
	return "", p.errorf("unterminated quoted value")
}
