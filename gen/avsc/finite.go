package avsc

import (
	"fmt"
	"strings"
)

// checkFiniteValues reports every record that has no finite value: each of
// its values would have to contain another value of a record on a cycle
// of required fields ({"name": "next", "type": "R"} in R, or through a
// union of only such records). Such a type cannot be written or read, and
// a decoder of it would recurse on any input. A field that is an array or
// a map, or a union with a branch that ends (null, a primitive, a record
// with a finite value), breaks the cycle.
//
// The record is reported where it is defined, with the path of required
// fields from it into the cycle: "R.next → R".
func (l *loader) checkFiniteValues() {
	var records []*named
	for _, name := range sortedKeys(l.types) {
		if d := l.types[name]; d.kind == Record {
			records = append(records, d)
		}
	}
	// The least fixed point: a record is finite when all its fields are.
	finite := map[*named]bool{}
	for changed := true; changed; {
		changed = false
		for _, d := range records {
			if finite[d] {
				continue
			}
			ok := true
			for _, f := range d.fields {
				ok = ok && finiteType(f.typ, finite)
			}
			if ok {
				finite[d] = true
				changed = true
			}
		}
	}
	for _, d := range records {
		if !finite[d] {
			l.errorf(d.file, d.pos, "%s", infiniteRecordMessage(d.fullName, infinitePath(d, finite)))
		}
	}
}

// infiniteRecordMessage is the message for a record without a finite value,
// shared with compat's parser so that generate, compat and check say the
// same thing.
func infiniteRecordMessage(fullName string, path []string) string {
	return fmt.Sprintf("record %s has no finite value: its required fields always lead back into a cycle (%s); make a field on the cycle optional (a union with \"null\", default null), an array or a map",
		fullName, strings.Join(path, " → "))
}

// finiteType reports whether t has a finite value given the records known
// to have one. An unresolved name (already reported) counts as finite.
func finiteType(t *schema, finite map[*named]bool) bool {
	switch t.kind {
	case Record:
		return t.named == nil || finite[t.named]
	case Union:
		if len(t.branches) == 0 {
			return true // an empty union: reported on its own
		}
		for _, b := range t.branches {
			if finiteType(b, finite) {
				return true
			}
		}
		return false
	}
	return true
}

// infinitePath follows required fields from d, which has no finite value,
// until a record repeats: "A.r", "R.next", "R". Every such record has a
// field without a finite value, a record or a union of records that have
// none, so the walk always goes on and ends on the cycle.
func infinitePath(d *named, finite map[*named]bool) []string {
	var path []string
	seen := map[*named]bool{}
	for !seen[d] {
		seen[d] = true
		var next *named
		for _, f := range d.fields {
			if finiteType(f.typ, finite) {
				continue
			}
			path = append(path, d.name+"."+f.name)
			if f.typ.kind == Record {
				next = f.typ.named
			} else { // a union whose every branch is such a record
				next = f.typ.branches[0].named
			}
			break
		}
		if next == nil { // unreachable: d would be finite
			break
		}
		d = next
	}
	return append(path, d.name)
}
