package avsc

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/faustgen/faustgen/internal/posjson"
)

// This file renders schemas back to JSON: the full schema of a named type
// (what the registry gets: docs, defaults and custom attributes kept, every
// referenced named type defined inline at its first use), its Parsing
// Canonical Form, and the CRC-64-AVRO fingerprint of that form.

// writeJSONString writes s as a JSON string literal. Non-ASCII characters
// are written as UTF-8, as the canonical form requires.
func writeJSONString(b *strings.Builder, s string) {
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

// schemaWriter writes full-schema JSON. mode decides how named types that
// were already written (or, in shallow mode, any named type other than the
// top one) appear: by full name.
type schemaWriter struct {
	b       strings.Builder
	written map[string]bool
	shallow bool
	// cut, when set, writes d's definition as fragments: each other named
	// type is cut out, the JSON before it kept in parts and the type in
	// refs (see runtime.SchemaDef).
	cut   bool
	parts []string
	refs  []*named
}

// schemaFragments is the definition of d with every other named type it
// uses cut out: the JSON around them and the types, in order. Put back
// together (a type's definition at its first use, its name after), they
// give fullSchemaJSON(d); see runtime.SchemaTable.
func schemaFragments(d *named) (parts []string, refs []*named) {
	w := &schemaWriter{written: map[string]bool{}, cut: true}
	w.named(d, "")
	return append(w.parts, w.b.String()), w.refs
}

// fullSchemaJSON is the full schema of a named type.
func fullSchemaJSON(d *named) string {
	w := &schemaWriter{written: map[string]bool{}}
	w.named(d, "")
	return w.b.String()
}

// shallowJSON is the definition of d alone, other named types by name: two
// definitions of one full name are the same when their shallow JSON is.
func shallowJSON(d *named) string {
	w := &schemaWriter{written: map[string]bool{}, shallow: true}
	w.named(d, "")
	return w.b.String()
}

func (w *schemaWriter) key(k string) {
	writeJSONString(&w.b, k)
	w.b.WriteByte(':')
}

func (w *schemaWriter) str(k, v string) {
	w.b.WriteByte(',')
	w.key(k)
	writeJSONString(&w.b, v)
}

func (w *schemaWriter) props(props []posjson.Member) {
	for _, m := range props {
		w.b.WriteByte(',')
		w.key(m.Key)
		m.Value.WriteCompact(&w.b, writeJSONString)
	}
}

func (w *schemaWriter) names(k string, names []string) {
	if len(names) == 0 {
		return
	}
	w.b.WriteByte(',')
	w.key(k)
	w.b.WriteByte('[')
	for i, n := range names {
		if i > 0 {
			w.b.WriteByte(',')
		}
		writeJSONString(&w.b, n)
	}
	w.b.WriteByte(']')
}

// refName is how a schema node names its type when not defining it.
func refName(s *schema) string {
	if s.named != nil {
		return s.named.fullName
	}
	if !strings.Contains(s.ref, ".") && s.refNS != "" {
		return s.refNS + "." + s.ref
	}
	return s.ref
}

// schema writes one schema node; ns is the enclosing namespace.
func (w *schemaWriter) schema(s *schema, ns string) {
	switch s.kind {
	case Record, Enum, Fixed:
		if w.cut && s.named != nil {
			w.parts = append(w.parts, w.b.String())
			w.refs = append(w.refs, s.named)
			w.b.Reset()
			return
		}
		if s.named == nil || w.written[s.named.fullName] || w.shallow {
			writeJSONString(&w.b, refName(s))
			return
		}
		w.named(s.named, ns)
	case Array, Map:
		w.b.WriteString(`{"type":`)
		if s.kind == Array {
			w.b.WriteString(`"array","items":`)
			w.schema(s.items, ns)
		} else {
			w.b.WriteString(`"map","values":`)
			w.schema(s.values, ns)
		}
		w.props(s.props)
		w.b.WriteByte('}')
	case Union:
		w.b.WriteByte('[')
		for i, br := range s.branches {
			if i > 0 {
				w.b.WriteByte(',')
			}
			w.schema(br, ns)
		}
		w.b.WriteByte(']')
	default:
		if s.logical == "" && len(s.props) == 0 {
			writeJSONString(&w.b, s.kind.String())
			return
		}
		w.b.WriteString(`{"type":`)
		writeJSONString(&w.b, s.kind.String())
		if s.logical != "" {
			w.str("logicalType", s.logical)
			if s.logical == logicalDecimal {
				w.b.WriteString(`,"precision":` + strconv.Itoa(s.precision) + `,"scale":` + strconv.Itoa(s.scale))
			}
		}
		w.props(s.props)
		w.b.WriteByte('}')
	}
}

// named writes a definition. Its name is written in full, with an empty
// "namespace" when it has none inside a namespaced type, as the
// specification asks. (Load refuses that case anyway: some readers ignore
// the empty namespace and a reference to such a type cannot be written.)
func (w *schemaWriter) named(d *named, ns string) {
	w.written[d.fullName] = true
	w.b.WriteString(`{"type":`)
	switch {
	case d.isError:
		writeJSONString(&w.b, "error")
	default:
		writeJSONString(&w.b, d.kind.String())
	}
	w.str("name", d.fullName)
	if d.namespace == "" && ns != "" {
		w.str("namespace", "")
	}
	if d.hasDoc {
		w.str("doc", d.doc)
	}
	w.names("aliases", d.aliases)
	switch d.kind {
	case Record:
		w.b.WriteString(`,"fields":[`)
		for i, f := range d.fields {
			if i > 0 {
				w.b.WriteByte(',')
			}
			w.b.WriteString(`{"name":`)
			writeJSONString(&w.b, f.name)
			w.b.WriteString(`,"type":`)
			w.schema(f.typ, d.namespace)
			if f.hasDoc {
				w.str("doc", f.doc)
			}
			if f.def != nil {
				w.b.WriteString(`,"default":`)
				f.def.WriteCompact(&w.b, writeJSONString)
			}
			if f.order != "" {
				w.str("order", f.order)
			}
			w.names("aliases", f.aliases)
			w.props(f.props)
			w.b.WriteByte('}')
		}
		w.b.WriteByte(']')
	case Enum:
		w.names("symbols", d.symbols)
		if len(d.symbols) == 0 {
			w.b.WriteString(`,"symbols":[]`)
		}
		if d.enumDefault != nil {
			w.str("default", d.enumDefault.Str)
		}
	case Fixed:
		w.b.WriteString(`,"size":` + strconv.Itoa(d.size))
		if d.logical != "" {
			w.str("logicalType", d.logical)
			if d.logical == logicalDecimal {
				w.b.WriteString(`,"precision":` + strconv.Itoa(d.precision) + `,"scale":` + strconv.Itoa(d.scale))
			}
		}
	}
	w.props(d.props)
	w.b.WriteByte('}')
}

// canonicalForm is the Parsing Canonical Form of a schema node.
func canonicalForm(s *schema) string {
	var b strings.Builder
	writeCanonical(&b, s, map[string]bool{}, nil)
	return b.String()
}

// unionFragments is the schema of a union (a topic's key or value) with
// its named branches cut out, as schemaFragments.
func unionFragments(t *schema) (parts []string, refs []*named) {
	w := &schemaWriter{written: map[string]bool{}, cut: true}
	w.schema(t, "")
	return append(w.parts, w.b.String()), w.refs
}

// unionCanonicalFragments is the Parsing Canonical Form of a union with
// its named branches cut out.
func unionCanonicalFragments(t *schema) (parts []string, refs []*named) {
	var b strings.Builder
	c := &cutter{began: true}
	writeCanonical(&b, t, map[string]bool{}, c)
	return append(c.parts, b.String()), c.refs
}

// canonicalFragments is the Parsing Canonical Form of d with every other
// named type it uses cut out, as schemaFragments does for the full schema
// (and with the same refs, in the same order).
func canonicalFragments(d *named) (parts []string, refs []*named) {
	var b strings.Builder
	c := &cutter{}
	writeCanonical(&b, d.self, map[string]bool{}, c)
	return append(c.parts, b.String()), c.refs
}

// cutter collects the fragments of canonicalFragments: once the top
// definition began, each named type is cut out.
type cutter struct {
	parts []string
	refs  []*named
	began bool
}

func writeCanonical(b *strings.Builder, s *schema, written map[string]bool, cut *cutter) {
	switch s.kind {
	case Record, Enum, Fixed:
		d := s.named
		if cut != nil {
			if cut.began {
				cut.parts = append(cut.parts, b.String())
				cut.refs = append(cut.refs, d)
				b.Reset()
				return
			}
			cut.began = true
		}
		if written[d.fullName] {
			writeJSONString(b, d.fullName)
			return
		}
		written[d.fullName] = true
		b.WriteString(`{"name":`)
		writeJSONString(b, d.fullName)
		b.WriteString(`,"type":`)
		writeJSONString(b, d.kind.String())
		switch d.kind {
		case Record:
			b.WriteString(`,"fields":[`)
			for i, f := range d.fields {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(`{"name":`)
				writeJSONString(b, f.name)
				b.WriteString(`,"type":`)
				writeCanonical(b, f.typ, written, cut)
				b.WriteByte('}')
			}
			b.WriteByte(']')
		case Enum:
			b.WriteString(`,"symbols":[`)
			for i, sym := range d.symbols {
				if i > 0 {
					b.WriteByte(',')
				}
				writeJSONString(b, sym)
			}
			b.WriteByte(']')
		case Fixed:
			b.WriteString(`,"size":` + strconv.Itoa(d.size))
		}
		b.WriteByte('}')
	case Array:
		b.WriteString(`{"type":"array","items":`)
		writeCanonical(b, s.items, written, cut)
		b.WriteByte('}')
	case Map:
		b.WriteString(`{"type":"map","values":`)
		writeCanonical(b, s.values, written, cut)
		b.WriteByte('}')
	case Union:
		b.WriteByte('[')
		for i, br := range s.branches {
			if i > 0 {
				b.WriteByte(',')
			}
			writeCanonical(b, br, written, cut)
		}
		b.WriteByte(']')
	default:
		writeJSONString(b, s.kind.String())
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

// rabin is the CRC-64-AVRO fingerprint of s.
func rabin(s string) uint64 {
	fp := rabinEmpty
	for i := 0; i < len(s); i++ {
		fp = (fp >> 8) ^ rabinTable[byte(fp)^s[i]]
	}
	return fp
}
