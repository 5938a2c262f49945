package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/faustgen/faustgen/compat"
	"github.com/faustgen/faustgen/gen/topology"
	"github.com/faustgen/faustgen/internal/srref"
	"github.com/faustgen/faustgen/internal/subject"
)

const checkUsage = `usage: faustgen check [-f faustgen.yaml] --against dir:PATH|git:REV|registry:URL [--level LEVEL] [--format text|json|github]

Checks every subject of the topology (each topic's key and value, named by
the registry.subjects strategy) against earlier versions:
  dir:PATH      PATH holds earlier copies of the schema files: either one
                version (.avsc files directly in PATH or its subfolders), or,
                when PATH has only subfolders, one version per subfolder,
                oldest first in name order (v1/, v2/, ...).
  git:REV       the topology's schema files at git revision REV (read with
                git, no checkout).
  registry:URL  every version of each subject in a Confluent-compatible
                schema registry.
LEVEL defaults to the topology's registry.compatibility, else BACKWARD.
Exit 0: compatible; 1: incompatible (every finding printed); 2: bad input.
`

// subjectCheck is one subject of the topology and its current schema.
type subjectCheck struct {
	subject string
	typ     string
	ref     topology.TypeRef // the topology's key or value: a type or a union
	topic   string
	pos     topology.Pos
	current *compat.Schema
	history []*compat.Schema
}

// checkFinding is a finding with its subject, for output.
type checkFinding struct {
	Subject string `json:"subject"`
	compat.Finding
}

// runCheck implements `faustgen check`. It returns the exit code.
func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("faustgen check", flag.ContinueOnError)
	fset.SetOutput(io.Discard)
	file := fset.String("f", "faustgen.yaml", "the topology file")
	against := fset.String("against", "", "dir:PATH, git:REV or registry:URL")
	levelFlag := fset.String("level", "", "compatibility level")
	format := fset.String("format", "text", "text, json or github")
	if err := fset.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, checkUsage)
			return exitOK
		}
		fmt.Fprintf(stderr, "faustgen check: %v\n%s", err, checkUsage)
		return exitBadInput
	}
	if fset.NArg() > 0 {
		fmt.Fprintf(stderr, "faustgen check: unexpected argument %q\n%s", fset.Arg(0), checkUsage)
		return exitBadInput
	}
	if *format != "text" && *format != "json" && *format != "github" {
		fmt.Fprintf(stderr, "faustgen check: unknown format %q: want text, json or github\n", *format)
		return exitBadInput
	}
	kind, target, ok := strings.Cut(*against, ":")
	if !ok || target == "" || (kind != "dir" && kind != "git" && kind != "registry") {
		fmt.Fprintf(stderr, "faustgen check: --against must be dir:PATH, git:REV or registry:URL, not %q\n%s", *against, checkUsage)
		return exitBadInput
	}

	data, err := os.ReadFile(*file)
	if err != nil {
		fmt.Fprintf(stderr, "faustgen check: read topology: %v\n", err)
		return exitBadInput
	}
	dir := filepath.Dir(*file)
	name := filepath.Base(*file)
	top, diags := topology.Parse(name, data)
	if len(diags) > 0 {
		fmt.Fprintln(stderr, diags.Err())
		return exitBadInput
	}
	level := compat.Backward
	if top.Registry.Compatibility != "" {
		if level, err = compat.ParseLevel(top.Registry.Compatibility); err != nil {
			fmt.Fprintf(stderr, "%s: registry.compatibility: %v\n", name, err)
			return exitBadInput
		}
	}
	if *levelFlag != "" {
		if level, err = compat.ParseLevel(*levelFlag); err != nil {
			fmt.Fprintf(stderr, "faustgen check: %v\n", err)
			return exitBadInput
		}
	}

	current := map[string][]byte{}
	for _, src := range top.Schemas {
		if err := readSchemas(dir, src.Path, current); err != nil {
			fmt.Fprintf(stderr, "faustgen check: read schemas: %v\n", err)
			return exitBadInput
		}
	}
	checks, err := topologySubjects(name, top, sourcesOf(current))
	if err != nil {
		printParseError(stderr, err)
		return exitBadInput
	}

	var label string
	switch kind {
	case "dir":
		label, err = historyFromDir(target, checks)
	case "git":
		label, err = historyFromGit(ctx, dir, target, top, checks)
	case "registry":
		label, err = historyFromRegistry(ctx, target, checks)
	}
	if err != nil {
		printParseError(stderr, err)
		return exitBadInput
	}

	var findings []checkFinding
	failed := 0
	for _, c := range checks {
		res := compat.Check(c.history, c.current, level)
		if !res.Compatible {
			failed++
		}
		for _, f := range res.Findings {
			if f.Pos.File == "" {
				// A primitive key or value: point at the topology's type.
				f.Pos = compat.Pos{File: name, Line: c.pos.Line, Col: c.pos.Col}
			}
			findings = append(findings, checkFinding{Subject: c.subject, Finding: f})
		}
	}
	if err := printCheck(stdout, *format, dir, findings); err != nil {
		fmt.Fprintf(stderr, "faustgen check: write findings: %v\n", err)
		return exitBadInput
	}
	if *format == "text" {
		withHistory := 0
		for _, c := range checks {
			if len(c.history) > 0 {
				withHistory++
			}
		}
		scope := fmt.Sprintf("%d subject%s (%d with earlier versions)", len(checks), plural(len(checks)), withHistory)
		if failed == 0 {
			fmt.Fprintf(stdout, "%s compatible with %s at %s\n", scope, label, level)
		} else {
			fmt.Fprintf(stdout, "%d of %s incompatible with %s at %s: %d finding%s\n",
				failed, scope, label, level, len(findings), plural(len(findings)))
		}
	}
	if failed > 0 {
		return exitFindings
	}
	return exitOK
}

func printParseError(w io.Writer, err error) {
	var list compat.ParseErrors
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Fprintln(w, e)
		}
		return
	}
	fmt.Fprintln(w, err)
}

// sourcesOf turns a path → bytes map into sources in path order.
func sourcesOf(files map[string][]byte) []compat.Source {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	srcs := make([]compat.Source, len(names))
	for i, n := range names {
		srcs[i] = compat.Source{Name: n, Data: files[n]}
	}
	return srcs
}

// topologySubjects lists each topic's key and value subjects (as the
// runtime names them) with their current schemas.
func topologySubjects(topoName string, top *topology.Topology, srcs []compat.Source) ([]*subjectCheck, error) {
	strategy := subject.Topic
	switch top.Registry.Subjects {
	case topology.RecordSubjects:
		strategy = subject.Record
	case topology.TopicRecordSubjects:
		strategy = subject.TopicRecord
	}
	set, err := compat.ParseSet("current", srcs...)
	if err != nil {
		return nil, err
	}
	var checks []*subjectCheck
	seen := map[string]*subjectCheck{}
	for _, t := range top.Topics {
		for _, side := range []struct {
			ref   topology.TypeRef
			isKey bool
		}{{t.KeyType, true}, {t.ValueType, false}} {
			subj := strategy.Name(t.Name, side.ref.Name, side.isKey)
			if prev, ok := seen[subj]; ok {
				if prev.typ != side.ref.Name {
					return nil, fmt.Errorf("%s:%d:%d: subject %q would hold both %s and %s", topoName, side.ref.Pos.Line, side.ref.Pos.Col, subj, prev.typ, side.ref.Name)
				}
				continue
			}
			cur, ok := schemaOf(set, side.ref)
			if !ok {
				return nil, fmt.Errorf("%s:%d:%d: topic %s: type %s is not defined in the schema files", topoName, side.ref.Pos.Line, side.ref.Pos.Col, t.Key, side.ref.Name)
			}
			c := &subjectCheck{subject: subj, typ: side.ref.Name, ref: side.ref, topic: t.Name, pos: side.ref.Pos, current: cur}
			seen[subj] = c
			checks = append(checks, c)
		}
	}
	return checks, nil
}

// addVersion appends the version held by srcs to every subject whose type
// it defines; a subject whose type it lacks is new since that version.
func addVersion(label string, srcs []compat.Source, checks []*subjectCheck) error {
	set, err := compat.ParseSet(label, srcs...)
	if err != nil {
		return fmt.Errorf("%s: %w", label, err)
	}
	for _, c := range checks {
		if c.ref.IsUnion() {
			// An earlier version's union: the branches it defined (adding
			// a branch is a change to check, not a new subject).
			if s, _, ok := set.Union(c.ref.BranchNames()...); ok {
				c.history = append(c.history, s)
			}
			continue
		}
		if s, ok := set.Schema(c.typ); ok {
			c.history = append(c.history, s)
		}
	}
	return nil
}

// schemaOf is the current schema of a topic's key or value: a type of the
// set, or the union of its branches, all of which must be defined.
func schemaOf(set *compat.Set, ref topology.TypeRef) (*compat.Schema, bool) {
	if ref.IsUnion() {
		s, missing, ok := set.Union(ref.BranchNames()...)
		return s, ok && len(missing) == 0
	}
	return set.Schema(ref.Name)
}

// historyFromDir reads earlier versions from a folder (see checkUsage).
func historyFromDir(root string, checks []*subjectCheck) (string, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return "", fmt.Errorf("read --against dir: %w", err)
	}
	var subdirs []string
	flat := false
	for _, e := range entries {
		if e.IsDir() {
			subdirs = append(subdirs, e.Name())
		} else if strings.HasSuffix(e.Name(), ".avsc") {
			flat = true
		}
	}
	versions := []string{root}
	if !flat && len(subdirs) > 0 {
		sort.Strings(subdirs)
		versions = versions[:0]
		for _, s := range subdirs {
			versions = append(versions, filepath.Join(root, s))
		}
	}
	for _, v := range versions {
		files := map[string][]byte{}
		err := filepath.WalkDir(v, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".avsc") {
				return err
			}
			data, err := os.ReadFile(p)
			files[p] = data
			return err
		})
		if err != nil {
			return "", fmt.Errorf("read --against dir: %w", err)
		}
		if err := addVersion("dir:"+v, sourcesOf(files), checks); err != nil {
			return "", err
		}
	}
	return "dir:" + root, nil
}

// historyFromGit reads the topology's schema files at rev through git.
func historyFromGit(ctx context.Context, dir, rev string, top *topology.Topology, checks []*subjectCheck) (string, error) {
	git := func(args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
		}
		return out, nil
	}
	if _, err := git("rev-parse", "--verify", "--quiet", rev+"^{commit}"); err != nil {
		return "", fmt.Errorf("--against git:%s: not a revision of the repository at %s: %w", rev, dir, err)
	}
	files := map[string][]byte{}
	for _, src := range top.Schemas {
		out, err := git("ls-tree", "-r", "-z", "--name-only", rev, "--", src.Path)
		if err != nil {
			return "", err
		}
		for _, p := range strings.Split(string(out), "\x00") {
			if !strings.HasSuffix(p, ".avsc") {
				continue
			}
			spec := rev + ":./" + p
			if strings.HasPrefix(p, "../") {
				spec = rev + ":" + p
			}
			data, err := git("show", spec)
			if err != nil {
				return "", err
			}
			files[path.Clean(p)+"@"+rev] = data
		}
	}
	label := "git:" + rev
	return label, addVersion(label, sourcesOf(files), checks)
}

// historyFromRegistry reads every version of each subject from a
// Confluent-compatible registry.
func historyFromRegistry(ctx context.Context, url string, checks []*subjectCheck) (string, error) {
	cl, err := sr.NewClient(sr.URLs(url))
	if err != nil {
		return "", fmt.Errorf("--against registry:%s: %w", url, err)
	}
	for _, c := range checks {
		versions, err := cl.SubjectVersions(ctx, c.subject)
		var re *sr.ResponseError
		if errors.As(err, &re) && re.ErrorCode == 40401 {
			continue // a new subject
		}
		if err != nil {
			return "", fmt.Errorf("list versions of subject %s at %s: %w", c.subject, url, err)
		}
		sort.Ints(versions)
		for _, v := range versions {
			ss, err := cl.SchemaByVersion(ctx, c.subject, v)
			if err != nil {
				return "", fmt.Errorf("fetch subject %s version %d: %w", c.subject, v, err)
			}
			label := fmt.Sprintf("registry %s version %d", c.subject, v)
			srcs, err := srref.Sources(ctx, cl, ss.References)
			if err != nil {
				return "", fmt.Errorf("%s: %w", label, err)
			}
			srcs = append(srcs, compat.Source{Name: label, Data: []byte(ss.Schema.Schema)})
			s, err := compat.Parse(label, srcs...)
			if err != nil {
				return "", fmt.Errorf("%s: %w", label, err)
			}
			c.history = append(c.history, s)
		}
	}
	return "registry:" + url, nil
}

// printCheck writes the findings in the chosen format.
func printCheck(w io.Writer, format, dir string, findings []checkFinding) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		for _, f := range findings {
			if err := enc.Encode(f); err != nil {
				return err
			}
		}
	case "github":
		cwd, _ := os.Getwd()
		for _, f := range findings {
			props := []string{"title=" + ghEscape(f.Rule+" ("+f.Subject+")", true)}
			if f.Pos.File != "" {
				file := filepath.Join(dir, filepath.FromSlash(f.Pos.File))
				if rel, err := filepath.Rel(cwd, file); err == nil && cwd != "" {
					file = rel
				}
				props = append(props, "file="+ghEscape(filepath.ToSlash(file), true))
				if f.Pos.Line > 0 {
					props = append(props, fmt.Sprintf("line=%d", f.Pos.Line), fmt.Sprintf("col=%d", f.Pos.Col))
				}
			}
			msg := fmt.Sprintf("%s: %s (%s, against %s). Hint: %s", f.Path, f.Message, f.Direction, f.Against, f.Hint)
			if _, err := fmt.Fprintf(w, "::error %s::%s\n", strings.Join(props, ","), ghEscape(msg, false)); err != nil {
				return err
			}
		}
	default:
		for _, f := range findings {
			if _, err := fmt.Fprintf(w, "%s\n    subject %s, %s; hint: %s\n", f.Finding, f.Subject, describeDirection(f.Finding), f.Hint); err != nil {
				return err
			}
		}
	}
	return nil
}

// ghEscape escapes a GitHub workflow-command message or property value.
func ghEscape(s string, property bool) string {
	s = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
	if property {
		s = strings.NewReplacer(":", "%3A", ",", "%2C").Replace(s)
	}
	return s
}
