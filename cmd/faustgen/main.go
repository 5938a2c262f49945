// Command faustgen generates typed Go stream-processing code from Avro
// schemas and a faustgen.yaml topology, and keeps it current:
//
//	faustgen generate [-f faustgen.yaml]     write the generated package
//	faustgen diff     [-f faustgen.yaml]     exit 1 and show a diff if the generated code is stale
//	faustgen check    [-f faustgen.yaml] --against git:REV|dir:PATH|registry:URL
//	faustgen compat   V1.avsc [...] NEW.avsc --level LEVEL
//	faustgen graph    [-f faustgen.yaml] [--format mermaid|dot]
//	                                         print the topology as a graph
//	faustgen init     [-module PATH] DIR     write a ready-to-run starter project
//	faustgen version                         print the version
//
// Exit codes: 0 fine, 1 findings (stale code, incompatible schemas), 2 bad
// input or usage, 3 an internal error (a bug in faustgen: it prints one
// line asking for a report; FAUSTGEN_STACK=1 adds the Go stack). It is
// usually run by go generate:
//
//	//go:generate go run github.com/faustgen/faustgen/cmd/faustgen generate
//
// This command only reads and writes files and maps results to exit codes;
// generation itself is package gen.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
)

// Exit codes shared by every command.
const (
	exitOK       = 0 // done, nothing to report
	exitFindings = 1 // stale generated code, incompatible schemas, ...
	exitBadInput = 2 // bad input files or bad usage
	exitInternal = 3 // a bug in faustgen: a panic, reported as one line
)

// stackEnv names the environment variable that, set to a non-empty value,
// makes an internal error print its Go stack.
const stackEnv = "FAUSTGEN_STACK"

// command is one subcommand: run gets the arguments after its name and
// returns the exit code.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// commands lists the subcommands in the order help shows them. A new
// command is one line here and a run function in its own file.
var commands = []command{
	{"generate", "write the generated package: generate [-f faustgen.yaml]", runGenerate},
	{"diff", "exit 1 and show a unified diff if the generated code is stale: diff [-f faustgen.yaml]", runDiff},
	{"compat", "check that a new .avsc may follow its history: compat V1.avsc [...] NEW.avsc [--level LEVEL]", runCompat},
	{"check", "check every subject against earlier schemas: check [-f faustgen.yaml] --against dir:PATH|git:REV|registry:URL [--level L] [--format text|json|github]", runCheck},
	{"graph", "print the topology as a graph: graph [-f faustgen.yaml] [--format mermaid|dot]", runGraph},
	{"init", "write a ready-to-run starter project into DIR: init [-module PATH] DIR", runInit},
	{"version", "print the version", runVersion},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches to a command and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitBadInput
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			return runGuarded(ctx, c, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "faustgen: unknown command %q\n", args[0])
	usage(stderr)
	return exitBadInput
}

// runGuarded runs c, turning a panic (a bug: bad input is an error, never
// a panic) into exitInternal and one line on stderr, so that CI can tell a
// crash from a user error; with FAUSTGEN_STACK set the stack follows.
func runGuarded(ctx context.Context, c command, args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		msg := strings.Join(strings.Fields(fmt.Sprint(p)), " ")
		fmt.Fprintf(stderr, "faustgen %s: internal error, please report it (with the input if you can): %s (set %s=1 for the stack)\n", c.name, msg, stackEnv)
		if os.Getenv(stackEnv) != "" {
			stderr.Write(debug.Stack())
		}
		code = exitInternal
	}()
	return c.run(ctx, args, stdout, stderr)
}

func usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("usage: faustgen COMMAND [flags]\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-9s %s\n", c.name, c.summary)
	}
	b.WriteString("\nexit codes: 0 fine, 1 findings (stale, incompatible), 2 bad input or usage, 3 internal error (a bug; " + stackEnv + "=1 prints its stack)\n")
	io.WriteString(w, b.String())
}
