package avroschema

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/faustgen/faustgen/internal/posjson"
)

// Kind is the kind of an Avro type.
type Kind uint8

// The Avro type kinds. Error types ("type": "error") are records.
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
	Array
	Map
	Union
	Fixed
)

var kindNames = [...]string{"null", "boolean", "int", "long", "float", "double", "bytes", "string", "record", "enum", "array", "map", "union", "fixed"}

// String returns the Avro name of the kind ("int", "record", ...).
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Named reports whether types of this kind carry a name (record, enum, fixed).
func (k Kind) Named() bool { return k == Record || k == Enum || k == Fixed }

// Primitives maps the Avro primitive type names to their kinds.
var Primitives = map[string]Kind{
	"null": Null, "boolean": Boolean, "int": Int, "long": Long,
	"float": Float, "double": Double, "bytes": Bytes, "string": String,
}

// Pos is a position in a schema source: file, 1-based line and column
// (the column counts characters, not bytes, so it is the one an editor
// shows on a line with non-ASCII text). A zero Line means the position is
// unknown.
type Pos struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

// String renders the position as "file:line:col", or "file" when the line
// is unknown.
func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Diagnostic is one problem in one schema (or other input) file, at a
// position. Strict marks a problem that leaves the schema valid Avro (a
// reader ignores it, as with a misspelt logical type, or it is harmless
// to a schema registry) but that code generation refuses, because the
// generated code would silently not be what the schema's author meant.
type Diagnostic struct {
	File   string
	Line   int
	Col    int
	Msg    string
	Strict bool
}

// Pos returns the diagnostic's position.
func (d Diagnostic) Pos() Pos { return Pos{File: d.File, Line: d.Line, Col: d.Col} }

// String renders "file:line:col: message" ("file: message" when the line
// is unknown, the message alone when the file is too).
func (d Diagnostic) String() string {
	switch {
	case d.Line != 0:
		return fmt.Sprintf("%s:%d:%d: %s", d.File, d.Line, d.Col, d.Msg)
	case d.File != "":
		return d.File + ": " + d.Msg
	}
	return d.Msg
}

// Error is String: a Diagnostic (or *Diagnostic) is an error.
func (d Diagnostic) Error() string { return d.String() }

// List is a set of diagnostics. A non-empty List is an error; its Error
// text has one diagnostic per line.
type List []Diagnostic

// Add appends a diagnostic built from a position and a formatted message.
func (l *List) Add(file string, line, col int, format string, args ...any) {
	*l = append(*l, Diagnostic{File: file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
}

// Err returns the list as an error, or nil when it is empty. The returned
// list is sorted.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	l.Sort()
	return l
}

// Sort orders the diagnostics by file, line, column and message.
func (l List) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i], l[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return a.Msg < b.Msg
	})
}

// Lenient returns the diagnostics that make a schema invalid Avro,
// leaving out the Strict ones.
func (l List) Lenient() List {
	var out List
	for _, d := range l {
		if !d.Strict {
			out = append(out, d)
		}
	}
	return out
}

// Error implements error: one diagnostic per line.
func (l List) Error() string {
	var b strings.Builder
	for i, d := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(d.String())
	}
	return b.String()
}

// Type is one resolved Avro type. Named types are shared: every reference
// to com.example.Money points at the same *Type, so recursive schemas are
// cyclic graphs. Unnamed types (primitives, arrays, maps, unions) are one
// *Type per place they are written.
type Type struct {
	Kind Kind
	// IsError is set for a record written "type": "error"; HasEnumDefault
	// tells whether an enum has a default symbol. (Next to Kind, they take
	// no room of their own.)
	IsError, HasEnumDefault bool
	// Name is the full name of a record, enum or fixed (Namespace returns
	// its namespace part).
	Name string
	// Aliases are the full names a named type also answers to.
	Aliases []string
	// Logical is the logical type ("decimal", "timestamp-millis", ...), or
	// empty: an unknown or invalid logical type is left out, as the Avro
	// specification requires (it stays in Props).
	Logical string
	// Precision and Scale are set for decimals.
	Precision, Scale int
	// Fields are a record's fields, in order.
	Fields []*Field
	// Symbols are an enum's symbols; EnumDefault is its default symbol.
	Symbols     []string
	EnumDefault string
	// Size is a fixed's size in bytes.
	Size int
	// Items is an array's item type; Values a map's value type.
	Items, Values *Type
	// Branches are a union's branches, in order.
	Branches []*Type
	// Attrs are the type's doc and other attributes, nil when it has none.
	Attrs *Attrs
	// Pos is where the type is written (its definition for named types).
	Pos Pos
}

// Attrs are the attributes of a type or a field that do not change how
// data is read: its doc, a field's sort order, and any other property
// (an unknown logicalType, say), kept for the full schema JSON. Types and
// fields without them (most) hold none, which keeps the model small.
type Attrs struct {
	// Doc is the "doc"; HasDoc tells whether there is one.
	Doc    string
	HasDoc bool
	// Order is a field's "order" ("ascending", "descending", "ignore"),
	// or empty when it is not written.
	Order string
	// Props are the other attributes of the object, in file order.
	Props []posjson.Member
}

// doc returns the "doc" and whether there is one (none for a nil Attrs).
func (a *Attrs) doc() (string, bool) {
	if a == nil {
		return "", false
	}
	return a.Doc, a.HasDoc
}

// props returns the other attributes (none for a nil Attrs).
func (a *Attrs) props() []posjson.Member {
	if a == nil {
		return nil
	}
	return a.Props
}

// Doc returns the type's "doc", "" when it has none.
func (t *Type) Doc() string { d, _ := t.Attrs.doc(); return d }

// Doc returns the field's "doc", "" when it has none.
func (f *Field) Doc() string { d, _ := f.Attrs.doc(); return d }

// Namespace returns the namespace part of a named type's full name, ""
// for the null namespace.
func (t *Type) Namespace() string {
	if i := strings.LastIndexByte(t.Name, '.'); i >= 0 {
		return t.Name[:i]
	}
	return ""
}

// Field is one field of a record.
type Field struct {
	// HasDefault tells whether the field declares a default value.
	HasDefault bool
	// Name is the field's name; Aliases are earlier names it reads from.
	Name    string
	Aliases []string
	// Type is the field's type.
	Type *Type
	// Default is the default value as written, when HasDefault.
	Default *posjson.Node
	// Attrs are the field's doc, order and other attributes, nil when it
	// has none.
	Attrs *Attrs
	// Pos is the position of the field's object in the source.
	Pos Pos
}

// ShortName returns the name without its namespace, or a description for
// unnamed types.
func (t *Type) ShortName() string {
	if !t.Kind.Named() {
		return t.Describe()
	}
	return t.Name[strings.LastIndexByte(t.Name, '.')+1:]
}

// Describe renders a type briefly for messages: "int", "com.x.Money",
// "array<string>", "union[null, string]", "bytes(decimal(10,2))".
func (t *Type) Describe() string {
	var s string
	switch t.Kind {
	case Record, Enum, Fixed:
		s = t.Name
	case Array:
		s = "array<" + t.Items.Describe() + ">"
	case Map:
		s = "map<" + t.Values.Describe() + ">"
	case Union:
		parts := make([]string, len(t.Branches))
		for i, b := range t.Branches {
			parts[i] = b.Describe()
		}
		return "union[" + strings.Join(parts, ", ") + "]"
	default:
		s = t.Kind.String()
	}
	switch t.Logical {
	case "":
	case Decimal:
		s += fmt.Sprintf("(decimal(%d,%d))", t.Precision, t.Scale)
	default:
		s += "(" + t.Logical + ")"
	}
	return s
}

// Source is one schema document: a name for positions (a file path) and
// its JSON text.
type Source struct {
	Name string
	Data []byte
}
