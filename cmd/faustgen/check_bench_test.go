package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// benchEventSchema renders version v of event type n: ~25 fields with a
// nested record, an enum, arrays, a map, unions and a decimal; each version
// adds one optional field.
func benchEventSchema(n, v int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"type":"record","name":"Event%d","namespace":"bench","fields":[`, n)
	b.WriteString(`{"name":"id","type":"string"},{"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},`)
	fmt.Fprintf(&b, `{"name":"status","type":{"type":"enum","name":"Status%d","symbols":["NEW","OPEN","DONE"],"default":"NEW"}},`, n)
	b.WriteString(`{"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":18,"scale":2}},`)
	fmt.Fprintf(&b, `{"name":"lines","type":{"type":"array","items":{"type":"record","name":"Line%d","fields":[{"name":"sku","type":"string"},{"name":"qty","type":"int"}]}}},`, n)
	b.WriteString(`{"name":"attrs","type":{"type":"map","values":"string"}}`)
	for i := 0; i < 15; i++ {
		fmt.Fprintf(&b, `,{"name":"f%d","type":"long"}`, i)
	}
	for i := 1; i < v; i++ {
		fmt.Fprintf(&b, `,{"name":"added%d","type":["null","string"],"default":null}`, i)
	}
	b.WriteString(`]}`)
	return b.String()
}

// BenchmarkCheckCommand200Subjects10Versions runs `faustgen check` on a
// topology of 200 topics whose value schemas each have 10 earlier versions
// (dir: layout) at FULL_TRANSITIVE: reading, parsing and checking. It
// reports the share of the 2 s budget one run uses, and the ratio to only
// reading the same files from disk, measured in the same run.
func BenchmarkCheckCommand200Subjects10Versions(b *testing.B) {
	const subjects, versions = 200, 10
	dir := b.TempDir()
	var topo strings.Builder
	topo.WriteString("version: 1\napp: {id: bench, package: bench, output: ./gen}\nschemas: [schemas/]\nregistry: {subjects: topic, compatibility: FULL_TRANSITIVE}\ntopics:\n")
	write := func(p, text string) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for n := 0; n < subjects; n++ {
		fmt.Fprintf(&topo, "  t%d: {key: string, value: bench.Event%d, partitions: 1}\n", n, n)
		write(filepath.Join(dir, "schemas", fmt.Sprintf("e%d.avsc", n)), benchEventSchema(n, versions+1))
		for v := 1; v <= versions; v++ {
			write(filepath.Join(dir, "history", fmt.Sprintf("v%02d", v), fmt.Sprintf("e%d.avsc", n)), benchEventSchema(n, v))
		}
	}
	write(filepath.Join(dir, "faustgen.yaml"), topo.String())
	args := []string{"-f", filepath.Join(dir, "faustgen.yaml"), "--against", "dir:" + filepath.Join(dir, "history")}

	// Ceiling reference: read every file once, as check must.
	readStart := time.Now()
	if err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		_, err = os.ReadFile(p)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	readOnly := time.Since(readStart)

	b.ResetTimer()
	for b.Loop() {
		if code := runCheck(context.Background(), args, io.Discard, io.Discard); code != 0 {
			b.Fatalf("check exit %d", code)
		}
	}
	perRun := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(perRun.Seconds()/2.0, "budget-used(2s)")
	b.ReportMetric(float64(perRun)/float64(readOnly), "x-read-files")
}
