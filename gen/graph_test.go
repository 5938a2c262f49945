package gen

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faustgen/faustgen/gen/diag"
	"github.com/faustgen/faustgen/gen/topology"
)

// readProject loads a topology file and the .avsc files under its
// schemas: entries, as cmd/faustgen does.
func readProject(t *testing.T, file string) Input {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dir, name := filepath.Dir(file), filepath.Base(file)
	in := Input{Topology: name, Files: map[string][]byte{name: data}}
	top, _ := topology.Parse(name, data)
	for _, src := range top.Schemas {
		root := filepath.Join(dir, filepath.FromSlash(src.Path))
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".avsc") {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(dir, p)
			in.Files[filepath.ToSlash(rel)] = b
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return in
}

// TestGraphGolden draws the examples and a golden case in both formats
// and compares with testdata/graph-<name>.<ext> (-update rewrites them).
func TestGraphGolden(t *testing.T) {
	projects := map[string]string{
		"pageviews": "../examples/pageviews/faustgen.yaml",
		"orders":    "../examples/orders/faustgen.yaml",
		"features":  "testdata/features/faustgen.yaml",
	}
	exts := map[GraphFormat]string{GraphMermaid: "mmd", GraphDot: "dot"}
	for name, file := range projects {
		in := readProject(t, file)
		for _, format := range GraphFormats {
			t.Run(name+"/"+string(format), func(t *testing.T) {
				got, err := Graph(in, format)
				if err != nil {
					t.Fatalf("Graph: %v", err)
				}
				again, _ := Graph(in, format)
				if !bytes.Equal(got, again) {
					t.Errorf("two runs differ")
				}
				golden := filepath.Join("testdata", "graph-"+name+"."+exts[format])
				if *update {
					writeGolden(t, golden, got)
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test ./gen -run TestGraphGolden -update)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("graph differs from %s (run go test ./gen -run TestGraphGolden -update to accept)\ngot:\n%s", golden, got)
				}
			})
		}
	}
}

// TestGraphShowsTheTopology checks the edges of the page-views example
// one by one, so a golden accepted by mistake cannot hide a lost edge.
func TestGraphShowsTheTopology(t *testing.T) {
	in := readProject(t, "../examples/pageviews/faustgen.yaml")
	m, err := Graph(in, GraphMermaid)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Graph(in, GraphDot)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"topic_PageViews --> agent_CountViews",
		"topic_PageViews --> agent_NormalizeViews",
		"agent_CountViews <-->|read-write| table_ViewsPerPage",
		"table_PageInfo -.->|lookup| agent_CountViews",
		"agent_CountViews --> topic_PageCounts",
		"agent_NormalizeViews --> topic_NormalizedViews",
		"agent_CountViews -.->|on error| dlq_CountViews",
		`table_PageInfo[("global table page_info<br/>string → com.example.pageviews.Page")]`,
		"tumbling 1h, grace 10m, expires 1d",
		"changelog: pageviews-views_total-changelog",
		"topic_Pages ==>|changelog| table_PageInfo",
		"class table_PageInfo global",
	} {
		if !strings.Contains(string(m), want) {
			t.Errorf("mermaid lacks %q:\n%s", want, m)
		}
	}
	for _, want := range []string{
		"\ttopic_PageViews -> agent_CountViews;\n",
		"\tagent_CountViews -> table_ViewsPerPage [dir=both, label=\"read-write\"];\n",
		"\ttable_PageInfo -> agent_CountViews [style=dashed, label=\"lookup\"];\n",
		"\tagent_CountViews -> topic_PageCounts;\n",
		"peripheries=2, label=\"global table page_info",
	} {
		if !strings.Contains(string(d), want) {
			t.Errorf("dot lacks %q:\n%s", want, d)
		}
	}
	// The topic pages has no agent: a node without edges.
	if !strings.Contains(string(m), "topic_Pages([") || strings.Contains(string(m), "topic_Pages -") {
		t.Errorf("topic pages should be a node without edges:\n%s", m)
	}
}

func TestGraphBadInputIsGenerateDiagnostics(t *testing.T) {
	for _, name := range []string{"err_unknown_topic", "err_bad_yaml", "err_unknown_type_broken_schema"} {
		in := readCase(t, filepath.Join("testdata", name))
		_, err := Graph(in, GraphDot)
		var l diag.List
		if !errors.As(err, &l) {
			t.Fatalf("%s: Graph error %v is not a diag.List", name, err)
		}
		if got, want := err.Error()+"\n", string(in.Files["errors.txt"]); got != want {
			t.Errorf("%s: got\n%s\nwant\n%s", name, got, want)
		}
	}
	if _, err := Graph(readCase(t, "testdata/features"), "svg"); err == nil || !strings.Contains(err.Error(), "mermaid or dot") {
		t.Errorf("unknown format: %v", err)
	}
}
