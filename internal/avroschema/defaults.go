package avroschema

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/faustgen/faustgen/internal/posjson"
)

// checkDefaults reports every field default of a record in force that
// does not match the field's type.
func (p *parser) checkDefaults() {
	for _, name := range p.names {
		t := p.set.Named[name]
		for _, f := range t.Fields {
			if !f.HasDefault {
				continue
			}
			if bad := p.checkValue(f.Type, f.Default); bad != nil {
				p.diags = append(p.diags, Diagnostic{File: f.Pos.File, Line: bad.at.Line, Col: bad.at.Col, Strict: bad.strict,
					Msg: fmt.Sprintf("invalid default for field %q of %q: %s", f.Name, t.Name, bad.msg)})
			}
		}
	}
}

// badValue is the first mismatch of a value and its type.
type badValue struct {
	at     posjson.Pos
	msg    string
	strict bool // valid Avro, refused by code generation
}

// checkValue checks a JSON value (a default) against a type. The rules
// are the specification's table of default values ("Complex Types",
// "Records"); see the package doc for the cases it leaves open.
func (p *parser) checkValue(t *Type, n *posjson.Node) *badValue {
	want := func(what string) *badValue {
		return &badValue{at: n.Pos, msg: fmt.Sprintf("want %s, got %s", what, describeJSON(n))}
	}
	if p.unresolved[t] {
		return nil // an unknown type, reported where it is named
	}
	switch t.Kind {
	case Null:
		if n.Kind != posjson.Null {
			return want("null")
		}
	case Boolean:
		if n.Kind != posjson.Bool {
			return want("true or false")
		}
	case Int, Long:
		if n.Kind != posjson.Number || strings.ContainsAny(n.Str, ".eE") {
			return want("an integer")
		}
		bits := 32
		if t.Kind == Long {
			bits = 64
		}
		if _, err := strconv.ParseInt(n.Str, 10, bits); err != nil {
			return &badValue{at: n.Pos, msg: fmt.Sprintf("%s is out of range for %s (a %d-bit integer)", n.Str, t.Kind, bits)}
		}
	case Float, Double:
		if n.Kind == posjson.String && (n.Str == "NaN" || strings.HasSuffix(n.Str, "Infinity")) {
			return &badValue{at: n.Pos, msg: fmt.Sprintf("want a number, got %q: a default is a JSON number, and JSON has no NaN or infinity", n.Str)}
		}
		if n.Kind != posjson.Number {
			return want("a number")
		}
		bits := 64
		if t.Kind == Float {
			bits = 32
		}
		if _, err := strconv.ParseFloat(n.Str, bits); err != nil {
			return &badValue{at: n.Pos, msg: fmt.Sprintf("%s is out of range for %s", n.Str, t.Kind), strict: true}
		}
	case String:
		if n.Kind != posjson.String {
			return want("a string")
		}
	case Bytes, Fixed:
		if n.Kind != posjson.String {
			return want(`a string of characters \u0000 to \u00ff (one per byte)`)
		}
		b, ok := Latin1Bytes(n.Str)
		if !ok {
			return &badValue{at: n.Pos, msg: `a bytes or fixed default holds one character from \u0000 to \u00ff per byte`}
		}
		if t.Kind == Fixed && len(b) != t.Size {
			return &badValue{at: n.Pos, msg: fmt.Sprintf("want %d bytes for fixed %q, got %d", t.Size, t.Name, len(b))}
		}
		if t.Logical == Decimal && len(b) > 0 {
			if digits := len(new(big.Int).Abs(TwosComplement(b)).String()); digits > t.Precision {
				return &badValue{at: n.Pos, msg: fmt.Sprintf("the decimal has %d digits, more than its precision %d", digits, t.Precision)}
			}
		}
	case Enum:
		if n.Kind != posjson.String {
			return want(fmt.Sprintf("a symbol of enum %q", t.Name))
		}
		for _, sym := range t.Symbols {
			if sym == n.Str {
				return nil
			}
		}
		return &badValue{at: n.Pos, msg: fmt.Sprintf("%q is not a symbol of enum %q", n.Str, t.Name)}
	case Array:
		if n.Kind != posjson.Array {
			return want("an array")
		}
		var strict *badValue
		for _, e := range n.Elems {
			if bad := p.checkValue(t.Items, e); bad != nil {
				if !bad.strict {
					return bad
				}
				strict = cmpOr(strict, bad)
			}
		}
		return strict
	case Map:
		if n.Kind != posjson.Object {
			return want("an object")
		}
		var strict *badValue
		for _, m := range n.Members {
			if bad := p.checkValue(t.Values, m.Value); bad != nil {
				if !bad.strict {
					return bad
				}
				strict = cmpOr(strict, bad)
			}
		}
		return strict
	case Union:
		if len(t.Branches) == 0 {
			return nil // the empty union is reported where it stands
		}
		bad := p.checkValue(t.Branches[0], n)
		if bad != nil && bad.at == n.Pos {
			bad.msg += fmt.Sprintf(" (a union's default must match its first branch, %s)", BranchLabel(t.Branches[0]))
		}
		return bad
	case Record:
		if n.Kind != posjson.Object {
			return want(fmt.Sprintf("an object for record %q", t.Name))
		}
		var strict *badValue
		for _, f := range t.Fields {
			v := n.Get(f.Name)
			if v == nil {
				if !f.HasDefault {
					return &badValue{at: n.Pos, msg: fmt.Sprintf("field %q of record %q is missing and has no default", f.Name, t.Name)}
				}
				continue
			}
			if bad := p.checkValue(f.Type, v); bad != nil {
				if !bad.strict {
					return bad
				}
				strict = cmpOr(strict, bad)
			}
		}
		for _, m := range n.Members {
			if fieldByName(t, m.Key) == nil {
				// Readers ignore it (Apache Avro for Java does), so it
				// is valid Avro; it is most likely a misspelt field.
				strict = cmpOr(strict, &badValue{at: m.KeyPos, msg: fmt.Sprintf("record %q has no field %q", t.Name, m.Key), strict: true})
			}
		}
		return strict
	}
	return nil
}

func cmpOr(a, b *badValue) *badValue {
	if a != nil {
		return a
	}
	return b
}

func fieldByName(t *Type, name string) *Field {
	for _, f := range t.Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// BranchLabel names a union branch in messages and comments: its quoted
// full name, or its quoted kind.
func BranchLabel(t *Type) string {
	if t.Kind.Named() {
		return strconv.Quote(t.Name)
	}
	return strconv.Quote(t.Kind.String())
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

// Latin1Bytes decodes a bytes or fixed default: each character is one
// byte, from \u0000 to \u00ff. It reports false for any other character.
func Latin1Bytes(s string) ([]byte, bool) {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff || r == utf8.RuneError && !utf8.ValidString(s) {
			return nil, false
		}
		b = append(b, byte(r))
	}
	return b, true
}

// TwosComplement reads a big-endian two's-complement integer (a
// decimal's unscaled value).
func TwosComplement(b []byte) *big.Int {
	v := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return v
}
