// Package templates holds the scaffolding that faustgen init writes into
// a new project: a topology, a schema, an agent, a main package that runs
// on the embedded dev cluster (linked by its own file, embedded.go, which a
// production build deletes), and a README. The files are embedded
// (go:embed) as text/template sources under starter/, each named after
// the file it becomes plus ".tmpl".
//
// It is not the generator (package gen) and writes no files: the command
// does (cmd/faustgen).
package templates

import (
	"bytes"
	"embed"
	"fmt"
	"go/format"
	"io/fs"
	"path"
	"sort"
	"strings"
	"text/template"
)

//go:embed starter
var starter embed.FS

// Params fill the starter's templates.
type Params struct {
	// AppID is the app id: the consumer group and the prefix of internal
	// topics ("hello").
	AppID string
	// Package is the Go package name of the generated code ("hello").
	Package string
	// Namespace is the Avro namespace of the starter's schema
	// ("com.example.hello").
	Namespace string
	// Import is the import path of the generated package, the project's
	// import path plus "/gen" ("example.com/hello/gen").
	Import string
}

// Starter renders the starter project: slash-separated paths relative to
// the project's folder mapped to contents, Go files gofmt'd.
func Starter(p Params) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := fs.WalkDir(starter, "starter", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := starter.ReadFile(name)
		if err != nil {
			return err
		}
		rel := strings.TrimSuffix(strings.TrimPrefix(name, "starter/"), ".tmpl")
		t, err := template.New(rel).Option("missingkey=error").Parse(string(src))
		if err != nil {
			return fmt.Errorf("parse template %s: %w", rel, err)
		}
		var b bytes.Buffer
		if err := t.Execute(&b, p); err != nil {
			return fmt.Errorf("render template %s: %w", rel, err)
		}
		data := b.Bytes()
		if path.Ext(rel) == ".go" {
			if data, err = format.Source(data); err != nil {
				return fmt.Errorf("format %s: %w", rel, err)
			}
		}
		out[rel] = data
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Paths lists the files Starter writes, sorted.
func Paths() []string {
	var out []string
	_ = fs.WalkDir(starter, "starter", func(name string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(name, "starter/"), ".tmpl"))
		}
		return nil
	})
	sort.Strings(out)
	return out
}
