package compat

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// needTool finds a program; without it the test skips locally and fails
// when CI=true, so CI can never pass by silently skipping.
func needTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required when CI=true: %v", name, err)
		}
		t.Skipf("%s not installed: %v", name, err)
	}
	return path
}

// TestCorpusAgreesWithJavaSchemaCompatibility runs every corpus case
// through Apache Avro's Java SchemaCompatibility (scripts/java-compat) and
// expects its verdict to equal ours, except where a case records a known
// disagreement with "java: VERDICT reason" (decimals and other logical
// types, which Java ignores).
func TestCorpusAgreesWithJavaSchemaCompatibility(t *testing.T) {
	if testing.Short() && os.Getenv("CI") != "true" {
		t.Skip("builds a Java program with Maven; skipped with -short")
	}
	mvn := needTool(t, "mvn")
	java := needTool(t, "java")
	project, err := filepath.Abs(filepath.Join("..", "scripts", "java-compat"))
	if err != nil {
		t.Fatal(err)
	}
	build := exec.Command(mvn, "-q", "-B", "package", "dependency:build-classpath", "-Dmdep.outputFile=target/classpath.txt")
	build.Dir = project
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build scripts/java-compat with Maven: %v\n%s", err, out)
	}
	cp, err := os.ReadFile(filepath.Join(project, "target", "classpath.txt"))
	if err != nil {
		t.Fatal(err)
	}

	cases := loadCorpus(t)
	dir := t.TempDir()
	var input strings.Builder
	write := func(c evolutionCase, label string, srcs []Source) string {
		var paths []string
		for i, s := range srcs {
			p := filepath.Join(dir, c.name, fmt.Sprintf("%s-%d.avsc", label, i))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, s.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, p)
		}
		return strings.Join(paths, ",")
	}
	for _, c := range cases {
		var hist []string
		for i, v := range c.history {
			hist = append(hist, write(c, fmt.Sprintf("v%d", i+1), v))
		}
		fmt.Fprintf(&input, "%s\t%s\t%s\t%s\n", c.name, c.level, strings.Join(hist, ";"), write(c, "new", c.candidate))
	}
	run := exec.Command(java, "-cp", filepath.Join(project, "target", "classes")+string(os.PathListSeparator)+strings.TrimSpace(string(cp)), "faustgen.CompatCheck")
	run.Stdin = strings.NewReader(input.String())
	var stderr bytes.Buffer
	run.Stderr = &stderr
	out, err := run.Output()
	if err != nil {
		t.Fatalf("run CompatCheck: %v\n%s", err, stderr.String())
	}
	got := map[string][2]string{}
	// Not TrimSpace: a compatible last case ends in its empty detail's tab.
	for _, line := range strings.Split(strings.TrimRight(string(out), "\r\n"), "\n") {
		parts := strings.SplitN(line, "\t", 3)
		if len(parts) == 3 {
			got[parts[0]] = [2]string{parts[1], parts[2]}
		}
	}
	disagreements := 0
	for _, c := range cases {
		want := "incompatible"
		if c.compat {
			want = "compatible"
		}
		if c.java != "" {
			want = c.java
			disagreements++
		}
		g, ok := got[c.name]
		if !ok {
			t.Errorf("%s: no answer from Java", c.name)
			continue
		}
		if g[0] != want {
			t.Errorf("%s (%s): Java says %s (%s), want %s", c.name, c.level, g[0], g[1], want)
		}
	}
	t.Logf("%d cases checked against Java; %d documented disagreements", len(cases), disagreements)
}
