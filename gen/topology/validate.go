package topology

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/faustgen/faustgen/gen/diag"
)

// validate runs the checks that need the whole file: Kafka name clashes,
// Go name collisions and what the generated package would declare twice.
func (p *parser) validate(t *Topology) {
	p.checkKafkaNames(t)
	p.checkGoNames(t)
}

// kafkaNameProblem says what is wrong with a Kafka topic name, or "".
func kafkaNameProblem(s string) string {
	switch {
	case s == "":
		return "must not be empty"
	case s == "." || s == "..":
		return `"." and ".." are not allowed`
	case len(s) > 249:
		return fmt.Sprintf("is %d characters long; the limit is 249", len(s))
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Sprintf("contains %q; only letters, digits, '.', '_' and '-' are allowed", r)
		}
	}
	return ""
}

// checkKafkaNames reports two topics with one Kafka name, and names that
// Kafka refuses side by side because they differ only in '.' versus '_'.
// Changelog topics of tables take part.
func (p *parser) checkKafkaNames(t *Topology) {
	type owner struct {
		what, name string
		pos        Pos
	}
	byName := map[string]owner{}
	byFolded := map[string]owner{}
	check := func(name, what string, at Pos) {
		if kafkaNameProblem(name) != "" {
			return
		}
		if prev, dup := byName[name]; dup {
			p.errAt(at, "%s: Kafka topic name %q is already used by %s (line %d); give one a different name", what, name, prev.what, prev.pos.Line)
			return
		}
		folded := strings.ReplaceAll(name, ".", "_")
		if prev, dup := byFolded[folded]; dup {
			p.errAt(at, "%s: Kafka topic name %q collides with %q of %s (line %d): Kafka treats '.' and '_' alike in topic names", what, name, prev.name, prev.what, prev.pos.Line)
			return
		}
		byName[name] = owner{what, name, at}
		byFolded[folded] = owner{what, name, at}
	}
	for _, tp := range t.Topics {
		check(tp.Name, fmt.Sprintf("topic %q", tp.Key), tp.NamePos)
	}
	if t.App.ID == "" || kafkaNameProblem(t.App.ID) != "" {
		return
	}
	for _, tb := range t.Tables {
		if tb.SourceKey != "" {
			continue // its changelog is its source topic
		}
		cl := tb.Changelog(t.App.ID)
		if msg := kafkaNameProblem(cl); msg != "" {
			p.errAt(tb.Pos, "table %q: its changelog topic %q %s; shorten the app id or the table key", tb.Key, cl, msg)
			continue
		}
		check(cl, fmt.Sprintf("the changelog of table %q", tb.Key), tb.Pos)
	}
	for _, a := range t.Agents {
		if a.OnError != DeadLetter {
			continue
		}
		dlq := a.DeadLetterTopic(t.App.ID)
		if msg := kafkaNameProblem(dlq); msg != "" {
			p.errAt(a.Pos, "agent %q: its dead-letter topic %q %s; shorten the app id or the agent key", a.Key, dlq, msg)
			continue
		}
		check(dlq, fmt.Sprintf("the dead-letter topic of agent %q", a.Key), a.Pos)
	}
}

// GoName turns a topology key into an exported Go name: the parts between
// '_', '-' and '.' are capitalized and joined ("page_views" → "PageViews",
// "pageViews" → "PageViews").
func GoName(key string) string {
	var b strings.Builder
	upper := true
	for _, r := range key {
		if r == '_' || r == '-' || r == '.' {
			upper = true
			continue
		}
		if upper {
			r = unicode.ToUpper(r)
			upper = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// lowerFirst returns the unexported form of a Go name.
func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// Reserved names of the generated package: a topic's accessor is a method
// of App; a table's or sink's field lives in an agent's context next to
// the embedded Context and Record.
var (
	appMethods    = []string{"Run"}
	contextFields = []string{"Context", "Record"}
)

// checkGoNames reports keys that become one Go name, and names that would
// clash inside the generated package.
func (p *parser) checkGoNames(t *Topology) {
	type named struct {
		key, kind, goName string
		pos               Pos
	}
	seen := map[string]named{}
	// claim registers the identifiers one key declares, reporting only the
	// first clash of that key.
	claim := func(n named, idents ...string) {
		if n.goName == "" {
			return
		}
		for _, ident := range idents {
			prev, dup := seen[ident]
			if !dup {
				continue
			}
			if prev.kind == n.kind {
				p.errAt(n.pos, "%s key %q and %q (line %d) both become the Go name %s; rename one", n.kind, n.key, prev.key, prev.pos.Line, n.goName)
			} else {
				p.errAt(n.pos, "%s key %q would declare %s, which %s %q (line %d) declares too; rename one", n.kind, n.key, ident, prev.kind, prev.key, prev.pos.Line)
			}
			return
		}
		for _, ident := range idents {
			seen[ident] = n
		}
	}
	// Top-level identifiers each kind declares, see package gen.
	for _, tp := range t.Topics {
		claim(named{tp.Key, "topic", tp.GoName, tp.Pos}, "App."+tp.GoName, lowerFirst(tp.GoName)+"Topic")
		if contains(appMethods, tp.GoName) {
			p.errAt(tp.Pos, "topic key %q becomes the Go name %s, which App already uses for its own method; rename the key (the Kafka name: can stay)", tp.Key, tp.GoName)
		}
	}
	for _, tb := range t.Tables {
		claim(named{tb.Key, "table", tb.GoName, tb.Pos}, lowerFirst(tb.GoName)+"Table")
	}
	for _, a := range t.Agents {
		claim(named{a.Key, "agent", a.GoName, a.Pos}, "Agents."+a.GoName, a.GoName+"Agent", a.GoName+"Context", lowerFirst(a.GoName)+"Agent")
	}
	for _, a := range t.Agents {
		fields := map[string]string{}
		add := func(goName, what string, at Pos) {
			if goName == "" {
				return
			}
			if contains(contextFields, goName) {
				p.errAt(at, "agent %q: %s becomes the context field %s, which the context already has; rename the key", a.Key, what, goName)
				return
			}
			if prev, dup := fields[goName]; dup {
				p.errAt(at, "agent %q: %s and %s both become the context field %s; rename one", a.Key, what, prev, goName)
				return
			}
			fields[goName] = what
		}
		for _, tb := range a.Tables {
			add(tb.GoName, fmt.Sprintf("table %q", tb.Key), a.Pos)
		}
		for _, tb := range a.Lookups {
			add(tb.GoName, fmt.Sprintf("lookup %q", tb.Key), a.Pos)
		}
		for _, tp := range a.Sinks {
			add(tp.GoName, fmt.Sprintf("sink %q", tp.Key), a.Pos)
		}
	}
}

// CheckTypes reports every key: and value: type name that is neither an
// Avro primitive nor known to the caller (known gets full names; it may
// be nil to check primitives only). names lists the known full names,
// for suggestions.
func (t *Topology) CheckTypes(known func(fullName string) bool, names []string) diag.List {
	var l diag.List
	var check func(what string, ref TypeRef)
	check = func(what string, ref TypeRef) {
		if ref.IsUnion() {
			for _, b := range ref.Branches {
				check(what+" (union branch)", b)
			}
			return
		}
		if ref.Name == "" || ref.Primitive() {
			return
		}
		if known != nil && known(ref.Name) {
			return
		}
		hint := ""
		if !strings.Contains(ref.Name, ".") {
			for _, n := range names {
				if strings.HasSuffix(n, "."+ref.Name) {
					hint = fmt.Sprintf("; did you mean %q (named types need their full name)?", n)
					break
				}
			}
		}
		if hint == "" {
			hint = suggest(ref.Name, append(append([]string(nil), primitives...), names...))
		}
		if hint == "" {
			hint = "; use an Avro primitive (string, long, int, boolean, float, double, bytes, null) or a named type from the schemas"
		}
		line, col := ref.Pos.Line, ref.Pos.Col
		if line == 0 {
			line, col = 1, 1
		}
		l.Add(t.File, line, col, "%s: unknown type %q%s", what, ref.Name, hint)
	}
	for _, tp := range t.Topics {
		check(fmt.Sprintf("topic %q key", tp.Key), tp.KeyType)
		check(fmt.Sprintf("topic %q value", tp.Key), tp.ValueType)
	}
	for _, tb := range t.Tables {
		check(fmt.Sprintf("table %q key", tb.Key), tb.KeyType)
		check(fmt.Sprintf("table %q value", tb.Key), tb.ValueType)
	}
	return l
}

var primitives = []string{"null", "boolean", "int", "long", "float", "double", "bytes", "string"}

// suggest returns "; did you mean X?" for the closest candidate, or "".
func suggest(s string, candidates []string) string {
	best, bestD := "", 0
	for _, c := range candidates {
		d := editDistance(strings.ToLower(s), strings.ToLower(c))
		if best == "" || d < bestD || d == bestD && c < best {
			best, bestD = c, d
		}
	}
	if best == "" || bestD > max(2, len(s)/3) || best == s {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

var goKeywords = map[string]bool{
	"break": true, "case": true, "chan": true, "const": true, "continue": true, "default": true,
	"defer": true, "else": true, "fallthrough": true, "for": true, "func": true, "go": true,
	"goto": true, "if": true, "import": true, "interface": true, "map": true, "package": true,
	"range": true, "return": true, "select": true, "struct": true, "switch": true, "type": true, "var": true,
}

func isGoKeyword(s string) bool { return goKeywords[s] }
