package deps

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const (
	module  = "github.com/faustgen/faustgen"
	kfake   = "github.com/twmb/franz-go/pkg/kfake"
	srembed = module + "/runtime/srembed"
	runtime = module + "/runtime"
	genapi  = runtime + "/genapi"
	engine  = runtime + "/internal/engine"
)

// TestDependencyRules lists the dependencies of binaries and packages
// with go list -deps: a production main (testdata/prodmain: the generated
// package and runtime, no runtime/embedded) links the engine through
// runtime/genapi but no test broker; a demo that imports runtime/embedded
// does; the faustgen command links no runtime; the engine links no test
// broker either, and runtime (what users import) does not import the
// engine that implements it.
func TestDependencyRules(t *testing.T) {
	for _, tc := range []struct {
		pkg           string
		want, without []string
	}{
		{pkg: "./testdata/prodmain", want: []string{runtime, genapi, engine}, without: []string{kfake, srembed, module + "/runtime/embedded"}},
		{pkg: engine, want: []string{runtime}, without: []string{kfake, srembed, module + "/runtime/embedded", genapi}},
		{pkg: runtime, without: []string{engine, genapi, kfake, srembed, module + "/runtime/embedded"}},
		{pkg: module + "/examples/pageviews/demo", want: []string{runtime, kfake, srembed}},
		{pkg: module + "/cmd/faustgen", want: []string{module + "/compat", module + "/gen"}, without: []string{runtime, kfake, srembed}},
	} {
		t.Run(filepath.Base(tc.pkg), func(t *testing.T) {
			deps := goListDeps(t, tc.pkg)
			for _, w := range tc.want {
				if !slices.Contains(deps, w) {
					t.Errorf("%s does not depend on %s", tc.pkg, w)
				}
			}
			for _, w := range tc.without {
				for _, d := range deps {
					if d == w || strings.HasPrefix(d, w+"/") {
						t.Errorf("%s depends on %s", tc.pkg, d)
					}
				}
			}
		})
	}
}

// TestEmbeddedWithoutTheImportNamesIt runs the production main with
// FAUSTGEN_EMBEDDED=true: it fails at once with an error naming the
// import that links the dev cluster.
func TestEmbeddedWithoutTheImportNamesIt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	bin := filepath.Join(t.TempDir(), "prodmain")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/prodmain").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(cmd.Environ(), "FAUSTGEN_EMBEDDED=true")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err == nil {
		t.Fatal("prodmain with FAUSTGEN_EMBEDDED=true ran")
	}
	if want := `import _ "github.com/faustgen/faustgen/runtime/embedded"`; !strings.Contains(stderr.String(), want) {
		t.Fatalf("stderr %q does not name %s", stderr.String(), want)
	}
	t.Log(stderr.String())
}

func goListDeps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, stderr)
	}
	return strings.Fields(string(out))
}
