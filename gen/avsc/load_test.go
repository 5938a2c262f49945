package avsc

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/faustgen/faustgen/gen/diag"
)

func files(pairs ...string) []File {
	var out []File
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, File{Path: pairs[i], Data: []byte(pairs[i+1])})
	}
	return out
}

// Every bad input is reported as file:line:col: message, all at once.
func TestLoadReportsEveryProblemWithItsPosition(t *testing.T) {
	cases := []struct {
		name  string
		files []File
		want  []string
	}{
		{"malformed JSON: trailing comma", files("a.avsc", "{\"type\": \"record\",\n \"name\": \"A\",\n \"fields\": [],\n}"),
			[]string{"a.avsc:3:14: invalid JSON: trailing comma before '}'"}},
		{"malformed JSON: end of file", files("a.avsc", `{"type": "record"`),
			[]string{"a.avsc:1:18: invalid JSON: unexpected end of file, expected ',' or '}'"}},
		{"malformed JSON: bad literal", files("a.avsc", "[\n  nul\n]"),
			[]string{"a.avsc:2:3: invalid JSON: invalid literal, expected null"}},
		{"malformed JSON: duplicate key", files("a.avsc", `{"type": "fixed", "name": "F", "size": 1, "size": 2}`),
			[]string{`a.avsc:1:43: invalid JSON: duplicate key "size" in object (first at 1:32)`}},
		{"malformed JSON: column counts characters", files("a.avsc", `{"doc": "é", x}`),
			[]string{`a.avsc:1:14: invalid JSON: unexpected 'x', expected a quoted object key`}},
		{"unknown type, with a suggestion", files("a.avsc", `{"type": "record", "name": "A", "namespace": "n", "fields": [
  {"name": "b", "type": "Bee"},
  {"name": "c", "type": "strin"},
  {"name": "d", "type": "x.Missing"}
]}`, "b.avsc", `{"type": "record", "name": "Be", "namespace": "n", "fields": []}`),
			[]string{
				`a.avsc:2:25: unknown type "Bee" (looked for "n.Bee" and "Bee"); did you mean "n.Be"?`,
				`a.avsc:3:25: unknown type "strin" (looked for "n.strin" and "strin"); did you mean "string"?`,
				`a.avsc:4:25: unknown type "x.Missing"; define it in one of the schema files, or use a primitive type`,
			}},
		{"empty union with a default (it panicked)", files("a.avsc", `{"type": "record", "name": "A", "fields": [{"name": "payload", "type": [], "default": "x"}]}`),
			[]string{`a.avsc:1:72: a union needs at least one branch`}},
		{"conflicting definitions across files", files(
			"a.avsc", `{"type": "record", "name": "n.A", "fields": [{"name": "x", "type": "int"}]}`,
			"b.avsc", "\n  {\"type\": \"record\", \"name\": \"n.A\", \"fields\": [{\"name\": \"x\", \"type\": \"long\"}]}"),
			[]string{`b.avsc:2:3: record "n.A" is already defined differently at a.avsc:1:1; define it once, or identically`}},
		{"bad defaults", files("a.avsc", `{"type": "record", "name": "A", "fields": [
  {"name": "i", "type": "int", "default": "1"},
  {"name": "big", "type": "int", "default": 2147483648},
  {"name": "f", "type": "float", "default": 1.5},
  {"name": "u", "type": ["null", "string"], "default": "x"},
  {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["X"]}, "default": "Y"},
  {"name": "fx", "type": {"type": "fixed", "name": "F", "size": 2}, "default": "abc"},
  {"name": "r", "type": {"type": "record", "name": "R", "fields": [{"name": "q", "type": "int"}]}, "default": {}},
  {"name": "arr", "type": {"type": "array", "items": "long"}, "default": [1, "2"]},
  {"name": "by", "type": "bytes", "default": "\u0100"},
  {"name": "dec", "type": {"type": "bytes", "logicalType": "decimal", "precision": 2}, "default": "\u0001\u0000"},
  {"name": "extra", "type": "R", "default": {"q": 1, "z": 2}}
]}`),
			[]string{
				`a.avsc:2:43: invalid default for field "i" of "A": want an integer, got "1"`,
				`a.avsc:3:45: invalid default for field "big" of "A": 2147483648 is out of range for int (a 32-bit integer)`,
				`a.avsc:5:56: invalid default for field "u" of "A": want null, got "x" (a union's default must match its first branch, "null")`,
				`a.avsc:6:85: invalid default for field "e" of "A": "Y" is not a symbol of enum "E"`,
				`a.avsc:7:80: invalid default for field "fx" of "A": want 2 bytes for fixed "F", got 3`,
				`a.avsc:8:111: invalid default for field "r" of "A": field "q" of record "R" is missing and has no default`,
				`a.avsc:9:78: invalid default for field "arr" of "A": want an integer, got "2"`,
				`a.avsc:10:46: invalid default for field "by" of "A": a bytes or fixed default holds one character from \u0000 to \u00ff per byte`,
				`a.avsc:11:99: invalid default for field "dec" of "A": the decimal has 3 digits, more than its precision 2`,
				`a.avsc:12:54: invalid default for field "extra" of "A": record "R" has no field "z"`,
			}},
		{"bad logical types", files("a.avsc", `{"type": "record", "name": "A", "fields": [
  {"name": "d", "type": {"type": "long", "logicalType": "date"}},
  {"name": "p", "type": {"type": "bytes", "logicalType": "decimal"}},
  {"name": "s", "type": {"type": "bytes", "logicalType": "decimal", "precision": 3, "scale": 4}},
  {"name": "z", "type": {"type": "bytes", "logicalType": "decimal", "precision": 0}},
  {"name": "f", "type": {"type": "fixed", "name": "F", "size": 2, "logicalType": "decimal", "precision": 5}},
  {"name": "du", "type": {"type": "fixed", "name": "D", "size": 8, "logicalType": "duration"}},
  {"name": "u", "type": {"type": "int", "logicalType": "uuid"}},
  {"name": "ok", "type": {"type": "int", "logicalType": "some-future-type"}},
  {"name": "t1", "type": {"type": "long", "logicalType": "timestamp-milis"}},
  {"name": "t2", "type": {"type": "long", "logicalType": "Timestamp_Micros"}},
  {"name": "t3", "type": {"type": "bytes", "logicalType": "decimals", "precision": 4}},
  {"name": "t4", "type": {"type": "string", "logicalType": "UUID"}},
  {"name": "t5", "type": {"type": "fixed", "name": "T5", "size": 12, "logicalType": "duraton"}},
  {"name": "custom1", "type": {"type": "string", "logicalType": "ulid"}},
  {"name": "custom2", "type": {"type": "long", "logicalType": "timestamp-nanos"}},
  {"name": "custom3", "type": {"type": "bytes", "logicalType": "big-decimal"}},
  {"name": "custom4", "type": {"type": "string", "logicalType": "date-time"}}
]}`),
			[]string{
				`a.avsc:2:57: logical type "date" applies to type "int", not "long"`,
				`a.avsc:3:58: decimal needs "precision"`,
				`a.avsc:4:94: decimal scale must be between 0 and the precision (3), not 4`,
				`a.avsc:5:82: decimal precision must be a positive integer, not 0`,
				`a.avsc:6:106: decimal precision 5 does not fit in fixed of size 2 (at most 4 digits)`,
				`a.avsc:7:83: logical type "duration" needs a fixed of size 12, not 8`,
				`a.avsc:8:56: logical type "uuid" applies to type "string" or "fixed", not "int"`,
				`a.avsc:10:58: unknown logical type "timestamp-milis": did you mean "timestamp-millis"? (an unknown logical type is ignored, which would leave a plain "long")`,
				`a.avsc:11:58: unknown logical type "Timestamp_Micros": did you mean "timestamp-micros"? (an unknown logical type is ignored, which would leave a plain "long")`,
				`a.avsc:12:59: unknown logical type "decimals": did you mean "decimal"? (an unknown logical type is ignored, which would leave a plain "bytes")`,
				`a.avsc:13:60: unknown logical type "UUID": did you mean "uuid"? (an unknown logical type is ignored, which would leave a plain "string")`,
				`a.avsc:14:85: unknown logical type "duraton": did you mean "duration"? (an unknown logical type is ignored, which would leave a plain "fixed")`,
			}},
		{"a null-namespace type inside a namespaced record", files("a.avsc", `{"type": "record", "name": "Order", "namespace": "shop", "fields": [
  {"name": "plain", "type": "Plain"},
  {"name": "many", "type": {"type": "array", "items": ["null", "Plain"]}},
  {"name": "global", "type": {"type": "enum", "name": "G", "namespace": "", "symbols": ["X"]}},
  {"name": "dotted", "type": {"type": "fixed", "name": ".F", "size": 1}},
  {"name": "fine", "type": "shop.Order2"}
]}`, "p.avsc", `{"type": "record", "name": "Plain", "fields": [{"name": "o", "type": ["null", "shop.Order"]}, {"name": "g", "type": "G"}]}`,
			"q.avsc", `{"type": "record", "name": "shop.Order2", "fields": []}`),
			[]string{
				`a.avsc:2:29: record "Plain" has no namespace but is used inside "shop.Order": Avro readers disagree on its full name there (some read "shop.Plain") and no schema JSON names it "Plain" for all of them; give "Plain" a namespace, or "shop.Order" none`,
				`a.avsc:3:64: record "Plain" has no namespace but is used inside "shop.Order": Avro readers disagree on its full name there (some read "shop.Plain") and no schema JSON names it "Plain" for all of them; give "Plain" a namespace, or "shop.Order" none`,
				`a.avsc:4:30: enum "G" has no namespace but is used inside "shop.Order": Avro readers disagree on its full name there (some read "shop.G") and no schema JSON names it "G" for all of them; give "G" a namespace, or "shop.Order" none`,
				`a.avsc:5:30: fixed "F" has no namespace but is used inside "shop.Order": Avro readers disagree on its full name there (some read "shop.F") and no schema JSON names it "F" for all of them; give "F" a namespace, or "shop.Order" none`,
			}},
		{"structural errors", files("a.avsc", `[
  {"type": "record", "fields": []},
  {"type": "record", "name": "1bad", "fields": []},
  {"type": "record", "name": "A", "fields": [{"name": "x"}, {"name": "x", "type": "int"}, {"name": "x", "type": "int"}]},
  {"type": "enum", "name": "E", "symbols": ["A", "A", "b-c"]},
  {"type": "fixed", "name": "F", "size": -1},
  {"type": "record", "name": "U", "fields": [{"name": "u", "type": ["int", "int", ["null"]]}]},
  {"type": "string", "name": "int"},
  {"type": "record", "name": "int", "fields": []},
  {"type": "wat"},
  {"type": "map"},
  {"fields": []}
]`),
			[]string{
				`a.avsc:2:3: record has no "name"`,
				`a.avsc:3:30: invalid name "1bad": a name starts with a letter or _ and has only letters, digits and _`,
				`a.avsc:4:46: field "x" has no "type"`,
				`a.avsc:4:70: field "x" is already defined at line 4`,
				`a.avsc:4:100: field "x" is already defined at line 4`,
				`a.avsc:5:50: duplicate enum symbol "A"`,
				`a.avsc:5:55: invalid enum symbol "b-c": a symbol starts with a letter or _ and has only letters, digits and _`,
				`a.avsc:6:42: fixed "size" must be a non-negative integer, not -1`,
				`a.avsc:7:83: a union cannot directly contain another union`,
				`a.avsc:7:76: a union cannot hold two branches of type "int"`,
				`a.avsc:9:30: "int" is a primitive type and cannot be redefined`,
				`a.avsc:10:12: unknown type "wat"; define it in one of the schema files, or use a primitive type`,
				`a.avsc:11:3: map schema has no "values"`,
				`a.avsc:12:3: schema object has no "type"`,
			}},
		{"conflicting aliases", files("a.avsc", `[
  {"type": "record", "name": "n.A", "aliases": ["B"], "fields": []},
  {"type": "record", "name": "n.B", "fields": []},
  {"type": "record", "name": "n.C", "aliases": ["D"], "fields": []},
  {"type": "record", "name": "n.E", "aliases": ["D"], "fields": []}
]`),
			[]string{
				`a.avsc:2:3: alias "n.B" of "n.A" is the name of another type (defined at a.avsc:3:3)`,
				`a.avsc:5:3: alias "n.D" of "n.E" is also an alias of "n.C"`,
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(c.files)
			var l diag.List
			if !errors.As(err, &l) {
				t.Fatalf("got %v, want a diag.List", err)
			}
			want := append([]string(nil), c.want...)
			wl := make(diag.List, 0, len(want))
			for _, w := range want {
				wl = append(wl, parseDiag(t, w))
			}
			wl.Sort()
			if got, want := l.Error(), wl.Error(); got != want {
				t.Errorf("diagnostics differ\ngot:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// parseDiag reads "file:line:col: message" back into a Diagnostic so that
// the expected lists above can be written in any order.
func parseDiag(t *testing.T, s string) diag.Diagnostic {
	parts := strings.SplitN(s, ":", 4)
	var d diag.Diagnostic
	d.File = parts[0]
	if _, err := fmt.Sscan(parts[1], &d.Line); err != nil {
		t.Fatalf("bad expectation %q", s)
	}
	if _, err := fmt.Sscan(parts[2], &d.Col); err != nil {
		t.Fatalf("bad expectation %q", s)
	}
	d.Msg = strings.TrimPrefix(parts[3], " ")
	return d
}

// Named types resolve across files in any order, through namespaces
// (inherited, explicit, the null namespace) and aliases, recursively.
func TestLoadResolvesNamesAcrossFiles(t *testing.T) {
	in := files(
		"z.avsc", `{"type": "record", "name": "Order", "namespace": "shop", "fields": [
  {"name": "customer", "type": "people.Customer"},
  {"name": "line", "type": {"type": "record", "name": "Line", "fields": [{"name": "next", "type": ["null", "Line"]}]}},
  {"name": "legacy", "type": "shop.OldMoney"}
]}`,
		"a.avsc", `{"type": "record", "name": "people.Customer", "fields": [{"name": "orders", "type": {"type": "array", "items": "shop.Order"}}]}`,
		"m.avsc", `{"type": "fixed", "name": "Money", "namespace": "shop", "aliases": ["OldMoney"], "size": 4}`,
		"p.avsc", `{"type": "record", "name": "Plain", "fields": [
  {"name": "order", "type": "shop.Order"},
  {"name": "global", "type": {"type": "enum", "name": "G", "namespace": "", "symbols": ["X"]}},
  {"name": "again", "type": "G"}
]}`,
	)
	set, err := Load(in)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ti := range set.Types() {
		names = append(names, ti.AvroName+"="+ti.GoName)
	}
	if got, want := strings.Join(names, " "), "G=G Plain=Plain people.Customer=Customer shop.Line=Line shop.Money=Money shop.Order=Order"; got != want {
		t.Fatalf("types: %s, want %s", got, want)
	}
	order := set.types["shop.Order"]
	if got := order.fields[1].typ.named.fullName; got != "shop.Line" {
		t.Errorf("inline record resolved as %s", got)
	}
	if got := order.fields[2].typ.named.fullName; got != "shop.Money" {
		t.Errorf("alias resolved as %s", got)
	}
	if r, ok := set.Ref("shop.OldMoney"); !ok || r.AvroName != "shop.Money" {
		t.Errorf("Ref through an alias: %+v %v", r, ok)
	}
	if r, ok := set.Ref("long"); !ok || r.AvroName != "long" {
		t.Errorf("Ref of a primitive: %+v %v", r, ok)
	}
	if _, ok := set.Ref("Order"); ok {
		t.Error("Ref resolved a short name; the topology file uses full names")
	}
	ti := set.Types()[4]
	if ti.File != "m.avsc" || ti.Line != 1 || ti.Col != 1 || ti.Kind != "fixed" || ti.Codec != "MoneyCodec" {
		t.Errorf("type info: %+v", ti)
	}
}

// One full name defined identically in two files is one type.
func TestLoadMergesIdenticalDefinitions(t *testing.T) {
	def := `{"type": "record", "name": "n.Shared", "fields": [{"name": "x", "type": "int", "default": 1}]}`
	set, err := Load(files("a.avsc", def, "b.avsc", `{"type": "record", "name": "n.User", "fields": [{"name": "s", "type": `+def+`}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Types()) != 2 {
		t.Fatalf("types: %+v", set.Types())
	}
}

// Go names: collisions after conversion, generated method names, short
// names shared across namespaces.
func TestLoadSettlesGoNames(t *testing.T) {
	set, err := Load(files("a.avsc", `[
  {"type": "record", "name": "a.User", "fields": [
    {"name": "user_id", "type": "int"}, {"name": "userId", "type": "int"},
    {"name": "MarshalAvro", "type": "int"}, {"name": "type", "type": "int"}, {"name": "url", "type": "int"}
  ]},
  {"type": "record", "name": "b.User", "fields": []},
  {"type": "enum", "name": "a.State", "symbols": ["in_progress", "IN_PROGRESS", "done"]},
  {"type": "record", "name": "a.Holder", "fields": [{"name": "v", "type": ["string", "a.Kind", "null"]}]},
  {"type": "enum", "name": "a.Kind", "symbols": ["K"]}
]`))
	if err != nil {
		t.Fatal(err)
	}
	user := set.types["a.User"]
	var got []string
	for _, f := range user.fields {
		got = append(got, f.goName)
	}
	if strings.Join(got, " ") != "User_id UserId MarshalAvro_ Type URL" {
		t.Errorf("field names: %v", got)
	}
	if user.goName != "AUser" || set.types["b.User"].goName != "BUser" {
		t.Errorf("type names: %s %s", user.goName, set.types["b.User"].goName)
	}
	if s := set.types["a.State"].symbolGo; strings.Join(s, " ") != "StateIn_progress StateIN_PROGRESS StateDone" {
		t.Errorf("symbols: %v", s)
	}
	u := set.types["a.Holder"].fields[0].typ.union
	if u == nil || strings.Join(u.branches, ",") != "String,Kind_," || u.goName != "HolderV" {
		t.Errorf("union: %+v", u)
	}
	for _, want := range []string{"AUser", "AUserCodec", "NewAUser", "encodeAUser", "HolderV", "HolderVKind", "HolderVKind_", "StateDone"} {
		found := false
		for _, id := range set.Idents() {
			found = found || id == want
		}
		if !found {
			t.Errorf("Idents lacks %s", want)
		}
	}
}
