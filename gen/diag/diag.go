// Package diag holds the positioned diagnostics that every part of the
// generator reports: one Diagnostic per problem, rendered as
// "file:line:col: message". It is not for runtime errors. The type is
// internal/avroschema's, so that schema problems and topology problems
// are one kind of value.
package diag

import "github.com/faustgen/faustgen/internal/avroschema"

// Diagnostic is one problem in one input file. Line and Col are 1-based;
// a zero Line means the position is unknown (the whole file).
type Diagnostic = avroschema.Diagnostic

// List is a set of diagnostics. A non-empty List is an error; its Error text
// has one diagnostic per line, sorted by file and position.
type List = avroschema.List
