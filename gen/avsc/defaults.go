package avsc

import (
	"fmt"
	"math/big"
	"strconv"
	"unicode/utf8"

	"github.com/faustgen/faustgen/internal/posjson"
)

// checkDefaults reports every field default of a record that does not
// match the field's type. A union's default matches its first branch.
func (l *loader) checkDefaults(d *named) {
	for _, f := range d.fields {
		if f.def == nil {
			continue
		}
		if at, msg := checkValue(f.typ, f.def); msg != "" {
			l.errorf(d.file, at, "invalid default for field %q of %q: %s", f.name, d.fullName, msg)
		}
	}
}

// checkValue checks a JSON default against a schema and returns the
// position and text of the first mismatch ("" when it matches).
func checkValue(s *schema, n *posjson.Node) (pos, string) {
	want := func(what string) (pos, string) {
		return n.Pos, fmt.Sprintf("want %s, got %s", what, describeJSON(n))
	}
	switch s.kind {
	case Null:
		if n.Kind != posjson.Null {
			return want("null")
		}
	case Boolean:
		if n.Kind != posjson.Bool {
			return want("true or false")
		}
	case Int, Long:
		bits := 32
		if s.kind == Long {
			bits = 64
		}
		if n.Kind != posjson.Number {
			return want("an integer")
		}
		if _, err := strconv.ParseInt(n.Str, 10, bits); err != nil {
			return n.Pos, fmt.Sprintf("want a %d-bit integer, got %s", bits, n.Str)
		}
	case Float, Double:
		if n.Kind != posjson.Number {
			return want("a number")
		}
		bits := 64
		if s.kind == Float {
			bits = 32
		}
		if _, err := strconv.ParseFloat(n.Str, bits); err != nil {
			return n.Pos, fmt.Sprintf("%s is out of range for %s", n.Str, s.kind)
		}
	case String:
		if n.Kind != posjson.String {
			return want("a string")
		}
	case Bytes, Fixed:
		if s.kind == Fixed && s.named == nil {
			return pos{}, ""
		}
		if n.Kind != posjson.String {
			return want(`a string of characters \u0000 to \u00ff (one per byte)`)
		}
		b, ok := latin1Bytes(n.Str)
		if !ok {
			return n.Pos, `a bytes or fixed default holds one character from \u0000 to \u00ff per byte`
		}
		if s.kind == Fixed && len(b) != s.named.size {
			return n.Pos, fmt.Sprintf("want %d bytes for fixed %q, got %d", s.named.size, s.named.fullName, len(b))
		}
		if s.logicalType() == logicalDecimal {
			precision, _ := s.decimalParams()
			if digits := len(new(big.Int).Abs(twosComplement(b)).String()); digits > precision && len(b) > 0 {
				return n.Pos, fmt.Sprintf("the decimal has %d digits, more than its precision %d", digits, precision)
			}
		}
	case Enum:
		if s.named == nil {
			return pos{}, ""
		}
		if n.Kind != posjson.String {
			return want(fmt.Sprintf("a symbol of enum %q", s.named.fullName))
		}
		for _, sym := range s.named.symbols {
			if sym == n.Str {
				return pos{}, ""
			}
		}
		return n.Pos, fmt.Sprintf("%q is not a symbol of enum %q", n.Str, s.named.fullName)
	case Array:
		if n.Kind != posjson.Array {
			return want("an array")
		}
		for _, e := range n.Elems {
			if at, msg := checkValue(s.items, e); msg != "" {
				return at, msg
			}
		}
	case Map:
		if n.Kind != posjson.Object {
			return want("an object")
		}
		for _, m := range n.Members {
			if at, msg := checkValue(s.values, m.Value); msg != "" {
				return at, msg
			}
		}
	case Union:
		if len(s.branches) == 0 {
			return pos{}, "" // the empty union is reported where it stands
		}
		if at, msg := checkValue(s.branches[0], n); msg != "" {
			if at == n.Pos {
				msg += fmt.Sprintf(" (a union's default must match its first branch, %s)", branchLabel(s.branches[0]))
			}
			return at, msg
		}
	case Record:
		d := s.named
		if d == nil {
			return pos{}, ""
		}
		if n.Kind != posjson.Object {
			return want(fmt.Sprintf("an object for record %q", d.fullName))
		}
		for _, f := range d.fields {
			v := n.Get(f.name)
			if v == nil {
				if f.def == nil {
					return n.Pos, fmt.Sprintf("field %q of record %q is missing and has no default", f.name, d.fullName)
				}
				continue
			}
			if at, msg := checkValue(f.typ, v); msg != "" {
				return at, msg
			}
		}
		for _, m := range n.Members {
			if fieldByName(d, m.Key) == nil {
				return m.KeyPos, fmt.Sprintf("record %q has no field %q", d.fullName, m.Key)
			}
		}
	}
	return pos{}, ""
}

func fieldByName(d *named, name string) *field {
	for _, f := range d.fields {
		if f.name == name {
			return f
		}
	}
	return nil
}

// branchLabel names a union branch in messages.
func branchLabel(s *schema) string {
	if s.kind.named() && s.named != nil {
		return strconv.Quote(s.named.fullName)
	}
	return strconv.Quote(s.kind.String())
}

func describeJSON(n *posjson.Node) string {
	switch n.Kind {
	case posjson.Object:
		return "an object"
	case posjson.Array:
		return "an array"
	case posjson.String:
		return strconv.Quote(n.Str)
	}
	return jsonText(n)
}

// latin1Bytes decodes a bytes default: each character is one byte.
func latin1Bytes(s string) ([]byte, bool) {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff || r == utf8.RuneError && !utf8.ValidString(s) {
			return nil, false
		}
		b = append(b, byte(r))
	}
	return b, true
}

// twosComplement reads a big-endian two's-complement integer.
func twosComplement(b []byte) *big.Int {
	v := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return v
}
