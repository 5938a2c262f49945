package avsc

import (
	"bytes"
	"errors"
	"testing"

	"github.com/dave/jennifer/jen"

	"github.com/faustgen/faustgen/gen/diag"
)

// Load never panics and never half-succeeds: every cut and every one-byte
// change of a real schema set either loads and renders, or gives
// diagnostics.
func TestLoadSurvivesDamagedInput(t *testing.T) {
	base := readSchemas(t, "testdata/all")
	try := func(files []File) {
		t.Helper()
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("panic: %v\ninput: %s", r, files[0].Data)
			}
		}()
		set, err := Load(files)
		if err != nil {
			var l diag.List
			if !errors.As(err, &l) || len(l) == 0 {
				t.Fatalf("error is not a diag.List: %v", err)
			}
			return
		}
		f := jen.NewFile("x")
		set.Render(f)
		var buf bytes.Buffer
		if err := f.Render(&buf); err != nil {
			t.Fatalf("loaded but did not render: %v\ninput: %s", err, files[0].Data)
		}
	}
	for i, target := range base {
		data := target.Data
		step := max(1, len(data)/30)
		for cut := 0; cut < len(data); cut += step {
			files := append([]File{{Path: target.Path, Data: data[:cut]}}, append(append([]File(nil), base[:i]...), base[i+1:]...)...)
			try(files)
		}
		for at := 0; at < len(data); at += step {
			for _, b := range []byte{'"', '}', '1', ','} {
				mutated := bytes.Clone(data)
				mutated[at] = b
				files := append([]File{{Path: target.Path, Data: mutated}}, append(append([]File(nil), base[:i]...), base[i+1:]...)...)
				try(files)
			}
		}
	}
}

// FuzzLoad feeds an arbitrary schema file, next to the other files of
// testdata/all, to Load and renders what loads: no panic, a diag.List on
// bad input, and gofmt-able Go otherwise. Seeds are the real files, so
// mutations reach defaults, logical types, unions and recursion.
//
// Run: go test ./gen/avsc -run '^$' -fuzz FuzzLoad -fuzztime 1m
func FuzzLoad(f *testing.F) {
	base := readSchemas(f, "testdata/all")
	for _, b := range base {
		f.Add(b.Data)
	}
	f.Add([]byte(`{"type":"record","name":"R","fields":[{"name":"payload","type":[],"default":"x"}]}`))
	f.Add([]byte(`{"type":"record","name":"R","fields":[{"name":"next","type":"R"}]}`))
	f.Add([]byte(`{"type":"fixed","name":"Bad name"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		files := append([]File{{Path: "fuzz.avsc", Data: data}}, base[1:]...)
		set, err := Load(files)
		if err != nil {
			var l diag.List
			if !errors.As(err, &l) || len(l) == 0 {
				t.Fatalf("error is not a diag.List: %v", err)
			}
			return
		}
		out := jen.NewFile("x")
		set.Render(out)
		var buf bytes.Buffer
		if err := out.Render(&buf); err != nil {
			t.Fatalf("loaded but did not render: %v", err)
		}
	})
}
