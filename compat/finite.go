package compat

import (
	"fmt"
	"sort"
	"strings"
)

// checkFiniteValues reports every record that has no finite value: each of
// its values would have to contain another value of a record on a cycle
// of required fields ({"name": "next", "type": "R"} in R, or through a
// union of only such records). No data can have such a schema, and the
// generator refuses it too, with the same message. An array, a map, or a
// union with a branch that ends breaks the cycle.
func (p *schemaParser) checkFiniteValues() {
	names := make([]string, 0, len(p.named))
	for name, t := range p.named {
		if t.Kind == Record {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	// The least fixed point: a record is finite when all its fields are.
	finite := map[*Type]bool{}
	for changed := true; changed; {
		changed = false
		for _, name := range names {
			t := p.named[name]
			if finite[t] {
				continue
			}
			ok := true
			for _, f := range t.Fields {
				ok = ok && finiteType(f.Type, finite)
			}
			if ok {
				finite[t] = true
				changed = true
			}
		}
	}
	for _, name := range names {
		if t := p.named[name]; !finite[t] {
			p.errs = append(p.errs, &ParseError{Pos: t.Pos, Msg: infiniteRecordMessage(t.Name, infinitePath(t, finite))})
		}
	}
}

// infiniteRecordMessage is the message for a record without a finite
// value; gen/avsc words it the same (a test there keeps them equal).
func infiniteRecordMessage(fullName string, path []string) string {
	return fmt.Sprintf("record %s has no finite value: its required fields always lead back into a cycle (%s); make a field on the cycle optional (a union with \"null\", default null), an array or a map",
		fullName, strings.Join(path, " → "))
}

func finiteType(t *Type, finite map[*Type]bool) bool {
	switch t.Kind {
	case Record:
		return finite[t]
	case Union:
		if len(t.Branches) == 0 {
			return true // an empty union: reported on its own
		}
		for _, b := range t.Branches {
			if finiteType(b, finite) {
				return true
			}
		}
		return false
	}
	return true
}

// infinitePath follows required fields from t until a record repeats:
// "A.r", "R.next", "R".
func infinitePath(t *Type, finite map[*Type]bool) []string {
	var path []string
	seen := map[*Type]bool{}
	for !seen[t] {
		seen[t] = true
		var next *Type
		for _, f := range t.Fields {
			if finiteType(f.Type, finite) {
				continue
			}
			path = append(path, t.ShortName()+"."+f.Name)
			if f.Type.Kind == Record {
				next = f.Type
			} else {
				next = f.Type.Branches[0]
			}
			break
		}
		if next == nil {
			break
		}
		t = next
	}
	return append(path, t.ShortName())
}
