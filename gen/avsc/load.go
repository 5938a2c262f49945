package avsc

import (
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/faustgen/faustgen/gen/diag"
	"github.com/faustgen/faustgen/internal/posjson"
)

// File is one .avsc file: its path (as it should appear in diagnostics)
// and its contents.
type File struct {
	Path string
	Data []byte
}

// loader holds the state of one Load.
type loader struct {
	diags   diag.List
	defs    map[string][]*named // every definition of each full name, in load order
	all     []*schema           // every schema node that names a type
	nodes   []*schema           // every schema node
	byAlias map[string]*named
	types   map[string]*named // the definition in force per full name
}

func (l *loader) errorf(file string, p pos, format string, args ...any) {
	l.diags.Add(file, p.Line, p.Col, format, args...)
}

// Load parses the files, resolves the named types they define and use
// across all of them (in any order), checks defaults and logical types,
// and settles the Go names. It reads nothing from disk. On bad input it
// returns a diag.List with every problem found.
//
// Defining one full name in several files is allowed when the definitions
// are the same; otherwise it is an error.
func Load(files []File) (*Set, error) {
	l := &loader{defs: map[string][]*named{}, byAlias: map[string]*named{}, types: map[string]*named{}}
	sorted := slices.Clone(files)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })

	var roots []*schema
	for _, f := range sorted {
		n, err := posjson.Parse(f.Data)
		if err != nil {
			se := err.(*posjson.SyntaxError) // Parse's only error type
			l.errorf(f.Path, se.Pos, "invalid JSON: %s", se.Msg)
			continue
		}
		if s := l.parse(f.Path, n, ""); s != nil {
			roots = append(roots, s)
		}
	}
	l.settleDefinitions()
	l.resolve()
	l.checkNullNamespaceUses()
	l.checkUnions()
	l.checkFiniteValues()
	for _, name := range sortedKeys(l.types) {
		l.checkDefaults(l.types[name])
	}
	if len(l.diags) > 0 {
		return nil, l.diags.Err()
	}
	set := &Set{types: l.types, byAlias: l.byAlias}
	set.settleNames()
	return set, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var nameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// parse turns one JSON node into a schema. ns is the namespace in force.
func (l *loader) parse(file string, n *posjson.Node, ns string) *schema {
	switch n.Kind {
	case posjson.String:
		if k, ok := primitiveKinds[n.Str]; ok {
			return l.node(&schema{kind: k, file: file, pos: n.Pos})
		}
		if n.Str == "" {
			l.errorf(file, n.Pos, "empty type name")
			return nil
		}
		s := &schema{file: file, pos: n.Pos, ref: n.Str, refNS: ns}
		l.all = append(l.all, s)
		return l.node(s)
	case posjson.Array:
		s := &schema{kind: Union, file: file, pos: n.Pos}
		for _, e := range n.Elems {
			if e.Kind == posjson.Array {
				l.errorf(file, e.Pos, "a union cannot directly contain another union")
				continue
			}
			if b := l.parse(file, e, ns); b != nil {
				s.branches = append(s.branches, b)
			}
		}
		if len(n.Elems) == 0 {
			l.errorf(file, n.Pos, "a union needs at least one branch")
		}
		return l.node(s)
	case posjson.Object:
		return l.parseObject(file, n, ns)
	default:
		l.errorf(file, n.Pos, "a schema must be a type name, an object or a union (an array), not a %s", n.Kind)
		return nil
	}
}

func (l *loader) node(s *schema) *schema {
	l.nodes = append(l.nodes, s)
	return s
}

func (l *loader) parseObject(file string, n *posjson.Node, ns string) *schema {
	t := n.Get("type")
	if t == nil {
		l.errorf(file, n.Pos, `schema object has no "type"`)
		return nil
	}
	if t.Kind != posjson.String {
		if t.Kind == posjson.Object || t.Kind == posjson.Array {
			// {"type": {...}}: the attributes around a nested schema are ignored.
			return l.parse(file, t, ns)
		}
		l.errorf(file, t.Pos, `"type" must be a string, an object or an array, not a %s`, t.Kind)
		return nil
	}
	switch t.Str {
	case "record", "error":
		return l.parseNamed(file, n, ns, Record)
	case "enum":
		return l.parseNamed(file, n, ns, Enum)
	case "fixed":
		return l.parseNamed(file, n, ns, Fixed)
	case "array":
		items := n.Get("items")
		if items == nil {
			l.errorf(file, n.Pos, `array schema has no "items"`)
			return nil
		}
		s := &schema{kind: Array, file: file, pos: n.Pos, props: otherProps(n, "type", "items")}
		s.items = l.parse(file, items, ns)
		if s.items == nil {
			return nil
		}
		return l.node(s)
	case "map":
		values := n.Get("values")
		if values == nil {
			l.errorf(file, n.Pos, `map schema has no "values"`)
			return nil
		}
		s := &schema{kind: Map, file: file, pos: n.Pos, props: otherProps(n, "type", "values")}
		s.values = l.parse(file, values, ns)
		if s.values == nil {
			return nil
		}
		return l.node(s)
	}
	if k, ok := primitiveKinds[t.Str]; ok {
		s := &schema{kind: k, file: file, pos: n.Pos}
		l.parseLogical(file, n, k, &s.logical, &s.precision, &s.scale, nil)
		skip := []string{"type"}
		if s.logical != "" {
			skip = append(skip, "logicalType", "precision", "scale")
		}
		s.props = otherProps(n, skip...)
		return l.node(s)
	}
	// {"type": "com.example.Name"}: a reference in object form.
	return l.parse(file, t, ns)
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

// parseLogical reads "logicalType" (and decimal's precision and scale) of a
// primitive or fixed schema object. Unknown logical types are left alone;
// a known one on the wrong type or with bad parameters is an error.
func (l *loader) parseLogical(file string, n *posjson.Node, k Kind, logical *string, precision, scale *int, fixedSize *int) {
	lt := n.Get("logicalType")
	if lt == nil {
		return
	}
	if lt.Kind != posjson.String {
		l.errorf(file, lt.Pos, `"logicalType" must be a string`)
		return
	}
	bases, known := logicalBase[lt.Str]
	if !known {
		if near := nearLogicalType(lt.Str); near != "" {
			l.errorf(file, lt.Pos, "unknown logical type %q: did you mean %q? (an unknown logical type is ignored, which would leave a plain %q)", lt.Str, near, k)
		}
		return
	}
	if !slices.Contains(bases, k) {
		var want []string
		for _, b := range bases {
			want = append(want, strconv.Quote(b.String()))
		}
		l.errorf(file, lt.Pos, "logical type %q applies to type %s, not %q", lt.Str, strings.Join(want, " or "), k)
		return
	}
	switch lt.Str {
	case logicalDecimal:
		p, ok := l.intProp(file, n, "precision", lt.Pos)
		if !ok {
			return
		}
		sc := 0
		if n.Get("scale") != nil {
			if sc, ok = l.intProp(file, n, "scale", lt.Pos); !ok {
				return
			}
		}
		if p <= 0 {
			l.errorf(file, n.Get("precision").Pos, "decimal precision must be a positive integer, not %d", p)
			return
		}
		if sc < 0 || sc > p {
			l.errorf(file, n.Get("scale").Pos, "decimal scale must be between 0 and the precision (%d), not %d", p, sc)
			return
		}
		if fixedSize != nil && *fixedSize > 0 {
			if max := maxDecimalDigits(*fixedSize); p > max {
				l.errorf(file, n.Get("precision").Pos, "decimal precision %d does not fit in fixed of size %d (at most %d digits)", p, *fixedSize, max)
				return
			}
		}
		*precision, *scale = p, sc
	case logicalDuration:
		if fixedSize != nil && *fixedSize != 12 {
			l.errorf(file, lt.Pos, "logical type \"duration\" needs a fixed of size 12, not %d", *fixedSize)
			return
		}
	case logicalUUID:
		if fixedSize != nil && *fixedSize != 16 {
			l.errorf(file, lt.Pos, "logical type \"uuid\" on a fixed needs size 16, not %d", *fixedSize)
			return
		}
	}
	*logical = lt.Str
}

// maxDecimalDigits is the largest precision a two's-complement number of
// size bytes can hold: floor(log10(2^(8*size-1) - 1)).
func maxDecimalDigits(size int) int {
	if size > 1024 {
		size = 1024
	}
	max := new(big.Int).Lsh(big.NewInt(1), uint(8*size-1))
	max.Sub(max, big.NewInt(1))
	return len(max.String()) - 1
}

// intProp reads a non-negative integer attribute.
func (l *loader) intProp(file string, n *posjson.Node, key string, at pos) (int, bool) {
	v := n.Get(key)
	if v == nil {
		l.errorf(file, at, "decimal needs %q", key)
		return 0, false
	}
	if v.Kind != posjson.Number {
		l.errorf(file, v.Pos, "%q must be an integer, not a %s", key, v.Kind)
		return 0, false
	}
	i, err := strconv.Atoi(v.Str)
	if err != nil {
		l.errorf(file, v.Pos, "%q must be an integer, not %s", key, v.Str)
		return 0, false
	}
	return i, true
}

// parseNamed reads a record, enum or fixed definition.
func (l *loader) parseNamed(file string, n *posjson.Node, ns string, k Kind) *schema {
	d := &named{kind: k, file: file, pos: n.Pos, isError: n.Get("type").Str == "error"}
	// A definition with a bad name is still checked through (fields,
	// symbols, size...), so that every problem of it is reported at once;
	// it is then dropped.
	valid := true
	nameNode := n.Get("name")
	switch {
	case nameNode == nil:
		l.errorf(file, n.Pos, "%s has no \"name\"", k)
		valid = false
	case nameNode.Kind != posjson.String:
		l.errorf(file, nameNode.Pos, "%s \"name\" must be a string", k)
		valid = false
	default:
		fullName, space, ok := l.fullName(file, nameNode, n.Get("namespace"), ns)
		if !ok {
			d.fullName, d.namespace = nameNode.Str, ns
			valid = false
			break
		}
		d.fullName, d.namespace = fullName, space
		d.name = fullName[strings.LastIndex(fullName, ".")+1:]
		if _, ok := primitiveKinds[d.name]; ok && space == "" {
			l.errorf(file, nameNode.Pos, "%q is a primitive type and cannot be redefined", d.name)
			valid = false
		}
	}
	space := d.namespace
	if doc := n.Get("doc"); doc != nil {
		if doc.Kind != posjson.String {
			l.errorf(file, doc.Pos, `"doc" must be a string`)
		} else {
			d.doc, d.hasDoc = doc.Str, true
		}
	}
	d.aliases = l.aliases(file, n.Get("aliases"), space, true)

	skip := []string{"type", "name", "namespace", "doc", "aliases"}
	switch k {
	case Record:
		l.parseFields(file, n, d)
		skip = append(skip, "fields")
	case Enum:
		l.parseEnum(file, n, d)
		skip = append(skip, "symbols", "default")
	case Fixed:
		size := n.Get("size")
		switch {
		case size == nil:
			l.errorf(file, n.Pos, `fixed %s has no "size"`, quoteName(d.fullName))
		case size.Kind != posjson.Number:
			l.errorf(file, size.Pos, `fixed "size" must be a non-negative integer`)
		default:
			v, err := strconv.Atoi(size.Str)
			if err != nil || v < 0 {
				l.errorf(file, size.Pos, `fixed "size" must be a non-negative integer, not %s`, size.Str)
			} else {
				d.size = v
			}
		}
		l.parseLogical(file, n, Fixed, &d.logical, &d.precision, &d.scale, &d.size)
		skip = append(skip, "size")
		if d.logical != "" {
			skip = append(skip, "logicalType", "precision", "scale")
		}
	}
	if !valid {
		return nil
	}
	d.props = otherProps(n, skip...)
	l.defs[d.fullName] = append(l.defs[d.fullName], d)
	s := &schema{kind: k, file: file, pos: n.Pos, ref: d.fullName, named: d}
	d.self = s
	l.all = append(l.all, s)
	return l.node(s)
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
// "name", its "namespace" and the enclosing namespace.
func (l *loader) fullName(file string, nameNode, nsNode *posjson.Node, enclosing string) (full, space string, ok bool) {
	name := nameNode.Str
	if i := strings.LastIndex(name, "."); i >= 0 {
		space, name = name[:i], name[i+1:]
	} else if nsNode != nil && nsNode.Kind != posjson.Null {
		if nsNode.Kind != posjson.String {
			l.errorf(file, nsNode.Pos, `"namespace" must be a string`)
			return "", "", false
		}
		space = nsNode.Str
	} else if nsNode == nil {
		space = enclosing
	}
	if !nameRE.MatchString(name) {
		l.errorf(file, nameNode.Pos, "invalid name %q: a name starts with a letter or _ and has only letters, digits and _", name)
		return "", "", false
	}
	if space != "" {
		for _, part := range strings.Split(space, ".") {
			if !nameRE.MatchString(part) {
				at := nameNode.Pos
				if nsNode != nil && !strings.Contains(nameNode.Str, ".") {
					at = nsNode.Pos
				}
				l.errorf(file, at, "invalid namespace %q: each dotted part starts with a letter or _ and has only letters, digits and _", space)
				return "", "", false
			}
		}
		return space + "." + name, space, true
	}
	return name, "", true
}

// aliases reads an "aliases" array; qualify makes them full names.
func (l *loader) aliases(file string, n *posjson.Node, space string, qualify bool) []string {
	if n == nil {
		return nil
	}
	if n.Kind != posjson.Array {
		l.errorf(file, n.Pos, `"aliases" must be an array of names`)
		return nil
	}
	var out []string
	for _, e := range n.Elems {
		if e.Kind != posjson.String || e.Str == "" {
			l.errorf(file, e.Pos, `"aliases" must be an array of names`)
			continue
		}
		a := e.Str
		for _, part := range strings.Split(a, ".") {
			if !nameRE.MatchString(part) {
				l.errorf(file, e.Pos, "invalid alias %q", a)
				a = ""
				break
			}
		}
		if a == "" {
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

func (l *loader) parseFields(file string, n *posjson.Node, d *named) {
	fields := n.Get("fields")
	if fields == nil {
		l.errorf(file, n.Pos, "record %s has no \"fields\"", quoteName(d.fullName))
		return
	}
	if fields.Kind != posjson.Array {
		l.errorf(file, fields.Pos, `record "fields" must be an array`)
		return
	}
	seen := map[string]pos{}
	for _, fn := range fields.Elems {
		if fn.Kind != posjson.Object {
			l.errorf(file, fn.Pos, "a field must be an object with \"name\" and \"type\"")
			continue
		}
		f := &field{pos: fn.Pos}
		name := fn.Get("name")
		switch {
		case name == nil:
			l.errorf(file, fn.Pos, "field has no \"name\"")
			continue
		case name.Kind != posjson.String || !nameRE.MatchString(name.Str):
			l.errorf(file, name.Pos, "invalid field name %s: a name starts with a letter or _ and has only letters, digits and _", jsonText(name))
			continue
		}
		f.name = name.Str
		if first, dup := seen[f.name]; dup {
			l.errorf(file, name.Pos, "field %q is already defined at line %d", f.name, first.Line)
			continue
		}
		seen[f.name] = name.Pos
		if doc := fn.Get("doc"); doc != nil {
			if doc.Kind != posjson.String {
				l.errorf(file, doc.Pos, `"doc" must be a string`)
			} else {
				f.doc, f.hasDoc = doc.Str, true
			}
		}
		t := fn.Get("type")
		if t == nil {
			l.errorf(file, fn.Pos, "field %q has no \"type\"", f.name)
			continue
		}
		f.typ = l.parse(file, t, d.namespace)
		if f.typ == nil {
			continue
		}
		f.def = fn.Get("default")
		if o := fn.Get("order"); o != nil {
			if o.Kind != posjson.String || !slices.Contains(validOrders, o.Str) {
				l.errorf(file, o.Pos, `field "order" must be "ascending", "descending" or "ignore"`)
			} else {
				f.order = o.Str
			}
		}
		f.aliases = l.aliases(file, fn.Get("aliases"), "", false)
		f.props = otherProps(fn, "name", "doc", "type", "default", "order", "aliases")
		d.fields = append(d.fields, f)
	}
}

func (l *loader) parseEnum(file string, n *posjson.Node, d *named) {
	symbols := n.Get("symbols")
	if symbols == nil {
		l.errorf(file, n.Pos, "enum %s has no \"symbols\"", quoteName(d.fullName))
		return
	}
	if symbols.Kind != posjson.Array {
		l.errorf(file, symbols.Pos, `enum "symbols" must be an array of names`)
		return
	}
	seen := map[string]bool{}
	for _, s := range symbols.Elems {
		if s.Kind != posjson.String || !nameRE.MatchString(s.Str) {
			l.errorf(file, s.Pos, "invalid enum symbol %s: a symbol starts with a letter or _ and has only letters, digits and _", jsonText(s))
			continue
		}
		if seen[s.Str] {
			l.errorf(file, s.Pos, "duplicate enum symbol %q", s.Str)
			continue
		}
		seen[s.Str] = true
		d.symbols = append(d.symbols, s.Str)
	}
	if def := n.Get("default"); def != nil {
		if def.Kind != posjson.String || !seen[def.Str] {
			l.errorf(file, def.Pos, "enum default %s is not one of the symbols of %s", jsonText(def), quoteName(d.fullName))
		} else {
			d.enumDefault = def
		}
	}
}

// settleDefinitions picks the definition in force for each full name and
// reports conflicting ones. Identical definitions in several files are fine.
func (l *loader) settleDefinitions() {
	for _, name := range sortedKeys(l.defs) {
		defs := l.defs[name]
		first := defs[0]
		l.types[name] = first
		for _, d := range defs[1:] {
			if d.kind != first.kind || shallowJSON(d) != shallowJSON(first) {
				l.errorf(d.file, d.pos, "%s %q is already defined differently at %s:%d:%d; define it once, or identically", d.kind, name, first.file, first.pos.Line, first.pos.Col)
			}
		}
	}
	for _, name := range sortedKeys(l.types) {
		d := l.types[name]
		for _, a := range d.aliases {
			if other, ok := l.types[a]; ok && other != d {
				l.errorf(d.file, d.pos, "alias %q of %q is the name of another type (defined at %s:%d:%d)", a, name, other.file, other.pos.Line, other.pos.Col)
				continue
			}
			if other, ok := l.byAlias[a]; ok && other != d {
				l.errorf(d.file, d.pos, "alias %q of %q is also an alias of %q", a, name, other.fullName)
				continue
			}
			l.byAlias[a] = d
		}
	}
}

// lookup finds the definition a name refers to from namespace ns.
func (l *loader) lookup(name, ns string) *named {
	candidates := []string{name}
	if !strings.Contains(name, ".") && ns != "" {
		candidates = []string{ns + "." + name, name}
	}
	for _, c := range candidates {
		if d, ok := l.types[c]; ok {
			return d
		}
		if d, ok := l.byAlias[c]; ok {
			return d
		}
	}
	return nil
}

// resolve points every named-type schema at its definition.
func (l *loader) resolve() {
	for _, s := range l.all {
		if s.named != nil {
			// A definition: use the one in force (identical duplicates merge).
			s.named = l.types[s.ref]
			continue
		}
		d := l.lookup(s.ref, s.refNS)
		if d == nil {
			full := s.ref
			if !strings.Contains(full, ".") && s.refNS != "" {
				full = s.refNS + "." + s.ref
			}
			hint := "define it in one of the schema files, or use a primitive type"
			if near := l.nearest(s.ref); near != "" {
				hint = fmt.Sprintf("did you mean %q?", near)
			}
			if full != s.ref {
				l.errorf(s.file, s.pos, "unknown type %q (looked for %q and %q); %s", s.ref, full, s.ref, hint)
			} else {
				l.errorf(s.file, s.pos, "unknown type %q; %s", s.ref, hint)
			}
			continue
		}
		s.kind = d.kind
		s.named = d
	}
}

// nearest suggests a defined type for a misspelt or unqualified name.
func (l *loader) nearest(name string) string {
	short := name[strings.LastIndex(name, ".")+1:]
	var best string
	bestDist := max(1, len(short)/3) + 1 // suggest only close names
	for _, full := range sortedKeys(l.types) {
		cand := full[strings.LastIndex(full, ".")+1:]
		if strings.EqualFold(cand, short) {
			return full
		}
		if d := editDistance(strings.ToLower(cand), strings.ToLower(short)); d < bestDist {
			best, bestDist = full, d
		}
	}
	for _, p := range []string{"null", "boolean", "int", "long", "float", "double", "bytes", "string"} {
		if d := editDistance(p, strings.ToLower(name)); d < bestDist {
			best, bestDist = p, d
		}
	}
	return best
}

// nearLogicalType returns the known logical type that name is almost
// surely a typo of, or "". The specification has readers ignore unknown
// logical types, so a misspelt one would silently give the base type;
// other unknown names stay allowed. A near miss is the same name but for
// case, '-', '_' and spaces ("Timestamp_Millis"), or, for names of 7
// characters or more, at most 2 edits away ("timestamp-milis",
// "decimals"). Short names (uuid, date) count only the former, so that
// custom types such as "ulid" are not taken for typos.
func nearLogicalType(name string) string {
	norm := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == '-' || r == '_' || r == ' ' {
				return -1
			}
			return r
		}, strings.ToLower(s))
	}
	best, bestDist := "", 3
	for _, known := range sortedKeys(logicalBase) {
		if norm(name) == norm(known) {
			return known
		}
		if len(known) < 7 {
			continue
		}
		if d := editDistance(strings.ToLower(name), known); d < bestDist {
			best, bestDist = known, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// checkNullNamespaceUses reports a named type of the null namespace used
// (defined or referenced) inside a record that has a namespace. The
// specification reads a bare name there as one of the record's namespace
// and has no way to write a reference to the null namespace ("namespace":
// "" only works on a definition, and a leading dot is not a name); hamba
// and Apache Avro for Python even read such a definition into the
// enclosing namespace. Since no schema JSON would name the type the same
// way for every reader, the generator refuses it.
func (l *loader) checkNullNamespaceUses() {
	for _, full := range sortedKeys(l.types) {
		d := l.types[full]
		if d.kind != Record || d.namespace == "" {
			continue
		}
		for _, f := range d.fields {
			if f.typ != nil {
				l.checkNullNamespaceUse(d, f.typ)
			}
		}
	}
}

// checkNullNamespaceUse walks one field type of d down to named types.
func (l *loader) checkNullNamespaceUse(d *named, s *schema) {
	switch s.kind {
	case Array:
		l.checkNullNamespaceUse(d, s.items)
	case Map:
		l.checkNullNamespaceUse(d, s.values)
	case Union:
		for _, b := range s.branches {
			l.checkNullNamespaceUse(d, b)
		}
	case Record, Enum, Fixed:
		if s.named != nil && s.named.namespace == "" {
			l.errorf(s.file, s.pos, "%s %q has no namespace but is used inside %q: Avro readers disagree on its full name there (some read %q) and no schema JSON names it %[2]q for all of them; give %[2]q a namespace, or %[3]q none",
				s.named.kind, s.named.fullName, d.fullName, d.namespace+"."+s.named.name)
		}
	}
}

// checkUnions reports unions with two branches of one type.
func (l *loader) checkUnions() {
	for _, s := range l.nodes {
		if s.kind != Union {
			continue
		}
		seen := map[string]bool{}
		for _, b := range s.branches {
			key := b.kind.String()
			if b.kind.named() {
				if b.named == nil {
					continue // unknown type, already reported
				}
				key = b.named.fullName
			}
			if seen[key] {
				l.errorf(b.file, b.pos, "a union cannot hold two branches of type %q", key)
			}
			seen[key] = true
		}
	}
}

// jsonText renders a node compactly, for messages.
func jsonText(n *posjson.Node) string {
	var b strings.Builder
	n.WriteCompact(&b, writeJSONString)
	return b.String()
}
