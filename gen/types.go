package gen

import (
	"github.com/dave/jennifer/jen"

	"github.com/faustgen/faustgen/gen/avsc"
	"github.com/faustgen/faustgen/gen/diag"
	"github.com/faustgen/faustgen/gen/topology"
)

// typeRef is how generated code spells one topology type: its Go type and
// the expression of its runtime.Codec.
type typeRef struct {
	goType jen.Code
	codec  jen.Code
}

// ref resolves a validated type reference (a primitive or a named type).
// load has checked every reference, so a miss is a bug in this package.
func (m *model) ref(t topology.TypeRef) typeRef {
	if t.IsUnion() {
		r, ok := m.unions[t.Pos]
		if !ok {
			panic("gen: undeclared union " + t.Name + " passed validation")
		}
		return typeRef{goType: r.GoType, codec: r.Codec}
	}
	r, ok := m.types.Ref(t.Name)
	if !ok {
		panic("gen: unresolved type " + t.Name + " passed validation")
	}
	return typeRef{goType: r.GoType, codec: r.Codec}
}

// typeNames lists the full names of the set's named types, for
// suggestions.
func typeNames(set *avsc.Set) []string {
	var names []string
	for _, t := range set.Types() {
		names = append(names, t.AvroName)
	}
	return names
}

// checkTypeNameClashes reports identifiers that both types.go (the schema
// types) and topology.go would declare: App, Agents, New, and per agent
// <Agent>Agent and <Agent>Context.
func checkTypeNameClashes(top *topology.Topology, set *avsc.Set) diag.List {
	type decl struct {
		what string
		pos  topology.Pos // zero for the fixed names
	}
	declared := map[string]decl{"App": {what: "the App type"}, "Agents": {what: "the Agents type"}, "New": {what: "the New function"}}
	for _, a := range top.Agents {
		if a.GoName == "" {
			continue
		}
		declared[agentIfaceName(a)] = decl{"agent " + a.Key, a.Pos}
		declared[contextName(a)] = decl{"agent " + a.Key, a.Pos}
	}
	// Where each schema type is defined, to point at it.
	byGoName := map[string]avsc.TypeInfo{}
	for _, t := range set.Types() {
		byGoName[t.GoName] = t
	}
	var l diag.List
	for _, ident := range set.Idents() {
		d, clash := declared[ident]
		if !clash {
			continue
		}
		t, isType := byGoName[ident]
		switch {
		case d.pos.Line != 0 && isType:
			l.Add(top.File, d.pos.Line, d.pos.Col, "agent %q would declare %s, which is already the Go name of schema type %s (%s:%d); rename the agent", d.what[len("agent "):], ident, t.AvroName, t.File, t.Line)
		case d.pos.Line != 0:
			l.Add(top.File, d.pos.Line, d.pos.Col, "agent %q would declare %s, which the schema types' generated code declares too; rename the agent", d.what[len("agent "):], ident)
		case isType:
			l.Add(t.File, t.Line, t.Col, "type %s becomes the Go name %s, which the generated package declares for %s; rename the type", t.AvroName, ident, d.what)
		default:
			l.Add(top.File, 1, 1, "the schema types' generated code declares %s, which the generated package needs for %s; rename the schema type that causes it", ident, d.what)
		}
	}
	return l
}
