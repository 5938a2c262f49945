package compat

import "testing"

func TestExportedMatchingHelpers(t *testing.T) {
	w, err := Parse("w", Source{Name: "w.avsc", Data: []byte(`{"type":"record","name":"R","fields":[{"name":"old","type":"int"},{"name":"u","type":["null","string","P"]}, {"name":"p","type":{"type":"record","name":"P","fields":[]}}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Parse("r", Source{Name: "r.avsc", Data: []byte(`{"type":"record","name":"R","fields":[{"name":"new","aliases":["old"],"type":"double","default":-1.0e1},{"name":"m","type":{"type":"map","values":"string"},"default":{"a":"\u00e9"}},{"name":"n","type":"int"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if f := WriterField(w.Root, r.Root.Fields[0]); f == nil || f.Name != "old" {
		t.Errorf("WriterField(new) = %v, want the writer's old", f)
	}
	if f := WriterField(w.Root, r.Root.Fields[2]); f != nil {
		t.Errorf("WriterField(n) = %v, want nil", f)
	}
	for i, want := range []string{`-1.0e1`, `{"a":"é"}`} {
		js, ok := r.Root.Fields[i].DefaultJSON()
		if !ok || string(js) != want {
			t.Errorf("DefaultJSON of %s = %s, %v; want %s", r.Root.Fields[i].Name, js, ok, want)
		}
	}
	if _, ok := r.Root.Fields[2].DefaultJSON(); ok {
		t.Error("a field without a default has one")
	}
	u := w.Root.Fields[1].Type
	if got := UnionBranch(&Type{Kind: Int}, []*Type{{Kind: String}, {Kind: Double}, {Kind: Long}}); got != 1 {
		t.Errorf("int lands in branch %d of [string, double, long], want 1 (the first promotion in reader order)", got)
	}
	if got := UnionBranch(w.Named["P"], u.Branches); got != 2 {
		t.Errorf("P lands in branch %d, want 2", got)
	}
	if got := UnionBranch(&Type{Kind: Boolean}, u.Branches); got != -1 {
		t.Errorf("boolean lands in branch %d, want -1", got)
	}
	if !Promotable(Int, Double) || Promotable(Double, Int) || !NameMatches(w.Named["P"], w.Named["P"]) {
		t.Error("Promotable or NameMatches disagree with the specification")
	}
}
