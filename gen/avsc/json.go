package avsc

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// pos is a 1-based line and column (columns count characters, not bytes).
type pos struct{ line, col int }

type jkind uint8

const (
	jNull jkind = iota
	jBool
	jNumber
	jString
	jArray
	jObject
)

func (k jkind) String() string {
	return [...]string{"null", "boolean", "number", "string", "array", "object"}[k]
}

// jnode is one JSON value with the position where it starts. Objects keep
// their members in file order.
type jnode struct {
	kind    jkind
	pos     pos
	str     string // jString: the decoded string; jNumber: the literal as written
	b       bool
	elems   []*jnode
	members []jmember
}

type jmember struct {
	key    string
	keyPos pos
	value  *jnode
}

// get returns the member named key, or nil.
func (n *jnode) get(key string) *jnode {
	for i := range n.members {
		if n.members[i].key == key {
			return n.members[i].value
		}
	}
	return nil
}

// jsonError is a syntax error at a position.
type jsonError struct {
	pos pos
	msg string
}

func (e *jsonError) Error() string { return fmt.Sprintf("%d:%d: %s", e.pos.line, e.pos.col, e.msg) }

// parseJSON parses one JSON document, keeping positions. It rejects
// duplicate object keys, which JSON tolerates but a schema must not have.
func parseJSON(data []byte) (*jnode, error) {
	p := &jparser{data: data, line: 1, col: 1}
	if len(data) >= 3 && data[0] == 0xef && data[1] == 0xbb && data[2] == 0xbf {
		p.off = 3 // a UTF-8 byte order mark is not part of the document
	}
	p.skipSpace()
	n := p.value(0)
	if p.err != nil {
		return nil, p.err
	}
	p.skipSpace()
	if p.off < len(p.data) {
		p.fail("unexpected %s after the end of the JSON document", p.describe())
		return nil, p.err
	}
	return n, nil
}

type jparser struct {
	data      []byte
	off       int
	line, col int
	err       *jsonError
}

const maxDepth = 1000

func (p *jparser) here() pos { return pos{p.line, p.col} }

func (p *jparser) fail(format string, args ...any) {
	if p.err == nil {
		p.err = &jsonError{pos: p.here(), msg: fmt.Sprintf(format, args...)}
	}
}

// describe names the character at the current offset for an error message.
func (p *jparser) describe() string {
	if p.off >= len(p.data) {
		return "end of file"
	}
	r, _ := utf8.DecodeRune(p.data[p.off:])
	return strconv.QuoteRune(r)
}

// advance moves past one character, tracking line and column.
func (p *jparser) advance() {
	r, size := utf8.DecodeRune(p.data[p.off:])
	p.off += size
	if r == '\n' {
		p.line++
		p.col = 1
	} else {
		p.col++
	}
}

func (p *jparser) skipSpace() {
	for p.off < len(p.data) {
		switch p.data[p.off] {
		case ' ', '\t', '\n', '\r':
			p.advance()
		default:
			return
		}
	}
}

func (p *jparser) value(depth int) *jnode {
	if p.err != nil {
		return nil
	}
	if depth > maxDepth {
		p.fail("JSON nested too deeply")
		return nil
	}
	if p.off >= len(p.data) {
		p.fail("unexpected end of file, expected a JSON value")
		return nil
	}
	start := p.here()
	switch c := p.data[p.off]; {
	case c == '{':
		return p.object(start, depth)
	case c == '[':
		return p.array(start, depth)
	case c == '"':
		s := p.string()
		return &jnode{kind: jString, pos: start, str: s}
	case c == '-' || (c >= '0' && c <= '9'):
		return &jnode{kind: jNumber, pos: start, str: p.number()}
	case c == 't':
		p.literal("true")
		return &jnode{kind: jBool, pos: start, b: true}
	case c == 'f':
		p.literal("false")
		return &jnode{kind: jBool, pos: start}
	case c == 'n':
		p.literal("null")
		return &jnode{kind: jNull, pos: start}
	default:
		p.fail("unexpected %s, expected a JSON value", p.describe())
		return nil
	}
}

func (p *jparser) literal(word string) {
	if !strings.HasPrefix(string(p.data[p.off:min(len(p.data), p.off+len(word))]), word) {
		p.fail("invalid literal, expected %s", word)
		return
	}
	for range word {
		p.advance()
	}
	if p.off < len(p.data) && isIdentByte(p.data[p.off]) {
		p.fail("invalid literal, expected %s", word)
	}
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (p *jparser) object(start pos, depth int) *jnode {
	n := &jnode{kind: jObject, pos: start}
	p.advance() // {
	p.skipSpace()
	if p.off < len(p.data) && p.data[p.off] == '}' {
		p.advance()
		return n
	}
	seen := map[string]bool{}
	for p.err == nil {
		p.skipSpace()
		if p.off >= len(p.data) || p.data[p.off] != '"' {
			p.fail("unexpected %s, expected a quoted object key", p.describe())
			return nil
		}
		keyPos := p.here()
		key := p.string()
		if p.err != nil {
			return nil
		}
		if seen[key] {
			p.err = &jsonError{pos: keyPos, msg: fmt.Sprintf("duplicate key %q in object", key)}
			return nil
		}
		seen[key] = true
		p.skipSpace()
		if p.off >= len(p.data) || p.data[p.off] != ':' {
			p.fail("unexpected %s, expected ':' after object key", p.describe())
			return nil
		}
		p.advance()
		p.skipSpace()
		v := p.value(depth + 1)
		if p.err != nil {
			return nil
		}
		n.members = append(n.members, jmember{key: key, keyPos: keyPos, value: v})
		p.skipSpace()
		if p.off >= len(p.data) {
			p.fail("unexpected end of file, expected ',' or '}'")
			return nil
		}
		switch p.data[p.off] {
		case ',':
			comma := p.here()
			p.advance()
			p.skipSpace()
			if p.off < len(p.data) && p.data[p.off] == '}' {
				p.err = &jsonError{pos: comma, msg: "trailing comma before '}'"}
				return nil
			}
		case '}':
			p.advance()
			return n
		default:
			p.fail("unexpected %s, expected ',' or '}'", p.describe())
			return nil
		}
	}
	return nil
}

func (p *jparser) array(start pos, depth int) *jnode {
	n := &jnode{kind: jArray, pos: start}
	p.advance() // [
	p.skipSpace()
	if p.off < len(p.data) && p.data[p.off] == ']' {
		p.advance()
		return n
	}
	for p.err == nil {
		p.skipSpace()
		v := p.value(depth + 1)
		if p.err != nil {
			return nil
		}
		n.elems = append(n.elems, v)
		p.skipSpace()
		if p.off >= len(p.data) {
			p.fail("unexpected end of file, expected ',' or ']'")
			return nil
		}
		switch p.data[p.off] {
		case ',':
			comma := p.here()
			p.advance()
			p.skipSpace()
			if p.off < len(p.data) && p.data[p.off] == ']' {
				p.err = &jsonError{pos: comma, msg: "trailing comma before ']'"}
				return nil
			}
		case ']':
			p.advance()
			return n
		default:
			p.fail("unexpected %s, expected ',' or ']'", p.describe())
			return nil
		}
	}
	return nil
}

// string reads a quoted string and returns it decoded.
func (p *jparser) string() string {
	p.advance() // opening quote
	var b strings.Builder
	for {
		if p.off >= len(p.data) {
			p.fail("unexpected end of file in string")
			return ""
		}
		c := p.data[p.off]
		switch {
		case c == '"':
			p.advance()
			return b.String()
		case c == '\\':
			p.advance()
			if p.off >= len(p.data) {
				p.fail("unexpected end of file in string")
				return ""
			}
			e := p.data[p.off]
			switch e {
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, ok := p.hex4(p.off + 1)
				if !ok {
					p.fail(`invalid \u escape, expected four hex digits`)
					return ""
				}
				for range 4 {
					p.advance()
				}
				if utf16IsSurrogate(r) {
					// A surrogate pair: \uD83D\uDE00.
					if p.off+6 < len(p.data) && p.data[p.off+1] == '\\' && p.data[p.off+2] == 'u' {
						if r2, ok := p.hex4(p.off + 3); ok && r2 >= 0xDC00 && r2 <= 0xDFFF && r < 0xDC00 {
							r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
							for range 6 {
								p.advance()
							}
						} else {
							r = utf8.RuneError
						}
					} else {
						r = utf8.RuneError
					}
				}
				b.WriteRune(r)
			default:
				p.fail("invalid escape %s in string", p.describe())
				return ""
			}
			p.advance()
		case c < 0x20:
			p.fail("control character %s in string (escape it)", p.describe())
			return ""
		default:
			r, size := utf8.DecodeRune(p.data[p.off:])
			if r == utf8.RuneError && size == 1 {
				p.fail("invalid UTF-8 in string")
				return ""
			}
			b.WriteString(string(p.data[p.off : p.off+size]))
			p.advance()
		}
	}
}

func utf16IsSurrogate(r rune) bool { return r >= 0xD800 && r <= 0xDFFF }

func (p *jparser) hex4(at int) (rune, bool) {
	if at+4 > len(p.data) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(p.data[at:at+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(v), true
}

// number reads a JSON number and returns its literal text.
func (p *jparser) number() string {
	start := p.off
	if p.data[p.off] == '-' {
		p.advance()
	}
	digits := func() int {
		n := 0
		for p.off < len(p.data) && p.data[p.off] >= '0' && p.data[p.off] <= '9' {
			p.advance()
			n++
		}
		return n
	}
	intStart := p.off
	if digits() == 0 {
		p.fail("invalid number: expected a digit")
		return ""
	}
	if p.data[intStart] == '0' && p.off-intStart > 1 {
		p.fail("invalid number: leading zero")
		return ""
	}
	if p.off < len(p.data) && p.data[p.off] == '.' {
		p.advance()
		if digits() == 0 {
			p.fail("invalid number: expected a digit after '.'")
			return ""
		}
	}
	if p.off < len(p.data) && (p.data[p.off] == 'e' || p.data[p.off] == 'E') {
		p.advance()
		if p.off < len(p.data) && (p.data[p.off] == '+' || p.data[p.off] == '-') {
			p.advance()
		}
		if digits() == 0 {
			p.fail("invalid number: expected a digit in the exponent")
			return ""
		}
	}
	return string(p.data[start:p.off])
}
