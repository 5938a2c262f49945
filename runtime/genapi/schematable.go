package genapi

import (
	"strings"
	"sync"

	"github.com/faustgen/faustgen/internal/avroschema"
)

// SchemaDef is one named type's definition in a generated package's
// SchemaTable: its JSON with the named types it uses cut out. Parts are
// the pieces of JSON around them and Refs their indexes in the table, so
// len(Parts) is len(Refs)+1 and the JSON is Parts[0], the schema of
// Refs[0], Parts[1], ...
type SchemaDef struct {
	// Name is the type's full name, how it is referenced once defined.
	Name  string
	Parts []string
	// Canonical are the parts of the type's Parsing Canonical Form, around
	// the same Refs.
	Canonical []string
	Refs      []int
}

// SchemaTable holds the definitions of a generated package's named types,
// each written once, and composes full schemas from them (it is what
// runtime.Codec.Schemas holds): a named type is
// defined at its first use and referenced by name after that, as the
// Avro specification requires. It is safe for concurrent use.
type SchemaTable struct {
	defs    []SchemaDef
	once    []sync.Once
	full    []string
	fpOnce  []sync.Once
	printFP []uint64
}

// NewSchemaTable returns a table of defs; Refs index into defs.
func NewSchemaTable(defs ...SchemaDef) *SchemaTable {
	n := len(defs)
	return &SchemaTable{defs: defs, once: make([]sync.Once, n), full: make([]string, n), fpOnce: make([]sync.Once, n), printFP: make([]uint64, n)}
}

// Schema returns the full schema JSON of definition i, composed on the
// first call.
func (t *SchemaTable) Schema(i int) string {
	t.once[i].Do(func() {
		var b strings.Builder
		t.write(&b, i, make([]bool, len(t.defs)), false)
		t.full[i] = b.String()
	})
	return t.full[i]
}

// Fingerprint returns the CRC-64-AVRO (Rabin) fingerprint of the Parsing
// Canonical Form of definition i, computed on the first call.
func (t *SchemaTable) Fingerprint(i int) uint64 {
	t.fpOnce[i].Do(func() {
		var b strings.Builder
		t.write(&b, i, make([]bool, len(t.defs)), true)
		t.printFP[i] = avroschema.Fingerprint(b.String())
	})
	return t.printFP[i]
}

// write appends definition i (its canonical form when canonical), or its
// name when written already. The recursion is as deep as the nesting of
// the generated package's schemas.
func (t *SchemaTable) write(b *strings.Builder, i int, written []bool, canonical bool) {
	d := &t.defs[i]
	if written[i] {
		b.WriteByte('"')
		b.WriteString(d.Name) // a full name needs no escaping
		b.WriteByte('"')
		return
	}
	written[i] = true
	parts := d.Parts
	if canonical {
		parts = d.Canonical
	}
	for k, part := range parts {
		b.WriteString(part)
		if k < len(d.Refs) {
			t.write(b, d.Refs[k], written, canonical)
		}
	}
}
