package compat

import (
	"fmt"

	"github.com/faustgen/faustgen/internal/avroschema"
)

// The schema model is internal/avroschema's, shared with the generator:
// one parser, one set of rules for names, logical types and defaults.
type (
	// Kind is the kind of an Avro type.
	Kind = avroschema.Kind
	// Type is one resolved Avro type; named types are shared, so
	// recursive schemas are cyclic graphs.
	Type = avroschema.Type
	// Field is one field of a record.
	Field = avroschema.Field
	// Pos is a position in a schema source (file, line, column).
	Pos = avroschema.Pos
	// Source is one schema document: a name for positions and its JSON.
	Source = avroschema.Source
	// ParseError is one problem in a schema source, at a position.
	ParseError = avroschema.Diagnostic
	// ParseErrors is every problem found while parsing a set of sources,
	// sorted by position.
	ParseErrors = avroschema.List
)

// The Avro type kinds.
const (
	Null    = avroschema.Null
	Boolean = avroschema.Boolean
	Int     = avroschema.Int
	Long    = avroschema.Long
	Float   = avroschema.Float
	Double  = avroschema.Double
	Bytes   = avroschema.Bytes
	String  = avroschema.String
	Record  = avroschema.Record
	Enum    = avroschema.Enum
	Array   = avroschema.Array
	Map     = avroschema.Map
	Union   = avroschema.Union
	Fixed   = avroschema.Fixed
)

// Schema is one parsed version of a schema: its root type and every named
// type it defines or references.
type Schema struct {
	// Version labels the schema in findings: a file name, "v3", a git
	// revision. Parse sets it; callers may change it.
	Version string
	// Root is the schema's top-level type.
	Root *Type
	// Named holds every named type by full name.
	Named map[string]*Type
}

// Canonical returns avroschema.Canonical of the root: a normalized JSON
// form that keeps defaults and aliases (which change resolution) and
// drops docs and other attributes. Two schemas with the same Canonical
// form are the same schema to the embedded registry.
func (s *Schema) Canonical() string { return avroschema.Canonical(s.Root) }

// Parse parses one schema version from one or more sources. The root type
// is the last source's top-level schema; earlier sources supply named
// types it references (cross-file types, like registry references), in any
// order. version labels the schema in findings; empty means the last
// source's name. A malformed source gives ParseErrors naming
// file:line:col; problems that leave a schema valid Avro (a misspelt
// logical type, which readers ignore) are not errors here, though the
// generator refuses them. Every call builds fresh types: nothing is
// cached across calls.
func Parse(version string, sources ...Source) (*Schema, error) {
	if len(sources) == 0 {
		return nil, fmt.Errorf("parse schema %q: no sources", version)
	}
	if version == "" {
		version = sources[len(sources)-1].Name
	}
	set, err := parseSources(sources)
	if err != nil {
		return nil, err
	}
	return &Schema{Version: version, Root: set.Roots[len(set.Roots)-1], Named: set.Named}, nil
}

func parseSources(sources []Source) (*avroschema.Set, error) {
	set, diags := avroschema.Parse(sources...)
	if errs := diags.Lenient(); len(errs) > 0 {
		return nil, errs
	}
	return set, nil
}

// Set is every named type defined by a set of schema files, parsed once;
// Schema picks one of them as a root. Schemas from one Set share types.
type Set struct {
	version string
	named   map[string]*Type
}

// ParseSet parses a set of schema files (named types resolve across them,
// in any order). version labels the schemas taken from the set.
func ParseSet(version string, sources ...Source) (*Set, error) {
	set, err := parseSources(sources)
	if err != nil {
		return nil, err
	}
	return &Set{version: version, named: set.Named}, nil
}

// Schema returns the schema whose root is typeName: the full name of a
// named type of the set, or a primitive type name ("string"); false when
// the set does not define it.
func (s *Set) Schema(typeName string) (*Schema, bool) {
	if k, ok := avroschema.Primitives[typeName]; ok {
		return &Schema{Version: s.version, Root: &Type{Kind: k}, Named: s.named}, true
	}
	t, ok := s.named[typeName]
	if !ok {
		return nil, false
	}
	return &Schema{Version: s.version, Root: t, Named: s.named}, true
}

// Union returns the schema whose root is the union of typeNames (primitive
// names or full names of the set's named types), in that order, leaving
// out the names the set does not define: missing lists them. It reports
// false when it defines none (a topic's union key or value in a version
// that had none of its types).
func (s *Set) Union(typeNames ...string) (sc *Schema, missing []string, ok bool) {
	u := &Type{Kind: Union}
	for _, name := range typeNames {
		b, found := s.Schema(name)
		if !found {
			missing = append(missing, name)
			continue
		}
		u.Branches = append(u.Branches, b.Root)
	}
	if len(u.Branches) == 0 {
		return nil, missing, false
	}
	return &Schema{Version: s.version, Root: u, Named: s.named}, missing, true
}

// ParseType is ParseSet followed by Set.Schema: it returns the schema
// whose root is typeName, or an error when a file is malformed or the type
// is not defined (a ParseError without position).
func ParseType(version, typeName string, sources ...Source) (*Schema, error) {
	set, err := ParseSet(version, sources...)
	if err != nil {
		return nil, err
	}
	sc, ok := set.Schema(typeName)
	if !ok {
		return nil, ParseError{Msg: fmt.Sprintf("type %s is not defined in the schema files", typeName)}
	}
	return sc, nil
}
