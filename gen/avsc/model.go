package avsc

import "github.com/faustgen/faustgen/internal/posjson"

// Kind is the kind of an Avro schema.
type Kind uint8

// The Avro schema kinds. Error types ("type": "error") load as Record.
const (
	Null Kind = iota
	Boolean
	Int
	Long
	Float
	Double
	Bytes
	String
	Record
	Enum
	Fixed
	Array
	Map
	Union
)

var kindNames = [...]string{"null", "boolean", "int", "long", "float", "double", "bytes", "string", "record", "enum", "fixed", "array", "map", "union"}

func (k Kind) String() string { return kindNames[k] }

func (k Kind) named() bool { return k == Record || k == Enum || k == Fixed }

var primitiveKinds = map[string]Kind{
	"null": Null, "boolean": Boolean, "int": Int, "long": Long,
	"float": Float, "double": Double, "bytes": Bytes, "string": String,
}

// The logical types the generator maps to richer Go types. Any other
// logicalType is ignored (as the Avro specification requires) and kept in
// the schema JSON.
const (
	logicalDecimal              = "decimal"
	logicalUUID                 = "uuid"
	logicalDate                 = "date"
	logicalTimeMillis           = "time-millis"
	logicalTimeMicros           = "time-micros"
	logicalTimestampMillis      = "timestamp-millis"
	logicalTimestampMicros      = "timestamp-micros"
	logicalLocalTimestampMillis = "local-timestamp-millis"
	logicalLocalTimestampMicros = "local-timestamp-micros"
	logicalDuration             = "duration"
)

// logicalBase is the underlying type each known logical type requires.
var logicalBase = map[string][]Kind{
	logicalDecimal:              {Bytes, Fixed},
	logicalUUID:                 {String, Fixed},
	logicalDate:                 {Int},
	logicalTimeMillis:           {Int},
	logicalTimeMicros:           {Long},
	logicalTimestampMillis:      {Long},
	logicalTimestampMicros:      {Long},
	logicalLocalTimestampMillis: {Long},
	logicalLocalTimestampMicros: {Long},
	logicalDuration:             {Fixed},
}

// pos is a position in a schema file: 1-based line and column, the column
// counting characters, as posjson reports it.
type pos = posjson.Pos

// schema is one use of a type: a primitive, an array, a map, a union, or a
// named type (defined in place or referenced by name).
type schema struct {
	kind     Kind
	file     string
	pos      pos
	items    *schema   // array
	values   *schema   // map
	branches []*schema // union

	// Primitives: a known logical type and its parameters.
	logical          string
	precision, scale int
	// props are the other attributes of a primitive, array or map written as
	// an object (an unknown logicalType, say), kept in the schema JSON.
	props []posjson.Member

	// Named kinds: the name as written, the namespace in force where it was
	// written, and after resolution the definition.
	ref   string
	refNS string
	named *named

	// Filled in after loading.
	union *unionType // a general union: its Go type
	byRef bool       // a record held by pointer to break a cycle of values
}

// logicalType returns the known logical type of s, looking through to the
// definition of a fixed type.
func (s *schema) logicalType() string {
	if s.kind == Fixed && s.named != nil {
		return s.named.logical
	}
	return s.logical
}

// decimalParams returns the precision and scale of a decimal.
func (s *schema) decimalParams() (precision, scale int) {
	if s.kind == Fixed && s.named != nil {
		return s.named.precision, s.named.scale
	}
	return s.precision, s.scale
}

// nullable reports whether s is a union of null and exactly one other
// branch, and returns that branch and the index of null.
func (s *schema) nullable() (other *schema, nullIndex int, ok bool) {
	if s.kind != Union || len(s.branches) != 2 {
		return nil, 0, false
	}
	switch {
	case s.branches[0].kind == Null && s.branches[1].kind != Null:
		return s.branches[1], 0, true
	case s.branches[1].kind == Null && s.branches[0].kind != Null:
		return s.branches[0], 1, true
	}
	return nil, 0, false
}

// named is the definition of a record, enum or fixed type.
type named struct {
	kind      Kind
	fullName  string
	name      string // the short name
	namespace string
	doc       string
	hasDoc    bool
	aliases   []string // full names
	file      string
	pos       pos
	isError   bool // "type": "error"

	fields []*field // record

	symbols     []string      // enum
	enumDefault *posjson.Node // enum: the symbol readers fall back to

	size             int // fixed
	logical          string
	precision, scale int

	props []posjson.Member // other attributes, kept in the schema JSON

	// Filled in after loading.
	goName     string
	goNote     string   // why the Go name differs from the Avro name, if it does
	symbolGo   []string // enum: the Go constant names
	symbolNote []string // enum: rename notes
	self       *schema  // a schema that refers to this definition
}

// field is one field of a record.
type field struct {
	name    string
	doc     string
	hasDoc  bool
	typ     *schema
	def     *posjson.Node // nil: no default
	order   string
	aliases []string
	props   []posjson.Member
	pos     pos
	goName  string
	goNote  string
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
