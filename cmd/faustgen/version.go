package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
)

// version returns the module version of this build, with the VCS revision
// when the build recorded one.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}

func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintln(stderr, "faustgen version: takes no arguments")
		return exitBadInput
	}
	fmt.Fprintf(stdout, "faustgen %s\n", version())
	return exitOK
}
