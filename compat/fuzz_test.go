package compat

import (
	"path/filepath"
	"testing"
)

// FuzzParseAndCheck feeds arbitrary bytes to Parse and checks whatever
// parses against itself and a fixed schema at FULL: bad input must give an
// error, never a panic or a hang, and a schema is always compatible with
// itself.
func FuzzParseAndCheck(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "evolution", "*.txt"))
	for _, p := range files[:min(len(files), 20)] {
		c, err := parseCase(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(c.candidate[len(c.candidate)-1].Data)
	}
	f.Add([]byte(`{"type":"record","name":"A","fields":[{"name":"a","type":["null","A"]}]}`))
	fixed, err := Parse("fixed", Source{Name: "fixed", Data: []byte(`{"type":"record","name":"Event","namespace":"com.example","fields":[{"name":"id","type":"string"}]}`)})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz", Source{Name: "fuzz.avsc", Data: data})
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if res := Check([]*Schema{s}, s, FullTransitive); !res.Compatible {
			t.Fatalf("a schema is incompatible with itself: %v", res.Findings)
		}
		Check([]*Schema{fixed}, s, Full)
		_ = s.Canonical()
	})
}
