package avroschema

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/faustgen/faustgen/internal/posjson"
)

// Set is every named type a set of schema sources defines, resolved across
// them, and the top-level type of each source.
type Set struct {
	// Named holds every named type by full name; Aliases by full alias.
	Named   map[string]*Type
	Aliases map[string]*Type
	// Roots holds each source's top-level type, in the order of the
	// sources (nil for a source that is not valid JSON).
	Roots []*Type
}

// Lookup returns the named type a full name or a full alias names.
func (s *Set) Lookup(name string) (*Type, bool) {
	if t, ok := s.Named[name]; ok {
		return t, true
	}
	t, ok := s.Aliases[name]
	return t, ok
}

// Parse parses schema sources, resolves the named types they define and
// use across all of them (in any order), and checks them: names, logical
// types, default values and that every record has a finite value. Every
// call builds fresh types: nothing is cached across calls.
//
// It returns every problem found, sorted; a problem that is not Strict
// makes the schema invalid Avro. The Set is complete only when there is
// none: with problems, what could not be read is left out or replaced by
// a null type.
//
// Defining one full name in several places is allowed when the
// definitions are the same (their full schema JSON, with other named
// types by name, is); the first one in source order is the one in force.
func Parse(sources ...Source) (*Set, List) {
	p := &parser{defs: map[string][]*Type{}, badName: map[*Type]bool{}, unresolved: map[*Type]bool{}}
	set := &Set{Named: map[string]*Type{}, Aliases: map[string]*Type{}, Roots: make([]*Type, len(sources))}
	p.set = set
	for i, src := range sources {
		n, err := posjson.Parse(src.Data)
		p.file = src.Name
		if err != nil {
			se := err.(*posjson.SyntaxError) // Parse's only error type
			p.errorf(se.Pos, "invalid JSON: %s", se.Msg)
			continue
		}
		p.slot(&set.Roots[i], n, "")
	}
	p.settleDefinitions()
	p.resolve()
	p.compareDuplicates()
	p.checkUnions()
	p.checkFiniteValues()
	p.checkDefaults()
	p.diags.Sort()
	return set, p.diags
}

// DeclaredNames reads the sources as Parse does, without resolving or
// checking them, and returns the full names and full aliases of every
// named type some source defines (even where the definition has errors),
// and the names of the sources that are not valid JSON.
func DeclaredNames(sources ...Source) (names map[string]bool, unparsed []string) {
	p := &parser{defs: map[string][]*Type{}, badName: map[*Type]bool{}, set: &Set{}}
	names = map[string]bool{}
	for _, src := range sources {
		n, err := posjson.Parse(src.Data)
		if err != nil {
			unparsed = append(unparsed, src.Name)
			continue
		}
		p.file = src.Name
		var root *Type
		p.slot(&root, n, "")
	}
	for name, defs := range p.defs {
		names[name] = true
		for _, d := range defs {
			for _, a := range d.Aliases {
				names[a] = true
			}
		}
	}
	return names, unparsed
}

type parser struct {
	set   *Set
	diags List
	file  string // the source being read, for positions
	// record is the record whose fields are being read, or nil.
	record *Type
	// defs holds every definition of each full name, in source order.
	defs map[string][]*Type
	// badName marks definitions whose name is bad (reported): they are
	// read through, to report the rest of them, but registered nowhere.
	badName map[*Type]bool
	// refs are the places that name a type (a reference or a definition),
	// resolved once every source is read.
	refs []ref
	// unions are the unions read, with the JSON they were read from.
	unions []unionAt
	// names are the full names in force, sorted (once they are settled).
	names []string
	// unresolved are the null types put where a name resolved to nothing.
	unresolved map[*Type]bool
}

// ref is one place that names a named type: a reference written as a
// name, or a definition written in place.
type ref struct {
	at     **Type
	name   string // as written; the full name for a definition
	ns     string // the namespace in force where it is written
	file   string
	pos    posjson.Pos
	def    *Type // the definition written here, if it is one
	record *Type // the record whose field holds it, or nil
}

type unionAt struct {
	t    *Type
	file string
	n    *posjson.Node
}

func (p *parser) errorf(at posjson.Pos, format string, args ...any) {
	p.diags.Add(p.file, at.Line, at.Col, format, args...)
}

func (p *parser) strictf(at posjson.Pos, format string, args ...any) {
	p.errorf(at, format, args...)
	p.diags[len(p.diags)-1].Strict = true
}

// at is a position in the source being read.
func (p *parser) at(pos posjson.Pos) Pos {
	return Pos{File: p.file, Line: pos.Line, Col: pos.Col}
}

// validName reports whether s is an Avro name: [A-Za-z_][A-Za-z0-9_]*.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '_' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// slot reads the type n into *at; ns is the namespace in force. A named
// type is put there when references resolve. It reports false when n is
// no type at all (*at stays nil).
func (p *parser) slot(at **Type, n *posjson.Node, ns string) bool {
	switch n.Kind {
	case posjson.String:
		if k, ok := Primitives[n.Str]; ok {
			*at = &Type{Kind: k, Pos: p.at(n.Pos)}
			return true
		}
		if n.Str == "" {
			p.errorf(n.Pos, "empty type name")
			return false
		}
		p.refs = append(p.refs, ref{at: at, name: n.Str, ns: ns, file: p.file, pos: n.Pos, record: p.record})
		return true
	case posjson.Array:
		// Branches has its final capacity: refs point into it.
		t := &Type{Kind: Union, Pos: p.at(n.Pos), Branches: make([]*Type, 0, len(n.Elems))}
		for _, e := range n.Elems {
			if e.Kind == posjson.Array {
				p.errorf(e.Pos, "a union cannot directly contain another union")
				continue
			}
			t.Branches = append(t.Branches, nil)
			if !p.slot(&t.Branches[len(t.Branches)-1], e, ns) {
				t.Branches = t.Branches[:len(t.Branches)-1]
			}
		}
		if len(n.Elems) == 0 {
			p.errorf(n.Pos, "a union needs at least one branch")
		}
		p.unions = append(p.unions, unionAt{t: t, file: p.file, n: n})
		*at = t
		return true
	case posjson.Object:
		return p.object(at, n, ns)
	}
	p.errorf(n.Pos, "a schema must be a type name, an object or a union (an array), not a %s", n.Kind)
	return false
}

func (p *parser) object(at **Type, n *posjson.Node, ns string) bool {
	tn := n.Get("type")
	if tn == nil {
		p.errorf(n.Pos, `schema object has no "type"`)
		return false
	}
	if tn.Kind != posjson.String {
		if tn.Kind == posjson.Object || tn.Kind == posjson.Array {
			// {"type": {...}}: the attributes around a nested schema are ignored.
			return p.slot(at, tn, ns)
		}
		p.errorf(tn.Pos, `"type" must be a string, an object or an array, not a %s`, tn.Kind)
		return false
	}
	switch tn.Str {
	case "record", "error":
		return p.named(at, n, ns, Record)
	case "enum":
		return p.named(at, n, ns, Enum)
	case "fixed":
		return p.named(at, n, ns, Fixed)
	case "array", "map":
		key, kind := "items", Array
		if tn.Str == "map" {
			key, kind = "values", Map
		}
		in := n.Get(key)
		if in == nil {
			p.errorf(n.Pos, "%s schema has no %q", tn.Str, key)
			return false
		}
		t := &Type{Kind: kind, Pos: p.at(n.Pos)}
		setProps(&t.Attrs, otherProps(n, "type", key))
		inner := &t.Items
		if kind == Map {
			inner = &t.Values
		}
		if !p.slot(inner, in, ns) {
			return false
		}
		*at = t
		return true
	}
	if k, ok := Primitives[tn.Str]; ok {
		t := &Type{Kind: k, Pos: p.at(n.Pos)}
		p.logical(t, n)
		setProps(&t.Attrs, otherProps(n, append([]string{"type"}, logicalKeys(t)...)...))
		*at = t
		return true
	}
	// {"type": "com.example.Name"}: a reference in object form.
	return p.slot(at, tn, ns)
}

// attrs returns *a, made when it is nil.
func attrs(a **Attrs) *Attrs {
	if *a == nil {
		*a = &Attrs{}
	}
	return *a
}

// setProps sets the other attributes, making Attrs only for some.
func setProps(a **Attrs, props []posjson.Member) {
	if len(props) > 0 {
		attrs(a).Props = props
	}
}

// otherProps returns the members of n not in skip, in file order.
func otherProps(n *posjson.Node, skip ...string) []posjson.Member {
	var out []posjson.Member
	for _, m := range n.Members {
		if !slices.Contains(skip, m.Key) {
			out = append(out, m)
		}
	}
	return out
}

// named reads a record, enum or fixed definition.
func (p *parser) named(at **Type, n *posjson.Node, ns string, k Kind) bool {
	t := &Type{Kind: k, Pos: p.at(n.Pos), IsError: n.Get("type").Str == "error"}
	// A definition with a bad name is still read through (fields,
	// symbols, size...), so that every problem of it is reported at once.
	valid := true
	space := ns // the namespace of the types named inside, for a bad name too
	nameNode := n.Get("name")
	switch {
	case nameNode == nil:
		p.errorf(n.Pos, "%s has no \"name\"", k)
		valid = false
	case nameNode.Kind != posjson.String:
		p.errorf(nameNode.Pos, "%s \"name\" must be a string", k)
		valid = false
	default:
		full, fullSpace, ok := p.fullName(nameNode, n.Get("namespace"), ns)
		if !ok {
			t.Name = nameNode.Str
			valid = false
			break
		}
		t.Name, space = full, fullSpace
		if _, prim := Primitives[full]; prim {
			p.errorf(nameNode.Pos, "%q is a primitive type and cannot be redefined", full)
			valid = false
		}
	}
	if doc := n.Get("doc"); doc != nil {
		if doc.Kind != posjson.String {
			p.strictf(doc.Pos, `"doc" must be a string`)
		} else {
			a := attrs(&t.Attrs)
			a.Doc, a.HasDoc = doc.Str, true
		}
	}
	t.Aliases = p.aliases(n.Get("aliases"), space, true)

	skip := []string{"type", "name", "namespace", "doc", "aliases"}
	switch k {
	case Record:
		outer := p.record
		p.record = t
		p.fields(n, t, space)
		p.record = outer
		skip = append(skip, "fields")
	case Enum:
		p.enum(n, t)
		skip = append(skip, "symbols", "default")
	case Fixed:
		size := n.Get("size")
		switch {
		case size == nil:
			p.errorf(n.Pos, `fixed %s has no "size"`, quoteName(t.Name))
		case size.Kind != posjson.Number:
			p.errorf(size.Pos, `fixed "size" must be a non-negative integer`)
		default:
			v, err := strconv.Atoi(size.Str)
			if err != nil || v < 0 {
				p.errorf(size.Pos, `fixed "size" must be a non-negative integer, not %s`, size.Str)
			} else {
				t.Size = v
			}
		}
		p.logical(t, n)
		skip = append(skip, "size")
		skip = append(skip, logicalKeys(t)...)
	}
	setProps(&t.Attrs, otherProps(n, skip...))
	if !valid {
		p.badName[t] = true
		*at = t
		return true
	}
	p.defs[t.Name] = append(p.defs[t.Name], t)
	p.refs = append(p.refs, ref{at: at, name: t.Name, file: p.file, pos: n.Pos, def: t, record: p.record})
	return true
}

// quoteName quotes a type's name for a message; a definition without
// one is "(unnamed)".
func quoteName(name string) string {
	if name == "" {
		return "(unnamed)"
	}
	return strconv.Quote(name)
}

// fullName computes a definition's full name and namespace from its
// "name", its "namespace" and the enclosing namespace. A "namespace" of
// null is no namespace attribute at all (Apache Avro for Java reads it
// so): the enclosing one applies.
func (p *parser) fullName(nameNode, nsNode *posjson.Node, enclosing string) (full, space string, ok bool) {
	name := nameNode.Str
	if nsNode != nil && nsNode.Kind == posjson.Null {
		nsNode = nil
	}
	if i := strings.LastIndex(name, "."); i >= 0 {
		space, name = name[:i], name[i+1:]
	} else if nsNode != nil {
		if nsNode.Kind != posjson.String {
			p.errorf(nsNode.Pos, `"namespace" must be a string`)
			return "", "", false
		}
		space = nsNode.Str
	} else {
		space = enclosing
	}
	if !validName(name) {
		p.errorf(nameNode.Pos, "invalid name %q: a name starts with a letter or _ and has only letters, digits and _", name)
		return "", "", false
	}
	if space == "" {
		return name, "", true
	}
	for _, part := range strings.Split(space, ".") {
		if !validName(part) {
			at := nameNode.Pos
			if nsNode != nil && !strings.Contains(nameNode.Str, ".") {
				at = nsNode.Pos
			}
			p.errorf(at, "invalid namespace %q: each dotted part starts with a letter or _ and has only letters, digits and _", space)
			return "", "", false
		}
	}
	return space + "." + name, space, true
}

// aliases reads an "aliases" array; qualify makes them full names.
func (p *parser) aliases(n *posjson.Node, space string, qualify bool) []string {
	if n == nil {
		return nil
	}
	if n.Kind != posjson.Array {
		p.errorf(n.Pos, `"aliases" must be an array of names`)
		return nil
	}
	var out []string
	for _, e := range n.Elems {
		if e.Kind != posjson.String || e.Str == "" {
			p.errorf(e.Pos, `"aliases" must be an array of names`)
			continue
		}
		a := e.Str
		valid := true
		for _, part := range strings.Split(a, ".") {
			valid = valid && validName(part)
		}
		if !valid || (!qualify && strings.Contains(a, ".")) {
			p.errorf(e.Pos, "invalid alias %q", a)
			continue
		}
		if qualify && !strings.Contains(a, ".") && space != "" {
			a = space + "." + a
		}
		out = append(out, a)
	}
	return out
}

var validOrders = []string{"ascending", "descending", "ignore"}

func (p *parser) fields(n *posjson.Node, t *Type, space string) {
	fields := p.arrayAttr(n, t, "fields", "an array")
	if fields == nil {
		return
	}
	seen := make(map[string]posjson.Pos, len(fields.Elems))
	for _, fn := range fields.Elems {
		if fn.Kind != posjson.Object {
			p.errorf(fn.Pos, "a field must be an object with \"name\" and \"type\"")
			continue
		}
		f := &Field{Pos: p.at(fn.Pos)}
		// One pass over the attributes: a record may have many fields.
		var name, doc, tn, def, order, aliases *posjson.Node
		for i, m := range fn.Members {
			switch m.Key {
			case "name":
				name = m.Value
			case "doc":
				doc = m.Value
			case "type":
				tn = m.Value
			case "default":
				def = m.Value
			case "order":
				order = m.Value
			case "aliases":
				aliases = m.Value
			default:
				a := attrs(&f.Attrs)
				a.Props = append(a.Props, fn.Members[i])
			}
		}
		switch {
		case name == nil:
			p.errorf(fn.Pos, "field has no \"name\"")
			continue
		case name.Kind != posjson.String || !validName(name.Str):
			p.errorf(name.Pos, "invalid field name %s: a name starts with a letter or _ and has only letters, digits and _", jsonText(name))
			continue
		}
		f.Name = name.Str
		if first, dup := seen[f.Name]; dup {
			p.errorf(name.Pos, "field %q is already defined at line %d", f.Name, first.Line)
			continue
		}
		seen[f.Name] = name.Pos
		if doc != nil {
			if doc.Kind != posjson.String {
				p.strictf(doc.Pos, `"doc" must be a string`)
			} else {
				a := attrs(&f.Attrs)
				a.Doc, a.HasDoc = doc.Str, true
			}
		}
		if tn == nil {
			p.errorf(fn.Pos, "field %q has no \"type\"", f.Name)
			continue
		}
		if !p.slot(&f.Type, tn, space) {
			continue
		}
		if def != nil {
			f.HasDefault, f.Default = true, def
		}
		if order != nil {
			if order.Kind != posjson.String || !slices.Contains(validOrders, order.Str) {
				p.errorf(order.Pos, `field "order" must be "ascending", "descending" or "ignore"`)
			} else {
				attrs(&f.Attrs).Order = order.Str
			}
		}
		f.Aliases = p.aliases(aliases, "", false)
		t.Fields = append(t.Fields, f)
	}
}

// arrayAttr returns the array attribute key of the definition of t, or
// reports that it is missing or not what it must be (an array...).
func (p *parser) arrayAttr(n *posjson.Node, t *Type, key, must string) *posjson.Node {
	v := n.Get(key)
	if v == nil {
		p.errorf(n.Pos, "%s %s has no %q", t.Kind, quoteName(t.Name), key)
		return nil
	}
	if v.Kind != posjson.Array {
		p.errorf(v.Pos, "%s %q must be %s", t.Kind, key, must)
		return nil
	}
	return v
}

func (p *parser) enum(n *posjson.Node, t *Type) {
	symbols := p.arrayAttr(n, t, "symbols", "an array of names")
	if symbols == nil {
		return
	}
	seen := map[string]bool{}
	for _, s := range symbols.Elems {
		if s.Kind != posjson.String || !validName(s.Str) {
			p.errorf(s.Pos, "invalid enum symbol %s: a symbol starts with a letter or _ and has only letters, digits and _", jsonText(s))
			continue
		}
		if seen[s.Str] {
			p.errorf(s.Pos, "duplicate enum symbol %q", s.Str)
			continue
		}
		seen[s.Str] = true
		t.Symbols = append(t.Symbols, s.Str)
	}
	if def := n.Get("default"); def != nil {
		if def.Kind != posjson.String || !seen[def.Str] {
			p.errorf(def.Pos, "enum default %s is not one of the symbols of %s", jsonText(def), quoteName(t.Name))
		} else {
			t.EnumDefault, t.HasEnumDefault = def.Str, true
		}
	}
}

// settleDefinitions puts the first definition of each full name in force
// and registers the aliases.
func (p *parser) settleDefinitions() {
	named, aliases := p.set.Named, p.set.Aliases
	p.names = slices.Sorted(maps.Keys(p.defs))
	for _, name := range p.names {
		named[name] = p.defs[name][0]
	}
	for _, name := range p.names {
		d := named[name]
		for _, a := range d.Aliases {
			if other, ok := named[a]; ok && other != d {
				p.diags = append(p.diags, Diagnostic{File: d.Pos.File, Line: d.Pos.Line, Col: d.Pos.Col, Strict: true,
					Msg: fmt.Sprintf("alias %q of %q is the name of another type (defined at %s)", a, name, other.Pos)})
				continue
			}
			if other, ok := aliases[a]; ok && other != d {
				p.diags = append(p.diags, Diagnostic{File: d.Pos.File, Line: d.Pos.Line, Col: d.Pos.Col, Strict: true,
					Msg: fmt.Sprintf("alias %q of %q is also an alias of %q", a, name, other.Name)})
				continue
			}
			aliases[a] = d
		}
	}
}

// lookup finds the definition a name refers to from namespace ns: the
// name in ns, then as a full name; a full alias matches too.
func (p *parser) lookup(name, ns string) *Type {
	candidates := []string{name}
	if !strings.Contains(name, ".") && ns != "" {
		candidates = []string{ns + "." + name, name}
	}
	for _, c := range candidates {
		if t, ok := p.set.Lookup(c); ok {
			return t
		}
	}
	return nil
}

// resolve puts every named type in the places that name it, and reports
// the names that resolve to nothing.
func (p *parser) resolve() {
	for i := range p.refs {
		r := &p.refs[i]
		p.file = r.file
		if r.def != nil {
			*r.at = p.set.Named[r.name] // identical duplicates merge
			p.checkNullNamespaceUse(r, *r.at)
			continue
		}
		t := p.lookup(r.name, r.ns)
		if t == nil {
			full := r.name
			if !strings.Contains(full, ".") && r.ns != "" {
				full = r.ns + "." + r.name
			}
			hint := "define it in one of the schema files, or use a primitive type"
			if near := p.nearest(r.name); near != "" {
				hint = fmt.Sprintf("did you mean %q?", near)
			}
			if full != r.name {
				p.errorf(r.pos, "unknown type %q (looked for %q and %q); %s", r.name, full, r.name, hint)
			} else {
				p.errorf(r.pos, "unknown type %q; %s", r.name, hint)
			}
			*r.at = &Type{Kind: Null, Pos: p.at(r.pos)}
			p.unresolved[*r.at] = true
			continue
		}
		*r.at = t
		p.checkNullNamespaceUse(r, t)
	}
}

// compareDuplicates reports a second definition of a full name that is
// not the same as the first.
func (p *parser) compareDuplicates() {
	for _, name := range p.names {
		defs := p.defs[name]
		first := defs[0]
		for _, d := range defs[1:] {
			if d.Kind != first.Kind || ShallowJSON(d) != ShallowJSON(first) {
				p.diags = append(p.diags, Diagnostic{File: d.Pos.File, Line: d.Pos.Line, Col: d.Pos.Col,
					Msg: fmt.Sprintf("%s %q is already defined differently at %s; define it once, or identically", d.Kind, name, first.Pos)})
			}
		}
	}
}

// nearest suggests a defined type for a misspelt or unqualified name.
func (p *parser) nearest(name string) string {
	short := name[strings.LastIndex(name, ".")+1:]
	var best string
	bestDist := max(1, len(short)/3) + 1 // suggest only close names
	for _, full := range p.names {
		cand := full[strings.LastIndex(full, ".")+1:]
		if strings.EqualFold(cand, short) {
			return full
		}
		if d := editDistance(strings.ToLower(cand), strings.ToLower(short)); d < bestDist {
			best, bestDist = full, d
		}
	}
	for _, prim := range []string{"null", "boolean", "int", "long", "float", "double", "bytes", "string"} {
		if d := editDistance(prim, strings.ToLower(name)); d < bestDist {
			best, bestDist = prim, d
		}
	}
	return best
}

// checkNullNamespaceUse reports a named type of the null namespace used
// (defined or referenced) inside a record that has a namespace. The
// specification reads a bare name there as one of the record's namespace
// and has no way to write a reference to the null namespace ("namespace":
// "" only works on a definition, and a leading dot is not a name); hamba
// and Apache Avro for Python even read such a definition into the
// enclosing namespace. Since no schema JSON would name the type the same
// way for every reader, code generation refuses it (Strict).
func (p *parser) checkNullNamespaceUse(r *ref, t *Type) {
	d := r.record
	if d == nil || p.badName[d] || d.Namespace() == "" || t.Namespace() != "" {
		return
	}
	p.strictf(r.pos, "%s %q has no namespace but is used inside %q: Avro readers disagree on its full name there (some read %q) and no schema JSON names it %[2]q for all of them; give %[2]q a namespace, or %[3]q none",
		t.Kind, t.Name, d.Name, d.Namespace()+"."+t.Name)
}

// branchPos is where branch i of the union is written: the i-th element
// that is no union, unless an element could not be read at all
// (reported), when the union's position stands for its branches'.
func (u *unionAt) branchPos(i int) posjson.Pos {
	var elems []*posjson.Node
	for _, e := range u.n.Elems {
		if e.Kind != posjson.Array {
			elems = append(elems, e)
		}
	}
	if len(elems) != len(u.t.Branches) {
		return u.n.Pos
	}
	return elems[i].Pos
}

// checkUnions reports unions with two branches of one type.
func (p *parser) checkUnions() {
	for _, u := range p.unions {
		p.file = u.file
		var buf [8]string // most unions are short: no allocation
		seen := buf[:0]
		for i, b := range u.t.Branches {
			if b == nil || p.badName[b] || p.unresolved[b] {
				continue // not read, or a bad name (reported): it means nothing
			}
			key := b.Kind.String()
			if b.Kind.Named() {
				key = b.Name
			}
			if slices.Contains(seen, key) {
				p.errorf(u.branchPos(i), "a union cannot hold two branches of type %q", key)
			}
			seen = append(seen, key)
		}
	}
}

// jsonText renders a node compactly, for messages.
func jsonText(n *posjson.Node) string {
	var b strings.Builder
	n.WriteCompact(&b, WriteJSONString)
	return b.String()
}
