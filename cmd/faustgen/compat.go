package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/faustgen/faustgen/compat"
)

const compatUsage = `usage: faustgen compat V1.avsc [V2.avsc ...] NEW.avsc [--level LEVEL] [--format text|json]

Checks that NEW.avsc (the last file) may follow the earlier versions (oldest
first) at LEVEL: NONE, BACKWARD (default), FORWARD, FULL, or
BACKWARD_TRANSITIVE, FORWARD_TRANSITIVE, FULL_TRANSITIVE.
A version may be several files joined with commas (money.avsc,order.avsc):
the last is the root schema, the others define the named types it uses.
Exit 0: compatible; 1: incompatible (every finding printed); 2: bad input.
`

// runCompat implements `faustgen compat`. It returns the exit code.
func runCompat(_ context.Context, args []string, stdout, stderr io.Writer) int {
	level := compat.Backward
	format := "text"
	var files []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || a == "-" {
			files = append(files, a)
			continue
		}
		if a == "--" {
			files = append(files, args[i+1:]...)
			break
		}
		switch name {
		case "h", "help":
			fmt.Fprint(stdout, compatUsage)
			return 0
		case "level", "format":
		default:
			fmt.Fprintf(stderr, "faustgen compat: unknown flag %s\n%s", a, compatUsage)
			return 2
		}
		if !hasVal {
			if i+1 >= len(args) {
				fmt.Fprintf(stderr, "faustgen compat: flag %s needs a value\n%s", a, compatUsage)
				return 2
			}
			i++
			val = args[i]
		}
		if name == "level" {
			l, err := compat.ParseLevel(val)
			if err != nil {
				fmt.Fprintf(stderr, "faustgen compat: %v\n", err)
				return 2
			}
			level = l
		} else {
			if val != "text" && val != "json" {
				fmt.Fprintf(stderr, "faustgen compat: unknown format %q: want text or json\n", val)
				return 2
			}
			format = val
		}
	}
	if len(files) == 0 {
		fmt.Fprintf(stderr, "faustgen compat: no schema files\n%s", compatUsage)
		return 2
	}
	var schemas []*compat.Schema
	bad := false
	for _, f := range files {
		var srcs []compat.Source
		for _, part := range strings.Split(f, ",") {
			data, err := os.ReadFile(part)
			if err != nil {
				fmt.Fprintf(stderr, "faustgen compat: read schema: %v\n", err)
				bad = true
				continue
			}
			srcs = append(srcs, compat.Source{Name: part, Data: data})
		}
		if len(srcs) != len(strings.Split(f, ",")) {
			continue
		}
		s, err := compat.Parse(f, srcs...)
		if err != nil {
			var list compat.ParseErrors
			if errors.As(err, &list) {
				for _, e := range list {
					fmt.Fprintln(stderr, e)
				}
			} else {
				fmt.Fprintln(stderr, err)
			}
			bad = true
			continue
		}
		schemas = append(schemas, s)
	}
	if bad {
		return 2
	}
	history, candidate := schemas[:len(schemas)-1], schemas[len(schemas)-1]
	res := compat.Check(history, candidate, level)
	if format == "json" {
		enc := json.NewEncoder(stdout)
		for _, f := range res.Findings {
			if err := enc.Encode(f); err != nil {
				fmt.Fprintf(stderr, "faustgen compat: write findings: %v\n", err)
				return 2
			}
		}
	} else {
		for _, f := range res.Findings {
			fmt.Fprintf(stdout, "%s\n    %s; hint: %s\n", f, describeDirection(f), f.Hint)
		}
		if res.Compatible {
			fmt.Fprintf(stdout, "%s: compatible at %s with %d earlier version(s)\n", candidate.Version, level, len(history))
		} else {
			fmt.Fprintf(stdout, "%s: incompatible at %s: %d finding(s)\n", candidate.Version, level, len(res.Findings))
		}
	}
	if !res.Compatible {
		return 1
	}
	return 0
}

func describeDirection(f compat.Finding) string {
	if f.Direction == compat.DirBackward {
		return fmt.Sprintf("backward: %s reading data written with %s", f.Reader, f.Writer)
	}
	return fmt.Sprintf("forward: %s reading data written with %s", f.Reader, f.Writer)
}
