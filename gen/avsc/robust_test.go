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
