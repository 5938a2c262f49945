package allgen

import (
	"errors"
	"testing"

	"github.com/faustgen/faustgen/runtime"
)

// FuzzUnmarshal feeds arbitrary bodies to the generated decoders (the
// first byte picks the type): an error or a value, never a panic, a hang
// or unbounded recursion; a value that decodes encodes again. Seeds are
// the samples' encodings and deep recursive chains.
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

// errReencode marks a value that decoded but did not encode again.
var errReencode = errors.New("a decoded value does not encode")

// roundTrip decodes b; a value that decodes must encode again (its
// records nest no deeper than decoding allows, its enums are symbols).
func roundTrip[T any](c runtime.Codec[T], b []byte) error {
	var v T
	if err := c.Unmarshal(b, &v); err != nil {
		return nil // refusing is fine
	}
	if _, err := c.Marshal(&v); err != nil {
		return errors.Join(errReencode, err)
	}
	return nil
}
