package runtime

import (
	"fmt"
	"maps"
	"slices"

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
		Decode: func(r *avro.Reader, v *[]byte) { *v = ReadBytes(r) },
	}
	// NullCodec is the codec of "null" (Go struct{}): it reads and writes
	// nothing.
	NullCodec = Codec[struct{}]{
		Type: "null", Schema: `"null"`, Fingerprint: 0x63dd24e7cc258f8a,
		Encode: func(*avro.Writer, *struct{}) {},
		Decode: func(*avro.Reader, *struct{}) {},
	}
)

// The helpers below are called by generated encoders and decoders.

// ReadBytes reads an Avro bytes value: nil when empty, so that a zero
// value round-trips exactly. The slice's capacity is clipped to its length,
// so appending to it never writes over other decoded data.
func ReadBytes(r *avro.Reader) []byte {
	b := r.ReadBytes()
	if len(b) == 0 {
		return nil
	}
	return b[:len(b):len(b)]
}

// SortedKeys returns the keys of an Avro map in order, so that encoding a
// map gives the same bytes every time.
func SortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// Ptr returns a pointer to a copy of v (for defaults of nullable fields).
func Ptr[T any](v T) *T { return &v }

// Grow returns s with room for n more elements, n capped so that a corrupt
// block count cannot make the decoder allocate without bound.
func Grow[S ~[]E, E any](s S, n int64) S {
	return slices.Grow(s, int(min(max(n, 0), 1024)))
}

// MaxEmptyItems is the most items decoding accepts in one array whose
// items encode to zero bytes (null, a fixed of size 0, a record of only
// such fields). Those items consume no input, so running out of input
// cannot stop a corrupt block count the way it stops every other array:
// this limit does, and passing it is a decode error. The limit is per
// array: an array of such arrays may hold this many in each inner array,
// each of which costs at least one byte of input.
const MaxEmptyItems = 1 << 16

// MaxDecodeDepth is how deeply records may nest in one decoded value:
// the outermost record is at depth 1, a record inside one of its fields
// (directly or inside a union, array or map) at depth 2, and so on. Only
// a recursive type (a Node with a ["null", "Node"] next) lets them nest
// without bound. Generated decoders and the schema resolver stop at a
// record deeper than this with an error wrapping ErrTooDeep (and
// ErrCorruptBody), which goes to the agent's on_error policy like every
// decode failure, so that no record's shape can exhaust the stack. It is
// resolve.MaxDepth.
const MaxDecodeDepth = resolve.MaxDepth

// ErrTooDeep is wrapped by the decode error of a value whose records nest
// more than MaxDecodeDepth deep; match it with errors.Is.
var ErrTooDeep = resolve.ErrTooDeep

// TooDeep reports on r that a record of type typ sits deeper than
// MaxDecodeDepth, keeping an earlier error; generated decoders then stop
// reading.
func TooDeep(r *avro.Reader, typ string) {
	if r.Error == nil {
		r.Error = fmt.Errorf("avro: decode %s: %w", typ, ErrTooDeep)
	}
}

// CountEmptyItems adds a block of n items to *total, the items decoded so
// far into an array whose items encode to zero bytes. When the total would
// pass MaxEmptyItems (or n is negative) it reports the error on r and
// returns false; generated decoders then stop reading the array.
func CountEmptyItems(r *avro.Reader, typ string, total *int64, n int64) bool {
	if n < 0 || n > MaxEmptyItems-*total {
		r.ReportError("decode "+typ, fmt.Sprintf("block count %d takes the array past %d items that encode to nothing (corrupt input?)", n, MaxEmptyItems))
		return false
	}
	*total += n
	return true
}

// FailEncode records a failure on w, keeping the first one.
func FailEncode(w *avro.Writer, typ, format string, args ...any) {
	if w.Error == nil {
		w.Error = fmt.Errorf("avro: encode %s: %s", typ, fmt.Sprintf(format, args...))
	}
}

// BadIndex reports a union branch or enum symbol index outside the schema.
func BadIndex(r *avro.Reader, typ string, index int64) {
	r.ReportError("decode "+typ, fmt.Sprintf("index %d is outside the schema", index))
}
