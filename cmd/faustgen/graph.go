package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/faustgen/faustgen/gen"
)

// runGraph prints the topology as a Mermaid flowchart or a Graphviz
// digraph (gen.Graph): graph [-f faustgen.yaml] [--format mermaid|dot].
func runGraph(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("faustgen graph", flag.ContinueOnError)
	fset.SetOutput(stderr)
	file := fset.String("f", "faustgen.yaml", "the topology file")
	format := fset.String("format", string(gen.GraphMermaid), "mermaid (a flowchart for Markdown) or dot (Graphviz)")
	if err := fset.Parse(args); err != nil {
		return exitBadInput
	}
	if fset.NArg() > 0 {
		fmt.Fprintf(stderr, "faustgen graph: unexpected argument %q\n", fset.Arg(0))
		return exitBadInput
	}
	known := false
	for _, f := range gen.GraphFormats {
		known = known || string(f) == *format
	}
	if !known {
		fmt.Fprintf(stderr, "faustgen graph: unknown --format %q; use mermaid or dot\n", *format)
		return exitBadInput
	}
	p, code := readProject(*file, stderr)
	if p == nil {
		return code
	}
	out, err := gen.Graph(p.input, gen.GraphFormat(*format))
	if err != nil {
		reportProblems(*file, err, "no graph drawn", stderr)
		return exitBadInput
	}
	if _, err := stdout.Write(out); err != nil {
		fmt.Fprintf(stderr, "faustgen graph: write the graph: %v\n", err)
		return exitBadInput
	}
	return exitOK
}
