package compat

import (
	"strings"
	"testing"
)

func TestParseReportsPositionedErrors(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"syntax", "{\"type\": \"record\",\n  \"name\": \"A\" \"fields\": []}", "s.avsc:2:15: invalid JSON: unexpected '\"', expected ',' or '}'"},
		{"column counts characters", `{"type":"record","name":"A","doc":"é日本😀","fields":[{"name":"x","type":"Nope"}]}`, "s.avsc:1:71: unknown type \"Nope\""},
		{"trailing comma", `["int",]`, "s.avsc:1:7: invalid JSON: trailing comma before ']'"},
		{"leading zero", `{"type":"fixed","name":"F","size":01}`, "s.avsc:1:35: invalid JSON: invalid number: leading zero"},
		{"too deep", strings.Repeat("[", 513) + strings.Repeat("]", 513), "s.avsc:1:513: invalid JSON: nested more than 512 levels deep"},
		{"unterminated", "{\"type\": \"str", "s.avsc:1:10: invalid JSON: unterminated string"},
		{"empty", "  ", "s.avsc:1:3: invalid JSON: empty document"},
		{"trailing", `"int" "long"`, "s.avsc:1:7: invalid JSON: unexpected '\"' after the end of the schema"},
		{"duplicate key", `{"type":"int","type":"long"}`, "s.avsc:1:15: invalid JSON: duplicate key \"type\""},
		{"unknown type", `{"type":"record","name":"A","fields":[{"name":"x","type":"Nope"}]}`, "s.avsc:1:58: unknown type \"Nope\""},
		{"bad default", "{\"type\":\"record\",\"name\":\"A\",\"fields\":[\n{\"name\":\"x\",\"type\":\"int\",\"default\":\"zero\"}]}", "s.avsc:2:36: invalid default for field \"x\" of \"A\": want an integer, got \"zero\""},
		{"union default not first branch", `{"type":"record","name":"A","fields":[{"name":"x","type":["null","int"],"default":1}]}`, "s.avsc:1:83: invalid default for field \"x\" of \"A\": want null, got 1 (a union's default must match its first branch, \"null\")"},
		{"int default out of range", `{"type":"record","name":"A","fields":[{"name":"x","type":"int","default":3000000000}]}`, "s.avsc:1:74: invalid default for field \"x\" of \"A\": 3000000000 is out of range for int (a 32-bit integer)"},
		{"enum default", `{"type":"enum","name":"E","symbols":["A"],"default":"B"}`, "s.avsc:1:53: enum default \"B\" is not one of the symbols of \"E\""},
		{"duplicate type", `[{"type":"fixed","name":"F","size":1},{"type":"fixed","name":"F","size":2}]`, "s.avsc:1:39: fixed \"F\" is already defined differently at s.avsc:1:2; define it once, or identically"},
		{"nested union", `["null",["int"]]`, "s.avsc:1:9: a union cannot directly contain another union"},
		{"duplicate branch", `["null","int","int"]`, "s.avsc:1:15: a union cannot hold two branches of type \"int\""},
		{"bad name", `{"type":"record","name":"9A","fields":[]}`, "s.avsc:1:25: invalid name \"9A\""},
		{"duplicate field", `{"type":"record","name":"A","fields":[{"name":"x","type":"int"},{"name":"x","type":"int"}]}`, "s.avsc:1:73: field \"x\" is already defined at line 1"},
		{"fixed size", `{"type":"fixed","name":"F","size":-1}`, "s.avsc:1:35: fixed \"size\" must be a non-negative integer, not -1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("", Source{Name: "s.avsc", Data: []byte(c.src)})
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q lacks %q", err, c.want)
			}
		})
	}
}

func TestParseReportsEveryProblemAtOnce(t *testing.T) {
	src := `{"type":"record","name":"A","fields":[{"name":"x","type":"X"},{"name":"y","type":"Y"},{"name":"z","type":"int","default":"s"}]}`
	_, err := Parse("", Source{Name: "s.avsc", Data: []byte(src)})
	list, ok := err.(ParseErrors)
	if !ok || len(list) != 3 {
		t.Fatalf("want 3 ParseErrors, got %T %v", err, err)
	}
}

// A definition with a bad name is still checked through: a fixed without
// a name or with a bad one reports its missing size too, and types defined
// inside an unnamed record still resolve; no error follows from the bad
// name itself (no "twice in a union" for two unnamed branches).
func TestParseReportsTheRestOfADefinitionWithABadName(t *testing.T) {
	src := "[{\"type\":\"fixed\",\"name\":\"Bad name\"},\n" +
		"{\"type\":\"fixed\"},\n" +
		"{\"type\":\"enum\",\"name\":\"int\",\"symbols\":[\"A\",\"A\"]},\n" +
		"{\"type\":\"record\",\"fields\":[{\"name\":\"sub\",\"type\":{\"type\":\"record\",\"name\":\"Sub\",\"fields\":[]}}]},\n" +
		"{\"type\":\"record\",\"name\":\"Use\",\"fields\":[{\"name\":\"s\",\"type\":\"Sub\"}]}]"
	_, err := Parse("", Source{Name: "s.avsc", Data: []byte(src)})
	want := []string{
		`s.avsc:1:2: fixed "Bad name" has no "size"`,
		`s.avsc:1:25: invalid name "Bad name": a name starts with a letter or _ and has only letters, digits and _`,
		`s.avsc:2:1: fixed (unnamed) has no "size"`,
		`s.avsc:2:1: fixed has no "name"`,
		`s.avsc:3:23: "int" is a primitive type and cannot be redefined`,
		`s.avsc:3:44: duplicate enum symbol "A"`,
		`s.avsc:4:1: record has no "name"`,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Fatalf("got\n%v\nwant\n%s", err, strings.Join(want, "\n"))
	}
}

func TestParseResolvesNamesAcrossFilesInAnyOrder(t *testing.T) {
	order := Source{Name: "order.avsc", Data: []byte(`{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"total","type":"Money"},{"name":"alt","type":"com.fx.Rate"}]}`)}
	money := Source{Name: "money.avsc", Data: []byte(`{"type":"record","name":"Money","namespace":"shop","fields":[{"name":"units","type":"long"}]}`)}
	rate := Source{Name: "rate.avsc", Data: []byte(`{"type":"fixed","name":"Rate","namespace":"com.fx","size":8}`)}
	s, err := Parse("v1", money, rate, order)
	if err != nil {
		t.Fatal(err)
	}
	if s.Root.Name != "shop.Order" || s.Root.Fields[0].Type != s.Named["shop.Money"] || s.Root.Fields[1].Type.Size != 8 {
		t.Errorf("names not resolved: %+v", s.Root)
	}
	if s.Named["shop.Money"].Pos.File != "money.avsc" {
		t.Errorf("Money's position = %v, want money.avsc", s.Named["shop.Money"].Pos)
	}
}

func TestParseIsFreshEveryCall(t *testing.T) {
	a, _ := Parse("a", Source{Name: "a", Data: []byte(`{"type":"fixed","name":"F","size":1}`)})
	b, _ := Parse("b", Source{Name: "b", Data: []byte(`{"type":"fixed","name":"F","size":2}`)})
	if a.Root.Size != 1 || b.Root.Size != 2 {
		t.Errorf("one definition replaced the other: %d %d", a.Root.Size, b.Root.Size)
	}
}

func TestCanonicalKeepsDefaultsAndDropsDocs(t *testing.T) {
	parse := func(s string) string {
		sc, err := Parse("", Source{Name: "x", Data: []byte(s)})
		if err != nil {
			t.Fatal(err)
		}
		return sc.Canonical()
	}
	a := parse(`{"type":"record","name":"A","namespace":"n","doc":"hi","fields":[{"name":"x","type":"int","default":1}]}`)
	b := parse(`{ "fields":[{"default":1,"type":"int","name":"x"}], "name":"n.A", "type":"record"}`)
	c := parse(`{"type":"record","name":"A","namespace":"n","fields":[{"name":"x","type":"int","default":2}]}`)
	if a != b {
		t.Errorf("equivalent schemas differ:\n%s\n%s", a, b)
	}
	if a == c {
		t.Errorf("a changed default must change the canonical form: %s", a)
	}
}

func TestRecursiveSchemasTerminate(t *testing.T) {
	// Two mutually recursive records whose definitions differ on each side.
	w := `{"type":"record","name":"A","fields":[{"name":"b","type":["null",{"type":"record","name":"B","fields":[{"name":"a","type":["null","A"]},{"name":"n","type":"int"}]}]}]}`
	r := `{"type":"record","name":"A","fields":[{"name":"b","type":["null",{"type":"record","name":"B","fields":[{"name":"a","type":["null","A"]},{"name":"n","type":"long"},{"name":"m","type":"int"}]}]}]}`
	ws, err := Parse("w", Source{Name: "w", Data: []byte(w)})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := Parse("r", Source{Name: "r", Data: []byte(r)})
	if err != nil {
		t.Fatal(err)
	}
	got := Resolve(ws, rs, DirBackward)
	if len(got) != 1 || got[0].Rule != RuleFieldAddedNoDefault || got[0].Path != "A.b.m" {
		t.Errorf("findings = %v, want one field-added-no-default at A.b.m", got)
	}
}

func TestParseLevel(t *testing.T) {
	for l := None; l <= FullTransitive; l++ {
		got, err := ParseLevel(strings.ToLower(l.String()))
		if err != nil || got != l {
			t.Errorf("ParseLevel(%s) = %v, %v", l, got, err)
		}
	}
	if _, err := ParseLevel("SIDEWAYS"); err == nil {
		t.Error("ParseLevel accepted SIDEWAYS")
	}
}

func TestParseTypePicksANamedTypeOutOfASet(t *testing.T) {
	files := []Source{
		{Name: "order.avsc", Data: []byte(`{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"total","type":"Money"}]}`)},
		{Name: "money.avsc", Data: []byte(`{"type":"record","name":"Money","namespace":"shop","fields":[{"name":"units","type":"long"}]}`)},
	}
	s, err := ParseType("v1", "shop.Order", files...)
	if err != nil || s.Root.Name != "shop.Order" {
		t.Fatalf("ParseType = %v, %v", s, err)
	}
	if s, err := ParseType("v1", "string", files...); err != nil || s.Root.Kind != String {
		t.Errorf("primitive root = %v, %v", s, err)
	}
	if _, err := ParseType("v1", "shop.Nope", files...); err == nil || !strings.Contains(err.Error(), "shop.Nope is not defined") {
		t.Errorf("missing type: %v", err)
	}
	set, err := ParseSet("v1", files...)
	if err != nil {
		t.Fatal(err)
	}
	order, ok1 := set.Schema("shop.Order")
	money, ok2 := set.Schema("shop.Money")
	if _, ok := set.Schema("shop.Nope"); ok || !ok1 || !ok2 || order.Root.Fields[0].Type != money.Root {
		t.Error("Set.Schema does not pick the set's shared types")
	}
}

// What is valid Avro but refused by the generator (a Strict problem of
// internal/avroschema) parses here: every Avro reader, and so a registry,
// accepts it. What is invalid Avro is refused by both.
func TestParseAcceptsWhatOnlyTheGeneratorRefuses(t *testing.T) {
	for name, src := range map[string]string{
		"misspelt logical type":        `{"type":"record","name":"A","fields":[{"name":"at","type":{"type":"long","logicalType":"timestamp-milis"}}]}`,
		"decimal wider than its fixed": `{"type":"fixed","name":"F","size":1,"logicalType":"decimal","precision":9}`,
		"record default with no field": `{"type":"record","name":"A","fields":[{"name":"b","type":{"type":"record","name":"B","fields":[]},"default":{"x":1}}]}`,
		"null namespace inside one":    `{"type":"record","name":"n.A","fields":[{"name":"b","type":{"type":"enum","name":"B","namespace":"","symbols":["X"]}}]}`,
	} {
		s, err := Parse("", Source{Name: "s.avsc", Data: []byte(src)})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if name == "decimal wider than its fixed" && s.Root.Logical != "" {
			t.Errorf("%s: read as %s, want the plain fixed (the specification ignores an invalid logical type)", name, s.Root.Describe())
		}
	}
}

// timestamp-nanos and local-timestamp-nanos are logical types of long.
func TestParseKnowsNanosecondTimestamps(t *testing.T) {
	s, err := Parse("", Source{Name: "s.avsc", Data: []byte(`{"type":"record","name":"A","fields":[{"name":"a","type":{"type":"long","logicalType":"timestamp-nanos"}},{"name":"b","type":{"type":"long","logicalType":"local-timestamp-nanos"}}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := s.Root.Fields[0].Type.Describe(), s.Root.Fields[1].Type.Describe(); a != "long(timestamp-nanos)" || b != "long(local-timestamp-nanos)" {
		t.Errorf("read as %s and %s", a, b)
	}
}
