package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestGraphPrintsTheGoldenGraphs runs the command on the examples: its
// output is gen's golden graph, in both formats, mermaid by default.
func TestGraphPrintsTheGoldenGraphs(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		golden string
	}{
		{[]string{"-f", "../../examples/pageviews/faustgen.yaml"}, "graph-pageviews.mmd"},
		{[]string{"-f", "../../examples/pageviews/faustgen.yaml", "--format", "dot"}, "graph-pageviews.dot"},
		{[]string{"-format=mermaid", "-f", "../../examples/orders/faustgen.yaml"}, "graph-orders.mmd"},
		{[]string{"-f", "../../examples/orders/faustgen.yaml", "-format", "dot"}, "graph-orders.dot"},
	} {
		want, err := os.ReadFile(filepath.Join("../../gen/testdata", tc.golden))
		if err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := runCLI(append([]string{"graph"}, tc.args...)...)
		if code != exitOK || stderr != "" {
			t.Fatalf("graph %v: exit %d\n%s", tc.args, code, stderr)
		}
		if stdout != string(want) {
			t.Errorf("graph %v differs from gen/testdata/%s:\n%s", tc.args, tc.golden, stdout)
		}
	}
}

func TestGraphRefusesBadInput(t *testing.T) {
	bad := newProject(t, "agents:\n  a: {source: nowhere}\n")
	diagRE := regexp.MustCompile(`(?m)^faustgen\.yaml:\d+:\d+: agent "a": .*nowhere`)
	for _, tc := range []struct {
		name string
		args []string
		want *regexp.Regexp
	}{
		{"unknown source topic", []string{"-f", bad}, diagRE},
		{"unknown source topic, dot", []string{"-f", bad, "--format", "dot"}, diagRE},
		{"unknown format", []string{"-f", bad, "--format", "svg"}, regexp.MustCompile(`unknown --format "svg"; use mermaid or dot`)},
		{"missing file", []string{"-f", filepath.Join(t.TempDir(), "faustgen.yaml")}, regexp.MustCompile(`read topology: .*no such file`)},
		{"extra argument", []string{"-f", bad, "extra"}, regexp.MustCompile(`unexpected argument "extra"`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(append([]string{"graph"}, tc.args...)...)
			if code != exitBadInput {
				t.Errorf("exit %d, want %d", code, exitBadInput)
			}
			if stdout != "" {
				t.Errorf("printed a graph for bad input:\n%s", stdout)
			}
			if !tc.want.MatchString(stderr) {
				t.Errorf("stderr does not match %s:\n%s", tc.want, stderr)
			}
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine") {
				t.Errorf("a Go stack on stderr:\n%s", stderr)
			}
		})
	}
}
