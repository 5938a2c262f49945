package avroschema

import (
	"strings"
	"testing"
)

func parseOne(t *testing.T, src string) (*Set, List) {
	t.Helper()
	return Parse(Source{Name: "s.avsc", Data: []byte(src)})
}

func record(fields string) string {
	return `{"type":"record","name":"R","fields":[` + fields + `]}`
}

// The cases compat and the generator used to decide differently: each is
// one Diagnostic now (Strict false: invalid Avro, refused by both), or
// none. See the package doc for the reasons.
func TestFormerDisagreementsAreDecidedOnce(t *testing.T) {
	cases := []struct {
		name, field, want string
	}{
		{"NaN string for a double", `{"name":"d","type":"double","default":"NaN"}`,
			`invalid default for field "d" of "R": want a number, got "NaN": a default is a JSON number, and JSON has no NaN or infinity`},
		{"Infinity string for a float", `{"name":"f","type":"float","default":"Infinity"}`,
			`invalid default for field "f" of "R": want a number, got "Infinity": a default is a JSON number, and JSON has no NaN or infinity`},
		{"-Infinity string in a union's first branch", `{"name":"f","type":["double","null"],"default":"-Infinity"}`,
			`invalid default for field "f" of "R": want a number, got "-Infinity": a default is a JSON number, and JSON has no NaN or infinity (a union's default must match its first branch, "double")`},
		{"bytes character above \\u00ff", `{"name":"b","type":"bytes","default":"\u0100"}`,
			`invalid default for field "b" of "R": a bytes or fixed default holds one character from \u0000 to \u00ff per byte`},
		{"fixed character above \\u00ff", `{"name":"x","type":{"type":"fixed","name":"F","size":1},"default":"€"}`,
			`invalid default for field "x" of "R": a bytes or fixed default holds one character from \u0000 to \u00ff per byte`},
		{"decimal beyond its precision", `{"name":"m","type":{"type":"bytes","logicalType":"decimal","precision":2},"default":"\u0000\u00ff"}`,
			`invalid default for field "m" of "R": the decimal has 3 digits, more than its precision 2`},
		{"negative decimal beyond its precision", `{"name":"m","type":{"type":"fixed","name":"M","size":2,"logicalType":"decimal","precision":2},"default":"\u00ff\u0001"}`,
			`invalid default for field "m" of "R": the decimal has 3 digits, more than its precision 2`},
		{"int written as a fraction", `{"name":"i","type":"int","default":1.0}`,
			`invalid default for field "i" of "R": want an integer, got 1.0`},
		{"long written with an exponent", `{"name":"l","type":"long","default":1e2}`,
			`invalid default for field "l" of "R": want an integer, got 1e2`},
		{"double as a number", `{"name":"d","type":"double","default":-1.5e300}`, ""},
		{"bytes \\u0000 to \\u00ff", `{"name":"b","type":"bytes","default":"\u0000\u00ff"}`, ""},
		{"decimal at its precision", `{"name":"m","type":{"type":"bytes","logicalType":"decimal","precision":3},"default":"\u0003\u00e7"}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := record(c.field)
			_, diags := parseOne(t, src)
			if c.want == "" {
				if len(diags) > 0 {
					t.Fatalf("want no problem, got\n%v", diags)
				}
				return
			}
			// The default's value, every character before it ASCII.
			col := strings.Index(src, `"default":`) + len(`"default":`) + 1
			if len(diags) != 1 || diags[0].Msg != c.want || diags[0].Strict || diags[0].Pos() != (Pos{File: "s.avsc", Line: 1, Col: col}) {
				t.Fatalf("got\n%v\nwant the error at s.avsc:1:%d\n%s", diags, col, c.want)
			}
		})
	}
}

// timestamp-nanos and local-timestamp-nanos are logical types of long;
// on another type they are ignored (and Strict).
func TestNanosecondTimestampsAreLogicalTypes(t *testing.T) {
	for _, lt := range []string{TimestampNanos, LocalTimestampNanos} {
		set, diags := parseOne(t, record(`{"name":"at","type":{"type":"long","logicalType":"`+lt+`"}},{"name":"bad","type":{"type":"int","logicalType":"`+lt+`"}}`))
		at := set.Named["R"].Fields[0].Type
		if at.Logical != lt || at.Describe() != "long("+lt+")" || at.Attrs != nil {
			t.Errorf("%s: parsed as %s, props %v", lt, at.Describe(), at.Attrs)
		}
		if bad := set.Named["R"].Fields[1].Type; bad.Logical != "" || bad.Attrs == nil || len(bad.Attrs.Props) != 1 {
			t.Errorf("%s on int: logical %q, props %v; want none, the attribute kept", lt, bad.Logical, bad.Attrs)
		}
		if len(diags) != 1 || !diags[0].Strict || !strings.Contains(diags[0].Msg, `logical type "`+lt+`" applies to type "long", not "int"`) {
			t.Errorf("%s on int: %v", lt, diags)
		}
		if got := FullSchema(set.Named["R"]); !strings.Contains(got, `{"type":"long","logicalType":"`+lt+`"}`) {
			t.Errorf("%s: full schema %s", lt, got)
		}
		if got := CanonicalForm(set.Named["R"]); got != `{"name":"R","type":"record","fields":[{"name":"at","type":"long"},{"name":"bad","type":"int"}]}` {
			t.Errorf("%s: canonical form %s", lt, got)
		}
	}
}

// Strict problems leave the schema valid Avro: Lenient drops them.
func TestStrictProblemsAreValidAvro(t *testing.T) {
	_, diags := parseOne(t, record(
		`{"name":"a","type":{"type":"long","logicalType":"timestamp-milis"}},`+
			`{"name":"b","type":{"type":"record","name":"S","fields":[{"name":"x","type":"int"}]},"default":{"x":1,"y":2}},`+
			`{"name":"c","type":"int","default":"one"}`))
	if len(diags) != 3 {
		t.Fatalf("got %v", diags)
	}
	lenient := diags.Lenient()
	if len(lenient) != 1 || !strings.Contains(lenient[0].Msg, `field "c"`) {
		t.Errorf("Lenient() = %v, want only the bad int default", lenient)
	}
	for _, want := range []string{`did you mean "timestamp-millis"?`, `record "S" has no field "y"`} {
		found := false
		for _, d := range diags {
			found = found || d.Strict && strings.Contains(d.Msg, want)
		}
		if !found {
			t.Errorf("no Strict problem %q in %v", want, diags)
		}
	}
}

// The fingerprint is CRC-64-AVRO; the specification's test vector for
// "int" and the empty string's fixed point.
func TestFingerprint(t *testing.T) {
	if got := Fingerprint(""); got != 0xc15d213aa4d7a795 {
		t.Errorf("Fingerprint(\"\") = %#x", got)
	}
	// The Avro specification's example: fingerprint64 of "int" written
	// little-endian is 8f 5c 39 3f 1a d5 75 72.
	if got := Fingerprint(`"int"`); got != 0x7275d51a3f395c8f {
		t.Errorf(`Fingerprint("int") = %#x`, got)
	}
}

// Identical definitions merge; different ones are an error at the second.
func TestRepeatedDefinitions(t *testing.T) {
	a := Source{Name: "a.avsc", Data: []byte(`{"type":"fixed","name":"n.F","size":4}`)}
	b := Source{Name: "b.avsc", Data: []byte(`{"type":"record","name":"n.R","fields":[{"name":"f","type":{"type":"fixed","name":"F","namespace":"n","size":4}}]}`)}
	c := Source{Name: "c.avsc", Data: []byte("\n{\"type\":\"fixed\",\"name\":\"n.F\",\"size\":8}")}
	set, diags := Parse(a, b)
	if len(diags) != 0 || set.Named["n.R"].Fields[0].Type != set.Named["n.F"] {
		t.Fatalf("identical definitions: %v", diags)
	}
	_, diags = Parse(a, c)
	if diags.Error() != `c.avsc:2:1: fixed "n.F" is already defined differently at a.avsc:1:1; define it once, or identically` {
		t.Errorf("different definitions: %v", diags)
	}
}
