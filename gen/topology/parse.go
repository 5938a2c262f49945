package topology

import (
	"fmt"
	"math"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/faustgen/faustgen/gen/diag"
)

// Keys lists, per section, every key the parser accepts. The JSON Schema
// in docs/faustgen.schema.json must name the same keys (a test checks it).
var Keys = map[string][]string{
	"root":     {"version", "app", "schemas", "registry", "topics", "tables", "agents"},
	"app":      {"id", "package", "output", "guarantee"},
	"registry": {"subjects", "compatibility"},
	"topic":    {"name", "key", "value", "partitions", "replication", "config"},
	"table":    {"key", "value", "partitions", "global", "window", "source"},
	"window":   {"tumbling", "hopping", "step", "session", "expires", "grace"},
	"agent":    {"source", "tables", "lookups", "sinks", "on_error"},
}

// Enums lists the accepted values of every enumerated key.
var Enums = map[string][]string{
	"guarantee":     {string(AtLeastOnce), string(ExactlyOnce)},
	"subjects":      {string(TopicSubjects), string(RecordSubjects), string(TopicRecordSubjects)},
	"compatibility": {"NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"},
	"on_error":      {string(Fail), string(Skip), string(DeadLetter)},
}

// Parse reads a topology file and validates it as a whole, except for
// the Avro type names it references (see CheckTypes). file is the path
// used in diagnostics. It returns the model, as complete as the input
// allows, and every problem found; the model is only fit for generation
// when the list is empty.
func Parse(file string, data []byte) (*Topology, diag.List) {
	p := &parser{file: file}
	t := &Topology{File: file}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		p.yamlError(err)
		return t, p.diags
	}
	root := deref(&doc)
	if root == nil || root.Kind == 0 || isNull(root) {
		p.diags.Add(file, 1, 1, "the topology file is empty; it needs at least version: 1 and an app: section")
		return t, p.diags
	}
	p.parseRoot(t, root)
	p.validate(t)
	return t, p.diags
}

type parser struct {
	file  string
	diags diag.List
}

func (p *parser) errf(n *yaml.Node, format string, args ...any) {
	line, col := 1, 1
	if n != nil && n.Line > 0 {
		line, col = n.Line, n.Column
	}
	p.diags.Add(p.file, line, col, format, args...)
}

func (p *parser) errAt(pos Pos, format string, args ...any) {
	if pos.Line == 0 {
		pos = Pos{1, 1}
	}
	p.diags.Add(p.file, pos.Line, pos.Col, format, args...)
}

var (
	yamlLine     = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	yamlTypeLine = regexp.MustCompile(`^line (\d+): (.*)$`)
)

// yamlError turns a yaml.v3 syntax error into diagnostics; yaml.v3 gives a
// line but no column.
func (p *parser) yamlError(err error) {
	lines := []string{err.Error()}
	if te, ok := err.(*yaml.TypeError); ok {
		lines = te.Errors
	}
	for _, l := range lines {
		if m := yamlLine.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[1])
			msg := m[2]
			if strings.HasPrefix(msg, "did not find expected") {
				// yaml.v3 numbers parser errors (unlike scanner errors)
				// from 0; the line is where the unclosed construct starts.
				n++
				msg += " (in what starts on this line)"
			}
			p.diags.Add(p.file, n, 1, "invalid YAML: %s", msg)
			continue
		}
		if m := yamlTypeLine.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[1])
			p.diags.Add(p.file, n, 1, "invalid YAML: %s", m[2])
			continue
		}
		p.diags.Add(p.file, 1, 1, "invalid YAML: %s", strings.TrimPrefix(l, "yaml: "))
	}
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil {
		switch n.Kind {
		case yaml.DocumentNode:
			if len(n.Content) == 0 {
				return nil
			}
			n = n.Content[0]
		case yaml.AliasNode:
			n = n.Alias
		default:
			return n
		}
	}
	return nil
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func pos(n *yaml.Node) Pos { return Pos{n.Line, n.Column} }

// entry is one key: value pair of a mapping.
type entry struct {
	key string
	k   *yaml.Node
	v   *yaml.Node
}

// entries returns the pairs of a mapping in file order, reporting a
// non-mapping value and duplicate keys. what names the mapping in
// messages. A null value is an empty mapping.
func (p *parser) entries(n *yaml.Node, what string) []entry {
	n = deref(n)
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.errf(n, "%s must be a mapping (key: value lines), not %s", what, describe(n))
		return nil
	}
	seen := map[string]*yaml.Node{}
	var out []entry
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.errf(k, "%s: keys must be plain names, not %s", what, describe(k))
			continue
		}
		if prev, dup := seen[k.Value]; dup {
			p.errf(k, "%s: duplicate key %q (first defined at %d:%d); remove or rename one", what, k.Value, prev.Line, prev.Column)
			continue
		}
		seen[k.Value] = k
		out = append(out, entry{key: k.Value, k: k, v: v})
	}
	return out
}

// fields is like entries for a mapping with a fixed set of keys: it also
// reports unknown keys and returns the values by key.
func (p *parser) fields(n *yaml.Node, what, section string) map[string]*yaml.Node {
	allowed := Keys[section]
	out := map[string]*yaml.Node{}
	for _, e := range p.entries(n, what) {
		if !contains(allowed, e.key) {
			p.errf(e.k, "%s: unknown key %q%s; allowed keys: %s", what, e.key, suggest(e.key, allowed), strings.Join(allowed, ", "))
			continue
		}
		out[e.key] = e.v
	}
	return out
}

// emptyBody reports a required mapping left empty ("app:" with nothing
// after it), which entries treats as an empty mapping.
func (p *parser) emptyBody(n *yaml.Node, what, needs string) bool {
	n = deref(n)
	if n == nil || isNull(n) {
		p.errf(n, "%s is empty; it needs %s", what, needs)
		return true
	}
	return false
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "null"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "this value"
}

// str reads a non-empty string scalar.
func (p *parser) str(n *yaml.Node, what string) (string, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || isNull(n) {
		p.errf(n, "%s must be a string, not %s", what, describe(n))
		return "", false
	}
	if n.Value == "" {
		p.errf(n, "%s must not be empty", what)
		return "", false
	}
	return n.Value, true
}

// integer reads an integer scalar within [lo, hi].
func (p *parser) integer(n *yaml.Node, what string, lo, hi int64) (int64, bool) {
	n = deref(n)
	var v int64
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&v) != nil {
		p.errf(n, "%s must be a whole number, not %s", what, describe(n))
		return 0, false
	}
	if v < lo || v > hi {
		p.errf(n, "%s must be between %d and %d, not %d", what, lo, hi, v)
		return 0, false
	}
	return v, true
}

func (p *parser) boolean(n *yaml.Node, what string) (bool, bool) {
	n = deref(n)
	var v bool
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&v) != nil {
		p.errf(n, "%s must be true or false, not %s", what, describe(n))
		return false, false
	}
	return v, true
}

// enum reads one of Enums[key]; def is used when n is nil.
func (p *parser) enum(n *yaml.Node, key, what, def string) string {
	if n == nil {
		return def
	}
	s, ok := p.str(n, what)
	if !ok {
		return def
	}
	allowed := Enums[key]
	if !contains(allowed, s) {
		p.errf(deref(n), "%s: %q is not one of %s%s", what, s, strings.Join(allowed, ", "), suggest(s, allowed))
		return def
	}
	return s
}

func (p *parser) parseRoot(t *Topology, root *yaml.Node) {
	f := p.fields(root, "topology", "root")
	if root.Kind != yaml.MappingNode {
		return
	}
	if n, ok := f["version"]; !ok {
		p.errf(root, "missing version: add \"version: 1\" at the top")
	} else if v, ok := p.integer(n, "version", math.MinInt64, math.MaxInt64); ok {
		if v != 1 {
			p.errf(deref(n), "version %d is not supported; this faustgen reads version 1", v)
		}
		t.Version = int(v)
	}
	if n, ok := f["app"]; ok {
		p.parseApp(t, n)
	} else {
		p.errf(root, "missing app: section (with id and package)")
	}
	if n, ok := f["schemas"]; ok {
		p.parseSchemas(t, n)
	}
	rf := p.fields(f["registry"], "registry", "registry")
	t.Registry.Subjects = SubjectStrategy(p.enum(rf["subjects"], "subjects", "registry.subjects", string(TopicSubjects)))
	t.Registry.Compatibility = p.enum(rf["compatibility"], "compatibility", "registry.compatibility", "BACKWARD")
	for _, e := range p.entries(f["topics"], "topics") {
		if tp := p.parseTopic(e); tp != nil {
			t.Topics = append(t.Topics, tp)
		}
	}
	for _, e := range p.entries(f["tables"], "tables") {
		if tb := p.parseTable(e); tb != nil {
			p.tableSource(t, tb)
			t.Tables = append(t.Tables, tb)
		}
	}
	for _, e := range p.entries(f["agents"], "agents") {
		if a := p.parseAgent(t, e); a != nil {
			t.Agents = append(t.Agents, a)
		}
	}
}

var goIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (p *parser) parseApp(t *Topology, n *yaml.Node) {
	f := p.fields(n, "app", "app")
	if p.emptyBody(n, "app", "id and package") || deref(n).Kind != yaml.MappingNode {
		return
	}
	t.App.Output = "."
	if v, ok := f["id"]; !ok {
		p.errf(deref(n), "app: missing id (the consumer group id, also the prefix of internal topics)")
	} else if s, ok := p.str(v, "app.id"); ok {
		t.App.ID, t.App.IDPos = s, pos(deref(v))
		if msg := kafkaNameProblem(s); msg != "" {
			p.errf(deref(v), "app.id %q: %s (it prefixes the internal topic names)", s, msg)
		}
	}
	if v, ok := f["package"]; !ok {
		p.errf(deref(n), "app: missing package (the Go package name of the generated code)")
	} else if s, ok := p.str(v, "app.package"); ok {
		t.App.Package, t.App.PackagePos = s, pos(deref(v))
		if !goIdent.MatchString(s) || isGoKeyword(s) || s == "_" {
			p.errf(deref(v), "app.package %q is not a valid Go package name; use letters, digits and _ (e.g. %q)", s, sanitizePackage(s))
		}
	}
	if v, ok := f["output"]; ok {
		if s, ok := p.str(v, "app.output"); ok {
			t.App.OutputPos = pos(deref(v))
			if path.IsAbs(s) || strings.Contains(s, `\`) && len(s) > 1 && s[1] == ':' {
				p.errf(deref(v), "app.output %q must be relative to the topology file", s)
			} else {
				t.App.Output = path.Clean(strings.ReplaceAll(s, `\`, "/"))
			}
		}
	}
	t.App.Guarantee = Guarantee(p.enum(f["guarantee"], "guarantee", "app.guarantee", string(AtLeastOnce)))
}

func sanitizePackage(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' && b.Len() > 0 {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "app"
	}
	return b.String()
}

func (p *parser) parseSchemas(t *Topology, n *yaml.Node) {
	n = deref(n)
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	seen := map[string]int{}
	for _, it := range items {
		s, ok := p.str(it, "each schemas entry (an .avsc file or a folder)")
		if !ok {
			continue
		}
		it = deref(it)
		if path.IsAbs(s) {
			p.errf(it, "schemas entry %q must be relative to the topology file", s)
			continue
		}
		c := path.Clean(strings.ReplaceAll(s, `\`, "/"))
		if line, dup := seen[c]; dup {
			p.errf(it, "schemas entry %q is listed twice (first at line %d)", s, line)
			continue
		}
		seen[c] = it.Line
		t.Schemas = append(t.Schemas, SchemaSource{Path: c, Pos: pos(it)})
	}
}

// typeRef reads a key: or value: type name; unions (a list of names) are
// allowed where unions is set (topics).
func (p *parser) typeRef(f map[string]*yaml.Node, parent *yaml.Node, key, what string, unions bool) TypeRef {
	v, ok := f[key]
	if !ok {
		p.errf(parent, "%s: missing %s (an Avro primitive such as string or the full name of a schema type)", what, key)
		return TypeRef{}
	}
	if n := deref(v); n != nil && n.Kind == yaml.SequenceNode {
		if !unions {
			p.errf(n, "%s.%s must be one type: unions (a list of types) are only for topic keys and values", what, key)
			return TypeRef{}
		}
		return p.unionRef(n, what+"."+key)
	}
	s, ok := p.str(v, what+"."+key)
	if !ok {
		return TypeRef{}
	}
	return TypeRef{Name: s, Pos: pos(deref(v))}
}

// unionRef reads a union: a list of distinct type names, at least one.
func (p *parser) unionRef(n *yaml.Node, what string) TypeRef {
	ref := TypeRef{Pos: pos(n), Branches: []TypeRef{}}
	if len(n.Content) == 0 {
		p.errf(n, "%s: a union needs at least one type", what)
		return TypeRef{}
	}
	seen := map[string]int{}
	var names []string
	bad := false
	for _, it := range n.Content {
		s, ok := p.str(it, what+" (a union branch)")
		if !ok {
			bad = true
			continue
		}
		if line, dup := seen[s]; dup {
			p.errf(it, "%s: the union holds %s twice (first at line %d)", what, s, line)
			bad = true
			continue
		}
		seen[s] = deref(it).Line
		ref.Branches = append(ref.Branches, TypeRef{Name: s, Pos: pos(deref(it))})
		names = append(names, s)
	}
	if bad {
		return TypeRef{}
	}
	ref.Name = "[" + strings.Join(names, ", ") + "]"
	return ref
}

func (p *parser) partitions(f map[string]*yaml.Node, parent *yaml.Node, what string) int32 {
	v, ok := f["partitions"]
	if !ok {
		p.errf(parent, "%s: missing partitions (the number of partitions, e.g. partitions: 12)", what)
		return 0
	}
	n, _ := p.integer(v, what+".partitions", 1, math.MaxInt32)
	return int32(n)
}

// keyName checks a topology key and returns its Go name.
func (p *parser) keyName(e entry, kind string) string {
	if !topologyKey.MatchString(e.key) {
		p.errf(e.k, "%s key %q must start with a letter and hold only letters, digits, '_', '-' or '.'", kind, e.key)
		return ""
	}
	return GoName(e.key)
}

var topologyKey = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]*$`)

func (p *parser) parseTopic(e entry) *Topic {
	what := fmt.Sprintf("topic %q", e.key)
	t := &Topic{Key: e.key, GoName: p.keyName(e, "topic"), Pos: pos(e.k), Name: e.key, NamePos: pos(e.k)}
	v := deref(e.v)
	f := p.fields(v, what, "topic")
	if p.emptyBody(v, what, "key, value and partitions") || v.Kind != yaml.MappingNode {
		return t
	}
	if n, ok := f["name"]; ok {
		if s, ok := p.str(n, what+": name"); ok {
			t.Name, t.NamePos = s, pos(deref(n))
		}
	}
	if msg := kafkaNameProblem(t.Name); msg != "" {
		if _, explicit := f["name"]; explicit {
			p.errAt(t.NamePos, "%s: Kafka topic name %q: %s", what, t.Name, msg)
		} else {
			p.errAt(t.NamePos, "%s: Kafka topic name %q: %s; set name: to a legal one", what, t.Name, msg)
		}
	}
	t.KeyType = p.typeRef(f, v, "key", what, true)
	t.ValueType = p.typeRef(f, v, "value", what, true)
	t.Partitions = p.partitions(f, v, what)
	if n, ok := f["replication"]; ok {
		r, _ := p.integer(n, what+".replication", 1, math.MaxInt16)
		t.Replication = int16(r)
	}
	if n, ok := f["config"]; ok {
		t.Config = map[string]string{}
		for _, c := range p.entries(n, what+": config") {
			cv := deref(c.v)
			if cv == nil || cv.Kind != yaml.ScalarNode || isNull(cv) {
				p.errf(cv, "%s: config %q must be a single value, not %s", what, c.key, describe(cv))
				continue
			}
			t.Config[c.key] = cv.Value
			t.ConfigKeys = append(t.ConfigKeys, c.key)
		}
		sort.Strings(t.ConfigKeys)
	}
	return t
}

func (p *parser) parseTable(e entry) *Table {
	what := fmt.Sprintf("table %q", e.key)
	t := &Table{Key: e.key, GoName: p.keyName(e, "table"), Pos: pos(e.k)}
	v := deref(e.v)
	f := p.fields(v, what, "table")
	if p.emptyBody(v, what, "key, value and partitions") || v.Kind != yaml.MappingNode {
		return t
	}
	t.KeyType = p.typeRef(f, v, "key", what, false)
	t.ValueType = p.typeRef(f, v, "value", what, false)
	t.Partitions = p.partitions(f, v, what)
	if n, ok := f["global"]; ok {
		t.Global, _ = p.boolean(n, what+".global")
	}
	if n, ok := f["window"]; ok {
		t.Window = p.parseWindow(n, what)
		if t.Window != nil && t.Global {
			p.errf(deref(n), "%s: a global table cannot be windowed; remove global: true or the window", what)
		}
	}
	if n, ok := f["source"]; ok {
		if s, ok := p.str(n, what+".source"); ok {
			t.SourceKey, t.SourcePos = s, pos(deref(n))
		}
	} else if t.Global {
		p.errf(v, "%s: a global table needs source: (the topic it is read from; write the table by sending to that topic)", what)
	}
	return t
}

// tableSource resolves tb's source topic among t's topics and checks
// that it carries the table's keys and values.
func (p *parser) tableSource(t *Topology, tb *Table) {
	if tb.SourceKey == "" {
		return
	}
	what := fmt.Sprintf("table %q", tb.Key)
	topics := map[string]*Topic{}
	for _, tp := range t.Topics {
		topics[tp.Key] = tp
	}
	tp := topics[tb.SourceKey]
	if tp == nil {
		p.errAt(tb.SourcePos, "%s: source %q is not a topic in topics:%s", what, tb.SourceKey, suggest(tb.SourceKey, keysOf(topics)))
		return
	}
	tb.Source = tp
	if tb.Window != nil {
		p.errAt(tb.SourcePos, "%s: a windowed table cannot be sourced from a topic (its changelog holds windows); remove source: or the window", what)
	}
	if tp.KeyType.Name != "" && tb.KeyType.Name != "" && tp.KeyType.Name != tb.KeyType.Name {
		p.errAt(tb.KeyType.Pos, "%s: key %s differs from the key %s of its source topic %q", what, tb.KeyType.Name, tp.KeyType.Name, tp.Key)
	}
	if tp.ValueType.Name != "" && tb.ValueType.Name != "" && tp.ValueType.Name != tb.ValueType.Name {
		p.errAt(tb.ValueType.Pos, "%s: value %s differs from the value %s of its source topic %q", what, tb.ValueType.Name, tp.ValueType.Name, tp.Key)
	}
	if tp.Partitions > 0 && tb.Partitions > 0 && tp.Partitions != tb.Partitions {
		p.errAt(tb.SourcePos, "%s: %d partitions, but its source topic %q has %d; a sourced table has its topic's partitions", what, tb.Partitions, tp.Key, tp.Partitions)
	}
}

func (p *parser) parseWindow(n *yaml.Node, what string) *Window {
	n = deref(n)
	f := p.fields(n, what+": window", "window")
	if p.emptyBody(n, what+": window", "tumbling or hopping, and expires") || n.Kind != yaml.MappingNode {
		return nil
	}
	w := &Window{Pos: pos(n)}
	dur := func(key string) (time.Duration, *yaml.Node) {
		v, ok := f[key]
		if !ok {
			return 0, nil
		}
		s, ok := p.str(v, what+": window."+key)
		if !ok {
			return 0, deref(v)
		}
		d, err := ParseDuration(s)
		if err != nil {
			p.errf(deref(v), "%s: window.%s: %v", what, key, err)
			return 0, deref(v)
		}
		return d, deref(v)
	}
	var tumN, hopN, stepN, expN, graceN, sesN *yaml.Node
	w.Tumbling, tumN = dur("tumbling")
	w.Hopping, hopN = dur("hopping")
	w.Session, sesN = dur("session")
	w.Step, stepN = dur("step")
	w.Expires, expN = dur("expires")
	w.Grace, graceN = dur("grace")
	switch {
	case tumN != nil && hopN != nil:
		p.errf(hopN, "%s: a window is either tumbling or hopping, not both", what)
		return nil
	case sesN != nil && (tumN != nil || hopN != nil):
		p.errf(sesN, "%s: a session window has a gap, not a size: remove tumbling:/hopping: or session:", what)
		return nil
	case sesN != nil && stepN != nil:
		p.errf(stepN, "%s: step applies only to hopping windows; remove it", what)
	case sesN != nil:
	case tumN == nil && hopN == nil:
		p.errf(n, "%s: window needs tumbling: SIZE, hopping: SIZE with step: SIZE, or session: GAP", what)
		return nil
	case tumN != nil && stepN != nil:
		p.errf(stepN, "%s: step applies only to hopping windows; remove it or use hopping:", what)
	case hopN != nil && stepN == nil:
		p.errf(hopN, "%s: a hopping window needs step: (how far each window starts after the previous one)", what)
	case hopN != nil && w.Step > 0 && w.Hopping > 0:
		if w.Step > w.Hopping {
			p.errf(stepN, "%s: step %s is longer than the hopping window %s; step must be at most the window size", what, w.Step, w.Hopping)
		} else if w.Hopping%w.Step != 0 {
			p.errf(stepN, "%s: step %s does not divide the hopping window %s evenly; pick a step that does", what, w.Step, w.Hopping)
		}
	}
	if expN == nil {
		p.errf(n, "%s: window needs expires: (how long a window is kept after it ends, at least its grace)", what)
	} else if graceN != nil && w.Expires > 0 && w.Expires < w.Grace {
		p.errf(expN, "%s: expires %s is shorter than the grace %s; windows would be deleted before they close", what, w.Expires, w.Grace)
	}
	return w
}

// ParseDuration reads a positive duration: Go's syntax ("90s", "1h30m",
// "500ms") plus whole days ("7d").
func ParseDuration(s string) (time.Duration, error) {
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n > math.MaxInt64/int64(24*time.Hour) {
			return 0, fmt.Errorf("invalid duration %q; use e.g. 7d, 24h, 10m, 30s", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		d, err = time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q; use e.g. 7d, 24h, 10m, 30s", s)
		}
	}
	if d <= 0 {
		return 0, fmt.Errorf("duration %q must be positive", s)
	}
	if d%time.Millisecond != 0 {
		return 0, fmt.Errorf("duration %q must be a whole number of milliseconds", s)
	}
	return d, nil
}

func (p *parser) parseAgent(t *Topology, e entry) *Agent {
	what := fmt.Sprintf("agent %q", e.key)
	a := &Agent{Key: e.key, GoName: p.keyName(e, "agent"), Pos: pos(e.k), OnError: Fail}
	v := deref(e.v)
	f := p.fields(v, what, "agent")
	if p.emptyBody(v, what, "a source") || v.Kind != yaml.MappingNode {
		return a
	}
	topics := map[string]*Topic{}
	for _, tp := range t.Topics {
		topics[tp.Key] = tp
	}
	tables := map[string]*Table{}
	for _, tb := range t.Tables {
		tables[tb.Key] = tb
	}
	if n, ok := f["source"]; !ok {
		p.errf(v, "%s: missing source (the topic it consumes)", what)
	} else if s, ok := p.str(n, what+".source"); ok {
		a.Source = topics[s]
		if a.Source == nil {
			p.errf(deref(n), "%s: source %q is not a topic in topics:%s", what, s, suggest(s, keysOf(topics)))
		}
	}
	used := map[string]string{} // table key → list it appeared in
	for _, list := range []string{"tables", "lookups"} {
		for _, it := range p.list(f[list], what+"."+list) {
			s := it.Value
			tb := tables[s]
			if tb == nil {
				hint := suggest(s, keysOf(tables))
				if topics[s] != nil {
					hint = fmt.Sprintf(" (%q is a topic; %s: names tables)", s, list)
				}
				p.errf(it, "%s: %s entry %q is not a table in tables:%s", what, list, s, hint)
				continue
			}
			if prev, dup := used[s]; dup {
				p.errf(it, "%s: table %q is listed twice (already in %s)", what, s, prev)
				continue
			}
			used[s] = list
			if list == "tables" {
				if tb.Global {
					p.errf(it, "%s: global table %q is read-only in agents; list it under lookups:", what, s)
					continue
				}
				if tb.SourceKey != "" {
					p.errf(it, "%s: table %q is sourced from topic %q and is read-only in agents; list it under lookups: and write it by sending to %q", what, s, tb.SourceKey, tb.SourceKey)
					continue
				}
				a.Tables = append(a.Tables, tb)
			} else {
				if tb.Window != nil {
					p.errf(it, "%s: windowed table %q cannot be a lookup (there is no read-only windowed view); list it under tables:", what, s)
					continue
				}
				a.Lookups = append(a.Lookups, tb)
			}
			if a.Source != nil && !tb.Global && tb.Partitions > 0 && a.Source.Partitions > 0 && tb.Partitions != a.Source.Partitions {
				p.errf(it, "%s: table %q has %d partitions but source topic %q has %d; co-partitioned tables need the same count", what, s, tb.Partitions, a.Source.Key, a.Source.Partitions)
			}
		}
	}
	seenSink := map[string]bool{}
	for _, it := range p.list(f["sinks"], what+".sinks") {
		s := it.Value
		tp := topics[s]
		if tp == nil {
			hint := suggest(s, keysOf(topics))
			if tables[s] != nil {
				hint = fmt.Sprintf(" (%q is a table; sinks: names topics, tables: names tables)", s)
			}
			p.errf(it, "%s: sink %q is not a topic in topics:%s", what, s, hint)
			continue
		}
		if seenSink[s] {
			p.errf(it, "%s: sink %q is listed twice", what, s)
			continue
		}
		seenSink[s] = true
		a.Sinks = append(a.Sinks, tp)
	}
	a.OnError = ErrorPolicy(p.enum(f["on_error"], "on_error", what+".on_error", string(Fail)))
	return a
}

// list reads a list of names (a single name is a list of one).
func (p *parser) list(n *yaml.Node, what string) []*yaml.Node {
	n = deref(n)
	if n == nil || isNull(n) {
		return nil
	}
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	var out []*yaml.Node
	for _, it := range items {
		if _, ok := p.str(it, "each entry of "+what); ok {
			out = append(out, deref(it))
		}
	}
	return out
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
