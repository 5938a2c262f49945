package avsc

import (
	"github.com/faustgen/faustgen/internal/avroschema"
	"github.com/faustgen/faustgen/internal/posjson"
)

// The schema model (parsing, names, logical types, defaults, schema JSON)
// is internal/avroschema's; this package keeps what emission needs on top
// of it: the Go names, the union types, which records are held by pointer.

// mapped reports whether the generator gives a logical type its own Go
// type. Any other logicalType is kept in the schema JSON and the base
// type's Go type used.
func mapped(logical string) bool {
	switch logical {
	case avroschema.Decimal, avroschema.UUID, avroschema.Date, avroschema.TimeMillis, avroschema.TimeMicros,
		avroschema.TimestampMillis, avroschema.TimestampMicros, avroschema.TimestampNanos,
		avroschema.LocalTimestampMillis, avroschema.LocalTimestampMicros, avroschema.LocalTimestampNanos, avroschema.Duration:
		return true
	}
	return false
}

// schema is one use of a type: a primitive, an array, a map, a union, or a
// named type.
type schema struct {
	kind     avroschema.Kind
	src      *avroschema.Type
	items    *schema   // array
	values   *schema   // map
	branches []*schema // union

	// Primitives: a mapped logical type and its parameters.
	logical          string
	precision, scale int

	named *named // named kinds: the definition

	union *unionType // a general union: its Go type
	byRef bool       // a record held by pointer to break a cycle of values
}

// nullable reports whether s is a union of null and exactly one other
// branch, and returns that branch and the index of null.
func (s *schema) nullable() (other *schema, nullIndex int, ok bool) {
	if s.kind != avroschema.Union || len(s.branches) != 2 {
		return nil, 0, false
	}
	switch {
	case s.branches[0].kind == avroschema.Null && s.branches[1].kind != avroschema.Null:
		return s.branches[1], 0, true
	case s.branches[1].kind == avroschema.Null && s.branches[0].kind != avroschema.Null:
		return s.branches[0], 1, true
	}
	return nil, 0, false
}

// named is the definition of a record, enum or fixed type.
type named struct {
	src       *avroschema.Type
	kind      avroschema.Kind
	fullName  string
	name      string // the short name
	namespace string
	doc       string
	aliases   []string // full names
	isError   bool     // "type": "error"

	fields []*field // record

	symbols     []string // enum
	enumDefault string   // enum: the symbol readers fall back to, or ""

	size             int // fixed
	logical          string
	precision, scale int

	// Filled in after loading.
	goName     string
	goNote     string   // why the Go name differs from the Avro name, if it does
	symbolGo   []string // enum: the Go constant names
	symbolNote []string // enum: rename notes
}

// field is one field of a record.
type field struct {
	name   string
	doc    string
	typ    *schema
	def    *posjson.Node // nil: no default
	goName string
	goNote string
}

// unionType is the generated Go type of one general union (a union that is
// not just null and one other branch).
type unionType struct {
	goName   string
	kindName string   // the discriminator type
	branches []string // Go field name per branch ("" for null)
	consts   []string // Go constant name per branch
	s        *schema
	context  string // what the union belongs to, for its doc comment
}
