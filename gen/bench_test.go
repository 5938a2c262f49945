package gen

import (
	"fmt"
	"go/format"
	"strings"
	"syscall"
	"testing"
	"time"
)

// syntheticProject builds a project of n schemas and n*2/5 topics (500
// schemas: 200 topics), with a table and an agent per five topics. Every
// tenth schema is an enum; records nest the previous record, hold a
// nullable field, an array, a map, a timestamp and a general union.
func syntheticProject(n int) Input {
	files := map[string][]byte{}
	for i := 0; i < n; i++ {
		var s string
		if i%10 == 9 {
			s = fmt.Sprintf(`{"type": "enum", "name": "Enum%d", "namespace": "bench.ns%d", "symbols": ["A", "B", "C"], "default": "A"}`, i, i%7)
		} else {
			prev := ""
			if i > 0 && (i-1)%10 != 9 {
				prev = fmt.Sprintf(`, {"name": "prev", "type": ["null", "bench.ns%d.Rec%d"], "default": null}`, (i-1)%7, i-1)
			}
			s = fmt.Sprintf(`{"type": "record", "name": "Rec%d", "namespace": "bench.ns%d", "doc": "Synthetic record %d.", "fields": [
  {"name": "id", "type": "string"},
  {"name": "count", "type": "long", "default": 0},
  {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
  {"name": "tags", "type": {"type": "array", "items": "string"}, "default": []},
  {"name": "attrs", "type": {"type": "map", "values": "double"}, "default": {}},
  {"name": "note", "type": ["null", "string"], "default": null},
  {"name": "value", "type": ["long", "string", "boolean"]}%s
]}`, i, i%7, i, prev)
		}
		files[fmt.Sprintf("schemas/s%04d.avsc", i)] = []byte(s)
	}
	var y strings.Builder
	y.WriteString("version: 1\napp: {id: bench, package: bench, output: gen}\nschemas: [schemas/]\ntopics:\n")
	topics := n * 2 / 5
	rec := func(i int) string {
		i = i % n
		if i%10 == 9 {
			i--
		}
		return fmt.Sprintf("bench.ns%d.Rec%d", i%7, i)
	}
	for i := 0; i < topics; i++ {
		fmt.Fprintf(&y, "  topic_%d: {key: string, value: %s, partitions: 8}\n", i, rec(i*5/2))
	}
	y.WriteString("tables:\n")
	for i := 0; i < topics/5; i++ {
		fmt.Fprintf(&y, "  table_%d: {key: string, value: %s, partitions: 8}\n", i, rec(i*3))
	}
	y.WriteString("agents:\n")
	for i := 0; i < topics/5; i++ {
		fmt.Fprintf(&y, "  agent_%d: {source: topic_%d, tables: [table_%d], sinks: [topic_%d, topic_%d]}\n", i, i*5, i, i*5+1, i*5+2)
	}
	files["faustgen.yaml"] = []byte(y.String())
	return Input{Topology: "faustgen.yaml", Files: files}
}

// cpuTime returns the CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestSyntheticProjectGenerates(t *testing.T) {
	out, err := Generate(syntheticProject(50))
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if len(out["gen/types.go"]) == 0 || !strings.Contains(string(out["gen/topology.go"]), "func (a *App) Topic19()") {
		t.Errorf("unexpected output: %d files", len(out))
	}
}

// BenchmarkGenerate times Generate on synthetic projects of 50 to 500
// schemas (20 to 200 topics). Besides ns/op it reports:
//   - budget: the time as a fraction of the 1 s target for 500 schemas;
//   - x-gofmt: the time over that of gofmt-ing the same output, measured
//     in the same run, a ceiling every Go generator pays at least once;
//   - cpu-s/op: CPU seconds (user+system) of this process per Generate,
//     less sensitive than ns/op to other processes on a shared machine.
//
// Run: go test ./gen -run '^$' -bench Generate -benchtime 5x
func BenchmarkGenerate(b *testing.B) {
	for _, n := range []int{50, 100, 200, 500} {
		in := syntheticProject(n)
		b.Run(fmt.Sprintf("schemas=%d/topics=%d", n, n*2/5), func(b *testing.B) {
			var out map[string][]byte
			var err error
			cpu0 := cpuTime()
			for b.Loop() {
				out, err = Generate(in)
				if err != nil {
					b.Fatal(err)
				}
			}
			perOp := b.Elapsed() / time.Duration(b.N)
			cpuPerOp := (cpuTime() - cpu0) / time.Duration(b.N)
			b.StopTimer()
			start := time.Now()
			const rounds = 3
			for range rounds {
				for _, src := range out {
					if _, err := format.Source(src); err != nil {
						b.Fatal(err)
					}
				}
			}
			gofmt := time.Since(start) / rounds
			b.ReportMetric(float64(perOp)/float64(time.Second), "budget")
			b.ReportMetric(float64(perOp)/float64(gofmt), "x-gofmt")
			b.ReportMetric(cpuPerOp.Seconds(), "cpu-s/op")
		})
	}
}

// deepProject builds one schema file of n named types in one deep schema:
// Rec0 holds Rec1, which holds Rec2, ... down to Rec(n-1), each also
// using a shared enum and fixed and a nullable link back to Rec0, and a
// topic whose value is Rec0. Every codec's full schema defines every type
// below its own.
func deepProject(n int) Input {
	var s strings.Builder
	s.WriteString(`[{"type": "enum", "name": "Color", "namespace": "deep", "symbols": ["RED", "GREEN"]},` + "\n")
	s.WriteString(`{"type": "fixed", "name": "Id", "namespace": "deep", "size": 16},` + "\n")
	for i := 0; i < n-2; i++ {
		next := ""
		if i < n-3 {
			next = fmt.Sprintf(`, {"name": "next", "type": "deep.Rec%d", "doc": "The next level."}`, i+1)
		}
		fmt.Fprintf(&s, `{"type": "record", "name": "Rec%d", "namespace": "deep", "doc": "Level %d.", "fields": [
  {"name": "id", "type": "deep.Id"},
  {"name": "color", "type": "deep.Color", "default": "RED"},
  {"name": "label", "type": "string", "default": ""},
  {"name": "top", "type": ["null", "deep.Rec0"], "default": null}%s
]}`, i, i, next)
		if i < n-3 {
			s.WriteString(",\n")
		}
	}
	s.WriteString("]\n")
	return Input{Topology: "faustgen.yaml", Files: map[string][]byte{
		"schemas/deep.avsc": []byte(s.String()),
		"faustgen.yaml":     []byte("version: 1\napp: {id: deep, package: deep, output: gen}\nschemas: [schemas/]\ntopics:\n  levels: {key: string, value: deep.Rec0, partitions: 1}\n"),
	}}
}

// BenchmarkGenerateDeepSchema generates one deep schema of 10 to 500
// named types (see deepProject) and reports the generated size and the
// generate time per named type, and both over those of the 10-type schema
// measured in the same run (x10-bytes/type, x10-time/type): about 1 when
// output and time grow linearly with the schema, n/10 when quadratically.
//
// Run: go test ./gen -run '^$' -bench GenerateDeepSchema -benchtime 3x
func BenchmarkGenerateDeepSchema(b *testing.B) {
	var baseBytes, baseTime float64 // per type, of the 10-type schema
	for _, n := range []int{10, 50, 100, 500} {
		in := deepProject(n)
		b.Run(fmt.Sprintf("types=%d", n), func(b *testing.B) {
			var out map[string][]byte
			var err error
			for b.Loop() {
				out, err = Generate(in)
				if err != nil {
					b.Fatal(err)
				}
			}
			size := 0
			for _, src := range out {
				size += len(src)
			}
			perType := float64(size) / float64(n)
			timePerType := float64(b.Elapsed()) / float64(b.N) / float64(n)
			if n == 10 {
				baseBytes, baseTime = perType, timePerType
			}
			b.ReportMetric(float64(size), "bytes")
			b.ReportMetric(perType, "bytes/type")
			b.ReportMetric(timePerType/1e3, "µs/type")
			if baseBytes > 0 {
				b.ReportMetric(perType/baseBytes, "x10-bytes/type")
				b.ReportMetric(timePerType/baseTime, "x10-time/type")
			}
		})
	}
}

// The deep schema generates, and the full schema of its root type holds
// every named type once.
func TestDeepProjectGenerates(t *testing.T) {
	out, err := Generate(deepProject(10))
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if !strings.Contains(string(out["gen/types.go"]), "type Rec7 struct") {
		t.Fatal("Rec7 is not generated")
	}
}
