package genapi

import (
	"sync"
	"testing"

	"github.com/faustgen/faustgen/runtime"
)

// A full schema defines each named type at its first use and names it
// after that, recursion included; composing is done once per entry, safely
// from many goroutines.
func TestSchemaTableDefinesEachTypeOnceAndThenNamesIt(t *testing.T) {
	table := NewSchemaTable(
		SchemaDef{Name: "x.Id", Parts: []string{`{"type":"fixed","name":"x.Id","size":2}`}},
		SchemaDef{Name: "x.Node", Parts: []string{`{"type":"record","name":"x.Node","fields":[{"name":"id","type":`, `},{"name":"next","type":["null",`, `]}]}`}, Refs: []int{0, 1}},
		SchemaDef{Name: "x.Pair", Parts: []string{`{"type":"record","name":"x.Pair","fields":[{"name":"a","type":`, `},{"name":"b","type":`, `},{"name":"id","type":`, `}]}`}, Refs: []int{1, 1, 0}},
	)
	want := []string{
		`{"type":"fixed","name":"x.Id","size":2}`,
		`{"type":"record","name":"x.Node","fields":[{"name":"id","type":{"type":"fixed","name":"x.Id","size":2}},{"name":"next","type":["null","x.Node"]}]}`,
		`{"type":"record","name":"x.Pair","fields":[{"name":"a","type":{"type":"record","name":"x.Node","fields":[{"name":"id","type":{"type":"fixed","name":"x.Id","size":2}},{"name":"next","type":["null","x.Node"]}]}},{"name":"b","type":"x.Node"},{"name":"id","type":"x.Id"}]}`,
	}
	var wg sync.WaitGroup
	got := make([][]string, 8)
	for g := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range want {
				got[g] = append(got[g], table.Schema(i))
			}
		}()
	}
	wg.Wait()
	for g := range got {
		for i, w := range want {
			if got[g][i] != w {
				t.Fatalf("entry %d:\n got %s\nwant %s", i, got[g][i], w)
			}
		}
	}
	c := runtime.Codec[struct{}]{Schemas: table, SchemaIndex: 2}
	if s := c.FullSchema(); s != want[2] {
		t.Fatalf("FullSchema = %s", s)
	}
	// The canonical parts give the fingerprint; of a primitive's form:
	prim := NewSchemaTable(SchemaDef{Name: "x", Parts: []string{`"string"`}, Canonical: []string{`"string"`}})
	if fp := prim.Fingerprint(0); fp != runtime.StringCodec.Fingerprint {
		t.Fatalf("fingerprint of \"string\" %#x, want %#x", fp, runtime.StringCodec.Fingerprint)
	}
	if plain := (runtime.Codec[string]{Schema: `"string"`}); plain.FullSchema() != `"string"` {
		t.Fatal("a codec without a table does not return its Schema")
	}
}
