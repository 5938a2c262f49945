package avsc

import (
	"strings"
	"testing"

	"github.com/faustgen/faustgen/compat"
)

// A record that can only contain itself through required fields has no
// finite value: the generator and compat's parser (so faustgen compat,
// check and the embedded registry) both refuse it, with the same message at
// the same place; a field that is optional, an array or a map, or a union
// with a branch that ends, makes the type fine.
func TestRecordsWithoutAFiniteValueAreRefusedAlikeByGenerateAndCompat(t *testing.T) {
	cases := []struct {
		name   string
		schema string
		want   []string // "line:col: record ... (path)"; none: the schema is fine
	}{
		{"self", `{"type":"record","name":"R","fields":[{"name":"next","type":"R"}]}`,
			[]string{"1:1: record R has no finite value: its required fields always lead back into a cycle (R.next → R)"}},
		{"mutual through an inline definition", `{"type":"record","name":"A","namespace":"x","fields":[{"name":"b","type":{"type":"record","name":"B","fields":[{"name":"a","type":"A"}]}}]}`,
			[]string{"1:1: record x.A has no finite value: its required fields always lead back into a cycle (A.b → B.a → A)",
				"1:74: record x.B has no finite value: its required fields always lead back into a cycle (B.a → A.b → B)"}},
		{"union of records without one", `[{"type":"record","name":"P","fields":[{"name":"q","type":["P","Q"]}]},{"type":"record","name":"Q","fields":[{"name":"p","type":"P"}]}]`,
			[]string{"1:2: record P has no finite value: its required fields always lead back into a cycle (P.q → P)",
				"1:72: record Q has no finite value: its required fields always lead back into a cycle (Q.p → P.q → P)"}},
		{"nullable", `{"type":"record","name":"R","fields":[{"name":"next","type":["null","R"],"default":null}]}`, nil},
		{"union with a primitive", `{"type":"record","name":"R","fields":[{"name":"next","type":["R","long"]}]}`, nil},
		{"array", `{"type":"record","name":"R","fields":[{"name":"kids","type":{"type":"array","items":"R"}}]}`, nil},
		{"map", `{"type":"record","name":"R","fields":[{"name":"kids","type":{"type":"map","values":"R"}}]}`, nil},
		{"through a finite record", `[{"type":"record","name":"L","fields":[{"name":"next","type":["null","L"],"default":null}]},{"type":"record","name":"R","fields":[{"name":"l","type":"L"}]}]`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var want []string
			for _, w := range c.want {
				want = append(want, "s.avsc:"+w+`; make a field on the cycle optional (a union with "null", default null), an array or a map`)
			}
			_, genErr := Load([]File{{Path: "s.avsc", Data: []byte(c.schema)}})
			_, compatErr := compat.ParseSet("v", compat.Source{Name: "s.avsc", Data: []byte(c.schema)})
			for tool, err := range map[string]error{"generate": genErr, "compat": compatErr} {
				var got []string
				if err != nil {
					got = strings.Split(err.Error(), "\n")
				}
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("%s:\n got %q\nwant %q", tool, got, want)
				}
			}
		})
	}
}
