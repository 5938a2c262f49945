package runtime

import (
	"github.com/hamba/avro/v2"
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
	// named type it references defined inline. It is what gets registered.
	Schema string
	// Fingerprint is the CRC-64-AVRO (Rabin) fingerprint of the schema's
	// Parsing Canonical Form.
	Fingerprint uint64
	// Encode appends v's Avro binary encoding to w.
	Encode func(w *avro.Writer, v *T)
	// Decode reads one value from r into v.
	Decode func(r *avro.Reader, v *T)
}
