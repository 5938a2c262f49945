package runtime

import (
	"github.com/hamba/avro/v2"

	"github.com/faustgen/faustgen/runtime/internal/resolve"
)

// The codecs of the Avro primitive types. Their Schema is the primitive's
// name as a JSON string and their Fingerprint the CRC-64-AVRO of it.
var (
	// StringCodec is the codec of "string" (Go string).
	StringCodec = Codec[string]{
		Type: "string", Schema: `"string"`, Fingerprint: 0x8f014872634503c7,
		Encode: func(w *avro.Writer, v *string) { w.WriteString(*v) },
		Decode: func(r *avro.Reader, v *string) { *v = r.ReadString() },
	}
	// LongCodec is the codec of "long" (Go int64).
	LongCodec = Codec[int64]{
		Type: "long", Schema: `"long"`, Fingerprint: 0xd054e14493f41db7,
		Encode: func(w *avro.Writer, v *int64) { w.WriteLong(*v) },
		Decode: func(r *avro.Reader, v *int64) { *v = r.ReadLong() },
	}
	// IntCodec is the codec of "int" (Go int32).
	IntCodec = Codec[int32]{
		Type: "int", Schema: `"int"`, Fingerprint: 0x7275d51a3f395c8f,
		Encode: func(w *avro.Writer, v *int32) { w.WriteInt(*v) },
		Decode: func(r *avro.Reader, v *int32) { *v = r.ReadInt() },
	}
	// BooleanCodec is the codec of "boolean" (Go bool).
	BooleanCodec = Codec[bool]{
		Type: "boolean", Schema: `"boolean"`, Fingerprint: 0x9f42fc78a4d4f764,
		Encode: func(w *avro.Writer, v *bool) { w.WriteBool(*v) },
		Decode: func(r *avro.Reader, v *bool) { *v = r.ReadBool() },
	}
	// FloatCodec is the codec of "float" (Go float32).
	FloatCodec = Codec[float32]{
		Type: "float", Schema: `"float"`, Fingerprint: 0x4d7c02cb3ea8d790,
		Encode: func(w *avro.Writer, v *float32) { w.WriteFloat(*v) },
		Decode: func(r *avro.Reader, v *float32) { *v = r.ReadFloat() },
	}
	// DoubleCodec is the codec of "double" (Go float64).
	DoubleCodec = Codec[float64]{
		Type: "double", Schema: `"double"`, Fingerprint: 0x8e7535c032ab957e,
		Encode: func(w *avro.Writer, v *float64) { w.WriteDouble(*v) },
		Decode: func(r *avro.Reader, v *float64) { *v = r.ReadDouble() },
	}
	// BytesCodec is the codec of "bytes" (Go []byte).
	BytesCodec = Codec[[]byte]{
		Type: "bytes", Schema: `"bytes"`, Fingerprint: 0x4fc016dac3201965,
		Encode: func(w *avro.Writer, v *[]byte) { w.WriteBytes(*v) },
		Decode: func(r *avro.Reader, v *[]byte) { *v = readBytes(r) },
	}
	// NullCodec is the codec of "null" (Go struct{}): it reads and writes
	// nothing.
	NullCodec = Codec[struct{}]{
		Type: "null", Schema: `"null"`, Fingerprint: 0x63dd24e7cc258f8a,
		Encode: func(*avro.Writer, *struct{}) {},
		Decode: func(*avro.Reader, *struct{}) {},
	}
)

// readBytes reads an Avro bytes value: nil when empty, so that a zero
// value round-trips exactly; its capacity is clipped to its length
// (genapi.ReadBytes is the same, for generated decoders).
func readBytes(r *avro.Reader) []byte {
	b := r.ReadBytes()
	if len(b) == 0 {
		return nil
	}
	return b[:len(b):len(b)]
}

// MaxDecodeDepth is how deeply records may nest in one decoded value:
// the outermost record is at depth 1, a record inside one of its fields
// (directly or inside a union, array or map) at depth 2, and so on. Only
// a recursive type (a Node with a ["null", "Node"] next) lets them nest
// without bound. Generated decoders and the schema resolver stop at a
// record deeper than this with an error wrapping ErrTooDeep (and
// ErrCorruptBody), which goes to the agent's on_error policy like every
// decode failure, so that no record's shape can exhaust the stack.
const MaxDecodeDepth = resolve.MaxDepth

// ErrTooDeep is wrapped by the decode error of a value whose records nest
// more than MaxDecodeDepth deep; match it with errors.Is.
var ErrTooDeep = resolve.ErrTooDeep
