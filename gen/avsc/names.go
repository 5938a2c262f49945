package avsc

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"
)

// Go naming. Every identifier is exported, so none can be a Go keyword.
// The rules, all deterministic:
//
//   - An Avro name becomes a Go name by splitting it into words at
//     underscores and case changes, capitalising each word (all-caps words
//     too: IN_PROGRESS → InProgress) and writing common initialisms in
//     capitals (user_id → UserID).
//   - Names that collide after that conversion (user_id and userId; enum
//     symbols in_progress and IN_PROGRESS) all fall back to their Avro
//     spelling with the first letter capitalised (User_id, UserId), and a
//     name that still collides gets the suffix _2, _3, … in schema order.
//   - A field named like a generated method (AvroSchema, AvroFingerprint,
//     MarshalAvro, UnmarshalAvro) or a union branch named Kind gets a
//     trailing underscore.
//   - A type name in capitals and digits alone (MD5) keeps its spelling.
//   - Named types sharing a short name (com.a.User and com.b.User) are
//     prefixed with as many namespace parts as tell them apart (AUser,
//     BUser).
//   - A derived name (a codec variable, a constructor, an enum constant, a
//     union type) that is already taken gets a trailing underscore.
//
// Every rename is written in the doc comment of what was renamed.

var initialisms = map[string]bool{
	"acl": true, "api": true, "ascii": true, "cpu": true, "css": true, "dns": true, "eof": true,
	"guid": true, "html": true, "http": true, "https": true, "id": true, "ip": true, "json": true,
	"lhs": true, "qps": true, "ram": true, "rhs": true, "rpc": true, "sla": true, "smtp": true,
	"sql": true, "ssh": true, "tcp": true, "tls": true, "ttl": true, "udp": true, "ui": true,
	"uid": true, "uuid": true, "uri": true, "url": true, "utf8": true, "vm": true, "xml": true,
}

// goName converts an Avro name to an exported Go name.
func goName(s string) string {
	var b strings.Builder
	for _, w := range splitWords(s) {
		lw := strings.ToLower(w)
		switch {
		case initialisms[lw]:
			b.WriteString(strings.ToUpper(w))
		case strings.ToUpper(w) == w:
			b.WriteString(strings.ToUpper(lw[:1]) + lw[1:])
		default:
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	out := b.String()
	if out == "" || !unicode.IsLetter(rune(out[0])) {
		out = "X" + out
	}
	return out
}

// goTypeName is goName, except that a name written in capitals and digits
// alone (MD5, SKU) keeps its spelling.
func goTypeName(s string) string {
	if allCaps.MatchString(s) {
		return s
	}
	return goName(s)
}

var allCaps = regexp.MustCompile(`^[A-Z][A-Z0-9]*$`)

// literalGoName is the fallback for colliding names: the Avro name with its
// first letter capitalised.
func literalGoName(s string) string {
	if s == "" || !unicode.IsLetter(rune(s[0])) {
		return "X" + s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// splitWords splits at underscores (and the dashes of logical type names)
// and at case changes: "userID_v2" →
// user, ID, v2; "HTTPServer" → HTTP, Server.
func splitWords(s string) []string {
	var words []string
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '_' || r == '-' || r == '.' }) {
		start := 0
		for i := 1; i < len(part); i++ {
			prev, cur := rune(part[i-1]), rune(part[i])
			next := rune(0)
			if i+1 < len(part) {
				next = rune(part[i+1])
			}
			lowerToUpper := (unicode.IsLower(prev) || unicode.IsDigit(prev)) && unicode.IsUpper(cur)
			acronymEnd := unicode.IsUpper(prev) && unicode.IsUpper(cur) && unicode.IsLower(next)
			if lowerToUpper || acronymEnd {
				words = append(words, part[start:i])
				start = i
			}
		}
		if start < len(part) {
			words = append(words, part[start:])
		}
	}
	return words
}

// nameItem is one name to settle in a scope.
type nameItem struct {
	avro string
	go_  string
	note string
}

// settleScope names the members of one scope (the fields of a record, the
// symbols of an enum, the branches of a union): converted names, then the
// fallbacks for collisions; reserved names get a trailing underscore.
func settleScope(avroNames []string, convert func(string) string, reserved map[string]bool) []nameItem {
	items := make([]nameItem, len(avroNames))
	count := map[string]int{}
	for i, a := range avroNames {
		items[i] = nameItem{avro: a, go_: convert(a)}
		count[items[i].go_]++
	}
	for i := range items {
		it := &items[i]
		if count[it.go_] > 1 {
			var others []string
			for _, o := range avroNames {
				if o != it.avro && convert(o) == it.go_ {
					others = append(others, fmt.Sprintf("%q", o))
				}
			}
			it.note = fmt.Sprintf("%s would collide with %s", it.go_, strings.Join(others, ", "))
			it.go_ = literalGoName(it.avro)
		}
		if reserved[it.go_] {
			it.note = joinNote(it.note, fmt.Sprintf("%s is taken by a generated name", it.go_))
			it.go_ += "_"
		}
	}
	taken := map[string]bool{}
	for i := range items {
		it := &items[i]
		if taken[it.go_] {
			base := it.go_
			for n := 2; taken[it.go_]; n++ {
				it.go_ = fmt.Sprintf("%s_%d", base, n)
			}
			it.note = joinNote(it.note, fmt.Sprintf("%s is taken", base))
		}
		taken[it.go_] = true
	}
	return items
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// typeNames settles the Go names of the named types: the converted short
// name, prefixed with namespace parts where short names collide.
func typeNames(types []*named) {
	groups := map[string][]*named{}
	for _, d := range types {
		base := goTypeName(d.name)
		groups[base] = append(groups[base], d)
	}
	bases := make([]string, 0, len(groups))
	for b := range groups {
		bases = append(bases, b)
	}
	sort.Strings(bases)
	taken := map[string]bool{}
	for _, base := range bases {
		g := groups[base]
		if len(g) == 1 {
			g[0].goName = base
			continue
		}
		maxParts := 0
		for _, d := range g {
			maxParts = max(maxParts, len(nsParts(d.namespace)))
		}
		settled := false
		for k := 1; k <= maxParts && !settled; k++ {
			names := map[string]bool{}
			distinct := true
			for _, d := range g {
				n := nsPrefix(d.namespace, k) + base
				if names[n] {
					distinct = false
				}
				names[n] = true
			}
			if distinct {
				for _, d := range g {
					d.goName = nsPrefix(d.namespace, k) + base
					d.goNote = fmt.Sprintf("Go name %s: the short name %s is used by more than one namespace", d.goName, d.name)
				}
				settled = true
			}
		}
		if !settled {
			for _, d := range g {
				d.goName = literalGoName(strings.ReplaceAll(d.fullName, ".", "_"))
				d.goNote = fmt.Sprintf("Go name %s: %s would collide with another type", d.goName, base)
			}
		}
	}
	for _, d := range types {
		if taken[d.goName] {
			base := d.goName
			for n := 2; taken[d.goName]; n++ {
				d.goName = fmt.Sprintf("%s_%d", base, n)
			}
			d.goNote = joinNote(d.goNote, fmt.Sprintf("%s is taken", base))
		}
		taken[d.goName] = true
	}
}

func nsParts(ns string) []string {
	if ns == "" {
		return nil
	}
	return strings.Split(ns, ".")
}

// nsPrefix converts the last k parts of a namespace into a Go name prefix.
func nsPrefix(ns string, k int) string {
	parts := nsParts(ns)
	if k > len(parts) {
		k = len(parts)
	}
	var b strings.Builder
	for _, p := range parts[len(parts)-k:] {
		b.WriteString(goName(p))
	}
	return b.String()
}

// idents hands out package-level identifiers: the first claim of a name
// gets it, a later one gets a trailing underscore.
type idents struct {
	taken map[string]bool
	order []string
}

func (ids *idents) claim(name string) (string, bool) {
	renamed := false
	for ids.taken[name] {
		name += "_"
		renamed = true
	}
	ids.taken[name] = true
	ids.order = append(ids.order, name)
	return name, renamed
}
