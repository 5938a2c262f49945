package avsc

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/faustgen/faustgen/internal/avroschema"
)

// Set is a loaded, resolved and named set of Avro types, ready to emit.
// After Load only TopicUnion adds to it (before Render).
type Set struct {
	types   map[string]*named
	byAlias map[string]*named
	bySrc   map[*avroschema.Type]*named
	order   []*named       // by full name
	index   map[*named]int // position in order: the index in the schema table
	unions  []*unionType   // in the order they are emitted
	ids     idents
	// topUnions are the unions declared by TopicUnion, in that order;
	// their schema-table entries follow the named types'.
	topUnions []*topUnion
}

// Ref is how generated code uses one Avro type.
type Ref struct {
	// AvroName is the primitive name ("string") or the full name of the
	// named type ("com.example.PageView"), even when the lookup used an alias.
	AvroName string
	// GoType is the Go type: jen.String(), jen.Id("PageView").
	GoType jen.Code
	// Codec is the runtime.Codec value: runtime.StringCodec, PageViewCodec.
	Codec jen.Code
}

// primitiveRefs maps the Avro primitive names to their Go types and the
// runtime codecs that encode them.
var primitiveRefs = map[string]struct {
	goType func() jen.Code
	codec  string
}{
	"string":  {func() jen.Code { return jen.String() }, "StringCodec"},
	"long":    {func() jen.Code { return jen.Int64() }, "LongCodec"},
	"int":     {func() jen.Code { return jen.Int32() }, "IntCodec"},
	"boolean": {func() jen.Code { return jen.Bool() }, "BooleanCodec"},
	"float":   {func() jen.Code { return jen.Float32() }, "FloatCodec"},
	"double":  {func() jen.Code { return jen.Float64() }, "DoubleCodec"},
	"bytes":   {func() jen.Code { return jen.Index().Byte() }, "BytesCodec"},
	"null":    {func() jen.Code { return jen.Struct() }, "NullCodec"},
}

// Ref resolves a type name as the topology file writes it: an Avro
// primitive ("string", "long", …) or the full name (or a full alias) of a
// named type. It reports false for anything else.
func (s *Set) Ref(name string) (Ref, bool) {
	if p, ok := primitiveRefs[name]; ok {
		return Ref{AvroName: name, GoType: p.goType(), Codec: jen.Qual(runtimePath, p.codec)}, true
	}
	d, ok := s.types[name]
	if !ok {
		d, ok = s.byAlias[name]
	}
	if !ok {
		return Ref{}, false
	}
	return Ref{AvroName: d.fullName, GoType: jen.Id(d.goName), Codec: jen.Id(codecName(d))}, true
}

// TypeInfo describes one named type and the Go it gets.
type TypeInfo struct {
	AvroName string // full name, "com.example.PageView"
	Kind     string // "record", "enum" or "fixed"
	GoName   string // the Go type, "PageView"
	Codec    string // the codec variable, "PageViewCodec"
	// File, Line and Col locate the definition (1-based).
	File      string
	Line, Col int
	Aliases   []string // full names
	Doc       string
}

// Types lists the named types by full name.
func (s *Set) Types() []TypeInfo {
	out := make([]TypeInfo, 0, len(s.order))
	for _, d := range s.order {
		out = append(out, TypeInfo{
			AvroName: d.fullName, Kind: d.kind.String(), GoName: d.goName, Codec: codecName(d),
			File: d.src.Pos.File, Line: d.src.Pos.Line, Col: d.src.Pos.Col, Aliases: d.aliases, Doc: d.doc,
		})
	}
	return out
}

// Idents lists every package-level identifier that Render declares
// (types, constants, variables and functions, exported or not), so that
// code generated next to it can avoid them. Unexported ones all start with
// "encode" or "decode".
func (s *Set) Idents() []string {
	out := append([]string(nil), s.ids.order...)
	sort.Strings(out)
	return out
}

func codecName(d *named) string { return d.goName + "Codec" }

// settleNames gives every type, field, symbol and union a Go name and
// decides which record values are held by pointer.
func (s *Set) settleNames() {
	s.ids = idents{taken: map[string]bool{}}
	for _, name := range slices.Sorted(maps.Keys(s.types)) {
		s.order = append(s.order, s.types[name])
	}
	typeNames(s.order)
	s.index = make(map[*named]int, len(s.order))
	s.ids.claim(schemaTableName)
	for i, d := range s.order {
		s.index[d] = i
		s.ids.claim(d.goName)
	}
	reservedFields := map[string]bool{"AvroSchema": true, "AvroFingerprint": true, "MarshalAvro": true, "UnmarshalAvro": true}
	for _, d := range s.order {
		s.ids.claim(codecName(d))
		s.ids.claim("encode" + d.goName)
		s.ids.claim("decode" + d.goName)
		switch d.kind {
		case avroschema.Record:
			s.ids.claim("New" + d.goName)
			names := make([]string, len(d.fields))
			for i, f := range d.fields {
				names[i] = f.name
			}
			for i, it := range settleScope(names, goName, reservedFields) {
				d.fields[i].goName, d.fields[i].goNote = it.go_, it.note
			}
		case avroschema.Enum:
			items := settleScope(d.symbols, goName, nil)
			d.symbolGo = make([]string, len(items))
			d.symbolNote = make([]string, len(items))
			for i, it := range items {
				name, renamed := s.ids.claim(d.goName + it.go_)
				note := it.note
				if renamed {
					note = joinNote(note, fmt.Sprintf("%s is taken", d.goName+it.go_))
				}
				d.symbolGo[i], d.symbolNote[i] = name, note
			}
		}
	}
	for _, d := range s.order {
		for _, f := range d.fields {
			s.nameUnions(f.typ, d.goName+f.goName, fmt.Sprintf("field %s of %s", f.name, d.fullName))
		}
	}
	s.breakCycles()
}

// nameUnions gives each general union under t a Go type named after where
// it sits.
func (s *Set) nameUnions(t *schema, goName, context string) {
	switch t.kind {
	case avroschema.Array:
		s.nameUnions(t.items, goName+"Item", "items of "+context)
	case avroschema.Map:
		s.nameUnions(t.values, goName+"Value", "values of "+context)
	case avroschema.Union:
		if other, _, ok := t.nullable(); ok {
			s.nameUnions(other, goName, context)
			return
		}
		u, items := s.newUnion(t, goName, context)
		for i, b := range t.branches {
			s.nameUnions(b, u.goName+items[i], "branch of "+context)
		}
	}
}

// newUnion gives the general union t a Go type named goName (or, when
// taken, a variant of it), with a constant and a field per branch; it
// returns the union and the Go names of its branches.
func (s *Set) newUnion(t *schema, goName, context string) (*unionType, []string) {
	u := &unionType{s: t, context: context}
	u.goName, _ = s.ids.claim(goName)
	u.kindName, _ = s.ids.claim(u.goName + "Kind")
	s.ids.claim("encode" + u.goName)
	s.ids.claim("decode" + u.goName)
	labels := make([]string, len(t.branches))
	for i, b := range t.branches {
		labels[i] = branchGoName(b)
	}
	var names []string
	for i, it := range settleScope(labels, func(s string) string { return s }, map[string]bool{"Kind": true}) {
		c, _ := s.ids.claim(u.goName + it.go_)
		u.consts = append(u.consts, c)
		names = append(names, it.go_)
		if t.branches[i].kind == avroschema.Null {
			u.branches = append(u.branches, "")
		} else {
			u.branches = append(u.branches, it.go_)
		}
	}
	t.union = u
	s.unions = append(s.unions, u)
	return u, names
}

// topUnion is a union declared for a topic's key or value: a Go union
// type with a codec of its own.
type topUnion struct {
	u *unionType
	// typ is the codec's Type, the union spelled with its branches' names:
	// "[com.example.Created, com.example.Deleted]".
	typ   string
	codec string // the codec variable, "EventsValueCodec"
}

// TopicUnion declares the union of branches (Avro primitive names or full
// names, or full aliases, of named types) as a Go union type named goName
// (a variant of it when taken), like the unions inside records, with a
// codec variable goName+"Codec" whose schema is the union. context says
// whose it is in its doc comment ("value of topic events"). It reports
// false when a branch does not resolve or two branches are one type.
func (s *Set) TopicUnion(goName, context string, branches []string) (Ref, bool) {
	src := &avroschema.Type{Kind: avroschema.Union}
	seen := map[string]bool{}
	var names []string
	for _, name := range branches {
		var b *avroschema.Type
		if k, ok := avroschema.Primitives[name]; ok {
			b = &avroschema.Type{Kind: k}
		} else {
			d, ok := s.types[name]
			if !ok {
				d, ok = s.byAlias[name]
			}
			if !ok {
				return Ref{}, false
			}
			b = d.src
			name = d.fullName
		}
		if seen[name] {
			return Ref{}, false
		}
		seen[name] = true
		names = append(names, name)
		src.Branches = append(src.Branches, b)
	}
	if len(src.Branches) == 0 {
		return Ref{}, false
	}
	t := s.use(src)
	u, _ := s.newUnion(t, goName, context)
	codec, _ := s.ids.claim(u.goName + "Codec")
	typ := "[" + strings.Join(names, ", ") + "]"
	s.topUnions = append(s.topUnions, &topUnion{u: u, typ: typ, codec: codec})
	return Ref{AvroName: typ, GoType: jen.Id(u.goName), Codec: jen.Id(codec)}, true
}

// branchGoName names a union branch's field after its type.
func branchGoName(b *schema) string {
	switch {
	case b.kind.Named():
		return b.named.goName
	case b.kind == avroschema.Array:
		return "Array"
	case b.kind == avroschema.Map:
		return "Map"
	case b.logical != "":
		return goName(b.logical)
	}
	return goName(b.kind.String())
}

// breakCycles finds the record and union types that contain themselves by
// value (A has a B that has an A) and holds the records on those cycles by
// pointer, which Go needs. Arrays, maps and nullable fields already hold
// their values indirectly.
func (s *Set) breakCycles() {
	// Graph nodes are *named (records) and *unionType; edges are schema
	// nodes that hold a record or union by value.
	type edge struct {
		to any
		at *schema
	}
	graph := map[any][]edge{}
	//lint:ignore S1021 the closure calls itself
	var valueEdges func(from any, t *schema)
	valueEdges = func(from any, t *schema) {
		switch {
		case t.kind == avroschema.Record:
			graph[from] = append(graph[from], edge{t.named, t})
		case t.kind == avroschema.Union && t.union != nil:
			graph[from] = append(graph[from], edge{t.union, t})
		}
	}
	var nodes []any
	for _, d := range s.order {
		if d.kind != avroschema.Record {
			continue
		}
		nodes = append(nodes, d)
		for _, f := range d.fields {
			valueEdges(d, f.typ)
		}
	}
	for _, u := range s.unions {
		nodes = append(nodes, u)
		for _, b := range u.s.branches {
			if b.kind == avroschema.Record {
				valueEdges(u, b)
			}
		}
	}
	// Tarjan's strongly connected components.
	index := map[any]int{}
	low := map[any]int{}
	onStack := map[any]bool{}
	comp := map[any]int{}
	var stack []any
	next, ncomp := 0, 0
	var visit func(v any)
	visit = func(v any) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, e := range graph[v] {
			if _, seen := index[e.to]; !seen {
				visit(e.to)
				low[v] = min(low[v], low[e.to])
			} else if onStack[e.to] {
				low[v] = min(low[v], index[e.to])
			}
		}
		if low[v] == index[v] {
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp[w] = ncomp
				if w == v {
					break
				}
			}
			ncomp++
		}
	}
	for _, n := range nodes {
		if _, seen := index[n]; !seen {
			visit(n)
		}
	}
	for _, n := range nodes {
		for _, e := range graph[n] {
			if _, isRecord := e.to.(*named); isRecord && comp[e.to] == comp[n] {
				e.at.byRef = true
			}
		}
	}
}
