package allgen

import (
	"errors"
	"testing"

	"github.com/faustgen/faustgen/runtime"
)

// FuzzUnmarshal feeds arbitrary bodies to the generated decoders (the
// first byte picks the type): an error or a value, never a panic, a hang
// or unbounded recursion; a value that decodes is encoded again, which
// may fail (a decimal with more digits than its precision decodes, as in
// Java, but does not encode) but must not panic, and what encodes decodes
// again. Seeds are the samples' encodings and deep recursive chains.
//
// Run: go test ./gen/avsc/internal/allgen -run '^$' -fuzz FuzzUnmarshal -fuzztime 1m
func FuzzUnmarshal(f *testing.F) {
	decoders := []func(b []byte) error{
		func(b []byte) error { return roundTrip(EverythingCodec, b) },
		func(b []byte) error { return roundTrip(NodeCodec, b) },
		func(b []byte) error { return roundTrip(ExprCodec, b) },
		func(b []byte) error { return roundTrip(PairCodec, b) },
		func(b []byte) error { return roundTrip(SparseCodec, b) },
		func(b []byte) error { return roundTrip(ExampleUserCodec, b) },
	}
	types := []string{EverythingCodec.Type, NodeCodec.Type, ExprCodec.Type, PairCodec.Type, SparseCodec.Type, ExampleUserCodec.Type}
	for _, s := range samples() {
		for i, typ := range types {
			if s.typ == typ {
				b, err := s.encode()
				if err != nil {
					f.Fatal(err)
				}
				f.Add(append([]byte{byte(i)}, b...))
			}
		}
	}
	for _, n := range []int{runtime.MaxDecodeDepth, runtime.MaxDecodeDepth + 1} {
		f.Add(append([]byte{1}, nodeChain(n)...))
		f.Add(append([]byte{2}, exprChain(n)...))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		if err := decoders[int(in[0])%len(decoders)](in[1:]); err != nil {
			t.Fatal(err)
		}
	})
}

// errRedecode marks a value that decoded and encoded but whose encoding
// does not decode.
var errRedecode = errors.New("the encoding of a decoded value does not decode")

// roundTrip decodes b and encodes what decodes; what encodes must decode.
func roundTrip[T any](c runtime.Codec[T], b []byte) error {
	var v T
	if err := c.Unmarshal(b, &v); err != nil {
		return nil // refusing is fine
	}
	again, err := c.Marshal(&v)
	if err != nil {
		return nil // a value outside its schema (see above)
	}
	if err := c.Unmarshal(again, &v); err != nil {
		return errors.Join(errRedecode, err)
	}
	return nil
}
