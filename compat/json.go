package compat

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Pos is a position in a schema source: file, 1-based line and column
// (the column counts bytes). A zero Line means the position is unknown.
type Pos struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

// String renders the position as "file:line:col", or "file" when the line
// is unknown.
func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// jsonKind is the kind of a parsed JSON value.
type jsonKind int

const (
	jsonNull jsonKind = iota
	jsonBool
	jsonNumber
	jsonString
	jsonArray
	jsonObject
)

func (k jsonKind) String() string {
	return [...]string{"null", "boolean", "number", "string", "array", "object"}[k]
}

// node is one JSON value with the position where it starts.
type node struct {
	kind    jsonKind
	pos     Pos
	boolean bool
	str     string // string value, or the literal text of a number
	items   []*node
	members []member
}

// member is one key of a JSON object, in source order.
type member struct {
	key    string
	keyPos Pos
	value  *node
}

// get returns the value of key in an object node, or nil.
func (n *node) get(key string) *node {
	for _, m := range n.members {
		if m.key == key {
			return m.value
		}
	}
	return nil
}

// jsonParser is a small JSON parser that records the position of every
// value; encoding/json cannot, and findings must point into the file.
type jsonParser struct {
	file string
	src  []byte
	off  int
	line int
	col  int
}

// parseJSON parses one JSON document. Errors carry file:line:col.
func parseJSON(file string, src []byte) (*node, error) {
	p := &jsonParser{file: file, src: src, line: 1, col: 1}
	if len(src) >= 3 && src[0] == 0xEF && src[1] == 0xBB && src[2] == 0xBF {
		p.off = 3
	}
	p.skipSpace()
	if p.off >= len(p.src) {
		return nil, p.errorf("empty document: expected an Avro schema (a JSON string, object or array)")
	}
	n, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.off < len(p.src) {
		return nil, p.errorf("unexpected %s after the end of the schema", p.describe())
	}
	return n, nil
}

func (p *jsonParser) pos() Pos { return Pos{File: p.file, Line: p.line, Col: p.col} }

func (p *jsonParser) errorf(format string, args ...any) error {
	return &ParseError{Pos: p.pos(), Msg: fmt.Sprintf(format, args...)}
}

func (p *jsonParser) describe() string {
	if p.off >= len(p.src) {
		return "end of file"
	}
	r, _ := utf8.DecodeRune(p.src[p.off:])
	return strconv.QuoteRune(r)
}

func (p *jsonParser) advance(n int) {
	for i := 0; i < n && p.off < len(p.src); i++ {
		if p.src[p.off] == '\n' {
			p.line++
			p.col = 1
		} else {
			p.col++
		}
		p.off++
	}
}

func (p *jsonParser) skipSpace() {
	for p.off < len(p.src) {
		switch p.src[p.off] {
		case ' ', '\t', '\r', '\n':
			p.advance(1)
		default:
			return
		}
	}
}

const maxJSONDepth = 512

func (p *jsonParser) value(depth int) (*node, error) {
	if depth > maxJSONDepth {
		return nil, p.errorf("schema nested more than %d levels deep", maxJSONDepth)
	}
	start := p.pos()
	if p.off >= len(p.src) {
		return nil, p.errorf("unexpected end of file: expected a value")
	}
	switch c := p.src[p.off]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, err := p.stringLit()
		if err != nil {
			return nil, err
		}
		return &node{kind: jsonString, pos: start, str: s}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case p.literal("true"):
		return &node{kind: jsonBool, pos: start, boolean: true}, nil
	case p.literal("false"):
		return &node{kind: jsonBool, pos: start}, nil
	case p.literal("null"):
		return &node{kind: jsonNull, pos: start}, nil
	default:
		return nil, p.errorf("unexpected %s: expected a JSON value", p.describe())
	}
}

func (p *jsonParser) literal(word string) bool {
	if strings.HasPrefix(string(p.src[p.off:min(len(p.src), p.off+len(word))]), word) {
		p.advance(len(word))
		return true
	}
	return false
}

func (p *jsonParser) object(depth int) (*node, error) {
	n := &node{kind: jsonObject, pos: p.pos()}
	p.advance(1)
	p.skipSpace()
	if p.off < len(p.src) && p.src[p.off] == '}' {
		p.advance(1)
		return n, nil
	}
	seen := map[string]Pos{}
	for {
		p.skipSpace()
		if p.off >= len(p.src) || p.src[p.off] != '"' {
			return nil, p.errorf("unexpected %s: expected a quoted object key", p.describe())
		}
		keyPos := p.pos()
		key, err := p.stringLit()
		if err != nil {
			return nil, err
		}
		if first, dup := seen[key]; dup {
			return nil, &ParseError{Pos: keyPos, Msg: fmt.Sprintf("duplicate key %q (first at %d:%d)", key, first.Line, first.Col)}
		}
		seen[key] = keyPos
		p.skipSpace()
		if p.off >= len(p.src) || p.src[p.off] != ':' {
			return nil, p.errorf("unexpected %s: expected ':' after key %q", p.describe(), key)
		}
		p.advance(1)
		p.skipSpace()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		n.members = append(n.members, member{key: key, keyPos: keyPos, value: v})
		p.skipSpace()
		if p.off >= len(p.src) {
			return nil, p.errorf("unexpected end of file: expected ',' or '}' (object opened at %d:%d)", n.pos.Line, n.pos.Col)
		}
		switch p.src[p.off] {
		case ',':
			p.advance(1)
		case '}':
			p.advance(1)
			return n, nil
		default:
			return nil, p.errorf("unexpected %s: expected ',' or '}'", p.describe())
		}
	}
}

func (p *jsonParser) array(depth int) (*node, error) {
	n := &node{kind: jsonArray, pos: p.pos()}
	p.advance(1)
	p.skipSpace()
	if p.off < len(p.src) && p.src[p.off] == ']' {
		p.advance(1)
		return n, nil
	}
	for {
		p.skipSpace()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		n.items = append(n.items, v)
		p.skipSpace()
		if p.off >= len(p.src) {
			return nil, p.errorf("unexpected end of file: expected ',' or ']' (array opened at %d:%d)", n.pos.Line, n.pos.Col)
		}
		switch p.src[p.off] {
		case ',':
			p.advance(1)
		case ']':
			p.advance(1)
			return n, nil
		default:
			return nil, p.errorf("unexpected %s: expected ',' or ']'", p.describe())
		}
	}
}

func (p *jsonParser) number() (*node, error) {
	start := p.pos()
	begin := p.off
	if p.src[p.off] == '-' {
		p.advance(1)
	}
	digits := func() int {
		n := 0
		for p.off < len(p.src) && p.src[p.off] >= '0' && p.src[p.off] <= '9' {
			p.advance(1)
			n++
		}
		return n
	}
	if digits() == 0 {
		return nil, p.errorf("malformed number: expected a digit")
	}
	if p.off < len(p.src) && p.src[p.off] == '.' {
		p.advance(1)
		if digits() == 0 {
			return nil, p.errorf("malformed number: expected a digit after '.'")
		}
	}
	if p.off < len(p.src) && (p.src[p.off] == 'e' || p.src[p.off] == 'E') {
		p.advance(1)
		if p.off < len(p.src) && (p.src[p.off] == '+' || p.src[p.off] == '-') {
			p.advance(1)
		}
		if digits() == 0 {
			return nil, p.errorf("malformed number: expected a digit in the exponent")
		}
	}
	return &node{kind: jsonNumber, pos: start, str: string(p.src[begin:p.off])}, nil
}

func (p *jsonParser) stringLit() (string, error) {
	start := p.pos()
	p.advance(1)
	var b strings.Builder
	for {
		if p.off >= len(p.src) {
			return "", &ParseError{Pos: start, Msg: "unterminated string"}
		}
		c := p.src[p.off]
		switch {
		case c == '"':
			p.advance(1)
			return b.String(), nil
		case c == '\\':
			if p.off+1 >= len(p.src) {
				return "", &ParseError{Pos: start, Msg: "unterminated string"}
			}
			esc := p.src[p.off+1]
			switch esc {
			case '"', '\\', '/':
				b.WriteByte(esc)
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
				r, n, err := p.unicodeEscape()
				if err != nil {
					return "", err
				}
				b.WriteRune(r)
				p.advance(n)
				continue
			default:
				return "", p.errorf("invalid escape \\%c in string", esc)
			}
			p.advance(2)
		case c < 0x20:
			return "", p.errorf("control character %#x in string: escape it", c)
		default:
			r, size := utf8.DecodeRune(p.src[p.off:])
			if r == utf8.RuneError && size == 1 {
				return "", p.errorf("invalid UTF-8 in string")
			}
			b.WriteString(string(p.src[p.off : p.off+size]))
			p.off += size
			p.col++
		}
	}
}

// unicodeEscape decodes \uXXXX (and a following low surrogate) at p.off and
// returns the rune and the number of bytes it spans.
func (p *jsonParser) unicodeEscape() (rune, int, error) {
	hex := func(at int) (rune, bool) {
		if at+6 > len(p.src) || p.src[at] != '\\' || p.src[at+1] != 'u' {
			return 0, false
		}
		v, err := strconv.ParseUint(string(p.src[at+2:at+6]), 16, 32)
		if err != nil {
			return 0, false
		}
		return rune(v), true
	}
	r, ok := hex(p.off)
	if !ok {
		return 0, 0, p.errorf("invalid \\u escape in string: expected four hex digits")
	}
	if utf16.IsSurrogate(r) {
		if r2, ok := hex(p.off + 6); ok {
			if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
				return dec, 12, nil
			}
		}
		return utf8.RuneError, 6, nil
	}
	return r, 6, nil
}
