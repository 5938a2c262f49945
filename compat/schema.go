package compat

import (
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
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
	defNode *node
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
	p := &schemaParser{named: map[string]*Type{}, defs: map[*node]*Type{}}
	nodes := make([]*node, len(sources))
	for i, src := range sources {
		n, err := parseJSON(src.Name, src.Data)
		if err != nil {
			return nil, nil, err
		}
		nodes[i] = n
		p.collect(n, "")
	}
	roots := make([]*Type, len(nodes))
	for i, n := range nodes {
		roots[i] = p.build(n, "")
	}
	for _, f := range p.defaults {
		if msg := validDefault(f.Type, f.defNode); msg != "" {
			p.errorf(f.defNode.pos, "default of field %q: %s", f.Name, msg)
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
	defs     map[*node]*Type
	defaults []*Field
	errs     ParseErrors
}

func (p *schemaParser) errorf(pos Pos, format string, args ...any) {
	p.errs = append(p.errs, &ParseError{Pos: pos, Msg: fmt.Sprintf(format, args...)})
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
func (p *schemaParser) collect(n *node, ns string) {
	switch n.kind {
	case jsonArray:
		for _, it := range n.items {
			p.collect(it, ns)
		}
	case jsonObject:
		tn := n.get("type")
		if tn == nil {
			return
		}
		if tn.kind != jsonString {
			p.collect(tn, ns)
			return
		}
		switch tn.str {
		case "record", "error", "enum", "fixed":
			full, ok := p.definedName(n, ns)
			if !ok {
				return
			}
			kind := map[string]Kind{"record": Record, "error": Record, "enum": Enum, "fixed": Fixed}[tn.str]
			t := &Type{Kind: kind, Name: full, Pos: n.pos}
			p.defs[n] = t
			if prev, dup := p.named[full]; dup {
				p.errorf(n.pos, "type %s is defined twice (first at %s); define it once and refer to it by name", full, prev.Pos)
			} else {
				p.named[full] = t
			}
			if kind == Record {
				if fs := n.get("fields"); fs != nil && fs.kind == jsonArray {
					for _, f := range fs.items {
						if f.kind == jsonObject {
							if ft := f.get("type"); ft != nil {
								p.collect(ft, namespaceOf(full))
							}
						}
					}
				}
			}
		case "array":
			if it := n.get("items"); it != nil {
				p.collect(it, ns)
			}
		case "map":
			if v := n.get("values"); v != nil {
				p.collect(v, ns)
			}
		}
	}
}

// definedName computes a named type's full name from "name" and
// "namespace"; it reports problems once (in the collect pass).
func (p *schemaParser) definedName(n *node, ns string) (string, bool) {
	nameNode := n.get("name")
	if nameNode == nil {
		p.errorf(n.pos, "named type has no \"name\"")
		return "", false
	}
	if nameNode.kind != jsonString {
		p.errorf(nameNode.pos, "\"name\" must be a string, not %s", nameNode.kind)
		return "", false
	}
	name := nameNode.str
	if nsNode := n.get("namespace"); nsNode != nil && !strings.Contains(name, ".") {
		if nsNode.kind == jsonString {
			ns = nsNode.str
		} else if nsNode.kind != jsonNull {
			p.errorf(nsNode.pos, "\"namespace\" must be a string, not %s", nsNode.kind)
		}
		if ns != "" && !validFullName(ns) {
			p.errorf(nsNode.pos, "invalid namespace %q: each part must match [A-Za-z_][A-Za-z0-9_]*", ns)
		}
	}
	full := fullName(name, ns)
	if !validFullName(full) {
		p.errorf(nameNode.pos, "invalid name %q: each part must match [A-Za-z_][A-Za-z0-9_]*", name)
		return "", false
	}
	if _, prim := primitives[full]; prim {
		p.errorf(nameNode.pos, "a named type cannot be called %q (a primitive type name)", full)
		return "", false
	}
	return full, true
}

func (p *schemaParser) reference(name string, pos Pos, ns string) *Type {
	if k, ok := primitives[name]; ok {
		return &Type{Kind: k, Pos: pos}
	}
	if t, ok := p.named[fullName(name, ns)]; ok {
		return t
	}
	if t, ok := p.named[name]; ok {
		return t
	}
	p.errorf(pos, "unknown type %q: define it (in this file or another schema file) or fix the name", fullName(name, ns))
	return &Type{Kind: Null, Pos: pos}
}

// build is the second pass: it turns a JSON node into a *Type.
func (p *schemaParser) build(n *node, ns string) *Type {
	switch n.kind {
	case jsonString:
		return p.reference(n.str, n.pos, ns)
	case jsonArray:
		return p.union(n, ns)
	case jsonObject:
		return p.object(n, ns)
	default:
		p.errorf(n.pos, "expected a type (a name, an object or a union array), found %s", n.kind)
		return &Type{Kind: Null, Pos: n.pos}
	}
}

func (p *schemaParser) union(n *node, ns string) *Type {
	t := &Type{Kind: Union, Pos: n.pos}
	seen := map[string]Pos{}
	for _, it := range n.items {
		b := p.build(it, ns)
		if b.Kind == Union {
			p.errorf(it.pos, "a union cannot directly contain another union")
			continue
		}
		key := b.Kind.String()
		if b.Kind.Named() {
			key = b.Name
		}
		if first, dup := seen[key]; dup {
			p.errorf(it.pos, "union has %s twice (first at %d:%d): a union may hold each type once", key, first.Line, first.Col)
			continue
		}
		seen[key] = it.pos
		t.Branches = append(t.Branches, b)
	}
	if len(n.items) == 0 {
		p.errorf(n.pos, "empty union: a union needs at least one branch")
	}
	return t
}

func (p *schemaParser) object(n *node, ns string) *Type {
	tn := n.get("type")
	if tn == nil {
		p.errorf(n.pos, "type object has no \"type\"")
		return &Type{Kind: Null, Pos: n.pos}
	}
	if tn.kind != jsonString {
		return p.build(tn, ns)
	}
	var t *Type
	switch tn.str {
	case "record", "error":
		t = p.defs[n]
		if t == nil {
			return &Type{Kind: Record, Pos: n.pos}
		}
		p.record(t, n)
	case "enum":
		t = p.defs[n]
		if t == nil {
			return &Type{Kind: Enum, Pos: n.pos}
		}
		p.enum(t, n)
	case "fixed":
		t = p.defs[n]
		if t == nil {
			return &Type{Kind: Fixed, Pos: n.pos}
		}
		p.fixed(t, n)
	case "array":
		t = &Type{Kind: Array, Pos: n.pos}
		it := n.get("items")
		if it == nil {
			p.errorf(n.pos, "array has no \"items\"")
			t.Items = &Type{Kind: Null, Pos: n.pos}
		} else {
			t.Items = p.build(it, ns)
		}
	case "map":
		t = &Type{Kind: Map, Pos: n.pos}
		v := n.get("values")
		if v == nil {
			p.errorf(n.pos, "map has no \"values\"")
			t.Values = &Type{Kind: Null, Pos: n.pos}
		} else {
			t.Values = p.build(v, ns)
		}
	default:
		ref := p.reference(tn.str, tn.pos, ns)
		if ref.Kind.Named() {
			return ref
		}
		t = &Type{Kind: ref.Kind, Pos: n.pos}
	}
	p.logical(t, n)
	return t
}

func (p *schemaParser) aliases(n *node, ns string) []string {
	an := n.get("aliases")
	if an == nil {
		return nil
	}
	if an.kind != jsonArray {
		p.errorf(an.pos, "\"aliases\" must be an array of names, not %s", an.kind)
		return nil
	}
	var out []string
	for _, a := range an.items {
		if a.kind != jsonString || !validFullName(a.str) {
			p.errorf(a.pos, "invalid alias: expected a name matching [A-Za-z_][A-Za-z0-9_]*")
			continue
		}
		out = append(out, fullName(a.str, ns))
	}
	return out
}

func (p *schemaParser) record(t *Type, n *node) {
	ns := namespaceOf(t.Name)
	t.Aliases = p.aliases(n, ns)
	fs := n.get("fields")
	if fs == nil {
		p.errorf(n.pos, "record %s has no \"fields\"", t.Name)
		return
	}
	if fs.kind != jsonArray {
		p.errorf(fs.pos, "\"fields\" of %s must be an array, not %s", t.Name, fs.kind)
		return
	}
	seen := map[string]Pos{}
	for _, fn := range fs.items {
		if fn.kind != jsonObject {
			p.errorf(fn.pos, "a field of %s must be an object with \"name\" and \"type\"", t.Name)
			continue
		}
		f := &Field{Pos: fn.pos}
		nameNode := fn.get("name")
		switch {
		case nameNode == nil:
			p.errorf(fn.pos, "field of %s has no \"name\"", t.Name)
			continue
		case nameNode.kind != jsonString || !validName(nameNode.str):
			p.errorf(nameNode.pos, "invalid field name: expected a name matching [A-Za-z_][A-Za-z0-9_]*")
			continue
		}
		f.Name = nameNode.str
		if first, dup := seen[f.Name]; dup {
			p.errorf(nameNode.pos, "field %q of %s is declared twice (first at %d:%d)", f.Name, t.Name, first.Line, first.Col)
			continue
		}
		seen[f.Name] = fn.pos
		if an := fn.get("aliases"); an != nil {
			if an.kind != jsonArray {
				p.errorf(an.pos, "\"aliases\" must be an array of names, not %s", an.kind)
			} else {
				for _, a := range an.items {
					if a.kind != jsonString || !validName(a.str) {
						p.errorf(a.pos, "invalid field alias: expected a name matching [A-Za-z_][A-Za-z0-9_]*")
						continue
					}
					f.Aliases = append(f.Aliases, a.str)
				}
			}
		}
		tn := fn.get("type")
		if tn == nil {
			p.errorf(fn.pos, "field %q of %s has no \"type\"", f.Name, t.Name)
			continue
		}
		f.Type = p.build(tn, ns)
		if d := fn.get("default"); d != nil {
			f.HasDefault = true
			f.defNode = d
			p.defaults = append(p.defaults, f)
		}
		t.Fields = append(t.Fields, f)
	}
}

func (p *schemaParser) enum(t *Type, n *node) {
	t.Aliases = p.aliases(n, namespaceOf(t.Name))
	sn := n.get("symbols")
	if sn == nil || sn.kind != jsonArray {
		p.errorf(n.pos, "enum %s needs \"symbols\": an array of names", t.Name)
		return
	}
	seen := map[string]bool{}
	for _, s := range sn.items {
		if s.kind != jsonString || !validName(s.str) {
			p.errorf(s.pos, "invalid enum symbol: expected a name matching [A-Za-z_][A-Za-z0-9_]*")
			continue
		}
		if seen[s.str] {
			p.errorf(s.pos, "enum %s has symbol %q twice", t.Name, s.str)
			continue
		}
		seen[s.str] = true
		t.Symbols = append(t.Symbols, s.str)
	}
	if d := n.get("default"); d != nil {
		if d.kind != jsonString || !seen[d.str] {
			p.errorf(d.pos, "default of enum %s must be one of its symbols", t.Name)
		} else {
			t.EnumDefault, t.HasEnumDefault = d.str, true
		}
	}
}

func (p *schemaParser) fixed(t *Type, n *node) {
	t.Aliases = p.aliases(n, namespaceOf(t.Name))
	sn := n.get("size")
	if sn == nil {
		p.errorf(n.pos, "fixed %s has no \"size\"", t.Name)
		return
	}
	size, err := strconv.Atoi(sn.str)
	if sn.kind != jsonNumber || err != nil || size < 0 {
		p.errorf(sn.pos, "\"size\" of fixed %s must be a non-negative integer", t.Name)
		return
	}
	t.Size = size
	p.logical(t, n)
}

// logical applies "logicalType" when it is known and valid for the
// underlying type; otherwise the type stays plain, per the specification.
func (p *schemaParser) logical(t *Type, n *node) {
	ln := n.get("logicalType")
	if ln == nil || ln.kind != jsonString {
		return
	}
	intAttr := func(key string, def int) (int, bool) {
		v := n.get(key)
		if v == nil {
			return def, true
		}
		i, err := strconv.Atoi(v.str)
		return i, v.kind == jsonNumber && err == nil
	}
	switch lt := ln.str; lt {
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
func validDefault(t *Type, n *node) string {
	return checkValue(t, n, 0)
}

func checkValue(t *Type, n *node, depth int) string {
	if depth > maxJSONDepth {
		return "nested too deeply"
	}
	want := func(kind string) string {
		return fmt.Sprintf("expected %s for %s, found %s", kind, t.describe(), n.kind)
	}
	switch t.Kind {
	case Null:
		if n.kind != jsonNull {
			return want("null")
		}
	case Boolean:
		if n.kind != jsonBool {
			return want("true or false")
		}
	case Int, Long:
		if n.kind != jsonNumber {
			return want("an integer")
		}
		v, ok := new(big.Float).SetString(n.str)
		if !ok || !v.IsInt() {
			return fmt.Sprintf("expected an integer for %s, found %s", t.Kind, n.str)
		}
		i, _ := v.Int(nil)
		if !i.IsInt64() || (t.Kind == Int && (i.Int64() < math.MinInt32 || i.Int64() > math.MaxInt32)) {
			return fmt.Sprintf("%s is out of range for %s", n.str, t.Kind)
		}
	case Float, Double:
		if n.kind != jsonNumber && !(n.kind == jsonString && (n.str == "NaN" || n.str == "Infinity" || n.str == "-Infinity")) {
			return want("a number")
		}
	case String, Bytes:
		if n.kind != jsonString {
			return want("a string")
		}
	case Fixed:
		if n.kind != jsonString {
			return want("a string")
		}
		if l := len([]rune(n.str)); l != t.Size {
			return fmt.Sprintf("expected %d characters for fixed %s, found %d", t.Size, t.Name, l)
		}
	case Enum:
		if n.kind != jsonString {
			return want("a symbol")
		}
		for _, s := range t.Symbols {
			if s == n.str {
				return ""
			}
		}
		return fmt.Sprintf("%q is not a symbol of enum %s", n.str, t.Name)
	case Array:
		if n.kind != jsonArray {
			return want("an array")
		}
		for _, it := range n.items {
			if msg := checkValue(t.Items, it, depth+1); msg != "" {
				return msg
			}
		}
	case Map:
		if n.kind != jsonObject {
			return want("an object")
		}
		for _, m := range n.members {
			if msg := checkValue(t.Values, m.value, depth+1); msg != "" {
				return msg
			}
		}
	case Record:
		if n.kind != jsonObject {
			return want("an object")
		}
		for _, f := range t.Fields {
			v := n.get(f.Name)
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
