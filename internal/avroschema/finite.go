package avroschema

import (
	"fmt"
	"strings"
)

// checkFiniteValues reports every record that has no finite value: each of
// its values would have to contain another value of a record on a cycle
// of required fields ({"name": "next", "type": "R"} in R, or through a
// union of only such records). No data can have such a schema, and a
// decoder of it would recurse on any input. A field that is an array or
// a map, or a union with a branch that ends (null, a primitive, a record
// with a finite value), breaks the cycle.
//
// The record is reported where it is defined, with the path of required
// fields from it into the cycle: "R.next → R".
func (p *parser) checkFiniteValues() {
	var records []*Type
	for _, name := range p.names {
		if t := p.set.Named[name]; t.Kind == Record {
			records = append(records, t)
		}
	}
	// Records with a bad name (reported) are not reported again, but they
	// may stand on a path.
	all := records
	for t := range p.badName {
		if t.Kind == Record {
			all = append(all, t)
		}
	}
	// The least fixed point: a record is finite when all its fields are.
	finite := map[*Type]bool{}
	for changed := true; changed; {
		changed = false
		for _, t := range all {
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
	for _, t := range records {
		if !finite[t] {
			p.diags = append(p.diags, Diagnostic{File: t.Pos.File, Line: t.Pos.Line, Col: t.Pos.Col,
				Msg: fmt.Sprintf("record %s has no finite value: its required fields always lead back into a cycle (%s); make a field on the cycle optional (a union with \"null\", default null), an array or a map",
					t.Name, strings.Join(infinitePath(t, finite), " → "))})
		}
	}
}

// finiteType reports whether t has a finite value given the records known
// to have one.
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

// infinitePath follows required fields from t, which has no finite value,
// until a record repeats: "A.r", "R.next", "R". Every such record has a
// field without a finite value, a record or a union of records that have
// none, so the walk always goes on and ends on the cycle.
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
			} else { // a union whose every branch is such a record
				next = f.Type.Branches[0]
			}
			break
		}
		if next == nil { // unreachable: t would be finite
			break
		}
		t = next
	}
	return append(path, t.ShortName())
}
