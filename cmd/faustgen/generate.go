package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/faustgen/faustgen/gen"
	"github.com/faustgen/faustgen/gen/topology"
)

// project is a topology file and what generating it produces.
type project struct {
	file   string            // the topology file, as given with -f
	dir    string            // the topology's folder, on disk
	input  gen.Input         // what gen.Generate reads
	output map[string][]byte // what it produced, paths relative to dir
}

// topologyFlag parses the -f flag shared by generate and diff.
func topologyFlag(name string, args []string, stderr io.Writer) (string, bool) {
	fset := flag.NewFlagSet("faustgen "+name, flag.ContinueOnError)
	fset.SetOutput(stderr)
	file := fset.String("f", "faustgen.yaml", "the topology file")
	if err := fset.Parse(args); err != nil {
		return "", false
	}
	if fset.NArg() > 0 {
		fmt.Fprintf(stderr, "faustgen %s: unexpected argument %q\n", name, fset.Arg(0))
		return "", false
	}
	return *file, true
}

// loadProject reads the project (readProject) and generates. On failure
// it prints what went wrong and returns the exit code.
func loadProject(file string, stderr io.Writer) (*project, int) {
	p, code := readProject(file, stderr)
	if p == nil {
		return nil, code
	}
	out, err := gen.Generate(p.input)
	if err != nil {
		reportProblems(file, err, "nothing written", stderr)
		return nil, exitBadInput
	}
	p.output = out
	return p, exitOK
}

// reportProblems prints Generate's (or Graph's) diagnostics and a count.
func reportProblems(file string, err error, outcome string, stderr io.Writer) {
	fmt.Fprintln(stderr, err)
	n := strings.Count(err.Error(), "\n") + 1
	fmt.Fprintf(stderr, "faustgen: %d problem%s in %s; %s\n", n, plural(n), file, outcome)
}

// readProject reads the topology and the .avsc files under its schemas:
// entries. On failure it prints what went wrong and returns the exit code.
func readProject(file string, stderr io.Writer) (*project, int) {
	data, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(stderr, "faustgen: read topology: %v\n", err)
		return nil, exitBadInput
	}
	p := &project{file: file, dir: filepath.Dir(file)}
	name := filepath.Base(file)
	p.input = gen.Input{Topology: name, Files: map[string][]byte{name: data}}
	// Only the schemas: entries matter here; the topology's problems are
	// reported by Generate, with the schemas' problems.
	top, _ := topology.Parse(name, data)
	for _, src := range top.Schemas {
		if err := readSchemas(p.dir, src.Path, p.input.Files); err != nil {
			fmt.Fprintf(stderr, "faustgen: read schemas: %v\n", err)
			return nil, exitBadInput
		}
	}
	return p, exitOK
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// readSchemas adds the .avsc file rel, or every .avsc file under the
// folder rel, to files (keys relative to dir, slash-separated). A missing
// path is left for Generate to report with its position.
func readSchemas(dir, rel string, files map[string][]byte) error {
	root := filepath.Join(dir, filepath.FromSlash(rel))
	info, err := os.Stat(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	add := func(p string) error {
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		r, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(r)] = data
		return nil
	}
	if !info.IsDir() {
		return add(root)
	}
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".avsc") {
			return add(p)
		}
		return nil
	})
}

// staleFiles lists generated files in the output folders that this
// generation no longer produces (paths relative to the project dir).
func (p *project) staleFiles() ([]string, error) {
	dirs := map[string]bool{}
	for out := range p.output {
		dirs[path.Dir(out)] = true
	}
	var stale []string
	for d := range dirs {
		entries, err := os.ReadDir(filepath.Join(p.dir, filepath.FromSlash(d)))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			rel := path.Join(d, e.Name())
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || p.output[rel] != nil {
				continue
			}
			data, err := os.ReadFile(filepath.Join(p.dir, filepath.FromSlash(rel)))
			if err != nil {
				return nil, err
			}
			if bytes.HasPrefix(data, []byte("// "+gen.Header+"\n")) {
				stale = append(stale, rel)
			}
		}
	}
	sort.Strings(stale)
	return stale, nil
}

func sortedPaths(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for p := range m {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// generateProject parses the -f flag of command cmd, generates the
// project in memory and lists the stale files in its output folders. On
// failure it has reported to stderr and returns a nil project and the exit
// code.
func generateProject(cmd string, args []string, stderr io.Writer) (*project, []string, int) {
	file, ok := topologyFlag(cmd, args, stderr)
	if !ok {
		return nil, nil, exitBadInput
	}
	p, code := loadProject(file, stderr)
	if p == nil {
		return nil, nil, code
	}
	stale, err := p.staleFiles()
	if err != nil {
		fmt.Fprintf(stderr, "faustgen %s: look for stale generated files: %v\n", cmd, err)
		return nil, nil, exitBadInput
	}
	return p, stale, exitOK
}

func runGenerate(_ context.Context, args []string, stdout, stderr io.Writer) int {
	p, stale, code := generateProject("generate", args, stderr)
	if p == nil {
		return code
	}
	for _, rel := range sortedPaths(p.output) {
		if err := writeFile(filepath.Join(p.dir, filepath.FromSlash(rel)), p.output[rel]); err != nil {
			fmt.Fprintf(stderr, "faustgen generate: %v\n", err)
			return exitBadInput
		}
	}
	for _, rel := range stale {
		if err := os.Remove(filepath.Join(p.dir, filepath.FromSlash(rel))); err != nil {
			fmt.Fprintf(stderr, "faustgen generate: remove stale generated file: %v\n", err)
			return exitBadInput
		}
	}
	return exitOK
}

// writeFile replaces a file's contents atomically, creating its folder,
// and leaves an unchanged file untouched.
func writeFile(name string, data []byte) error {
	if old, err := os.ReadFile(name); err == nil && bytes.Equal(old, data) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return fmt.Errorf("create output folder: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".faustgen-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

func runDiff(_ context.Context, args []string, stdout, stderr io.Writer) int {
	p, stale, code := generateProject("diff", args, stderr)
	if p == nil {
		return code
	}
	var changed []string
	show := func(rel string, old, cur []byte) {
		name := filepath.ToSlash(filepath.Join(p.dir, filepath.FromSlash(rel)))
		oldName, newName := "a/"+name, "b/"+name
		if old == nil {
			oldName = "/dev/null"
		}
		if cur == nil {
			newName = "/dev/null"
		}
		io.WriteString(stdout, unifiedDiff(oldName, newName, string(old), string(cur)))
		changed = append(changed, name)
	}
	for _, rel := range sortedPaths(p.output) {
		old, err := os.ReadFile(filepath.Join(p.dir, filepath.FromSlash(rel)))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(stderr, "faustgen diff: %v\n", err)
			return exitBadInput
		}
		if !bytes.Equal(old, p.output[rel]) || old == nil {
			show(rel, old, p.output[rel])
		}
	}
	for _, rel := range stale {
		old, err := os.ReadFile(filepath.Join(p.dir, filepath.FromSlash(rel)))
		if err != nil {
			fmt.Fprintf(stderr, "faustgen diff: %v\n", err)
			return exitBadInput
		}
		show(rel, old, nil)
	}
	if len(changed) > 0 {
		fmt.Fprintf(stderr, "faustgen diff: generated code is stale (%s); run: faustgen generate -f %s\n", strings.Join(changed, ", "), p.file)
		return exitFindings
	}
	return exitOK
}
