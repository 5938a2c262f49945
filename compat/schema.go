package compat

import (
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/faustgen/faustgen/internal/posjson"
)

// Kind is the kind of an Avro type.
type Kind int

// The Avro type kinds.
const (
	Null Kind = iota
	Boolean
	Int
	Long
	Float
	Double
	Bytes
	String
	Record
	Enum
	Array
	Map
	Union
	Fixed
)

var kindNames = [...]string{"null", "boolean", "int", "long", "float", "double", "bytes", "string", "record", "enum", "array", "map", "union", "fixed"}

// String returns the Avro name of the kind ("int", "record", ...).
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Named reports whether types of this kind carry a name (record, enum, fixed).
func (k Kind) Named() bool { return k == Record || k == Enum || k == Fixed }

// Type is one resolved Avro type. Named types are shared: every reference
// to com.example.Money points at the same *Type, so recursive schemas are
// cyclic graphs.
type Type struct {
	Kind Kind
	// Name is the full name of a record, enum or fixed.
	Name string
	// Aliases are the full names a named type also answers to.
	Aliases []string
	// Logical is the logical type ("decimal", "timestamp-millis", ...), or
	// empty; an unknown or invalid logical type is dropped, as the Avro
	// specification requires.
	Logical string
	// Precision and Scale are set for decimals.
	Precision, Scale int
	// Fields are a record's fields, in order.
	Fields []*Field
	// Symbols are an enum's symbols; EnumDefault is its default symbol
	// (HasEnumDefault tells whether it has one).
	Symbols        []string
	EnumDefault    string
	HasEnumDefault bool
	// Size is a fixed's size in bytes.
	Size int
	// Items is an array's item type; Values a map's value type.
	Items, Values *Type
	// Branches are a union's branches, in order.
	Branches []*Type
	// Pos is where the type is written (its definition for named types).
	Pos Pos
}

// Field is one field of a record.
type Field struct {
	// Name is the field's name; Aliases are earlier names it reads from.
	Name    string
	Aliases []string
	// Type is the field's type.
	Type *Type
	// HasDefault tells whether the field declares a default value.
	HasDefault bool
	// Pos is the position of the field's object in the source.
	Pos     Pos
	defNode *posjson.Node
}

// ShortName returns the name without its namespace, or the kind for
// unnamed types.
func (t *Type) ShortName() string {
	if !t.Kind.Named() {
		return t.describe()
	}
	if i := strings.LastIndexByte(t.Name, '.'); i >= 0 {
		return t.Name[i+1:]
	}
	return t.Name
}

// describe renders a type briefly for messages: "int", "com.x.Money",
// "array<string>", "union[null, string]", "bytes(decimal(10,2))".
func (t *Type) describe() string {
	var s string
	switch t.Kind {
	case Record, Enum, Fixed:
		s = t.Name
	case Array:
		s = "array<" + t.Items.describe() + ">"
	case Map:
		s = "map<" + t.Values.describe() + ">"
	case Union:
		parts := make([]string, len(t.Branches))
		for i, b := range t.Branches {
			parts[i] = b.describe()
		}
		return "union[" + strings.Join(parts, ", ") + "]"
	default:
		s = t.Kind.String()
	}
	switch t.Logical {
	case "":
	case "decimal":
		s += fmt.Sprintf("(decimal(%d,%d))", t.Precision, t.Scale)
	default:
		s += "(" + t.Logical + ")"
	}
	return s
}

// Schema is one parsed version of a schema: its root type and every named
// type it defines or references.
type Schema struct {
	// Version labels the schema in findings: a file name, "v3", a git
	// revision. Parse sets it; callers may change it.
	Version string
	// Root is the schema's top-level type.
	Root *Type
	// Named holds every named type by full name.
	Named map[string]*Type
}

// Source is one schema document: a name for positions (a file path) and
// its JSON text.
type Source struct {
	Name string
	Data []byte
}

// ParseError is a problem in a schema source, at a position.
type ParseError struct {
	Pos Pos
	Msg string
}

// Error renders "file:line:col: message".
func (e *ParseError) Error() string {
	if e.Pos.Line == 0 && e.Pos.File == "" {
		return e.Msg
	}
	return e.Pos.String() + ": " + e.Msg
}

// ParseErrors is every problem found while parsing a set of sources,
// sorted by position. It is the error type of Parse beyond JSON syntax.
type ParseErrors []*ParseError

// Error renders one problem per line.
func (l ParseErrors) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Parse parses one schema version from one or more sources. The root type
// is the last source's top-level schema; earlier sources supply named
// types it references (cross-file types, like registry references), in any
// order. version labels the schema in findings; empty means the last
// source's name. A malformed source gives a *ParseError or ParseErrors
// naming file:line:col. Every call builds fresh types: nothing is cached
// across calls.
func Parse(version string, sources ...Source) (*Schema, error) {
	if len(sources) == 0 {
		return nil, fmt.Errorf("parse schema %q: no sources", version)
	}
	if version == "" {
		version = sources[len(sources)-1].Name
	}
	p, roots, err := parseSources(sources)
	if err != nil {
		return nil, err
	}
	return &Schema{Version: version, Root: roots[len(roots)-1], Named: p.named}, nil
}

// Set is every named type defined by a set of schema files, parsed once;
// Schema picks one of them as a root. Schemas from one Set share types.
type Set struct {
	version string
	named   map[string]*Type
}

// ParseSet parses a set of schema files (named types resolve across them,
// in any order). version labels the schemas taken from the set.
func ParseSet(version string, sources ...Source) (*Set, error) {
	p, _, err := parseSources(sources)
	if err != nil {
		return nil, err
	}
	return &Set{version: version, named: p.named}, nil
}

// Schema returns the schema whose root is typeName: the full name of a
// named type of the set, or a primitive type name ("string"); false when
// the set does not define it.
func (s *Set) Schema(typeName string) (*Schema, bool) {
	if k, ok := primitives[typeName]; ok {
		return &Schema{Version: s.version, Root: &Type{Kind: k}, Named: s.named}, true
	}
	t, ok := s.named[typeName]
	if !ok {
		return nil, false
	}
	return &Schema{Version: s.version, Root: t, Named: s.named}, true
}

// Union returns the schema whose root is the union of typeNames (primitive
// names or full names of the set's named types), in that order, leaving
// out the names the set does not define: missing lists them. It reports
// false when it defines none (a topic's union key or value in a version
// that had none of its types).
func (s *Set) Union(typeNames ...string) (sc *Schema, missing []string, ok bool) {
	u := &Type{Kind: Union}
	for _, name := range typeNames {
		b, found := s.Schema(name)
		if !found {
			missing = append(missing, name)
			continue
		}
		u.Branches = append(u.Branches, b.Root)
	}
	if len(u.Branches) == 0 {
		return nil, missing, false
	}
	return &Schema{Version: s.version, Root: u, Named: s.named}, missing, true
}

// ParseType is ParseSet followed by Set.Schema: it returns the schema
// whose root is typeName, or an error when a file is malformed or the type
// is not defined (a *ParseError without position).
func ParseType(version, typeName string, sources ...Source) (*Schema, error) {
	set, err := ParseSet(version, sources...)
	if err != nil {
		return nil, err
	}
	sc, ok := set.Schema(typeName)
	if !ok {
		return nil, &ParseError{Msg: fmt.Sprintf("type %s is not defined in the schema files", typeName)}
	}
	return sc, nil
}

func parseSources(sources []Source) (*schemaParser, []*Type, error) {
	p := &schemaParser{named: map[string]*Type{}, defs: map[*posjson.Node]*Type{}, badNames: map[*Type]bool{}}
	nodes := make([]*posjson.Node, len(sources))
	for i, src := range sources {
		n, err := parseJSON(src.Name, src.Data)
		if err != nil {
			return nil, nil, err
		}
		nodes[i] = n
		p.file = src.Name
		p.collect(n, "")
	}
	roots := make([]*Type, len(nodes))
	for i, n := range nodes {
		p.file = sources[i].Name
		roots[i] = p.build(n, "")
	}
	p.checkFiniteValues()
	for _, f := range p.defaults {
		if msg := validDefault(f.Type, f.defNode); msg != "" {
			p.file = f.Pos.File // the default is in its field's file
			p.errorf(f.defNode.Pos, "default of field %q: %s", f.Name, msg)
		}
	}
	if len(p.errs) > 0 {
		sort.SliceStable(p.errs, func(i, j int) bool {
			a, b := p.errs[i].Pos, p.errs[j].Pos
			if a.File != b.File {
				return a.File < b.File
			}
			if a.Line != b.Line {
				return a.Line < b.Line
			}
			return a.Col < b.Col
		})
		return nil, nil, p.errs
	}
	return p, roots, nil
}

type schemaParser struct {
	named    map[string]*Type
	defs     map[*posjson.Node]*Type
	defaults []*Field
	badNames map[*Type]bool // definitions whose name is bad (reported), kept to check the rest of them
	errs     ParseErrors
	file     string // the source being read, for positions
}

// errorf records a problem at a position in the file being read.
func (p *schemaParser) errorf(at posjson.Pos, format string, args ...any) {
	p.errs = append(p.errs, &ParseError{Pos: p.at(at), Msg: fmt.Sprintf(format, args...)})
}

// at is a position in the file being read.
func (p *schemaParser) at(pos posjson.Pos) Pos {
	return Pos{File: p.file, Line: pos.Line, Col: pos.Col}
}

var primitives = map[string]Kind{
	"null": Null, "boolean": Boolean, "int": Int, "long": Long,
	"float": Float, "double": Double, "bytes": Bytes, "string": String,
}

func fullName(name, namespace string) string {
	if strings.Contains(name, ".") || namespace == "" {
		return name
	}
	return namespace + "." + name
}

func namespaceOf(full string) string {
	if i := strings.LastIndexByte(full, '.'); i >= 0 {
		return full[:i]
	}
	return ""
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'):
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

func validFullName(s string) bool {
	for _, part := range strings.Split(s, ".") {
		if !validName(part) {
			return false
		}
	}
	return true
}

// collect is the first pass: it creates a shell for every named type
// definition so references resolve regardless of order.
func (p *schemaParser) collect(n *posjson.Node, ns string) {
	switch n.Kind {
	case posjson.Array:
		for _, it := range n.Elems {
			p.collect(it, ns)
		}
	case posjson.Object:
		tn := n.Get("type")
		if tn == nil {
			return
		}
		if tn.Kind != posjson.String {
			p.collect(tn, ns)
			return
		}
		switch tn.Str {
		case "record", "error", "enum", "fixed":
			// A definition with a bad name is still built (its fields,
			// symbols, size are checked and the types defined inside it
			// collected), so that every problem is reported at once; it
			// is not registered under any name.
			full, ok := p.definedName(n, ns)
			kind := map[string]Kind{"record": Record, "error": Record, "enum": Enum, "fixed": Fixed}[tn.Str]
			t := &Type{Kind: kind, Name: full, Pos: p.at(n.Pos)}
			p.defs[n] = t
			inner := ns
			if !ok {
				p.badNames[t] = true
			} else if prev, dup := p.named[full]; dup {
				p.errorf(n.Pos, "type %s is defined twice (first at %s); define it once and refer to it by name", full, prev.Pos)
			} else {
				p.named[full] = t
				inner = namespaceOf(full)
			}
			if kind == Record {
				if fs := n.Get("fields"); fs != nil && fs.Kind == posjson.Array {
					for _, f := range fs.Elems {
						if f.Kind == posjson.Object {
							if ft := f.Get("type"); ft != nil {
								p.collect(ft, inner)
							}
						}
					}
				}
			}
		case "array":
			if it := n.Get("items"); it != nil {
				p.collect(it, ns)
			}
		case "map":
			if v := n.Get("values"); v != nil {
				p.collect(v, ns)
			}
		}
	}
}

// definedName computes a named type's full name from "name" and
// "namespace"; it reports problems once (in the collect pass). A bad name
// gives false and, for messages, the name as written or "(unnamed)".
func (p *schemaParser) definedName(n *posjson.Node, ns string) (string, bool) {
	nameNode := n.Get("name")
	if nameNode == nil {
		p.errorf(n.Pos, "named type has no \"name\"")
		return "(unnamed)", false
	}
	if nameNode.Kind != posjson.String {
		p.errorf(nameNode.Pos, "\"name\" must be a string, not %s", nameNode.Kind)
		return "(unnamed)", false
	}
	name := nameNode.Str
	if nsNode := n.Get("namespace"); nsNode != nil && !strings.Contains(name, ".") {
		if nsNode.Kind == posjson.String {
			ns = nsNode.Str
		} else if nsNode.Kind != posjson.Null {
			p.errorf(nsNode.Pos, "\"namespace\" must be a string, not %s", nsNode.Kind)
		}
		if ns != "" && !validFullName(ns) {
			p.errorf(nsNode.Pos, "invalid namespace %q: each part must match [A-Za-z_][A-Za-z0-9_]*", ns)
		}
	}
	full := fullName(name, ns)
	if !validFullName(full) {
		p.errorf(nameNode.Pos, "invalid name %q: each part must match [A-Za-z_][A-Za-z0-9_]*", name)
		return strconv.Quote(name), false
	}
	if _, prim := primitives[full]; prim {
		p.errorf(nameNode.Pos, "a named type cannot be called %q (a primitive type name)", full)
		return full, false
	}
	return full, true
}

func (p *schemaParser) reference(name string, pos posjson.Pos, ns string) *Type {
	if k, ok := primitives[name]; ok {
		return &Type{Kind: k, Pos: p.at(pos)}
	}
	if t, ok := p.named[fullName(name, ns)]; ok {
		return t
	}
	if t, ok := p.named[name]; ok {
		return t
	}
	p.errorf(pos, "unknown type %q: define it (in this file or another schema file) or fix the name", fullName(name, ns))
	return &Type{Kind: Null, Pos: p.at(pos)}
}

// build is the second pass: it turns a JSON node into a *Type.
func (p *schemaParser) build(n *posjson.Node, ns string) *Type {
	switch n.Kind {
	case posjson.String:
		return p.reference(n.Str, n.Pos, ns)
	case posjson.Array:
		return p.union(n, ns)
	case posjson.Object:
		return p.object(n, ns)
	default:
		p.errorf(n.Pos, "expected a type (a name, an object or a union array), found %s", n.Kind)
		return &Type{Kind: Null, Pos: p.at(n.Pos)}
	}
}

func (p *schemaParser) union(n *posjson.Node, ns string) *Type {
	t := &Type{Kind: Union, Pos: p.at(n.Pos)}
	seen := map[string]posjson.Pos{}
	for _, it := range n.Elems {
		b := p.build(it, ns)
		if b.Kind == Union {
			p.errorf(it.Pos, "a union cannot directly contain another union")
			continue
		}
		key := b.Kind.String()
		if b.Kind.Named() {
			if p.badNames[b] {
				continue // reported; its name means nothing
			}
			key = b.Name
		}
		if first, dup := seen[key]; dup {
			p.errorf(it.Pos, "union has %s twice (first at %d:%d): a union may hold each type once", key, first.Line, first.Col)
			continue
		}
		seen[key] = it.Pos
		t.Branches = append(t.Branches, b)
	}
	if len(n.Elems) == 0 {
		p.errorf(n.Pos, "empty union: a union needs at least one branch")
	}
	return t
}

func (p *schemaParser) object(n *posjson.Node, ns string) *Type {
	tn := n.Get("type")
	if tn == nil {
		p.errorf(n.Pos, "type object has no \"type\"")
		return &Type{Kind: Null, Pos: p.at(n.Pos)}
	}
	if tn.Kind != posjson.String {
		return p.build(tn, ns)
	}
	var t *Type
	switch tn.Str {
	case "record", "error":
		t = p.defs[n]
		if t == nil {
			return &Type{Kind: Record, Pos: p.at(n.Pos)}
		}
		p.record(t, n)
	case "enum":
		t = p.defs[n]
		if t == nil {
			return &Type{Kind: Enum, Pos: p.at(n.Pos)}
		}
		p.enum(t, n)
	case "fixed":
		t = p.defs[n]
		if t == nil {
			return &Type{Kind: Fixed, Pos: p.at(n.Pos)}
		}
		p.fixed(t, n)
	case "array":
		t = &Type{Kind: Array, Pos: p.at(n.Pos)}
		it := n.Get("items")
		if it == nil {
			p.errorf(n.Pos, "array has no \"items\"")
			t.Items = &Type{Kind: Null, Pos: p.at(n.Pos)}
		} else {
			t.Items = p.build(it, ns)
		}
	case "map":
		t = &Type{Kind: Map, Pos: p.at(n.Pos)}
		v := n.Get("values")
		if v == nil {
			p.errorf(n.Pos, "map has no \"values\"")
			t.Values = &Type{Kind: Null, Pos: p.at(n.Pos)}
		} else {
			t.Values = p.build(v, ns)
		}
	default:
		ref := p.reference(tn.Str, tn.Pos, ns)
		if ref.Kind.Named() {
			return ref
		}
		t = &Type{Kind: ref.Kind, Pos: p.at(n.Pos)}
	}
	p.logical(t, n)
	return t
}

func (p *schemaParser) aliases(n *posjson.Node, ns string) []string {
	an := n.Get("aliases")
	if an == nil {
		return nil
	}
	if an.Kind != posjson.Array {
		p.errorf(an.Pos, "\"aliases\" must be an array of names, not %s", an.Kind)
		return nil
	}
	var out []string
	for _, a := range an.Elems {
		if a.Kind != posjson.String || !validFullName(a.Str) {
			p.errorf(a.Pos, "invalid alias: expected a name matching [A-Za-z_][A-Za-z0-9_]*")
			continue
		}
		out = append(out, fullName(a.Str, ns))
	}
	return out
}

func (p *schemaParser) record(t *Type, n *posjson.Node) {
	ns := namespaceOf(t.Name)
	t.Aliases = p.aliases(n, ns)
	fs := n.Get("fields")
	if fs == nil {
		p.errorf(n.Pos, "record %s has no \"fields\"", t.Name)
		return
	}
	if fs.Kind != posjson.Array {
		p.errorf(fs.Pos, "\"fields\" of %s must be an array, not %s", t.Name, fs.Kind)
		return
	}
	seen := map[string]posjson.Pos{}
	for _, fn := range fs.Elems {
		if fn.Kind != posjson.Object {
			p.errorf(fn.Pos, "a field of %s must be an object with \"name\" and \"type\"", t.Name)
			continue
		}
		f := &Field{Pos: p.at(fn.Pos)}
		nameNode := fn.Get("name")
		switch {
		case nameNode == nil:
			p.errorf(fn.Pos, "field of %s has no \"name\"", t.Name)
			continue
		case nameNode.Kind != posjson.String || !validName(nameNode.Str):
			p.errorf(nameNode.Pos, "invalid field name: expected a name matching [A-Za-z_][A-Za-z0-9_]*")
			continue
		}
		f.Name = nameNode.Str
		if first, dup := seen[f.Name]; dup {
			p.errorf(nameNode.Pos, "field %q of %s is declared twice (first at %d:%d)", f.Name, t.Name, first.Line, first.Col)
			continue
		}
		seen[f.Name] = fn.Pos
		if an := fn.Get("aliases"); an != nil {
			if an.Kind != posjson.Array {
				p.errorf(an.Pos, "\"aliases\" must be an array of names, not %s", an.Kind)
			} else {
				for _, a := range an.Elems {
					if a.Kind != posjson.String || !validName(a.Str) {
						p.errorf(a.Pos, "invalid field alias: expected a name matching [A-Za-z_][A-Za-z0-9_]*")
						continue
					}
					f.Aliases = append(f.Aliases, a.Str)
				}
			}
		}
		tn := fn.Get("type")
		if tn == nil {
			p.errorf(fn.Pos, "field %q of %s has no \"type\"", f.Name, t.Name)
			continue
		}
		f.Type = p.build(tn, ns)
		if d := fn.Get("default"); d != nil {
			f.HasDefault = true
			f.defNode = d
			p.defaults = append(p.defaults, f)
		}
		t.Fields = append(t.Fields, f)
	}
}

func (p *schemaParser) enum(t *Type, n *posjson.Node) {
	t.Aliases = p.aliases(n, namespaceOf(t.Name))
	sn := n.Get("symbols")
	if sn == nil || sn.Kind != posjson.Array {
		p.errorf(n.Pos, "enum %s needs \"symbols\": an array of names", t.Name)
		return
	}
	seen := map[string]bool{}
	for _, s := range sn.Elems {
		if s.Kind != posjson.String || !validName(s.Str) {
			p.errorf(s.Pos, "invalid enum symbol: expected a name matching [A-Za-z_][A-Za-z0-9_]*")
			continue
		}
		if seen[s.Str] {
			p.errorf(s.Pos, "enum %s has symbol %q twice", t.Name, s.Str)
			continue
		}
		seen[s.Str] = true
		t.Symbols = append(t.Symbols, s.Str)
	}
	if d := n.Get("default"); d != nil {
		if d.Kind != posjson.String || !seen[d.Str] {
			p.errorf(d.Pos, "default of enum %s must be one of its symbols", t.Name)
		} else {
			t.EnumDefault, t.HasEnumDefault = d.Str, true
		}
	}
}

func (p *schemaParser) fixed(t *Type, n *posjson.Node) {
	t.Aliases = p.aliases(n, namespaceOf(t.Name))
	sn := n.Get("size")
	if sn == nil {
		p.errorf(n.Pos, "fixed %s has no \"size\"", t.Name)
		return
	}
	size, err := strconv.Atoi(sn.Str)
	if sn.Kind != posjson.Number || err != nil || size < 0 {
		p.errorf(sn.Pos, "\"size\" of fixed %s must be a non-negative integer", t.Name)
		return
	}
	t.Size = size
	p.logical(t, n)
}

// logical applies "logicalType" when it is known and valid for the
// underlying type; otherwise the type stays plain, per the specification.
func (p *schemaParser) logical(t *Type, n *posjson.Node) {
	ln := n.Get("logicalType")
	if ln == nil || ln.Kind != posjson.String {
		return
	}
	intAttr := func(key string, def int) (int, bool) {
		v := n.Get(key)
		if v == nil {
			return def, true
		}
		i, err := strconv.Atoi(v.Str)
		return i, v.Kind == posjson.Number && err == nil
	}
	switch lt := ln.Str; lt {
	case "decimal":
		if t.Kind != Bytes && t.Kind != Fixed {
			return
		}
		prec, ok1 := intAttr("precision", 0)
		scale, ok2 := intAttr("scale", 0)
		if !ok1 || !ok2 || prec <= 0 || scale < 0 || scale > prec {
			return
		}
		if t.Kind == Fixed && t.Size > 0 {
			maxPrec := int(math.Floor(math.Log10(math.Pow(2, float64(8*t.Size-1)) - 1)))
			if prec > maxPrec {
				return
			}
		}
		t.Logical, t.Precision, t.Scale = lt, prec, scale
	case "uuid":
		if t.Kind == String || (t.Kind == Fixed && t.Size == 16) {
			t.Logical = lt
		}
	case "date", "time-millis":
		if t.Kind == Int {
			t.Logical = lt
		}
	case "time-micros", "timestamp-millis", "timestamp-micros", "timestamp-nanos",
		"local-timestamp-millis", "local-timestamp-micros", "local-timestamp-nanos":
		if t.Kind == Long {
			t.Logical = lt
		}
	case "duration":
		if t.Kind == Fixed && t.Size == 12 {
			t.Logical = lt
		}
	case "big-decimal":
		if t.Kind == Bytes {
			t.Logical = lt
		}
	}
}

// validDefault checks a default value against its type and returns what is
// wrong, or "". A union's default must match its first branch.
func validDefault(t *Type, n *posjson.Node) string {
	return checkValue(t, n, 0)
}

func checkValue(t *Type, n *posjson.Node, depth int) string {
	if depth > posjson.MaxDepth {
		return "nested too deeply"
	}
	want := func(kind string) string {
		return fmt.Sprintf("expected %s for %s, found %s", kind, t.describe(), n.Kind)
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
		if n.Kind != posjson.Number {
			return want("an integer")
		}
		v, ok := new(big.Float).SetString(n.Str)
		if !ok || !v.IsInt() {
			return fmt.Sprintf("expected an integer for %s, found %s", t.Kind, n.Str)
		}
		i, _ := v.Int(nil)
		if !i.IsInt64() || (t.Kind == Int && (i.Int64() < math.MinInt32 || i.Int64() > math.MaxInt32)) {
			return fmt.Sprintf("%s is out of range for %s", n.Str, t.Kind)
		}
	case Float, Double:
		if n.Kind != posjson.Number && !(n.Kind == posjson.String && (n.Str == "NaN" || n.Str == "Infinity" || n.Str == "-Infinity")) {
			return want("a number")
		}
	case String, Bytes:
		if n.Kind != posjson.String {
			return want("a string")
		}
	case Fixed:
		if n.Kind != posjson.String {
			return want("a string")
		}
		if l := len([]rune(n.Str)); l != t.Size {
			return fmt.Sprintf("expected %d characters for fixed %s, found %d", t.Size, t.Name, l)
		}
	case Enum:
		if n.Kind != posjson.String {
			return want("a symbol")
		}
		for _, s := range t.Symbols {
			if s == n.Str {
				return ""
			}
		}
		return fmt.Sprintf("%q is not a symbol of enum %s", n.Str, t.Name)
	case Array:
		if n.Kind != posjson.Array {
			return want("an array")
		}
		for _, it := range n.Elems {
			if msg := checkValue(t.Items, it, depth+1); msg != "" {
				return msg
			}
		}
	case Map:
		if n.Kind != posjson.Object {
			return want("an object")
		}
		for _, m := range n.Members {
			if msg := checkValue(t.Values, m.Value, depth+1); msg != "" {
				return msg
			}
		}
	case Record:
		if n.Kind != posjson.Object {
			return want("an object")
		}
		for _, f := range t.Fields {
			v := n.Get(f.Name)
			if v == nil {
				if f.HasDefault {
					continue
				}
				return fmt.Sprintf("field %q of %s is missing", f.Name, t.Name)
			}
			if msg := checkValue(f.Type, v, depth+1); msg != "" {
				return msg
			}
		}
	case Union:
		if len(t.Branches) == 0 {
			return ""
		}
		if msg := checkValue(t.Branches[0], n, depth+1); msg != "" {
			return "a union's default must match its first branch (" + t.Branches[0].describe() + "): " + msg
		}
	}
	return ""
}
