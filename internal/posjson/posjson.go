// Package posjson parses a JSON document into a tree of nodes that remember
// where each value and each object key starts, so that a problem found later
// in the values (an unknown Avro type, a bad default) can be reported as
// file:line:col. compat and gen/avsc read Avro schema files with it.
//
// It is for schema-sized documents read whole. It is not a general JSON
// library: it does not stream, encode Go values or decode into them, and it
// keeps numbers as their literal text for the caller to convert. A parsed
// value can be written back as compact JSON (a default value copied into a
// schema's canonical form, say), with the caller's string quoting.
//
// # Positions
//
// Lines and columns are 1-based. A line ends at '\n'. Columns count
// characters (Unicode code points), not bytes, so a column after "é" is the
// one an editor shows; a tab is one column. A UTF-8 byte order mark at the
// very start is skipped and takes no column.
//
// # Strictness
//
// The grammar is RFC 8259's, and a document a schema reader could misread is
// an error: a duplicate object key, a trailing comma, text after the value,
// a number with a leading zero, invalid UTF-8 or an unescaped control
// character in a string, or arrays and objects nested more than MaxDepth
// deep. An escaped UTF-16 surrogate pair (\ud83d\ude00) decodes to its one
// character; an escaped surrogate that is not part of a pair decodes to
// U+FFFD, as encoding/json does.
package posjson

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is how deeply arrays and objects may nest: a document whose
// innermost value sits inside more than MaxDepth of them is an error.
const MaxDepth = 512

// Pos is a position in a document: 1-based line and column, the column
// counting characters. The zero Pos means unknown.
type Pos struct {
	Line, Col int
}

// String renders the position as "line:col".
func (p Pos) String() string {
	return strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
}

// Kind is the kind of a JSON value.
type Kind uint8

// The kinds of JSON values.
const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

// String names the kind as messages do: "null", "boolean", "number",
// "string", "array" or "object".
func (k Kind) String() string {
	switch k {
	case Null:
		return "null"
	case Bool:
		return "boolean"
	case Number:
		return "number"
	case String:
		return "string"
	case Array:
		return "array"
	case Object:
		return "object"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Node is one JSON value and the position of its first character.
type Node struct {
	Pos Pos
	// Str is a String's decoded text, or a Number's literal as written
	// ("1.50", "-0", "1e3").
	Str string
	// Elems are an Array's elements.
	Elems []*Node
	// Members are an Object's keys and values in file order; keys are
	// distinct.
	Members []Member
	Kind    Kind
	// Bool is a Bool's value.
	Bool bool
}

// Member is one key of an object with its value.
type Member struct {
	Key    string
	KeyPos Pos // the position of the key's opening quote
	Value  *Node
}

// Get returns the value of key in an object, or nil when the object has no
// such key (or n is not an object).
func (n *Node) Get(key string) *Node {
	for i := range n.Members {
		if n.Members[i].Key == key {
			return n.Members[i].Value
		}
	}
	return nil
}

// WriteCompact writes n to b as JSON without white space: members in file
// order, numbers as written. quote writes one string (a String's text or an
// object key) as a JSON string literal; it is the caller's because the
// forms that copy parsed values differ in how they escape.
func (n *Node) WriteCompact(b *strings.Builder, quote func(b *strings.Builder, s string)) {
	switch n.Kind {
	case Null:
		b.WriteString("null")
	case Bool:
		b.WriteString(strconv.FormatBool(n.Bool))
	case Number:
		b.WriteString(n.Str)
	case String:
		quote(b, n.Str)
	case Array:
		b.WriteByte('[')
		for i, e := range n.Elems {
			if i > 0 {
				b.WriteByte(',')
			}
			e.WriteCompact(b, quote)
		}
		b.WriteByte(']')
	case Object:
		b.WriteByte('{')
		for i, m := range n.Members {
			if i > 0 {
				b.WriteByte(',')
			}
			quote(b, m.Key)
			b.WriteByte(':')
			m.Value.WriteCompact(b, quote)
		}
		b.WriteByte('}')
	}
}

// SyntaxError is a document that is not JSON, or that breaks one of the
// package's stricter rules, at the position of the problem.
type SyntaxError struct {
	Pos Pos
	Msg string
}

// Error renders "line:col: message".
func (e *SyntaxError) Error() string { return e.Pos.String() + ": " + e.Msg }

// Parse parses one JSON document: a single value, with white space around
// it. Its errors are *SyntaxError. The returned tree shares no memory with
// data.
func Parse(data []byte) (*Node, error) {
	p := &parser{data: data, line: 1, col: 1}
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		p.off = 3
	}
	p.skipSpace()
	if p.off >= len(p.data) {
		p.fail("empty document: expected a JSON value")
		return nil, p.err
	}
	n := p.value(0)
	if p.err != nil {
		return nil, p.err
	}
	p.skipSpace()
	if p.off < len(p.data) {
		p.fail("unexpected " + p.describe() + " after the end of the schema")
		return nil, p.err
	}
	return n, nil
}

// parser reads data from off, where the line and column are line and col.
// The first error stops it; every method returns at once once err is set.
type parser struct {
	data      []byte
	off       int
	line, col int
	err       *SyntaxError

	// nodes is a block of unused nodes: allocating them in blocks is much
	// cheaper than one by one.
	nodes []Node
	// elems and members are stacks the open arrays and objects collect
	// into; each closed one copies its part out into a slice of its own.
	elems   []*Node
	members []Member
}

func (p *parser) here() Pos { return Pos{p.line, p.col} }

func (p *parser) fail(msg string) { p.failAt(p.here(), msg) }

func (p *parser) failAt(at Pos, msg string) {
	if p.err == nil {
		p.err = &SyntaxError{Pos: at, Msg: msg}
	}
}

// describe names the character at off for a message: "'x'", "byte 0xff"
// (not UTF-8) or "end of file".
func (p *parser) describe() string {
	if p.off >= len(p.data) {
		return "end of file"
	}
	r, size := utf8.DecodeRune(p.data[p.off:])
	if r == utf8.RuneError && size == 1 {
		return "byte 0x" + strconv.FormatUint(uint64(p.data[p.off]), 16)
	}
	return strconv.QuoteRune(r)
}

// nodeBytes is about how many bytes of schema text hold one value in a
// compact schema (an indented one with docs has more: its blocks run out
// later).
const nodeBytes = 16

func (p *parser) newNode(k Kind, at Pos) *Node {
	if len(p.nodes) == 0 {
		// A block holds about one node per nodeBytes of the text still to
		// read: few allocations, and little unused space at the end.
		p.nodes = make([]Node, min(max((len(p.data)-p.off)/nodeBytes, 8), 512))
	}
	n := &p.nodes[0]
	p.nodes = p.nodes[1:]
	n.Kind, n.Pos = k, at
	return n
}

func (p *parser) skipSpace() {
	for p.off < len(p.data) {
		switch p.data[p.off] {
		case ' ', '\t', '\r':
			p.col++
		case '\n':
			p.line++
			p.col = 1
		default:
			return
		}
		p.off++
	}
}

// value parses the value at off; depth arrays and objects enclose it.
func (p *parser) value(depth int) *Node {
	if p.off >= len(p.data) {
		p.fail("unexpected end of file, expected a JSON value")
		return nil
	}
	at := p.here()
	switch c := p.data[p.off]; {
	case c == '{' || c == '[':
		if depth >= MaxDepth {
			p.fail("nested more than " + strconv.Itoa(MaxDepth) + " levels deep")
			return nil
		}
		if c == '{' {
			return p.object(at, depth+1)
		}
		return p.array(at, depth+1)
	case c == '"':
		s := p.string()
		if p.err != nil {
			return nil
		}
		n := p.newNode(String, at)
		n.Str = s
		return n
	case c == '-' || c >= '0' && c <= '9':
		s := p.number()
		if p.err != nil {
			return nil
		}
		n := p.newNode(Number, at)
		n.Str = s
		return n
	case c == 't':
		p.literal("true")
		n := p.newNode(Bool, at)
		n.Bool = true
		return n
	case c == 'f':
		p.literal("false")
		return p.newNode(Bool, at)
	case c == 'n':
		p.literal("null")
		return p.newNode(Null, at)
	}
	p.fail("unexpected " + p.describe() + ", expected a JSON value")
	return nil
}

// literal reads word, which must not run on into more letters or digits.
func (p *parser) literal(word string) {
	end := p.off + len(word)
	if end > len(p.data) || string(p.data[p.off:end]) != word || end < len(p.data) && isWordByte(p.data[end]) {
		p.fail("invalid literal, expected " + word)
		return
	}
	p.off = end
	p.col += len(word)
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// object parses the object whose '{' is at off and at.
func (p *parser) object(at Pos, depth int) *Node {
	n := p.newNode(Object, at)
	if p.open('}') {
		return n
	}
	mark := len(p.members)  // an error abandons the stack: no need to pop it
	var seen map[string]Pos // built once the object is too big to scan
	for {
		p.skipSpace()
		if p.off >= len(p.data) || p.data[p.off] != '"' {
			p.fail("unexpected " + p.describe() + ", expected a quoted object key")
			return nil
		}
		keyPos := p.here()
		key := p.string()
		if p.err != nil {
			return nil
		}
		open := p.members[mark:]
		if seen == nil && len(open) >= 16 {
			seen = make(map[string]Pos, 2*len(open))
			for _, m := range open {
				seen[m.Key] = m.KeyPos
			}
		}
		var first Pos
		dup := false
		if seen != nil {
			if first, dup = seen[key]; !dup {
				seen[key] = keyPos
			}
		} else {
			for i := range open {
				if open[i].Key == key {
					first, dup = open[i].KeyPos, true
					break
				}
			}
		}
		if dup {
			p.failAt(keyPos, "duplicate key "+strconv.Quote(key)+" in object (first at "+first.String()+")")
			return nil
		}
		p.skipSpace()
		if p.off >= len(p.data) || p.data[p.off] != ':' {
			p.fail("unexpected " + p.describe() + ", expected ':' after object key")
			return nil
		}
		p.step()
		p.skipSpace()
		v := p.value(depth)
		if p.err != nil {
			return nil
		}
		p.members = append(p.members, Member{Key: key, KeyPos: keyPos, Value: v})
		if !p.more('}') {
			if p.err != nil {
				return nil
			}
			n.Members = append([]Member(nil), p.members[mark:]...)
			p.members = p.members[:mark]
			return n
		}
	}
}

// array parses the array whose '[' is at off and at.
func (p *parser) array(at Pos, depth int) *Node {
	n := p.newNode(Array, at)
	if p.open(']') {
		return n
	}
	mark := len(p.elems) // an error abandons the stack: no need to pop it
	for {
		p.skipSpace()
		v := p.value(depth)
		if p.err != nil {
			return nil
		}
		p.elems = append(p.elems, v)
		if !p.more(']') {
			if p.err != nil {
				return nil
			}
			n.Elems = append([]*Node(nil), p.elems[mark:]...)
			p.elems = p.elems[:mark]
			return n
		}
	}
}

// step steps over one ASCII character other than a newline.
func (p *parser) step() {
	p.off++
	p.col++
}

// open steps over the '{' or '[' at off and the space after it, and
// reports whether close follows at once (the object or array is empty),
// stepping over that too.
func (p *parser) open(close byte) bool {
	p.step()
	p.skipSpace()
	if p.off < len(p.data) && p.data[p.off] == close {
		p.step()
		return true
	}
	return false
}

// more follows an element of an object or array: it steps over the ','
// before the next element and returns true, or over close and returns
// false. Anything else, or a ',' right before close, fails.
func (p *parser) more(close byte) bool {
	p.skipSpace()
	if p.off >= len(p.data) {
		p.fail("unexpected end of file, expected ',' or '" + string(close) + "'")
		return false
	}
	switch p.data[p.off] {
	case ',':
		comma := p.here()
		p.step()
		p.skipSpace()
		if p.off < len(p.data) && p.data[p.off] == close {
			p.failAt(comma, "trailing comma before '"+string(close)+"'")
			return false
		}
		return true
	case close:
		p.step()
		return false
	}
	p.fail("unexpected " + p.describe() + ", expected ',' or '" + string(close) + "'")
	return false
}

// string reads the string whose opening quote is at off and returns it
// decoded. Until its first escape a string is its bytes in data, copied
// once at the end; from there on it is decoded into buf.
func (p *parser) string() string {
	start := p.here()
	p.step()
	begin := p.off
	var buf []byte
	for p.off < len(p.data) {
		c := p.data[p.off]
		switch {
		case c == '"':
			s := string(buf)
			if buf == nil {
				s = string(p.data[begin:p.off])
			}
			p.step()
			return s
		case c == '\\':
			if buf == nil {
				buf = append([]byte(nil), p.data[begin:p.off]...)
			}
			var ok bool
			if buf, ok = p.escape(buf, start); !ok {
				return ""
			}
		case c < 0x20:
			p.fail("control character " + p.describe() + " in string (escape it)")
			return ""
		default:
			from := p.off
			if c < utf8.RuneSelf {
				p.step()
			} else if !p.multiByte() {
				return ""
			}
			if buf != nil {
				buf = append(buf, p.data[from:p.off]...)
			}
		}
	}
	p.failAt(start, "unterminated string")
	return ""
}

// multiByte steps over the multi-byte UTF-8 character at off, or fails.
func (p *parser) multiByte() bool {
	r, size := utf8.DecodeRune(p.data[p.off:])
	if r == utf8.RuneError && size == 1 {
		p.fail("invalid UTF-8 in string")
		return false
	}
	p.off += size
	p.col++
	return true
}

// escape decodes the escape sequence at off (a backslash) in the string
// opened at start, appends it to buf and steps over it.
func (p *parser) escape(buf []byte, start Pos) ([]byte, bool) {
	if p.off+1 >= len(p.data) {
		p.failAt(start, "unterminated string")
		return buf, false
	}
	var out byte
	switch e := p.data[p.off+1]; e {
	case '"', '\\', '/':
		out = e
	case 'b':
		out = '\b'
	case 'f':
		out = '\f'
	case 'n':
		out = '\n'
	case 'r':
		out = '\r'
	case 't':
		out = '\t'
	case 'u':
		r, n, ok := p.unicodeEscape()
		if !ok {
			return buf, false
		}
		p.off += n
		p.col += n
		return utf8.AppendRune(buf, r), true
	default:
		backslash := p.here()
		p.off++
		p.failAt(backslash, "invalid escape: "+p.describe()+" after '\\' in string")
		return buf, false
	}
	p.off += 2
	p.col += 2
	return append(buf, out), true
}

// unicodeEscape decodes the \uXXXX at off, with the \uXXXX after it when
// the two are a surrogate pair, and returns the character and the number
// of bytes (all ASCII) read.
func (p *parser) unicodeEscape() (rune, int, bool) {
	r, ok := p.hex4(p.off)
	if !ok {
		p.fail(`invalid \u escape in string, expected four hex digits`)
		return 0, 0, false
	}
	if !utf16.IsSurrogate(r) {
		return r, 6, true
	}
	if r2, ok := p.hex4(p.off + 6); ok {
		if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
			return pair, 12, true
		}
	}
	return utf8.RuneError, 6, true
}

// hex4 reads the \uXXXX at at, if there is one.
func (p *parser) hex4(at int) (rune, bool) {
	if at+6 > len(p.data) || p.data[at] != '\\' || p.data[at+1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range p.data[at+2 : at+6] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// number reads the number at off and returns its literal text.
func (p *parser) number() string {
	begin := p.off
	if p.data[p.off] == '-' {
		p.step()
	}
	intStart := p.off
	if p.digits() == 0 {
		p.fail("invalid number: expected a digit")
		return ""
	}
	if p.data[intStart] == '0' && p.off-intStart > 1 {
		p.failAt(Pos{p.line, p.col - (p.off - intStart)}, "invalid number: leading zero")
		return ""
	}
	if p.off < len(p.data) && p.data[p.off] == '.' {
		p.step()
		if p.digits() == 0 {
			p.fail("invalid number: expected a digit after '.'")
			return ""
		}
	}
	if p.off < len(p.data) && (p.data[p.off] == 'e' || p.data[p.off] == 'E') {
		p.step()
		if p.off < len(p.data) && (p.data[p.off] == '+' || p.data[p.off] == '-') {
			p.step()
		}
		if p.digits() == 0 {
			p.fail("invalid number: expected a digit in the exponent")
			return ""
		}
	}
	return string(p.data[begin:p.off])
}

// digits steps over decimal digits and returns how many there were.
func (p *parser) digits() int {
	from := p.off
	for p.off < len(p.data) && p.data[p.off] >= '0' && p.data[p.off] <= '9' {
		p.off++
	}
	p.col += p.off - from
	return p.off - from
}
