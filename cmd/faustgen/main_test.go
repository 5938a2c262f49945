package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

// A panic inside a command is an internal error: exit 3 (not 2, bad input)
// and one line asking for a report; FAUSTGEN_STACK=1 adds the stack.
func TestPanicIsAnInternalErrorWithExitCode3(t *testing.T) {
	boom := command{name: "boom", run: func(context.Context, []string, io.Writer, io.Writer) int {
		var s []int
		return s[3] // index out of range
	}}
	for _, withStack := range []bool{false, true} {
		if withStack {
			t.Setenv(stackEnv, "1")
		} else {
			t.Setenv(stackEnv, "")
		}
		var out, errOut bytes.Buffer
		code := runGuarded(context.Background(), boom, nil, &out, &errOut)
		if code != exitInternal || exitInternal != 3 {
			t.Fatalf("exit %d, want 3", code)
		}
		lines := strings.Split(strings.TrimRight(errOut.String(), "\n"), "\n")
		if want := "faustgen boom: internal error, please report it"; !strings.HasPrefix(lines[0], want) || !strings.Contains(lines[0], "index out of range [3] with length 0") {
			t.Errorf("first line %q, want %q... naming the panic", lines[0], want)
		}
		hasStack := strings.Contains(errOut.String(), "main_test.go")
		if withStack != hasStack || (!withStack && len(lines) != 1) {
			t.Errorf("%s=%v: stack shown %v; stderr:\n%s", stackEnv, withStack, hasStack, errOut.String())
		}
	}
}

// A command that returns normally keeps its exit code.
func TestGuardedCommandKeepsItsExitCode(t *testing.T) {
	c := command{name: "two", run: func(context.Context, []string, io.Writer, io.Writer) int { return exitBadInput }}
	if code := runGuarded(context.Background(), c, nil, io.Discard, io.Discard); code != exitBadInput {
		t.Fatalf("exit %d, want %d", code, exitBadInput)
	}
}
