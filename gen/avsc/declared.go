package avsc

import "github.com/faustgen/faustgen/internal/avroschema"

// Declared is what a set of files defines as far as each one could be
// read, for reporting problems next to a Load that failed: a topology's
// type names can still be checked against the types that did load.
type Declared struct {
	// Names holds the full names and full aliases of every named type
	// that some file defines, even where the definition has errors.
	Names map[string]bool
	// Unparsed lists the paths of files that are not valid JSON: what
	// they would define is unknown.
	Unparsed []string
}

// Declare reads the files as Load does, without resolving or checking
// them, and returns the named types they define. It never fails: the
// problems are Load's to report.
func Declare(files []File) Declared {
	names, unparsed := avroschema.DeclaredNames(sources(files)...)
	return Declared{Names: names, Unparsed: unparsed}
}
