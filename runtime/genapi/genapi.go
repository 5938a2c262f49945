// Package genapi is for generated code; it is not a stable API for users.
//
// faustgen-generated packages call it for two things. The binding
// (binding.go): they declare their topology with Topic, TableDef, Agent
// and AppSpec, create the engine with NewApp and fill their agents'
// contexts with SinkOf, TableOf, ReadTableOf, WindowedTableOf,
// SessionTableOf and their producers with ProducerOf; these alias and wrap
// the engine in runtime/internal/engine, whose doc has their fields and
// methods (go doc ./runtime/internal/engine.AppSpec). And the codecs: they encode and
// decode Avro values without reflection (bounds on corrupt input, logical
// types, errors reported on hamba's Reader and Writer) and compose their
// schemas from a table of named-type definitions.
//
// What a program calls (the App, its Config, the typed Producer, Sink and
// Table handles, Codec, Decimal, the errors to match) is in package
// runtime; nothing here is needed to use a generated package, and its
// names may change with any release of the generator, which regenerates
// the code that calls them.
package genapi

import (
	"fmt"
	"maps"
	"slices"

	"github.com/hamba/avro/v2"

	"github.com/faustgen/faustgen/runtime"
	"github.com/faustgen/faustgen/runtime/internal/resolve"
)

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
// each of which costs at least one byte of input. The schema resolver
// (for records written with another schema) applies the same limit.
const MaxEmptyItems = resolve.MaxEmptyItems

// TooDeep reports on r that a record of type typ sits deeper than
// runtime.MaxDecodeDepth, keeping an earlier error; generated decoders
// then stop reading. The error wraps runtime.ErrTooDeep.
func TooDeep(r *avro.Reader, typ string) {
	if r.Error == nil {
		r.Error = fmt.Errorf("avro: decode %s: %w", typ, runtime.ErrTooDeep)
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
