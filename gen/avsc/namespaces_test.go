package avsc

import (
	"github.com/faustgen/faustgen/internal/avroschema"
	"maps"

	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/hamba/avro/v2"
)

// A set mixing the null namespace with two others, in every way the
// generator accepts: namespaced types defined and referenced inside a
// null-namespace record, null-namespace types inside null-namespace ones,
// inherited namespaces, short and full references, recursion.
var mixedNamespaces = files(
	"e.avsc", `{"type": "record", "name": "Envelope", "fields": [
  {"name": "item", "type": {"type": "record", "name": "Item", "namespace": "com.acme", "fields": [
    {"name": "tag", "type": {"type": "enum", "name": "Tag", "namespace": "com.other", "symbols": ["A"]}},
    {"name": "next", "type": ["null", "Item"]},
    {"name": "tags", "type": {"type": "array", "items": "com.other.Tag"}},
    {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 2}}
  ]}},
  {"name": "again", "type": "com.acme.Item"},
  {"name": "meta", "type": {"type": "record", "name": "Meta", "fields": [{"name": "h", "type": "com.acme.Hash"}, {"name": "up", "type": ["null", "Envelope"]}]}},
  {"name": "metas", "type": {"type": "map", "values": "Meta"}},
  {"name": "tag", "type": "com.other.Tag"}
]}`,
	"h.avsc", `{"type": "record", "name": "com.acme.Holder", "fields": [
  {"name": "item", "type": "Item"},
  {"name": "items", "type": {"type": "array", "items": "com.acme.Item"}},
  {"name": "tag", "type": "com.other.Tag"}
]}`,
)

// modelNames collects the full names of the named types s uses.
func modelNames(s *schema, seen map[string]bool) {
	switch s.kind {
	case avroschema.Array:
		modelNames(s.items, seen)
	case avroschema.Map:
		modelNames(s.values, seen)
	case avroschema.Union:
		for _, b := range s.branches {
			modelNames(b, seen)
		}
	case avroschema.Record, avroschema.Enum, avroschema.Fixed:
		if seen[s.named.fullName] {
			return
		}
		seen[s.named.fullName] = true
		for _, f := range s.named.fields {
			modelNames(f.typ, seen)
		}
	}
}

// hambaNames collects the full names of the named types hamba parsed.
func hambaNames(s avro.Schema, seen map[string]bool) {
	switch t := s.(type) {
	case *avro.RefSchema:
		hambaNames(t.Schema(), seen)
	case *avro.ArraySchema:
		hambaNames(t.Items(), seen)
	case *avro.MapSchema:
		hambaNames(t.Values(), seen)
	case *avro.UnionSchema:
		for _, b := range t.Types() {
			hambaNames(b, seen)
		}
	case avro.NamedSchema:
		if seen[t.FullName()] {
			return
		}
		seen[t.FullName()] = true
		if r, ok := t.(*avro.RecordSchema); ok {
			for _, f := range r.Fields() {
				hambaNames(f.Type(), seen)
			}
		}
	}
}

const pythonNames = `
import json, sys
import avro.schema

def walk(t, seen):
    if isinstance(t, avro.schema.NamedSchema):
        if t.fullname in seen:
            return
        seen.add(t.fullname)
        if isinstance(t, avro.schema.RecordSchema):
            for f in t.fields:
                walk(f.type, seen)
    elif isinstance(t, avro.schema.ArraySchema):
        walk(t.items, seen)
    elif isinstance(t, avro.schema.MapSchema):
        walk(t.values, seen)
    elif isinstance(t, avro.schema.UnionSchema):
        for b in t.schemas:
            walk(b, seen)

out = []
for text in json.load(sys.stdin):
    seen = set()
    walk(avro.schema.parse(text), seen)
    out.append(sorted(seen))
print(json.dumps(out))
`

func sortedNames(seen map[string]bool) []string {
	var out []string
	for n := range seen {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// The full schema the generator emits for each type names every type in it
// the same way for hamba (a fresh cache) and Apache Avro for Python as for
// the generator. (Uses of the null namespace inside another namespace,
// which they would read differently, are refused by Load.)
func TestEmittedSchemasNameTypesAlikeInEveryReader(t *testing.T) {
	set, err := Load(mixedNamespaces)
	if err != nil {
		t.Fatal(err)
	}
	var schemas []string
	var want [][]string
	for _, full := range slices.Sorted(maps.Keys(set.types)) {
		d := set.types[full]
		seen := map[string]bool{}
		modelNames(set.use(d.src), seen)
		schemas = append(schemas, avroschema.FullSchema(d.src))
		want = append(want, sortedNames(seen))
	}
	if full := slices.Sorted(maps.Keys(set.types))[0]; full != "Envelope" || strings.Join(want[0], " ") != "Envelope Meta com.acme.Hash com.acme.Item com.other.Tag" {
		t.Fatalf("the generator's own names for %s: %v", full, want[0])
	}
	for i, text := range schemas {
		s, err := avro.ParseWithCache(text, "", &avro.SchemaCache{})
		if err != nil {
			t.Fatalf("hamba cannot parse %s: %v", text, err)
		}
		seen := map[string]bool{}
		hambaNames(s, seen)
		if got := sortedNames(seen); !slices.Equal(got, want[i]) {
			t.Errorf("hamba names the types of %s\n  %v, the generator %v", text, got, want[i])
		}
	}

	py := "/usr/bin/python3"
	if exec.Command(py, "-c", "import avro.schema").Run() != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 cannot import avro: run scripts/python-avro.sh (make test does)")
		}
		t.Skip("python3-avro is not installed: run scripts/python-avro.sh")
	}
	input, err := json.Marshal(schemas)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "-c", pythonNames)
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	output, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.String())
	}
	var got [][]string
	if err := json.Unmarshal(output, &got); err != nil || len(got) != len(schemas) {
		t.Fatalf("python output %s: %v", output, err)
	}
	for i := range schemas {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("Python names the types of %s\n  %v, the generator %v", schemas[i], got[i], want[i])
		}
	}
}
