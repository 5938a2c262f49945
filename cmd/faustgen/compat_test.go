package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeSchemaFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCompatCommandExitCodesAndFindings(t *testing.T) {
	dir := writeSchemaFiles(t, map[string]string{
		"v1.avsc":     `{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"qty","type":"int"}]}`,
		"v2.avsc":     `{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"qty","type":"int"},{"name":"note","type":"string","default":""}]}`,
		"v3.avsc":     "{\"type\":\"record\",\"name\":\"Order\",\"fields\":[\n  {\"name\":\"id\",\"type\":\"string\"},\n  {\"name\":\"qty\",\"type\":\"string\"},\n  {\"name\":\"note\",\"type\":\"string\"}]}",
		"bad.avsc":    "{\"type\":\"record\",\n \"name\":\"Order\",\n \"fields\": [ {\"name\":\"id\" \"type\":\"string\"}]}",
		"money1.avsc": `{"type":"record","name":"Money","fields":[{"name":"units","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}}]}`,
		"money2.avsc": `{"type":"record","name":"Money","fields":[{"name":"units","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":3}}]}`,
		"inv.avsc":    `{"type":"record","name":"Invoice","fields":[{"name":"total","type":"Money"}]}`,
		"ref.avsc":    "{\"type\":\"record\",\"name\":\"Order\",\n\"fields\":[{\"name\":\"m\",\"type\":\"Money\"}]}",
		"self.avsc":   "{\"type\":\"record\",\"name\":\"Order\",\"fields\":[\n {\"name\":\"next\",\"type\":\"Order\"}]}",
	})
	p := func(n string) string { return filepath.Join(dir, n) }
	cases := []struct {
		name     string
		args     []string
		code     int
		contains []string
	}{
		{"compatible", []string{p("v1.avsc"), p("v2.avsc"), "--level", "BACKWARD"}, 0, []string{"compatible at BACKWARD"}},
		{"backward only latest", []string{p("v1.avsc"), p("v2.avsc"), p("v3.avsc"), "--level=backward"}, 1,
			[]string{p("v3.avsc") + ":3:24: type-mismatch: Order.qty", "incompatible at BACKWARD: 1 finding"}},
		{"transitive finds missing default against v1", []string{"--level", "BACKWARD_TRANSITIVE", p("v1.avsc"), p("v2.avsc"), p("v3.avsc")}, 1,
			[]string{p("v3.avsc") + ":4:3: field-added-no-default: Order.note", "3 finding"}},
		{"malformed", []string{p("v1.avsc"), p("bad.avsc")}, 2, []string{p("bad.avsc") + ":3:27: invalid JSON: unexpected '\"', expected ',' or '}'"}},
		{"unknown type", []string{p("ref.avsc")}, 2, []string{p("ref.avsc") + ":2:30: unknown type \"Money\""}},
		{"cross-file version", []string{p("money1.avsc") + "," + p("inv.avsc"), p("money2.avsc") + "," + p("inv.avsc")}, 1,
			[]string{p("money2.avsc") + ":1:66: decimal-scale-changed: Invoice.total.units"}},
		{"impossible recursive type", []string{p("v1.avsc"), p("self.avsc")}, 2,
			[]string{p("self.avsc") + ":1:1: record Order has no finite value: its required fields always lead back into a cycle (Order.next → Order)"}},
		{"missing file", []string{p("nope.avsc")}, 2, []string{"nope.avsc"}},
		{"bad level", []string{p("v1.avsc"), "--level", "SIDEWAYS"}, 2, []string{"unknown compatibility level"}},
		{"no files", nil, 2, []string{"usage"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := runCompat(context.Background(), c.args, &out, &errOut)
			all := out.String() + errOut.String()
			if code != c.code {
				t.Errorf("exit %d, want %d; output:\n%s", code, c.code, all)
			}
			for _, s := range c.contains {
				if !strings.Contains(all, s) {
					t.Errorf("output lacks %q:\n%s", s, all)
				}
			}
		})
	}
}

func TestCompatCommandJSONIsOneObjectPerFinding(t *testing.T) {
	dir := writeSchemaFiles(t, map[string]string{
		"v1.avsc": `{"type":"enum","name":"S","symbols":["A","B","C"]}`,
		"v2.avsc": `{"type":"enum","name":"S","symbols":["A"]}`,
	})
	var out, errOut bytes.Buffer
	code := runCompat(context.Background(), []string{filepath.Join(dir, "v1.avsc"), filepath.Join(dir, "v2.avsc"), "--format", "json", "--level", "FULL"}, &out, &errOut)
	if code != 1 {
		t.Fatalf("exit %d, want 1; %s%s", code, out.String(), errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 findings (B and C removed), got:\n%s", out.String())
	}
	for _, l := range lines {
		var f struct {
			Rule, Path, Hint, Direction string
			Pos                         struct {
				File      string
				Line, Col int
			}
		}
		if err := json.Unmarshal([]byte(l), &f); err != nil {
			t.Fatalf("not JSON: %q: %v", l, err)
		}
		if f.Rule != "enum-symbol-removed" || f.Path != "S" || f.Direction != "backward" || f.Pos.Line != 1 || f.Hint == "" {
			t.Errorf("unexpected finding %+v", f)
		}
	}
}

// faustgen compat refuses each schema of the generator's golden case
// err_schema_rules_shared_with_compat with exactly the lines faustgen
// generate reports for it (its errors.txt): one parser decides both.
func TestCompatAndGenerateRefuseTheSameSchemas(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("..", "..", "gen", "testdata", "err_schema_rules_shared_with_compat"))
	if err != nil {
		t.Fatal(err)
	}
	golden, err := os.ReadFile(filepath.Join(dir, "errors.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{} // schema file → its lines of errors.txt
	for _, line := range strings.Split(strings.TrimSpace(string(golden)), "\n") {
		file, _, _ := strings.Cut(line, ":")
		want[file] = append(want[file], line)
	}
	files, err := filepath.Glob(filepath.Join(dir, "schemas", "*.avsc"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no schemas in %s: %v", dir, err)
	}
	t.Chdir(dir) // compat names files as given: the paths errors.txt uses
	for _, f := range files {
		rel := filepath.ToSlash(filepath.Join("schemas", filepath.Base(f)))
		t.Run(rel, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := runCompat(context.Background(), []string{rel, "--level", "BACKWARD"}, &out, &errOut)
			got := strings.Split(strings.TrimSpace(out.String()+errOut.String()), "\n")
			if code != 2 || strings.Join(got, "\n") != strings.Join(want[rel], "\n") {
				t.Errorf("exit %d, want 2; got\n%s\nwant (as faustgen generate)\n%s", code, strings.Join(got, "\n"), strings.Join(want[rel], "\n"))
			}
		})
	}
}
