// Package diag holds the positioned diagnostics that every part of the
// generator reports: one Diagnostic per problem, rendered as
// "file:line:col: message". It is not for runtime errors.
package diag

import (
	"fmt"
	"sort"
	"strings"
)

// Diagnostic is one problem in one input file. Line and Col are 1-based;
// a zero Line means the position is unknown (the whole file).
type Diagnostic struct {
	File string
	Line int
	Col  int
	Msg  string
}

// String renders the diagnostic as "file:line:col: message".
func (d Diagnostic) String() string {
	if d.Line == 0 {
		return fmt.Sprintf("%s: %s", d.File, d.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", d.File, d.Line, d.Col, d.Msg)
}

// List is a set of diagnostics. A non-empty List is an error; its Error text
// has one diagnostic per line, sorted by file and position.
type List []Diagnostic

// Add appends a diagnostic built from a position and a formatted message.
func (l *List) Add(file string, line, col int, format string, args ...any) {
	*l = append(*l, Diagnostic{File: file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
}

// Err returns the list as an error, or nil when it is empty. The returned
// list is sorted.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	l.Sort()
	return l
}

// Sort orders the diagnostics by file, line, column and message.
func (l List) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i], l[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return a.Msg < b.Msg
	})
}

// Error implements error: one diagnostic per line.
func (l List) Error() string {
	var b strings.Builder
	for i, d := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(d.String())
	}
	return b.String()
}
