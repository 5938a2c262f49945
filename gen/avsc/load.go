package avsc

import (
	"slices"
	"sort"

	"github.com/faustgen/faustgen/internal/avroschema"
)

// File is one .avsc file: its path (as it should appear in diagnostics)
// and its contents.
type File struct {
	Path string
	Data []byte
}

func sources(files []File) []avroschema.Source {
	sorted := slices.Clone(files)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	out := make([]avroschema.Source, len(sorted))
	for i, f := range sorted {
		out[i] = avroschema.Source{Name: f.Path, Data: f.Data}
	}
	return out
}

// Load parses the files with internal/avroschema, which resolves the named
// types they define and use across all of them (in any order) and checks
// defaults and logical types, and settles the Go names. It reads nothing
// from disk. On bad input it returns a diag.List with every problem
// found, the Strict ones included: code generation refuses a schema that
// is valid Avro but would not give the Go its author meant.
//
// Defining one full name in several files is allowed when the definitions
// are the same; otherwise it is an error.
func Load(files []File) (*Set, error) {
	parsed, diags := avroschema.Parse(sources(files)...)
	if err := diags.Err(); err != nil {
		return nil, err
	}
	set := newSet(parsed)
	set.settleNames()
	return set, nil
}

// newSet wraps the parsed named types in the emission model.
func newSet(parsed *avroschema.Set) *Set {
	s := &Set{types: map[string]*named{}, byAlias: map[string]*named{}, bySrc: map[*avroschema.Type]*named{}}
	for name, t := range parsed.Named {
		d := &named{
			src: t, kind: t.Kind, fullName: t.Name, name: t.ShortName(), namespace: t.Namespace(),
			doc: t.Doc(), aliases: t.Aliases, isError: t.IsError, symbols: t.Symbols, enumDefault: t.EnumDefault,
			size: t.Size,
		}
		if mapped(t.Logical) {
			d.logical, d.precision, d.scale = t.Logical, t.Precision, t.Scale
		}
		s.types[name] = d
		s.bySrc[t] = d
	}
	for alias, t := range parsed.Aliases {
		s.byAlias[alias] = s.bySrc[t]
	}
	for _, d := range s.types {
		for _, f := range d.src.Fields {
			d.fields = append(d.fields, &field{name: f.Name, doc: f.Doc(), typ: s.use(f.Type), def: f.Default})
		}
	}
	return s
}

// use is the emission model of one use of a type.
func (s *Set) use(t *avroschema.Type) *schema {
	u := &schema{kind: t.Kind, src: t}
	switch t.Kind {
	case avroschema.Record, avroschema.Enum, avroschema.Fixed:
		u.named = s.bySrc[t]
	case avroschema.Array:
		u.items = s.use(t.Items)
	case avroschema.Map:
		u.values = s.use(t.Values)
	case avroschema.Union:
		for _, b := range t.Branches {
			u.branches = append(u.branches, s.use(b))
		}
	default:
		if mapped(t.Logical) {
			u.logical, u.precision, u.scale = t.Logical, t.Precision, t.Scale
		}
	}
	return u
}

// fragments is the full schema JSON and the Parsing Canonical Form of t
// with the named types it uses cut out, and those types (see
// avroschema.SchemaFragments).
func (s *Set) fragments(t *avroschema.Type) (parts, canonical []string, refs []*named) {
	parts, srcRefs := avroschema.SchemaFragments(t)
	canonical, _ = avroschema.CanonicalFragments(t) // the same refs
	for _, r := range srcRefs {
		refs = append(refs, s.bySrc[r])
	}
	return parts, canonical, refs
}
