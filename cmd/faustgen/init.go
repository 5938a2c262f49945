package main

import (
	"bufio"
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
	"strings"

	"github.com/faustgen/faustgen/templates"
)

// runInit writes a ready-to-run starter project into a folder:
// init [-module PATH] DIR. It refuses (exit 2) when any file it would
// write exists, and writes nothing then.
func runInit(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("faustgen init", flag.ContinueOnError)
	fset.SetOutput(stderr)
	module := fset.String("module", "", "the import path of DIR (default: from the enclosing go.mod, else example.com/<DIR's name>)")
	if err := fset.Parse(args); err != nil {
		return exitBadInput
	}
	if fset.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: faustgen init [-module PATH] DIR")
		return exitBadInput
	}
	dir := fset.Arg(0)
	abs, err := filepath.Abs(dir)
	if err != nil {
		fmt.Fprintf(stderr, "faustgen init: %v\n", err)
		return exitBadInput
	}
	if info, err := os.Stat(abs); err == nil && !info.IsDir() {
		fmt.Fprintf(stderr, "faustgen init: %s is a file, not a folder\n", dir)
		return exitBadInput
	}

	importPath, modRoot, err := projectImportPath(abs, *module)
	if err != nil {
		fmt.Fprintf(stderr, "faustgen init: %v\n", err)
		return exitBadInput
	}
	pkg := starterPackage(filepath.Base(abs))
	files, err := templates.Starter(templates.Params{
		AppID:     starterAppID(filepath.Base(abs)),
		Package:   pkg,
		Namespace: "com.example." + pkg,
		Import:    importPath + "/gen",
	})
	if err != nil {
		fmt.Fprintf(stderr, "faustgen init: %v\n", err)
		return exitBadInput
	}
	paths := sortedPaths(files)

	var existing []string
	for _, rel := range paths {
		if _, err := os.Lstat(filepath.Join(abs, filepath.FromSlash(rel))); !errors.Is(err, fs.ErrNotExist) {
			existing = append(existing, filepath.Join(dir, filepath.FromSlash(rel)))
		}
	}
	if len(existing) > 0 {
		fmt.Fprintf(stderr, "faustgen init: %s already exist%s; nothing written (use an empty or new folder, or move them away)\n",
			strings.Join(existing, ", "), map[bool]string{true: "s", false: ""}[len(existing) == 1])
		return exitBadInput
	}
	for _, rel := range paths {
		name := filepath.Join(abs, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			fmt.Fprintf(stderr, "faustgen init: %v\n", err)
			return exitBadInput
		}
		// O_EXCL: a file that appeared since the check is not overwritten.
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			_, err = f.Write(files[rel])
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "faustgen init: write %s: %v\n", name, err)
			return exitBadInput
		}
		fmt.Fprintf(stdout, "wrote %s\n", filepath.Join(dir, filepath.FromSlash(rel)))
	}

	var b strings.Builder
	how := "set with -module"
	switch {
	case modRoot != "":
		how = "the module of " + filepath.Join(modRoot, "go.mod")
	case *module == "":
		how = "no go.mod encloses it: a new module; or set -module"
	}
	fmt.Fprintf(&b, "\nthe generated package will be %s/gen (%s)\nnext:\n", importPath, how)
	fmt.Fprintf(&b, "  cd %s\n", dir)
	if modRoot == "" {
		fmt.Fprintf(&b, "  go mod init %s\n", importPath)
		b.WriteString("  go get -tool github.com/faustgen/faustgen/cmd/faustgen   # keeps faustgen's own dependencies for go generate\n")
	}
	b.WriteString("  go generate ./...      # faustgen.yaml + schemas/ -> gen/\n")
	b.WriteString("  go mod tidy\n")
	b.WriteString("  go run . -embedded     # run on the in-process dev cluster; Ctrl-C stops it\n")
	io.WriteString(stdout, b.String())
	return exitOK
}

// projectImportPath returns the import path of the folder abs: module
// when set, else the enclosing go.mod's module path plus the folder's
// path inside it (modRoot is that go.mod's folder), else
// "example.com/<name>" for a new module.
func projectImportPath(abs, module string) (importPath, modRoot string, err error) {
	if module != "" {
		if strings.ContainsAny(module, " \t\\") || strings.HasPrefix(module, "/") || strings.HasSuffix(module, "/") {
			return "", "", fmt.Errorf("-module %q is not an import path", module)
		}
		return module, "", nil
	}
	for d := abs; ; d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			mod := modulePath(data)
			if mod == "" {
				return "", "", fmt.Errorf("%s names no module", filepath.Join(d, "go.mod"))
			}
			rel, err := filepath.Rel(d, abs)
			if err != nil {
				return "", "", err
			}
			return path.Join(mod, filepath.ToSlash(rel)), d, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", "", err
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return "example.com/" + starterAppID(filepath.Base(abs)), "", nil
}

// modulePath returns the module path of a go.mod file, or "".
func modulePath(gomod []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, "module"); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
			rest, _, _ = strings.Cut(rest, "//")
			return strings.Trim(strings.TrimSpace(rest), `"`+"`")
		}
	}
	return ""
}

// starterAppID makes an app id (a Kafka-safe name) of a folder name.
func starterAppID(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_':
			b.WriteRune(r)
		case b.Len() > 0:
			b.WriteByte('-')
		}
	}
	id := strings.Trim(b.String(), "-_")
	if id == "" || id[0] < 'a' || id[0] > 'z' {
		id = "app" + id
	}
	return id
}

// starterPackage makes a Go package name (also an Avro name) of a folder
// name, avoiding the names the starter's own files use.
func starterPackage(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	pkg := b.String()
	if pkg == "" || pkg[0] < 'a' || pkg[0] > 'z' {
		pkg = "app" + pkg
	}
	if starterReserved[pkg] {
		pkg += "app"
	}
	return pkg
}

// starterReserved holds what a package name must not be in the starter:
// Go keywords and predeclared names, and the imports and local names of
// its files (templates/starter), which the package name would shadow.
var starterReserved = map[string]bool{}

func init() {
	for _, s := range strings.Fields(`
		break case chan const continue default defer else fallthrough for func go goto if
		import interface map package range return select struct switch type var
		any bool byte comparable complex64 complex128 error float32 float64 int int8 int16
		int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr true false iota nil
		append cap clear close complex copy delete imag len make max min new panic print
		println real recover
		main runtime context flag fmt slog os time errors strings gen shout
		embedded samples ctx stop err run cfg app n i g meta from sendsamples`) {
		starterReserved[s] = true
	}
}
