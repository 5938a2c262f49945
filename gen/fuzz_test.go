package gen

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzGenerate feeds arbitrary topology files (with the schemas of the
// pageviews golden case) to Generate: it must return files or a
// diagnostic list, never panic, and never both or neither.
//
// Run: go test ./gen -run '^$' -fuzz FuzzGenerate -fuzztime 30s
func FuzzGenerate(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/faustgen.yaml")
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	schemas := map[string][]byte{}
	for _, name := range []string{"page.avsc", "page_view.avsc"} {
		data, err := os.ReadFile(filepath.Join("testdata", "pageviews", "schemas", name))
		if err != nil {
			f.Fatal(err)
		}
		schemas["schemas/"+name] = data
	}
	f.Fuzz(func(t *testing.T, topology []byte) {
		files := map[string][]byte{"faustgen.yaml": topology}
		for k, v := range schemas {
			files[k] = v
		}
		out, err := Generate(Input{Topology: "faustgen.yaml", Files: files})
		if (err == nil) == (len(out) == 0) {
			t.Fatalf("Generate returned %d files and error %v", len(out), err)
		}
	})
}
