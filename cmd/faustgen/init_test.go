package main

import (
	"bufio"
	"bytes"
	"errors"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faustgen/faustgen/templates"
)

// goTool finds the go command; the starter must compile, so its absence
// is a failure, not a skip.
func goTool(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	t.Fatalf("the go command is needed to build the starter: %v", errors.New("not on PATH (go test puts GOROOT/bin there)"))
	return ""
}

// moduleTempDir makes a folder inside this module (under testdata/, which
// ./... patterns skip) so the starter's imports resolve to this module's
// runtime; the folder DIR itself is left for init to create.
func moduleTempDir(t *testing.T) string {
	t.Helper()
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	parent, err := os.MkdirTemp("testdata", "init-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		os.RemoveAll(parent)
		os.Remove("testdata") // only when empty
	})
	return filepath.Join(parent, "greeter")
}

// TestInitWritesAStarterThatGeneratesBuildsAndRuns is the whole path a
// new user takes: init, generate, vet and build, then run on the embedded
// dev cluster until the agent has shouted the sample greetings.
func TestInitWritesAStarterThatGeneratesBuildsAndRuns(t *testing.T) {
	dir := moduleTempDir(t)
	code, stdout, stderr := runCLI("init", dir)
	if code != exitOK {
		t.Fatalf("init: exit %d\n%s", code, stderr)
	}
	for _, rel := range templates.Paths() {
		name := filepath.Join(dir, filepath.FromSlash(rel))
		data, err := os.ReadFile(name)
		if err != nil {
			t.Errorf("init did not write %s: %v", rel, err)
			continue
		}
		if !strings.Contains(stdout, "wrote "+name+"\n") {
			t.Errorf("init did not say it wrote %s:\n%s", name, stdout)
		}
		if strings.HasSuffix(rel, ".go") {
			if f, err := format.Source(data); err != nil || !bytes.Equal(f, data) {
				t.Errorf("%s is not gofmt'd (%v)", rel, err)
			}
		}
		if strings.Contains(string(data), "{{") {
			t.Errorf("%s holds an unrendered template action", rel)
		}
	}
	for _, want := range []string{"go generate ./...", "go run . -embedded", "cmd/faustgen/" + filepath.ToSlash(dir) + "/gen"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("init's next steps lack %q:\n%s", want, stdout)
		}
	}
	read := func(rel string) string {
		b, _ := os.ReadFile(filepath.Join(dir, rel))
		return string(b)
	}
	if !strings.HasPrefix(read("faustgen.yaml"), "# yaml-language-server: $schema=") {
		t.Errorf("faustgen.yaml does not start with the $schema comment")
	}
	if !strings.Contains(read("doc.go"), "\n//go:generate go run github.com/faustgen/faustgen/cmd/faustgen generate\n") {
		t.Errorf("doc.go lacks the go:generate line")
	}

	if code, _, stderr := runCLI("generate", "-f", filepath.Join(dir, "faustgen.yaml")); code != exitOK {
		t.Fatalf("generate on the starter: exit %d\n%s", code, stderr)
	}
	goCmd := goTool(t)
	pkg := "./" + filepath.ToSlash(dir)
	if out, err := exec.Command(goCmd, "vet", pkg+"/...").CombinedOutput(); err != nil {
		t.Fatalf("go vet %s/...: %v\n%s", pkg, err, out)
	}
	bin := filepath.Join(t.TempDir(), "starter")
	if out, err := exec.Command(goCmd, "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	// Its embedded.go is what links the dev cluster: without it (a
	// production build) the starter links no test broker.
	if err := os.Remove(filepath.Join(dir, "embedded.go")); err != nil {
		t.Fatal(err)
	}
	deps, err := exec.Command(goCmd, "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	for _, d := range strings.Fields(string(deps)) {
		if d == "github.com/twmb/franz-go/pkg/kfake" || d == "github.com/faustgen/faustgen/runtime/srembed" {
			t.Errorf("the starter without embedded.go links %s", d)
		}
	}

	// Run it on the embedded cluster: three sample greetings go in, the
	// agent logs three shouts, and an interrupt stops it cleanly.
	cmd := exec.Command(bin, "-embedded", "-samples", "3")
	logs, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	shouts := make(chan string, 16)
	var all bytes.Buffer
	go func() {
		sc := bufio.NewScanner(logs)
		for sc.Scan() {
			all.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), " shout ") {
				shouts <- sc.Text()
			}
		}
		close(shouts)
	}()
	timeout := time.After(60 * time.Second)
	for seen := 0; seen < 3; {
		select {
		case line, ok := <-shouts:
			if !ok {
				t.Fatalf("the starter stopped after %d shouts (%v)", seen, cmd.Wait())
			}
			if !strings.Contains(line, "HELLO NUMBER") {
				t.Errorf("a shout that is not upper-cased: %s", line)
			}
			seen++
		case <-timeout:
			cmd.Process.Kill()
			t.Fatalf("no 3 shouts within 60s")
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	for range shouts {
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the starter did not stop cleanly on an interrupt: %v\n%s", err, all.String())
	}
}

func TestInitRefusesToOverwrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "svc")
	if err := os.MkdirAll(filepath.Join(dir, "schemas"), 0o755); err != nil {
		t.Fatal(err)
	}
	mine := []byte("my own readme\n")
	os.WriteFile(filepath.Join(dir, "README.md"), mine, 0o644)
	os.WriteFile(filepath.Join(dir, "schemas", "greeting.avsc"), mine, 0o644)
	code, stdout, stderr := runCLI("init", dir)
	if code != exitBadInput {
		t.Fatalf("init over existing files: exit %d, want %d", code, exitBadInput)
	}
	for _, want := range []string{filepath.Join(dir, "README.md"), filepath.Join(dir, "schemas", "greeting.avsc"), "nothing written"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not name %s:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "main.go") || stdout != "" {
		t.Errorf("init names files that do not exist, or says it wrote some:\n%s%s", stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "main.go")); err == nil {
		t.Errorf("init wrote main.go although it refused")
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "README.md")); !bytes.Equal(got, mine) {
		t.Errorf("README.md was changed")
	}
}

func TestInitImportPathOutsideAModule(t *testing.T) {
	base := t.TempDir() // under the system temp folder: no go.mod encloses it
	code, stdout, stderr := runCLI("init", filepath.Join(base, "My Shop"))
	if code != exitOK {
		t.Fatalf("init: exit %d\n%s", code, stderr)
	}
	main, _ := os.ReadFile(filepath.Join(base, "My Shop", "main.go"))
	if !strings.Contains(string(main), `myshop "example.com/my-shop/gen"`) {
		t.Errorf("main.go does not import example.com/my-shop/gen as myshop:\n%s", main)
	}
	if !strings.Contains(stdout, "go mod init example.com/my-shop\n") {
		t.Errorf("the next steps lack go mod init:\n%s", stdout)
	}
	code, _, stderr = runCLI("init", "-module", "example.org/team/svc", filepath.Join(base, "svc"))
	if code != exitOK {
		t.Fatalf("init -module: exit %d\n%s", code, stderr)
	}
	shout, _ := os.ReadFile(filepath.Join(base, "svc", "shout.go"))
	yaml, _ := os.ReadFile(filepath.Join(base, "svc", "faustgen.yaml"))
	if !strings.Contains(string(shout), `svc "example.org/team/svc/gen"`) || !strings.Contains(string(yaml), "value: com.example.svc.Greeting") {
		t.Errorf("-module or the package name is not used:\n%s\n%s", shout, yaml)
	}
}

func TestInitBadUsage(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o644)
	for _, args := range [][]string{{"init"}, {"init", "a", "b"}, {"init", file}, {"init", "-module", "/abs", t.TempDir()}} {
		if code, _, stderr := runCLI(args...); code != exitBadInput || stderr == "" {
			t.Errorf("%v: exit %d, want %d with a message; stderr: %s", args, code, exitBadInput, stderr)
		}
	}
}

func TestStarterNamesAreValid(t *testing.T) {
	for _, tc := range []struct{ dir, pkg, id string }{
		{"hello", "hello", "hello"},
		{"My-App", "myapp", "my-app"},
		{"2fast", "app2fast", "app2fast"},
		{"app", "appapp", "app"},
		{"string", "stringapp", "string"},
		{"runtime", "runtimeapp", "runtime"},
		{"type", "typeapp", "type"},
		{"...", "appapp", "app"},
	} {
		if got := starterPackage(tc.dir); got != tc.pkg {
			t.Errorf("starterPackage(%q) = %q, want %q", tc.dir, got, tc.pkg)
		}
		if got := starterAppID(tc.dir); got != tc.id {
			t.Errorf("starterAppID(%q) = %q, want %q", tc.dir, got, tc.id)
		}
	}
}
