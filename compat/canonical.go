package compat

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Canonical returns a normalized JSON form of the schema that keeps what
// matters to readers and writers: full names, aliases, fields with their
// defaults and aliases, enum symbols and default, fixed sizes, logical
// types. It drops docs, "order" and other attributes and fixes key order
// and white space. Two schemas with the same Canonical form are the same
// schema to the embedded registry. Unlike the Parsing Canonical Form it
// keeps defaults and aliases, which change resolution.
func (s *Schema) Canonical() string {
	var b strings.Builder
	writeCanonical(&b, s.Root, map[string]bool{})
	return b.String()
}

func quote(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// writeQuoted writes s as quote renders it (encoding/json's escaping,
// which the canonical form has always used).
func writeQuoted(b *strings.Builder, s string) { b.WriteString(quote(s)) }

func writeCanonical(b *strings.Builder, t *Type, defined map[string]bool) {
	if t.Kind.Named() && defined[t.Name] {
		b.WriteString(quote(t.Name))
		return
	}
	switch t.Kind {
	case Union:
		b.WriteByte('[')
		for i, br := range t.Branches {
			if i > 0 {
				b.WriteByte(',')
			}
			writeCanonical(b, br, defined)
		}
		b.WriteByte(']')
		return
	case Null, Boolean, Int, Long, Float, Double, Bytes, String:
		if t.Logical == "" {
			b.WriteString(quote(t.Kind.String()))
			return
		}
	}
	b.WriteString(`{"type":`)
	b.WriteString(quote(t.Kind.String()))
	if t.Kind.Named() {
		defined[t.Name] = true
		b.WriteString(`,"name":` + quote(t.Name))
		if len(t.Aliases) > 0 {
			b.WriteString(`,"aliases":[`)
			for i, a := range t.Aliases {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(quote(a))
			}
			b.WriteByte(']')
		}
	}
	switch t.Kind {
	case Record:
		b.WriteString(`,"fields":[`)
		for i, f := range t.Fields {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"name":` + quote(f.Name) + `,"type":`)
			writeCanonical(b, f.Type, defined)
			if f.HasDefault {
				b.WriteString(`,"default":`)
				f.defNode.WriteCompact(b, writeQuoted)
			}
			if len(f.Aliases) > 0 {
				b.WriteString(`,"aliases":[`)
				for i, a := range f.Aliases {
					if i > 0 {
						b.WriteByte(',')
					}
					b.WriteString(quote(a))
				}
				b.WriteByte(']')
			}
			b.WriteByte('}')
		}
		b.WriteByte(']')
	case Enum:
		b.WriteString(`,"symbols":[`)
		for i, s := range t.Symbols {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(quote(s))
		}
		b.WriteByte(']')
		if t.HasEnumDefault {
			b.WriteString(`,"default":` + quote(t.EnumDefault))
		}
	case Fixed:
		b.WriteString(`,"size":` + strconv.Itoa(t.Size))
	case Array:
		b.WriteString(`,"items":`)
		writeCanonical(b, t.Items, defined)
	case Map:
		b.WriteString(`,"values":`)
		writeCanonical(b, t.Values, defined)
	}
	if t.Logical != "" {
		b.WriteString(`,"logicalType":` + quote(t.Logical))
		if t.Logical == "decimal" {
			b.WriteString(`,"precision":` + strconv.Itoa(t.Precision) + `,"scale":` + strconv.Itoa(t.Scale))
		}
	}
	b.WriteByte('}')
}
