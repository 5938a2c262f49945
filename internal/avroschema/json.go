package avroschema

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/faustgen/faustgen/internal/posjson"
)

// This file renders types back to JSON: the full schema (what a registry
// gets: docs, defaults and other attributes kept, every named type
// defined at its first use), the Parsing Canonical Form and its
// CRC-64-AVRO fingerprint, and the registry form that Canonical writes.

// WriteJSONString writes s as a JSON string literal. Non-ASCII characters
// are written as UTF-8, as the Parsing Canonical Form requires.
func WriteJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"':
				b.WriteString(`\"`)
			case c == '\\':
				b.WriteString(`\\`)
			case c == '\n':
				b.WriteString(`\n`)
			case c == '\r':
				b.WriteString(`\r`)
			case c == '\t':
				b.WriteString(`\t`)
			case c < 0x20 || c == 0x7f:
				b.WriteString(`\u00`)
				b.WriteByte("0123456789abcdef"[c>>4])
				b.WriteByte("0123456789abcdef"[c&0xf])
			default:
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString(`\ufffd`)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
}

// schemaWriter writes full-schema JSON.
type schemaWriter struct {
	b       strings.Builder
	written map[*Type]bool
	// shallow writes every named type other than the top one by name.
	shallow bool
	// cut writes the schema as fragments: each named type (other than the
	// top one, when it is named) is cut out, the JSON before it kept in
	// parts and the type in refs.
	cut   bool
	parts []string
	refs  []*Type
}

// FullSchema is the full schema JSON of t.
func FullSchema(t *Type) string {
	w := &schemaWriter{written: map[*Type]bool{}}
	w.top(t)
	return w.b.String()
}

// ShallowJSON is the definition of a named type alone, other named types
// by name: two definitions of one full name are the same when their
// shallow JSON is.
func ShallowJSON(t *Type) string {
	w := &schemaWriter{written: map[*Type]bool{}, shallow: true}
	w.top(t)
	return w.b.String()
}

// SchemaFragments is the full schema JSON of t with the named types it
// uses cut out (all of them when t is not itself named; every other one
// when it is): the JSON around them and the types, in order. Put back
// together, a type's definition at its first use and its name after,
// they give FullSchema(t); see runtime.SchemaTable.
func SchemaFragments(t *Type) (parts []string, refs []*Type) {
	w := &schemaWriter{written: map[*Type]bool{}, cut: true}
	w.top(t)
	return append(w.parts, w.b.String()), w.refs
}

func (w *schemaWriter) top(t *Type) {
	if t.Kind.Named() {
		w.named(t, "")
		return
	}
	w.schema(t, "")
}

func (w *schemaWriter) key(k string) {
	WriteJSONString(&w.b, k)
	w.b.WriteByte(':')
}

func (w *schemaWriter) str(k, v string) {
	w.b.WriteByte(',')
	w.key(k)
	WriteJSONString(&w.b, v)
}

func (w *schemaWriter) props(props []posjson.Member) {
	for _, m := range props {
		w.b.WriteByte(',')
		w.key(m.Key)
		m.Value.WriteCompact(&w.b, WriteJSONString)
	}
}

func (w *schemaWriter) names(k string, names []string) {
	if len(names) == 0 {
		return
	}
	w.b.WriteByte(',')
	w.key(k)
	writeStrings(&w.b, names, WriteJSONString)
}

// writeList writes n items as a JSON array.
func writeList(b *strings.Builder, n int, item func(i int)) {
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		item(i)
	}
	b.WriteByte(']')
}

// writeStrings writes a JSON array of strings, quoted by q.
func writeStrings(b *strings.Builder, items []string, q func(*strings.Builder, string)) {
	writeList(b, len(items), func(i int) { q(b, items[i]) })
}

func (w *schemaWriter) logical(t *Type) {
	if t.Logical == "" {
		return
	}
	w.str("logicalType", t.Logical)
	if t.Logical == Decimal {
		w.b.WriteString(`,"precision":` + strconv.Itoa(t.Precision) + `,"scale":` + strconv.Itoa(t.Scale))
	}
}

// schema writes one type where it is used; ns is the enclosing namespace.
func (w *schemaWriter) schema(t *Type, ns string) {
	switch t.Kind {
	case Record, Enum, Fixed:
		if w.cut {
			w.parts = append(w.parts, w.b.String())
			w.refs = append(w.refs, t)
			w.b.Reset()
			return
		}
		if w.written[t] || w.shallow {
			WriteJSONString(&w.b, t.Name)
			return
		}
		w.named(t, ns)
	case Array, Map:
		w.b.WriteString(`{"type":`)
		if t.Kind == Array {
			w.b.WriteString(`"array","items":`)
			w.schema(t.Items, ns)
		} else {
			w.b.WriteString(`"map","values":`)
			w.schema(t.Values, ns)
		}
		w.props(t.Attrs.props())
		w.b.WriteByte('}')
	case Union:
		writeList(&w.b, len(t.Branches), func(i int) { w.schema(t.Branches[i], ns) })
	default:
		if t.Logical == "" && len(t.Attrs.props()) == 0 {
			WriteJSONString(&w.b, t.Kind.String())
			return
		}
		w.b.WriteString(`{"type":`)
		WriteJSONString(&w.b, t.Kind.String())
		w.logical(t)
		w.props(t.Attrs.props())
		w.b.WriteByte('}')
	}
}

// named writes a definition. Its name is written in full, with an empty
// "namespace" when it has none inside a namespaced type, as the
// specification asks.
func (w *schemaWriter) named(t *Type, ns string) {
	w.written[t] = true
	w.b.WriteString(`{"type":`)
	if t.IsError {
		WriteJSONString(&w.b, "error")
	} else {
		WriteJSONString(&w.b, t.Kind.String())
	}
	w.str("name", t.Name)
	if t.Namespace() == "" && ns != "" {
		w.str("namespace", "")
	}
	if doc, ok := t.Attrs.doc(); ok {
		w.str("doc", doc)
	}
	w.names("aliases", t.Aliases)
	switch t.Kind {
	case Record:
		w.b.WriteString(`,"fields":`)
		writeList(&w.b, len(t.Fields), func(i int) {
			f := t.Fields[i]
			w.b.WriteString(`{"name":`)
			WriteJSONString(&w.b, f.Name)
			w.b.WriteString(`,"type":`)
			w.schema(f.Type, t.Namespace())
			if doc, ok := f.Attrs.doc(); ok {
				w.str("doc", doc)
			}
			if f.HasDefault {
				w.b.WriteString(`,"default":`)
				f.Default.WriteCompact(&w.b, WriteJSONString)
			}
			if f.Attrs != nil && f.Attrs.Order != "" {
				w.str("order", f.Attrs.Order)
			}
			w.names("aliases", f.Aliases)
			w.props(f.Attrs.props())
			w.b.WriteByte('}')
		})
	case Enum:
		w.names("symbols", t.Symbols)
		if len(t.Symbols) == 0 {
			w.b.WriteString(`,"symbols":[]`)
		}
		if t.HasEnumDefault {
			w.str("default", t.EnumDefault)
		}
	case Fixed:
		w.b.WriteString(`,"size":` + strconv.Itoa(t.Size))
		w.logical(t)
	}
	w.props(t.Attrs.props())
	w.b.WriteByte('}')
}

// CanonicalForm is the Parsing Canonical Form of t.
func CanonicalForm(t *Type) string {
	var b strings.Builder
	writeCanonical(&b, t, map[*Type]bool{}, nil)
	return b.String()
}

// CanonicalFragments is the Parsing Canonical Form of t with the named
// types it uses cut out, as SchemaFragments does for the full schema (and
// with the same refs, in the same order).
func CanonicalFragments(t *Type) (parts []string, refs []*Type) {
	var b strings.Builder
	c := &cutter{began: !t.Kind.Named()}
	writeCanonical(&b, t, map[*Type]bool{}, c)
	return append(c.parts, b.String()), c.refs
}

// cutter collects the fragments of CanonicalFragments: once the top
// definition began, each named type is cut out.
type cutter struct {
	parts []string
	refs  []*Type
	began bool
}

func writeCanonical(b *strings.Builder, t *Type, written map[*Type]bool, cut *cutter) {
	switch t.Kind {
	case Record, Enum, Fixed:
		if cut != nil {
			if cut.began {
				cut.parts = append(cut.parts, b.String())
				cut.refs = append(cut.refs, t)
				b.Reset()
				return
			}
			cut.began = true
		}
		if written[t] {
			WriteJSONString(b, t.Name)
			return
		}
		written[t] = true
		b.WriteString(`{"name":`)
		WriteJSONString(b, t.Name)
		b.WriteString(`,"type":`)
		WriteJSONString(b, t.Kind.String())
		switch t.Kind {
		case Record:
			b.WriteString(`,"fields":`)
			writeList(b, len(t.Fields), func(i int) {
				b.WriteString(`{"name":`)
				WriteJSONString(b, t.Fields[i].Name)
				b.WriteString(`,"type":`)
				writeCanonical(b, t.Fields[i].Type, written, cut)
				b.WriteByte('}')
			})
		case Enum:
			b.WriteString(`,"symbols":`)
			writeStrings(b, t.Symbols, WriteJSONString)
		case Fixed:
			b.WriteString(`,"size":` + strconv.Itoa(t.Size))
		}
		b.WriteByte('}')
	case Array:
		b.WriteString(`{"type":"array","items":`)
		writeCanonical(b, t.Items, written, cut)
		b.WriteByte('}')
	case Map:
		b.WriteString(`{"type":"map","values":`)
		writeCanonical(b, t.Values, written, cut)
		b.WriteByte('}')
	case Union:
		writeList(b, len(t.Branches), func(i int) { writeCanonical(b, t.Branches[i], written, cut) })
	default:
		WriteJSONString(b, t.Kind.String())
	}
}

// rabinEmpty is the CRC-64-AVRO fingerprint of the empty string.
const rabinEmpty uint64 = 0xc15d213aa4d7a795

var rabinTable = func() (t [256]uint64) {
	for i := range t {
		fp := uint64(i)
		for range 8 {
			fp = (fp >> 1) ^ (rabinEmpty & -(fp & 1))
		}
		t[i] = fp
	}
	return t
}()

// Fingerprint is the CRC-64-AVRO (Rabin) fingerprint of s, a Parsing
// Canonical Form.
func Fingerprint(s string) uint64 {
	fp := rabinEmpty
	for i := 0; i < len(s); i++ {
		fp = (fp >> 8) ^ rabinTable[byte(fp)^s[i]]
	}
	return fp
}

// Canonical returns a normalized JSON form of t that keeps what matters
// to readers and writers: full names, aliases, fields with their defaults
// and aliases, enum symbols and default, fixed sizes, logical types. It
// drops docs, "order" and other attributes and fixes key order and white
// space (strings quoted as encoding/json does). Two schemas with the same
// Canonical form are the same schema to the embedded registry. Unlike the
// Parsing Canonical Form it keeps defaults and aliases, which change
// resolution.
func Canonical(t *Type) string {
	var b strings.Builder
	writeRegistryForm(&b, t, map[*Type]bool{})
	return b.String()
}

func quote(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// writeQuoted writes s as quote renders it.
func writeQuoted(b *strings.Builder, s string) { b.WriteString(quote(s)) }

func writeQuotedList(b *strings.Builder, key string, names []string) {
	if len(names) == 0 {
		return
	}
	b.WriteString(`,"` + key + `":`)
	writeStrings(b, names, writeQuoted)
}

func writeRegistryForm(b *strings.Builder, t *Type, defined map[*Type]bool) {
	if t.Kind.Named() && defined[t] {
		b.WriteString(quote(t.Name))
		return
	}
	switch t.Kind {
	case Union:
		writeList(b, len(t.Branches), func(i int) { writeRegistryForm(b, t.Branches[i], defined) })
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
		defined[t] = true
		b.WriteString(`,"name":` + quote(t.Name))
		writeQuotedList(b, "aliases", t.Aliases)
	}
	switch t.Kind {
	case Record:
		b.WriteString(`,"fields":`)
		writeList(b, len(t.Fields), func(i int) {
			f := t.Fields[i]
			b.WriteString(`{"name":` + quote(f.Name) + `,"type":`)
			writeRegistryForm(b, f.Type, defined)
			if f.HasDefault {
				b.WriteString(`,"default":`)
				f.Default.WriteCompact(b, writeQuoted)
			}
			writeQuotedList(b, "aliases", f.Aliases)
			b.WriteByte('}')
		})
	case Enum:
		b.WriteString(`,"symbols":`)
		writeStrings(b, t.Symbols, writeQuoted)
		if t.HasEnumDefault {
			b.WriteString(`,"default":` + quote(t.EnumDefault))
		}
	case Fixed:
		b.WriteString(`,"size":` + strconv.Itoa(t.Size))
	case Array:
		b.WriteString(`,"items":`)
		writeRegistryForm(b, t.Items, defined)
	case Map:
		b.WriteString(`,"values":`)
		writeRegistryForm(b, t.Values, defined)
	}
	if t.Logical != "" {
		b.WriteString(`,"logicalType":` + quote(t.Logical))
		if t.Logical == Decimal {
			b.WriteString(`,"precision":` + strconv.Itoa(t.Precision) + `,"scale":` + strconv.Itoa(t.Scale))
		}
	}
	b.WriteByte('}')
}

// DefaultJSON returns the field's default value as JSON text (numbers as
// written in the schema, strings quoted as encoding/json does), and
// whether the field has a default.
func (f *Field) DefaultJSON() ([]byte, bool) {
	if !f.HasDefault || f.Default == nil {
		return nil, false
	}
	var b strings.Builder
	f.Default.WriteCompact(&b, writeQuoted)
	return []byte(b.String()), true
}
