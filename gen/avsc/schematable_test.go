package avsc

import (
	"strconv"
	"strings"
	"testing"

	"github.com/faustgen/faustgen/internal/avroschema"
	"github.com/faustgen/faustgen/runtime/genapi"
)

// The schema table the generated code holds composes, for every named
// type, exactly the full schema the generator computes (and the
// fingerprint of its canonical form) (a named type
// defined at its first use, by name after), and its generated source
// writes each definition once, however many other types use it.
func TestSchemaTableComposesEveryFullSchema(t *testing.T) {
	set, err := Load(readSchemas(t, "testdata/all"))
	if err != nil {
		t.Fatal(err)
	}
	var defs []genapi.SchemaDef
	for _, d := range set.order {
		parts, srcRefs := avroschema.SchemaFragments(d.src)
		canonical, canonRefs := avroschema.CanonicalFragments(d.src)
		if len(canonRefs) != len(srcRefs) {
			t.Fatalf("%s: %d refs in the full schema, %d in the canonical form", d.fullName, len(srcRefs), len(canonRefs))
		}
		for i := range srcRefs {
			if srcRefs[i] != canonRefs[i] {
				t.Fatalf("%s: ref %d is %s in the full schema, %s in the canonical form", d.fullName, i, srcRefs[i].Name, canonRefs[i].Name)
			}
		}
		var refs []*named
		for _, r := range srcRefs {
			refs = append(refs, set.bySrc[r])
		}
		def := genapi.SchemaDef{Name: d.fullName, Parts: parts, Canonical: canonical}
		for _, r := range refs {
			def.Refs = append(def.Refs, set.index[r])
		}
		defs = append(defs, def)
	}
	table := genapi.NewSchemaTable(defs...)
	for i, d := range set.order {
		if got, want := table.Schema(i), avroschema.FullSchema(d.src); got != want {
			t.Errorf("%s:\n got %s\nwant %s", d.fullName, got, want)
		}
		if got, want := table.Fingerprint(i), avroschema.Fingerprint(avroschema.CanonicalForm(d.src)); got != want {
			t.Errorf("%s: fingerprint %#x, want %#x", d.fullName, got, want)
		}
	}
	src := string(generatePackage(t, readSchemas(t, "testdata/all"), "allgen"))
	for _, d := range set.order {
		def := `{"type":"` + d.kind.String() + `","name":"` + d.fullName + `"`
		if d.isError {
			def = `{"type":"error","name":"` + d.fullName + `"`
		}
		quoted := strconv.Quote(def) // in a "..." literal when it holds a backtick
		if n := strings.Count(src, def) + strings.Count(src, quoted[1:len(quoted)-1]); n != 1 {
			t.Errorf("the definition of %s appears %d times in the generated code, want once", d.fullName, n)
		}
	}
}
