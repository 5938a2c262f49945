package runtime

import (
	"fmt"
	"strings"
	"sync"

	"github.com/hamba/avro/v2"

	"github.com/faustgen/faustgen/internal/avroschema"
)

// Codec encodes and decodes one Go type as an Avro body (no framing). The
// generator emits one Codec per named Avro type; the runtime provides the
// codecs of the primitive types below.
//
// Encode reports a failure (an enum value without a symbol, say) by setting
// w.Error; Decode reports one through r.ReportError, leaving r.Error set.
type Codec[T any] struct {
	// Type is the Avro full name of a named type ("com.example.PageView")
	// or the name of a primitive ("string").
	Type string
	// Schema is the full schema JSON, defaults and docs kept, with every
	// named type it references defined inline; what gets registered.
	// Generated codecs leave it empty and set Schemas and SchemaIndex
	// instead, so that each named type's definition is written once in the
	// generated code however many codecs use it. Read it with FullSchema.
	Schema string
	// Schemas, when set, holds the schema: entry SchemaIndex of the
	// generated package's table, composed on first use.
	Schemas     *SchemaTable
	SchemaIndex int
	// Fingerprint is the CRC-64-AVRO (Rabin) fingerprint of the schema's
	// Parsing Canonical Form. Generated codecs leave it zero (Schemas
	// computes it); read it with SchemaFingerprint.
	Fingerprint uint64
	// Encode appends v's Avro binary encoding to w.
	Encode func(w *avro.Writer, v *T)
	// Decode reads one value from r into v.
	Decode func(r *avro.Reader, v *T)
}

// FullSchema returns the full schema JSON: Schema, or the schema composed
// from Schemas (once; later calls return the same string).
func (c *Codec[T]) FullSchema() string {
	if c.Schemas != nil {
		return c.Schemas.Schema(c.SchemaIndex)
	}
	return c.Schema
}

// SchemaFingerprint returns the CRC-64-AVRO (Rabin) fingerprint of the
// schema's Parsing Canonical Form: Fingerprint, or the one computed from
// Schemas (once).
func (c *Codec[T]) SchemaFingerprint() uint64 {
	if c.Schemas != nil {
		return c.Schemas.Fingerprint(c.SchemaIndex)
	}
	return c.Fingerprint
}

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
// each written once, and composes full schemas from them: a named type is
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

// codecWriterPool and codecReaderPool hold the Writers and Readers that Marshal and
// Unmarshal borrow, so that a call allocates only the bytes it returns.
var (
	codecWriterPool = sync.Pool{New: func() any { return avro.NewWriter(nil, 512) }}
	codecReaderPool = sync.Pool{New: func() any { return avro.NewReader(nil, 0, avro.WithReaderConfig(readerConfig)) }}
)

// readerConfig lifts hamba's 1 MiB cap on one string or bytes value to
// MaxValueBytes: a record may legitimately carry more, while a corrupt
// length still cannot make the decoder allocate without bound.
var readerConfig = avro.Config{MaxByteSliceSize: MaxValueBytes}.Freeze()

// MaxValueBytes is the largest string or bytes value Unmarshal decodes.
const MaxValueBytes = 64 << 20

// Marshal returns the Avro binary body of v (no framing).
func (c Codec[T]) Marshal(v *T) ([]byte, error) {
	return c.Append(nil, v)
}

// Append appends the Avro binary body of v to dst and returns the result.
// On error it returns dst unchanged.
func (c Codec[T]) Append(dst []byte, v *T) ([]byte, error) {
	w := codecWriterPool.Get().(*avro.Writer)
	w.Reset(nil)
	w.Error = nil
	c.Encode(w, v)
	err := w.Error
	if err == nil {
		dst = append(dst, w.Buffer()...)
	}
	w.Error = nil
	if cap(w.Buffer()) <= 64<<10 {
		codecWriterPool.Put(w)
	}
	if err != nil {
		return dst, fmt.Errorf("encode %s: %w", c.Type, err)
	}
	return dst, nil
}

// Unmarshal decodes the Avro binary body b into v. Strings and byte slices
// in v do not alias b.
func (c Codec[T]) Unmarshal(b []byte, v *T) error {
	r := codecReaderPool.Get().(*avro.Reader)
	r.Reset(b)
	r.Error = nil
	c.Decode(r, v)
	err := r.Error
	r.Reset(nil)
	r.Error = nil
	codecReaderPool.Put(r)
	if err != nil {
		// Unlike hamba's Unmarshal, running out of input is an error:
		// a whole body never needs to read past its end.
		return fmt.Errorf("decode %s: %w", c.Type, err)
	}
	return nil
}
