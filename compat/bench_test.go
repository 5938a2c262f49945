package compat

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// benchSchema renders version v of subject n: a record of ~25 fields with a
// nested record, an enum, arrays, a map, unions and a decimal; every
// version adds one optional field.
func benchSchema(n, v int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"type":"record","name":"Event%d","namespace":"bench.s%d","fields":[`, n, n)
	b.WriteString(`{"name":"id","type":"string"},{"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},`)
	b.WriteString(`{"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","OPEN","DONE","LOST"],"default":"NEW"}},`)
	b.WriteString(`{"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":18,"scale":2}},`)
	b.WriteString(`{"name":"lines","type":{"type":"array","items":{"type":"record","name":"Line","fields":[{"name":"sku","type":"string"},{"name":"qty","type":"int"},{"name":"note","type":["null","string"],"default":null}]}}},`)
	b.WriteString(`{"name":"attrs","type":{"type":"map","values":"string"}},`)
	b.WriteString(`{"name":"next","type":["null","Line"],"default":null}`)
	for i := 0; i < 15; i++ {
		fmt.Fprintf(&b, `,{"name":"f%d","type":"long"}`, i)
	}
	for i := 1; i < v; i++ {
		fmt.Fprintf(&b, `,{"name":"added%d","type":["null","string"],"default":null}`, i)
	}
	b.WriteString(`]}`)
	return b.String()
}

// BenchmarkCheck200Subjects10Versions is `faustgen check` without the disk:
// parse 200 subjects × 10 versions and check each subject's newest version
// against the 9 before it at FULL_TRANSITIVE. It reports the run's share of
// the 2 s budget and its cost relative to decoding the same JSON with
// encoding/json (measured in the same run).
func BenchmarkCheck200Subjects10Versions(b *testing.B) {
	const subjects, versions = 200, 10
	texts := make([][]string, subjects)
	for n := range texts {
		for v := 1; v <= versions; v++ {
			texts[n] = append(texts[n], benchSchema(n, v))
		}
	}
	// Baseline: decode every document with encoding/json into any.
	baseStart := time.Now()
	for _, vs := range texts {
		for _, t := range vs {
			var x any
			if err := json.Unmarshal([]byte(t), &x); err != nil {
				b.Fatal(err)
			}
		}
	}
	baseline := time.Since(baseStart)

	b.ResetTimer()
	for b.Loop() {
		for n, vs := range texts {
			var hist []*Schema
			for v, t := range vs {
				s, err := Parse(fmt.Sprintf("v%d", v+1), Source{Name: fmt.Sprintf("s%d.avsc", n), Data: []byte(t)})
				if err != nil {
					b.Fatal(err)
				}
				hist = append(hist, s)
			}
			if res := Check(hist[:versions-1], hist[versions-1], FullTransitive); !res.Compatible {
				b.Fatalf("subject %d: %v", n, res.Findings)
			}
		}
	}
	perRun := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(perRun.Seconds()/2.0, "budget-used(2s)")
	b.ReportMetric(float64(perRun)/float64(baseline), "x-encoding/json")
}
