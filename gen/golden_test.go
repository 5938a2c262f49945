package gen

import (
	"bytes"
	"errors"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected output (or errors.txt) of the golden cases in testdata/")

// A golden case is a folder testdata/<case>/ holding faustgen.yaml, the
// schemas it lists, and either the expected generated files (where its
// app.output points) or errors.txt, the expected diagnostics.

// readCase loads every file of a case folder, as cmd/faustgen would hand
// them to Generate (paths relative to the topology's folder).
func readCase(t *testing.T, dir string) Input {
	t.Helper()
	in := Input{Topology: "faustgen.yaml", Files: map[string][]byte{}}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		in.Files[filepath.ToSlash(rel)] = data
		return nil
	})
	if err != nil {
		t.Fatalf("read case %s: %v", dir, err)
	}
	return in
}

func goldenCases(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	var cases []string
	for _, e := range entries {
		if e.IsDir() && e.Name() != "fuzz" { // fuzz: go test's corpus folder
			cases = append(cases, e.Name())
		}
	}
	if len(cases) == 0 {
		t.Fatal("no golden cases in testdata/")
	}
	return cases
}

func TestGolden(t *testing.T) {
	for _, name := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", name)
			in := readCase(t, dir)
			out, err := Generate(in)
			errorsFile := filepath.Join(dir, "errors.txt")
			_, wantErr := in.Files["errors.txt"]
			if *update {
				if err != nil {
					writeGolden(t, errorsFile, []byte(err.Error()+"\n"))
				} else {
					os.Remove(errorsFile)
					for p, data := range out {
						writeGolden(t, filepath.Join(dir, filepath.FromSlash(p)), data)
					}
				}
				return
			}
			if wantErr {
				if err == nil {
					t.Fatalf("Generate succeeded; want the errors in %s", errorsFile)
				}
				if got, want := err.Error()+"\n", string(in.Files["errors.txt"]); got != want {
					t.Errorf("errors differ (run go test ./gen -run TestGolden -update to accept)\ngot:\n%s\nwant:\n%s", got, want)
				}
				if out != nil {
					t.Errorf("Generate returned files along with errors")
				}
				return
			}
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			for p, data := range out {
				want, ok := in.Files[p]
				if !ok {
					t.Errorf("%s is generated but not in the case (run with -update)", p)
					continue
				}
				if !bytes.Equal(data, want) {
					t.Errorf("%s differs from the expected output (run go test ./gen -run TestGolden -update to accept)", p)
				}
			}
			for p, data := range in.Files {
				if strings.HasSuffix(p, ".go") && bytes.HasPrefix(data, []byte("// "+Header)) && out[p] == nil {
					t.Errorf("%s is expected but no longer generated", p)
				}
			}
		})
	}
}

func writeGolden(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// goTool finds the go command; the golden packages must compile, so its
// absence is a failure, not a skip.
func goTool(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	t.Fatalf("the go command is needed to compile the generated golden packages: %v", errors.New("not on PATH (go test puts GOROOT/bin there)"))
	return ""
}

// TestGoldenPackagesCompile builds and vets the expected output of every
// successful case, inside this module so it links the real runtime.
func TestGoldenPackagesCompile(t *testing.T) {
	var pkgs []string
	for _, name := range goldenCases(t) {
		dir := filepath.Join("testdata", name)
		in := readCase(t, dir)
		if _, failing := in.Files["errors.txt"]; failing {
			continue
		}
		dirs := map[string]bool{}
		for p, data := range in.Files {
			if strings.HasSuffix(p, ".go") && bytes.HasPrefix(data, []byte("// "+Header)) {
				dirs[path.Dir(p)] = true
			}
		}
		if len(dirs) == 0 {
			t.Errorf("case %s has neither errors.txt nor generated files", name)
		}
		for d := range dirs {
			pkgs = append(pkgs, "./"+filepath.ToSlash(filepath.Join(dir, d)))
		}
	}
	sort.Strings(pkgs)
	cmd := exec.Command(goTool(t), append([]string{"vet"}, pkgs...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go vet %s: %v\n%s", strings.Join(pkgs, " "), err, out)
	}
}

var headerRE = regexp.MustCompile(`^// Code generated .* DO NOT EDIT\.$`)

// TestGeneratedFilesAreHeadedDocumentedAndDeterministic checks what every
// generated file must be, on every successful case.
func TestGeneratedFilesAreHeadedDocumentedAndDeterministic(t *testing.T) {
	for _, name := range goldenCases(t) {
		in := readCase(t, filepath.Join("testdata", name))
		if _, failing := in.Files["errors.txt"]; failing {
			continue
		}
		first, err := Generate(in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i := 0; i < 3; i++ {
			again, _ := Generate(in)
			for p := range first {
				if !bytes.Equal(first[p], again[p]) {
					t.Errorf("%s: %s differs between two runs", name, p)
				}
			}
		}
		for p, data := range first {
			line, _, _ := strings.Cut(string(data), "\n")
			if !headerRE.MatchString(line) || line != "// "+Header {
				t.Errorf("%s: %s starts with %q", name, p, line)
			}
			if regexp.MustCompile(`(?i)faustgen (v\d|\(devel\))`).Match(data) {
				t.Errorf("%s: %s names a faustgen version", name, p)
			}
			f, err := parser.ParseFile(token.NewFileSet(), p, data, parser.ParseComments)
			if err != nil {
				t.Errorf("%s: %s does not parse: %v", name, p, err)
				continue
			}
			// Members (struct fields, interface methods) are checked in
			// topology.go; types.go documents fields from the schemas' docs.
			for _, u := range undocumented(f, strings.HasSuffix(p, "topology.go")) {
				t.Errorf("%s: %s: exported %s has no doc comment", name, p, u)
			}
		}
	}
}

// undocumented lists exported top-level names and methods without a doc
// comment, and with members, exported struct fields and interface methods.
func undocumented(f *ast.File, members bool) []string {
	var out []string
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if d.Name.IsExported() && d.Doc == nil {
				out = append(out, d.Name.Name)
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					if s.Name.IsExported() && d.Doc == nil && s.Doc == nil {
						out = append(out, s.Name.Name)
					}
					if members {
						out = append(out, undocumentedMembers(s)...)
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.IsExported() && d.Doc == nil && s.Doc == nil {
							out = append(out, n.Name)
						}
					}
				}
			}
		}
	}
	return out
}

func undocumentedMembers(s *ast.TypeSpec) []string {
	var fields *ast.FieldList
	switch t := s.Type.(type) {
	case *ast.StructType:
		fields = t.Fields
	case *ast.InterfaceType:
		fields = t.Methods
	default:
		return nil
	}
	var out []string
	for _, f := range fields.List {
		for _, n := range f.Names {
			if n.IsExported() && f.Doc == nil && f.Comment == nil {
				out = append(out, s.Name.Name+"."+n.Name)
			}
		}
	}
	return out
}
