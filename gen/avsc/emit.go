package avsc

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dave/jennifer/jen"

	"github.com/faustgen/faustgen/internal/avroschema"
	"github.com/faustgen/faustgen/internal/posjson"
)

// Import paths of generated code; Render sets their package names so that
// hamba's path renders as avro, not v2.
const (
	avroPath    = "github.com/hamba/avro/v2"
	runtimePath = "github.com/faustgen/faustgen/runtime"
	// genapiPath holds what only generated code calls (codec helpers,
	// the schema table); runtimePath what users see too (Codec, Decimal).
	genapiPath = "github.com/faustgen/faustgen/runtime/genapi"
)

func qa(name string) *jen.Statement { return jen.Qual(avroPath, name) }
func qr(name string) *jen.Statement { return jen.Qual(runtimePath, name) }
func qg(name string) *jen.Statement { return jen.Qual(genapiPath, name) }
func qt(name string) *jen.Statement { return jen.Qual("time", name) }

// Render adds the Go code of every named type to f: per type its
// declaration, constructor, codec variable, methods and encoder/decoder,
// then the union types, in a deterministic order.
func (s *Set) Render(f *jen.File) {
	f.ImportName(avroPath, "avro")
	f.ImportName(runtimePath, "runtime")
	f.ImportName(genapiPath, "genapi")
	if len(s.order)+len(s.topUnions) > 0 {
		f.Add(s.schemaTable())
		f.Line()
	}
	for _, d := range s.order {
		for _, c := range s.namedDecls(d) {
			f.Add(c)
			f.Line()
		}
	}
	for _, u := range s.unions {
		for _, c := range s.unionDecls(u) {
			f.Add(c)
			f.Line()
		}
	}
	for i, tu := range s.topUnions {
		f.Add(s.topUnionCodec(tu, len(s.order)+i))
		f.Line()
	}
}

// topUnionCodec emits the codec of a topic's union key or value.
//
//	var EventsValueCodec = runtime.Codec[EventsValue]{
//		Type:        "[com.example.Created, com.example.Deleted]",
//		Schemas:     avroSchemas,
//		SchemaIndex: 7,
//		Encode:      func(w *avro.Writer, v *EventsValue) { encodeEventsValue(w, v, 0) },
//		Decode:      func(r *avro.Reader, v *EventsValue) { decodeEventsValue(r, v, 0) },
//	}
func (s *Set) topUnionCodec(tu *topUnion, index int) jen.Code {
	g := tu.u.goName
	return comment(fmt.Sprintf("%s encodes and decodes %s, the %s, as the Avro union %s.", tu.codec, g, tu.u.context, tu.typ)).Line().
		Var().Id(tu.codec).Op("=").Add(qr("Codec")).Types(jen.Id(g)).Values(
		jen.Line().Id("Type").Op(":").Lit(tu.typ),
		jen.Line().Id("Schemas").Op(":").Id(schemaTableName),
		jen.Line().Id("SchemaIndex").Op(":").Lit(index),
		jen.Line().Id("Encode").Op(":").Func().Params(jen.Id("w").Op("*").Add(qa("Writer")), jen.Id("v").Op("*").Id(g)).
			Block(jen.Id("encode"+g).Call(jen.Id("w"), jen.Id("v"), jen.Lit(0))),
		jen.Line().Id("Decode").Op(":").Func().Params(jen.Id("r").Op("*").Add(qa("Reader")), jen.Id("v").Op("*").Id(g)).
			Block(jen.Id("decode"+g).Call(jen.Id("r"), jen.Id("v"), jen.Lit(0))),
		jen.Line(),
	)
}

// comment renders text as // lines. jennifer would use /* */ for text with
// newlines, which a "*/" inside the text would end early.
func comment(lines ...string) *jen.Statement {
	var out []string
	for _, text := range lines {
		text = strings.ReplaceAll(text, "\r\n", "\n")
		text = strings.Map(func(r rune) rune {
			switch {
			case r == '\n' || r == '\t':
				return r
			case r < 0x20 || r == 0x7f || r == '\r' || r == 0xfeff:
				return ' '
			}
			return r
		}, text)
		for _, l := range strings.Split(text, "\n") {
			l = strings.TrimRight(l, " \t")
			if l == "" {
				out = append(out, "//")
			} else {
				out = append(out, "// "+l)
			}
		}
	}
	return jen.Comment(strings.Join(out, "\n"))
}

// docLines builds a doc comment: the summary, the schema doc, then notes.
func docLines(summary, doc string, notes ...string) []string {
	lines := []string{summary}
	if doc != "" {
		lines = append(lines, "", doc)
	}
	for _, n := range notes {
		if n != "" {
			lines = append(lines, "", n)
		}
	}
	return lines
}

// goType is the Go type of a schema node.
func goType(t *schema) *jen.Statement {
	switch t.kind {
	case avroschema.Null:
		return jen.Struct()
	case avroschema.Boolean:
		return jen.Bool()
	case avroschema.Int:
		switch t.logical {
		case avroschema.Date:
			return qt("Time")
		case avroschema.TimeMillis:
			return qt("Duration")
		}
		return jen.Int32()
	case avroschema.Long:
		switch t.logical {
		case avroschema.TimeMicros:
			return qt("Duration")
		case avroschema.TimestampMillis, avroschema.TimestampMicros, avroschema.TimestampNanos,
			avroschema.LocalTimestampMillis, avroschema.LocalTimestampMicros, avroschema.LocalTimestampNanos:
			return qt("Time")
		}
		return jen.Int64()
	case avroschema.Float:
		return jen.Float32()
	case avroschema.Double:
		return jen.Float64()
	case avroschema.Bytes:
		if t.logical == avroschema.Decimal {
			return qr("Decimal")
		}
		return jen.Index().Byte()
	case avroschema.String:
		return jen.String()
	case avroschema.Record, avroschema.Enum, avroschema.Fixed:
		if t.byRef {
			return jen.Op("*").Id(t.named.goName)
		}
		return jen.Id(t.named.goName)
	case avroschema.Array:
		return jen.Index().Add(goType(t.items))
	case avroschema.Map:
		return jen.Map(jen.String()).Add(goType(t.values))
	case avroschema.Union:
		if other, _, ok := t.nullable(); ok {
			if other.kind == avroschema.Array || other.kind == avroschema.Map {
				return goType(other)
			}
			return jen.Op("*").Add(goType(other))
		}
		return jen.Id(t.union.goName)
	}
	panic("unreachable")
}

// namedDecls emits everything one named type needs.
func (s *Set) namedDecls(d *named) []jen.Code {
	var out []jen.Code
	avroKind := d.kind.String()
	if d.isError {
		avroKind = "error"
	}
	summary := fmt.Sprintf("%s is the Avro %s %s.", d.goName, avroKind, d.fullName)
	alias := d.kind == avroschema.Fixed && (d.logical == avroschema.Decimal || d.logical == avroschema.Duration)
	switch d.kind {
	case avroschema.Record:
		out = append(out, s.recordType(d, summary), s.recordNew(d))
	case avroschema.Enum:
		out = append(out, s.enumType(d, summary)...)
	case avroschema.Fixed:
		switch d.logical {
		case avroschema.Decimal:
			out = append(out, comment(docLines(summary, d.doc, fmt.Sprintf("A decimal with precision %d and scale %d in %d bytes; an alias, so it has no methods of its own.", d.precision, d.scale, d.size), d.goNote)...).Line().
				Type().Id(d.goName).Op("=").Add(qr("Decimal")))
		case avroschema.Duration:
			out = append(out, comment(docLines(summary, d.doc, "A duration (months, days, milliseconds); an alias, so it has no methods of its own.", d.goNote)...).Line().
				Type().Id(d.goName).Op("=").Add(qr("Duration")))
		default:
			out = append(out, comment(docLines(summary, d.doc, d.goNote)...).Line().
				Type().Id(d.goName).Index(jen.Lit(d.size)).Byte())
		}
	}

	// The codec variable.
	out = append(out, comment(fmt.Sprintf("%s encodes and decodes %s as Avro %s.", codecName(d), d.goName, d.fullName)).Line().
		Var().Id(codecName(d)).Op("=").Add(qr("Codec")).Types(jen.Id(d.goName)).Values(
		jen.Line().Id("Type").Op(":").Lit(d.fullName),
		jen.Line().Id("Schemas").Op(":").Id(schemaTableName),
		jen.Line().Id("SchemaIndex").Op(":").Lit(s.index[d]),
		jen.Line().Id("Encode").Op(":").Add(encodeFunc(d)),
		jen.Line().Id("Decode").Op(":").Add(decodeFunc(d)),
		jen.Line(),
	))

	if !alias {
		out = append(out, s.methods(d)...)
	}
	out = append(out, s.namedEncoder(d), s.namedDecoder(d))
	return out
}

// schemaTableName is the generated package's genapi.SchemaTable.
const schemaTableName = "avroSchemas"

// schemaTable emits the table of every named type's definition, each
// written once, from which the codecs' full schemas are composed.
//
//	var avroSchemas = genapi.NewSchemaTable(
//		// 0: com.example.Page
//		genapi.SchemaDef{Name: "com.example.Page", Parts: []string{`{"type":"record",...}`}},
//		// 1: com.example.PageView
//		genapi.SchemaDef{Name: "com.example.PageView", Parts: []string{`{...,"type":`, `}]}`}, Refs: []int{0}},
//	)
func (s *Set) schemaTable() jen.Code {
	var defs []jen.Code
	for i, d := range s.order {
		defs = append(defs, jen.Line().Add(comment(fmt.Sprintf("%d: %s", i, d.fullName))).Line().Add(qg("SchemaDef")).Values(s.schemaDef(d.src, d.fullName)))
	}
	for i, tu := range s.topUnions {
		defs = append(defs, jen.Line().Add(comment(fmt.Sprintf("%d: %s, the %s", len(s.order)+i, tu.typ, tu.u.context))).Line().Add(qg("SchemaDef")).Values(s.schemaDef(tu.u.s.src, "")))
	}
	return comment(schemaTableName+" holds the schema of every named type of this package, each written once:",
		"the named types a definition uses are cut out of its JSON (and of its Parsing",
		"Canonical Form) and referenced by index. A codec's FullSchema and",
		"SchemaFingerprint are composed from them on first use.").Line().
		Var().Id(schemaTableName).Op("=").Add(qg("NewSchemaTable")).Call(append(defs, jen.Line())...)
}

// schemaDef is the fields of t's genapi.SchemaDef; name is empty for a
// topic's union, which nothing references by name.
func (s *Set) schemaDef(t *avroschema.Type, name string) jen.Dict {
	parts, canonical, refs := s.fragments(t)
	var ps, cs, rs []jen.Code
	for _, p := range parts {
		ps = append(ps, stringLiteral(p))
	}
	for _, c := range canonical {
		cs = append(cs, stringLiteral(c))
	}
	for _, r := range refs {
		rs = append(rs, jen.Lit(s.index[r]))
	}
	fields := jen.Dict{jen.Id("Parts"): jen.Index().String().Values(ps...), jen.Id("Canonical"): jen.Index().String().Values(cs...)}
	if name != "" {
		fields[jen.Id("Name")] = jen.Lit(name)
	}
	if len(rs) > 0 {
		fields[jen.Id("Refs")] = jen.Index().Int().Values(rs...)
	}
	return fields
}

// methods emits AvroSchema, AvroFingerprint, MarshalAvro and UnmarshalAvro.
//
//	func (PageView) AvroSchema() string { return PageViewCodec.FullSchema() }
func (s *Set) methods(d *named) []jen.Code {
	c := codecName(d)
	return []jen.Code{
		comment(fmt.Sprintf("AvroSchema returns the full Avro schema of %s (docs and defaults kept).", d.goName)).Line().
			Func().Params(jen.Id(d.goName)).Id("AvroSchema").Params().String().Block(jen.Return(jen.Id(c).Dot("FullSchema").Call())),
		comment(fmt.Sprintf("AvroFingerprint returns the CRC-64-AVRO fingerprint of the Parsing Canonical Form of %s.", d.goName)).Line().
			Func().Params(jen.Id(d.goName)).Id("AvroFingerprint").Params().Uint64().Block(jen.Return(jen.Id(c).Dot("SchemaFingerprint").Call())),
		comment("MarshalAvro returns the Avro binary encoding of v (no framing).").Line().
			Func().Params(jen.Id("v").Op("*").Id(d.goName)).Id("MarshalAvro").Params().Params(jen.Index().Byte(), jen.Error()).
			Block(jen.Return(jen.Id(c).Dot("Marshal").Call(jen.Id("v")))),
		comment("UnmarshalAvro decodes the Avro binary encoding b into v.").Line().
			Func().Params(jen.Id("v").Op("*").Id(d.goName)).Id("UnmarshalAvro").Params(jen.Id("b").Index().Byte()).Error().
			Block(jen.Return(jen.Id(c).Dot("Unmarshal").Call(jen.Id("b"), jen.Id("v")))),
	}
}

// recordType emits the struct.
//
//	type PageView struct {
//		// URL is the page.
//		URL string `avro:"url"`
//	}
func (s *Set) recordType(d *named, summary string) jen.Code {
	fields := make([]jen.Code, 0, len(d.fields))
	for i, f := range d.fields {
		var lines []string
		if f.doc != "" {
			lines = append(lines, f.doc)
		}
		if f.goNote != "" {
			lines = append(lines, fmt.Sprintf("(Avro field %q: renamed, %s.)", f.name, f.goNote))
		}
		st := jen.Id(f.goName).Add(goType(f.typ)).Tag(map[string]string{"avro": f.name})
		if len(lines) > 0 {
			if i > 0 {
				fields = append(fields, jen.Line())
			}
			st = comment(lines...).Line().Add(st)
		}
		fields = append(fields, st)
	}
	return comment(docLines(summary, d.doc, d.goNote)...).Line().Type().Id(d.goName).Struct(fields...)
}

// recordNew emits the constructor that applies the schema defaults.
func (s *Set) recordNew(d *named) jen.Code {
	return comment(fmt.Sprintf("New%s returns %s %s with every default of its schema applied.", d.goName, article(d.goName), d.goName)).Line().
		Func().Id("New" + d.goName).Params().Id(d.goName).Block(jen.Return(s.recordLiteral(d, nil)))
}

// enumType emits the enum type, its constants and String.
func (s *Set) enumType(d *named, summary string) []jen.Code {
	var consts []jen.Code
	var cases []jen.Code
	for i, sym := range d.symbols {
		c := jen.Id(d.symbolGo[i]).Id(d.goName).Op("=").Lit(i)
		if d.symbolNote[i] != "" {
			c = comment(fmt.Sprintf("%s is the symbol %s (renamed: %s).", d.symbolGo[i], sym, d.symbolNote[i])).Line().Add(c)
		}
		consts = append(consts, c)
		cases = append(cases, jen.Case(jen.Id(d.symbolGo[i])).Block(jen.Return(jen.Lit(sym))))
	}
	notes := []string{"Encoding a value that is not one of its constants fails."}
	if d.src.HasEnumDefault {
		notes = append(notes, fmt.Sprintf("Readers of data with an unknown symbol fall back to %s.", d.enumDefault))
	}
	notes = append(notes, d.goNote)
	out := []jen.Code{
		comment(docLines(summary, d.doc, notes...)...).Line().Type().Id(d.goName).Int32(),
	}
	if len(consts) > 0 {
		out = append(out, comment(fmt.Sprintf("The symbols of %s.", d.fullName)).Line().Const().Defs(consts...))
	}
	cases = append(cases, jen.Default().Block(jen.Return(jen.Lit(d.goName+"(").Op("+").Qual("strconv", "Itoa").Call(jen.Int().Parens(jen.Id("v"))).Op("+").Lit(")"))))
	out = append(out, comment("String returns the Avro symbol.").Line().
		Func().Params(jen.Id("v").Id(d.goName)).Id("String").Params().String().Block(jen.Switch(jen.Id("v")).Block(cases...)))
	return out
}

// encodeFunc is a named type's Encode for its Codec: encode<Type>, or for
// a record a closure that starts it at depth 0.
func encodeFunc(d *named) jen.Code {
	if d.kind != avroschema.Record {
		return jen.Id("encode" + d.goName)
	}
	return jen.Func().Params(jen.Id("w").Op("*").Add(qa("Writer")), jen.Id("v").Op("*").Id(d.goName)).
		Block(jen.Id("encode"+d.goName).Call(jen.Id("w"), jen.Id("v"), jen.Lit(0)))
}

// namedEncoder emits encode<Type>(w, v), for a record
// encode<Type>(w, v, depth): a value whose records nest deeper than
// runtime.MaxDecodeDepth (which decoding would refuse), or whose pointers
// form a cycle, fails to encode instead of exhausting the stack.
func (s *Set) namedEncoder(d *named) jen.Code {
	var body []jen.Code
	v := jen.Id("v")
	params := []jen.Code{jen.Id("w").Op("*").Add(qa("Writer")), jen.Id("v").Op("*").Id(d.goName)}
	switch d.kind {
	case avroschema.Record:
		params = append(params, jen.Id("depth").Int())
		body = append(body, jen.If(jen.Id("depth").Op(">=").Add(qr("MaxDecodeDepth"))).Block(
			qg("FailEncode").Call(jen.Id("w"), jen.Lit(d.fullName), jen.Lit("records nested more than %d deep (runtime.MaxDecodeDepth; a pointer cycle?)"), qr("MaxDecodeDepth")),
			jen.Return(),
		))
		child := jen.Id("depth").Op("+").Lit(1)
		for _, f := range d.fields {
			val := jen.Id("v").Dot(f.goName)
			body = append(body, s.enc(f.typ, val, jen.Op("&").Add(val), d.fullName+"."+f.name, 0, child)...)
		}
	case avroschema.Enum:
		body = append(body,
			jen.If(jen.Uint32().Parens(jen.Op("*").Add(v)).Op(">=").Lit(len(d.symbols))).Block(
				qg("FailEncode").Call(jen.Id("w"), jen.Lit(d.fullName), jen.Lit("%d is not a symbol"), jen.Op("*").Id("v")),
				jen.Return(),
			),
			jen.Id("w").Dot("WriteInt").Call(jen.Int32().Parens(jen.Op("*").Id("v"))))
	case avroschema.Fixed:
		switch d.logical {
		case avroschema.Decimal:
			body = append(body, qg("WriteDecimalFixed").Call(jen.Id("w"), jen.Lit(d.fullName), jen.Op("*").Id("v"), jen.Lit(d.size), jen.Lit(d.precision), jen.Lit(d.scale)))
		case avroschema.Duration:
			body = append(body, qg("WriteDuration").Call(jen.Id("w"), jen.Op("*").Id("v")))
		default:
			body = append(body, jen.Id("_").Op(",").Id("_").Op("=").Id("w").Dot("Write").Call(jen.Id("v").Index(jen.Op(":"))))
		}
	}
	return jen.Func().Id("encode" + d.goName).Params(params...).Block(body...)
}

// decodeFunc is a named type's Decode for its Codec: decode<Type>, or for
// a record a closure that starts it at depth 0.
//
//	func(r *avro.Reader, v *Node) { decodeNode(r, v, 0) }
func decodeFunc(d *named) jen.Code {
	if d.kind != avroschema.Record {
		return jen.Id("decode" + d.goName)
	}
	return jen.Func().Params(jen.Id("r").Op("*").Add(qa("Reader")), jen.Id("v").Op("*").Id(d.goName)).
		Block(jen.Id("decode"+d.goName).Call(jen.Id("r"), jen.Id("v"), jen.Lit(0)))
}

// namedDecoder emits decode<Type>(r, v), for a record
// decode<Type>(r, v, depth): depth is the number of records around this
// one, and past runtime.MaxDecodeDepth the decoder stops with
// runtime.ErrTooDeep, so that a hostile value of a recursive type cannot
// exhaust the stack.
//
//	func decodeNode(r *avro.Reader, v *Node, depth int) {
//		if depth >= runtime.MaxDecodeDepth {
//			runtime.TooDeep(r, "com.example.Node")
//			return
//		}
//		...
func (s *Set) namedDecoder(d *named) jen.Code {
	var body []jen.Code
	params := []jen.Code{jen.Id("r").Op("*").Add(qa("Reader")), jen.Id("v").Op("*").Id(d.goName)}
	switch d.kind {
	case avroschema.Record:
		params = append(params, jen.Id("depth").Int())
		body = append(body, jen.If(jen.Id("depth").Op(">=").Add(qr("MaxDecodeDepth"))).Block(
			qg("TooDeep").Call(jen.Id("r"), jen.Lit(d.fullName)),
			jen.Return(),
		))
		child := jen.Id("depth").Op("+").Lit(1)
		for _, f := range d.fields {
			body = append(body, s.dec(f.typ, jen.Id("v").Dot(f.goName), d.fullName+"."+f.name, 0, false, child)...)
		}
	case avroschema.Enum:
		body = append(body,
			jen.Id("i").Op(":=").Id("r").Dot("ReadInt").Call(),
			jen.If(jen.Uint32().Parens(jen.Id("i")).Op(">=").Lit(len(d.symbols))).Block(
				qg("BadIndex").Call(jen.Id("r"), jen.Lit(d.fullName), jen.Int64().Parens(jen.Id("i"))),
				jen.Return(),
			),
			jen.Op("*").Id("v").Op("=").Id(d.goName).Parens(jen.Id("i")))
	case avroschema.Fixed:
		switch d.logical {
		case avroschema.Decimal:
			body = append(body, jen.Op("*").Id("v").Op("=").Add(qg("ReadDecimalFixed")).Call(jen.Id("r"), jen.Lit(d.size), jen.Lit(d.scale)))
		case avroschema.Duration:
			body = append(body, jen.Op("*").Id("v").Op("=").Add(qg("ReadDuration")).Call(jen.Id("r")))
		default:
			body = append(body, jen.Id("r").Dot("Read").Call(jen.Id("v").Index(jen.Op(":"))))
		}
	}
	return jen.Func().Id("decode" + d.goName).Params(params...).Block(body...)
}

// unionDecls emits a general union: its struct, kind type and constants,
// encoder and decoder.
func (s *Set) unionDecls(u *unionType) []jen.Code {
	t := u.s
	var fields []jen.Code
	fields = append(fields, comment("Kind says which branch holds the value.").Line().Id("Kind").Id(u.kindName))
	var consts []jen.Code
	var encCases, decCases, kindCases []jen.Code
	var branchDesc []string
	for i, b := range t.branches {
		label := avroschema.BranchLabel(b.src)
		if b.logical != "" {
			label = fmt.Sprintf("%q (%s)", b.kind, b.logical)
		}
		branchDesc = append(branchDesc, label)
		c := jen.Id(u.consts[i]).Id(u.kindName).Op("=").Lit(i)
		consts = append(consts, comment(fmt.Sprintf("%s: the value is a %s.", u.consts[i], label)).Line().Add(c))
		enc := []jen.Code{jen.Id("w").Dot("WriteLong").Call(jen.Lit(i))}
		dec := []jen.Code{jen.Id("v").Dot("Kind").Op("=").Id(u.consts[i])}
		if u.branches[i] != "" {
			fields = append(fields, jen.Id(u.branches[i]).Add(goType(b)))
			val := jen.Id("v").Dot(u.branches[i])
			enc = append(enc, s.enc(b, val, jen.Op("&").Add(val), u.context, 0, jen.Id("depth"))...)
			dec = append(dec, s.dec(b, jen.Id("v").Dot(u.branches[i]), u.context, 0, false, jen.Id("depth"))...)
		}
		kindCases = append(kindCases, jen.Case(jen.Id(u.consts[i])).Block(jen.Return(jen.Lit(branchName(b)))))
		encCases = append(encCases, jen.Case(jen.Id(u.consts[i])).Block(enc...))
		decCases = append(decCases, jen.Case(jen.Lit(i)).Block(dec...))
	}
	encCases = append(encCases, jen.Default().Block(
		qg("FailEncode").Call(jen.Id("w"), jen.Lit(u.goName), jen.Lit("kind %d is not a branch of the union"), jen.Id("v").Dot("Kind"))))
	decCases = append(decCases, jen.Default().Block(
		qg("BadIndex").Call(jen.Id("r"), jen.Lit(u.goName), jen.Id("i"))))
	return []jen.Code{
		comment(fmt.Sprintf("%s is the union [%s] of the %s.", u.goName, strings.Join(branchDesc, ", "), u.context),
			"", "Kind says which branch holds the value; the other fields are zero. The zero value is the first branch.").Line().
			Type().Id(u.goName).Struct(fields...),
		comment(fmt.Sprintf("%s says which branch of %s holds the value: the branch's index in the schema.", u.kindName, u.goName)).Line().
			Type().Id(u.kindName).Int(),
		comment(fmt.Sprintf("The branches of %s.", u.goName)).Line().Const().Defs(consts...),
		comment("String names the branch's type as the schema does.").Line().
			Func().Params(jen.Id("k").Id(u.kindName)).Id("String").Params().String().Block(
			jen.Switch(jen.Id("k")).Block(kindCases...),
			jen.Return(jen.Lit(u.kindName+"(").Op("+").Qual("strconv", "Itoa").Call(jen.Int().Parens(jen.Id("k"))).Op("+").Lit(")"))),
		comment(fmt.Sprintf("encode%s writes one %s; depth is the number of records around it, which a record branch is encoded at.", u.goName, u.goName)).Line().
			Func().Id("encode"+u.goName).Params(jen.Id("w").Op("*").Add(qa("Writer")), jen.Id("v").Op("*").Id(u.goName), jen.Id("depth").Int()).Block(
			jen.Switch(jen.Id("v").Dot("Kind")).Block(encCases...)),
		comment(fmt.Sprintf("decode%s reads one %s; depth is the number of records around it, which a record branch is decoded at.", u.goName, u.goName)).Line().
			Func().Id("decode"+u.goName).Params(jen.Id("r").Op("*").Add(qa("Reader")), jen.Id("v").Op("*").Id(u.goName), jen.Id("depth").Int()).Block(
			jen.Op("*").Id("v").Op("=").Id(u.goName).Values(),
			jen.Switch(jen.Id("i").Op(":=").Id("r").Dot("ReadLong").Call(), jen.Id("i")).Block(decCases...)),
	}
}

// branchName names a union branch's type: "null", "string", "array",
// "com.example.Address"; a logical type is named by itself.
func branchName(b *schema) string {
	switch {
	case b.kind.Named():
		return b.named.fullName
	case b.logical != "":
		return b.logical
	}
	return b.kind.String()
}

func depthID(prefix string, depth int) *jen.Statement {
	return jen.Id(prefix + strconv.Itoa(depth))
}

// enc returns the statements that write one value: val is the value and
// ptr a pointer to it; ctx names the place for error messages. depth names
// loop variables; level is the depth a record (or general union) written
// here is encoded at.
func (s *Set) enc(t *schema, val, ptr jen.Code, ctx string, depth int, level jen.Code) []jen.Code {
	w := func(method string, arg jen.Code) []jen.Code {
		return []jen.Code{jen.Id("w").Dot(method).Call(arg)}
	}
	switch t.kind {
	case avroschema.Null:
		return nil
	case avroschema.Boolean:
		return w("WriteBool", val)
	case avroschema.Int:
		switch t.logical {
		case avroschema.Date:
			return w("WriteInt", qg("DaysSinceEpoch").Call(val))
		case avroschema.TimeMillis:
			return w("WriteInt", jen.Int32().Parens(jen.Add(val).Dot("Milliseconds").Call()))
		}
		return w("WriteInt", val)
	case avroschema.Long:
		switch t.logical {
		case avroschema.TimeMicros:
			return w("WriteLong", jen.Add(val).Dot("Microseconds").Call())
		case avroschema.TimestampMillis, avroschema.LocalTimestampMillis:
			return w("WriteLong", jen.Add(val).Dot("UnixMilli").Call())
		case avroschema.TimestampMicros, avroschema.LocalTimestampMicros:
			return w("WriteLong", jen.Add(val).Dot("UnixMicro").Call())
		case avroschema.TimestampNanos, avroschema.LocalTimestampNanos:
			// An int64 of nanoseconds holds 1677-09-21 to 2262-04-11 only;
			// UnixNano wraps outside them, which the round trip detects:
			//
			//	if nanos := v.At.UnixNano(); !time.Unix(0, nanos).Equal(v.At) {
			//		genapi.FailEncode(w, "...", "%v is outside ...", v.At)
			//	} else {
			//		w.WriteLong(nanos)
			//	}
			nanos := jen.Id("nanos")
			return []jen.Code{jen.If(jen.Add(nanos).Op(":=").Add(val).Dot("UnixNano").Call(), jen.Op("!").Add(qt("Unix")).Call(jen.Lit(0), nanos).Dot("Equal").Call(val)).Block(
				qg("FailEncode").Call(jen.Id("w"), jen.Lit(ctx), jen.Lit("%v is outside the range of "+t.logical+" (an int64 of nanoseconds: 1677-09-21 to 2262-04-11 UTC)"), val),
			).Else().Block(jen.Id("w").Dot("WriteLong").Call(nanos))}
		}
		return w("WriteLong", val)
	case avroschema.Float:
		return w("WriteFloat", val)
	case avroschema.Double:
		return w("WriteDouble", val)
	case avroschema.Bytes:
		if t.logical == avroschema.Decimal {
			return []jen.Code{qg("WriteDecimalBytes").Call(jen.Id("w"), jen.Lit(ctx), val, jen.Lit(t.precision), jen.Lit(t.scale))}
		}
		return w("WriteBytes", val)
	case avroschema.String:
		return w("WriteString", val)
	case avroschema.Record, avroschema.Enum, avroschema.Fixed:
		fn := jen.Id("encode" + t.named.goName)
		args := func(v jen.Code) []jen.Code {
			if t.kind == avroschema.Record {
				return []jen.Code{jen.Id("w"), v, level}
			}
			return []jen.Code{jen.Id("w"), v}
		}
		if t.byRef {
			return []jen.Code{jen.If(jen.Add(val).Op("==").Nil()).Block(
				qg("FailEncode").Call(jen.Id("w"), jen.Lit(ctx), jen.Lit("nil *"+t.named.goName+" (this field is not nullable)")),
			).Else().Block(jen.Add(fn).Call(args(val)...))}
		}
		return []jen.Code{jen.Add(fn).Call(args(ptr)...)}
	case avroschema.Array:
		i := depthID("i", depth)
		n := depthID("n", depth)
		elem := jen.Add(val).Index(i)
		var block []jen.Code
		if encodesToNothing(t.items, map[*named]bool{}) {
			// Decoding accepts at most runtime.MaxEmptyItems of them.
			block = append(block, jen.If(jen.Add(n).Op(">").Add(qg("MaxEmptyItems"))).Block(
				qg("FailEncode").Call(jen.Id("w"), jen.Lit(ctx), jen.Lit("%d items that encode to nothing, more than the %d decoding accepts"), n, qg("MaxEmptyItems"))))
		}
		block = append(block, jen.Id("w").Dot("WriteLong").Call(jen.Int64().Parens(n)))
		// Items that write nothing (null) need no loop.
		if each := s.enc(t.items, elem, jen.Op("&").Add(elem), ctx, depth+1, level); len(each) > 0 {
			block = append(block, jen.For(jen.Add(i).Op(":=").Range().Add(val)).Block(each...))
		}
		return []jen.Code{
			jen.If(jen.Add(n).Op(":=").Len(val), jen.Add(n).Op(">").Lit(0)).Block(block...),
			jen.Id("w").Dot("WriteLong").Call(jen.Lit(0)),
		}
	case avroschema.Map:
		k := depthID("k", depth)
		e := depthID("e", depth)
		n := depthID("n", depth)
		body := []jen.Code{jen.Id("w").Dot("WriteString").Call(k)}
		// Values that write nothing (null) are not looked up.
		if each := s.enc(t.values, e, jen.Op("&").Add(e), ctx, depth+1, level); len(each) > 0 {
			body = append(body, jen.Add(e).Op(":=").Add(val).Index(k))
			body = append(body, each...)
		}
		return []jen.Code{
			jen.If(jen.Add(n).Op(":=").Len(val), jen.Add(n).Op(">").Lit(0)).Block(
				jen.Id("w").Dot("WriteLong").Call(jen.Int64().Parens(n)),
				jen.For(jen.List(jen.Id("_"), k).Op(":=").Range().Add(qg("SortedKeys")).Call(val)).Block(body...),
			),
			jen.Id("w").Dot("WriteLong").Call(jen.Lit(0)),
		}
	case avroschema.Union:
		if other, ni, ok := t.nullable(); ok {
			var some []jen.Code
			switch other.kind {
			case avroschema.Array, avroschema.Map:
				some = s.enc(other, val, ptr, ctx, depth, level)
			case avroschema.Record, avroschema.Enum, avroschema.Fixed:
				args := []jen.Code{jen.Id("w"), val}
				if other.kind == avroschema.Record {
					args = append(args, level)
				}
				some = []jen.Code{jen.Id("encode" + other.named.goName).Call(args...)}
			default:
				some = s.enc(other, jen.Parens(jen.Op("*").Add(val)), val, ctx, depth, level)
			}
			return []jen.Code{jen.If(jen.Add(val).Op("==").Nil()).Block(
				jen.Id("w").Dot("WriteLong").Call(jen.Lit(ni)),
			).Else().Block(append([]jen.Code{jen.Id("w").Dot("WriteLong").Call(jen.Lit(1 - ni))}, some...)...)}
		}
		return []jen.Code{jen.Id("encode"+t.union.goName).Call(jen.Id("w"), ptr, level)}
	}
	panic("unreachable")
}

// readExpr is the expression that reads a primitive (or a logical type on
// one) from r.
func readExpr(t *schema) *jen.Statement {
	r := func(method string) *jen.Statement { return jen.Id("r").Dot(method).Call() }
	switch t.kind {
	case avroschema.Boolean:
		return r("ReadBool")
	case avroschema.Int:
		switch t.logical {
		case avroschema.Date:
			return qg("DateFromDays").Call(r("ReadInt"))
		case avroschema.TimeMillis:
			return qt("Duration").Call(r("ReadInt")).Op("*").Add(qt("Millisecond"))
		}
		return r("ReadInt")
	case avroschema.Long:
		switch t.logical {
		case avroschema.TimeMicros:
			return qt("Duration").Call(r("ReadLong")).Op("*").Add(qt("Microsecond"))
		case avroschema.TimestampMillis, avroschema.LocalTimestampMillis:
			return qt("UnixMilli").Call(r("ReadLong")).Dot("UTC").Call()
		case avroschema.TimestampMicros, avroschema.LocalTimestampMicros:
			return qt("UnixMicro").Call(r("ReadLong")).Dot("UTC").Call()
		case avroschema.TimestampNanos, avroschema.LocalTimestampNanos:
			return qt("Unix").Call(jen.Lit(0), r("ReadLong")).Dot("UTC").Call()
		}
		return r("ReadLong")
	case avroschema.Float:
		return r("ReadFloat")
	case avroschema.Double:
		return r("ReadDouble")
	case avroschema.Bytes:
		if t.logical == avroschema.Decimal {
			return qg("ReadDecimalBytes").Call(jen.Id("r"), jen.Lit(t.scale))
		}
		return qg("ReadBytes").Call(jen.Id("r"))
	case avroschema.String:
		return r("ReadString")
	}
	return nil
}

// dec returns the statements that read one value into dst (assignable).
// nonNil makes an empty array or map decode as empty rather than nil (a
// nullable one, where nil means null). depth names the loop variables of
// nested arrays and maps; level is the expression of the depth a record
// (or general union) read here is decoded at.
func (s *Set) dec(t *schema, dst jen.Code, ctx string, depth int, nonNil bool, level jen.Code) []jen.Code {
	switch t.kind {
	case avroschema.Null:
		return nil
	case avroschema.Boolean, avroschema.Int, avroschema.Long, avroschema.Float, avroschema.Double, avroschema.Bytes, avroschema.String:
		return []jen.Code{jen.Add(dst).Op("=").Add(readExpr(t))}
	case avroschema.Record, avroschema.Enum, avroschema.Fixed:
		fn := jen.Id("decode" + t.named.goName)
		args := func(v jen.Code) []jen.Code {
			if t.kind == avroschema.Record {
				return []jen.Code{jen.Id("r"), v, level}
			}
			return []jen.Code{jen.Id("r"), v}
		}
		if t.byRef {
			return []jen.Code{
				jen.Add(dst).Op("=").New(jen.Id(t.named.goName)),
				jen.Add(fn).Call(args(dst)...),
			}
		}
		return []jen.Code{jen.Add(fn).Call(args(jen.Op("&").Add(dst))...)}
	case avroschema.Array, avroschema.Map:
		n := depthID("n", depth)
		e := depthID("e", depth)
		var start jen.Code = jen.Nil()
		if nonNil {
			start = goType(t).Values()
		}
		var grow, each []jen.Code
		if t.kind == avroschema.Array {
			grow = []jen.Code{jen.Add(dst).Op("=").Add(qg("Grow")).Call(dst, n)}
			each = append([]jen.Code{jen.Var().Add(e).Add(goType(t.items))}, s.dec(t.items, e, ctx, depth+1, false, level)...)
			each = append(each, jen.Add(dst).Op("=").Append(dst, e))
		} else {
			k := depthID("k", depth)
			grow = []jen.Code{jen.If(jen.Add(dst).Op("==").Nil()).Block(
				jen.Add(dst).Op("=").Make(goType(t), jen.Min(n, jen.Lit(1024))))}
			each = append([]jen.Code{jen.Add(k).Op(":=").Id("r").Dot("ReadString").Call(), jen.Var().Add(e).Add(goType(t.values))},
				s.dec(t.values, e, ctx, depth+1, false, level)...)
			each = append(each, jen.Add(dst).Index(k).Op("=").Add(e))
		}
		// Items that encode to nothing consume no input, so running out of
		// input cannot end a corrupt block count: their total is capped.
		//
		//	for c0 := int64(0); ; {
		//		n0, _ := r.ReadBlockHeader()
		//		if n0 == 0 || r.Error != nil || !runtime.CountEmptyItems(r, "T.f", &c0, n0) {
		//			break
		//		}
		stop := jen.Add(n).Op("==").Lit(0).Op("||").Id("r").Dot("Error").Op("!=").Nil()
		head := jen.For()
		if t.kind == avroschema.Array && encodesToNothing(t.items, map[*named]bool{}) {
			c := depthID("c", depth)
			stop = stop.Op("||").Op("!").Add(qg("CountEmptyItems")).Call(jen.Id("r"), jen.Lit(ctx), jen.Op("&").Add(c), n)
			head = jen.For(jen.Add(c).Op(":=").Int64().Parens(jen.Lit(0)), jen.Empty(), jen.Empty())
		}
		loop := append([]jen.Code{
			jen.List(n, jen.Id("_")).Op(":=").Id("r").Dot("ReadBlockHeader").Call(),
			jen.If(stop).Block(jen.Break()),
		}, grow...)
		loop = append(loop, jen.For(jen.Op(";").Add(n).Op(">").Lit(0).Op("&&").Id("r").Dot("Error").Op("==").Nil().Op(";").Add(n).Op("--")).Block(each...))
		return []jen.Code{
			jen.Add(dst).Op("=").Add(start),
			head.Block(loop...),
		}
	case avroschema.Union:
		if other, ni, ok := t.nullable(); ok {
			i := depthID("u", depth)
			var some []jen.Code
			switch other.kind {
			case avroschema.Array, avroschema.Map:
				some = s.dec(other, dst, ctx, depth, true, level)
			case avroschema.Record, avroschema.Enum, avroschema.Fixed:
				args := []jen.Code{jen.Id("r"), dst}
				if other.kind == avroschema.Record {
					args = append(args, level)
				}
				some = []jen.Code{
					jen.Add(dst).Op("=").New(jen.Id(other.named.goName)),
					jen.Id("decode" + other.named.goName).Call(args...),
				}
			default:
				some = []jen.Code{jen.Add(dst).Op("=").Add(qg("Ptr")).Call(readExpr(other))}
			}
			return []jen.Code{jen.Switch(jen.Add(i).Op(":=").Id("r").Dot("ReadLong").Call(), i).Block(
				jen.Case(jen.Lit(ni)).Block(jen.Add(dst).Op("=").Nil()),
				jen.Case(jen.Lit(1-ni)).Block(some...),
				jen.Default().Block(qg("BadIndex").Call(jen.Id("r"), jen.Lit(ctx), i)),
			)}
		}
		return []jen.Code{jen.Id("decode"+t.union.goName).Call(jen.Id("r"), jen.Op("&").Add(dst), level)}
	}
	panic("unreachable")
}

// encodesToNothing reports whether every value of t encodes to zero bytes:
// null, a fixed of size 0, or a record of such fields only. visiting
// guards against records that contain themselves.
func encodesToNothing(t *schema, visiting map[*named]bool) bool {
	switch t.kind {
	case avroschema.Null:
		return true
	case avroschema.Fixed:
		return t.named.size == 0
	case avroschema.Record:
		d := t.named
		if visiting[d] {
			return false
		}
		visiting[d] = true
		defer delete(visiting, d)
		for _, f := range d.fields {
			if !encodesToNothing(f.typ, visiting) {
				return false
			}
		}
		return true
	}
	return false
}

// recordLiteral is a composite literal of a record: the given values (a
// record default), else each field's own default, else (for a record
// field) the nested record's constructor.
func (s *Set) recordLiteral(d *named, values *posjson.Node) *jen.Statement {
	var items []jen.Code
	for _, f := range d.fields {
		var v *posjson.Node
		if values != nil {
			v = values.Get(f.name)
		}
		if v == nil {
			v = f.def
		}
		var code jen.Code
		if v != nil {
			code = s.defaultExpr(f.typ, v, false)
		} else if f.typ.kind == avroschema.Record && !f.typ.byRef {
			code = jen.Id("New" + f.typ.named.goName).Call()
		}
		if code != nil {
			items = append(items, jen.Line().Id(f.goName).Op(":").Add(code))
		}
	}
	if len(items) > 0 {
		items = append(items, jen.Line())
	}
	return jen.Id(d.goName).Values(items...)
}

// defaultExpr is the Go expression of a JSON default, or nil when it is
// the Go zero value (and force is false).
func (s *Set) defaultExpr(t *schema, n *posjson.Node, force bool) jen.Code {
	zero := func(c jen.Code, isZero bool) jen.Code {
		if isZero && !force {
			return nil
		}
		return c
	}
	switch t.kind {
	case avroschema.Null:
		return zero(jen.Struct().Values(), true)
	case avroschema.Boolean:
		return zero(jen.Lit(n.Bool), !n.Bool)
	case avroschema.Int, avroschema.Long:
		v, _ := strconv.ParseInt(n.Str, 10, 64)
		switch t.logical {
		case avroschema.Date:
			return timeLiteral(time.Unix(v*86400, 0).UTC())
		case avroschema.TimestampMillis, avroschema.LocalTimestampMillis:
			return timeLiteral(time.UnixMilli(v).UTC())
		case avroschema.TimestampMicros, avroschema.LocalTimestampMicros:
			return timeLiteral(time.UnixMicro(v).UTC())
		case avroschema.TimestampNanos, avroschema.LocalTimestampNanos:
			return timeLiteral(time.Unix(0, v).UTC())
		case avroschema.TimeMillis:
			return zero(jen.Lit(int(v)).Op("*").Add(qt("Millisecond")), v == 0)
		case avroschema.TimeMicros:
			return zero(jen.Lit(int(v)).Op("*").Add(qt("Microsecond")), v == 0)
		}
		return zero(jen.Lit(int(v)), v == 0)
	case avroschema.Float, avroschema.Double:
		f, _ := strconv.ParseFloat(n.Str, 64)
		if t.kind == avroschema.Float {
			return zero(jen.Lit(float32(f)), f == 0)
		}
		return zero(jen.Lit(f), f == 0)
	case avroschema.String:
		return zero(jen.Lit(n.Str), n.Str == "")
	case avroschema.Bytes:
		b, _ := avroschema.Latin1Bytes(n.Str)
		if t.logical == avroschema.Decimal {
			return qr("MustParseDecimal").Call(jen.Lit(decimalString(b, t.scale)))
		}
		return zero(jen.Index().Byte().Parens(jen.Lit(string(b))), len(b) == 0)
	case avroschema.Fixed:
		b, _ := avroschema.Latin1Bytes(n.Str)
		switch t.named.logical {
		case avroschema.Decimal:
			return qr("MustParseDecimal").Call(jen.Lit(decimalString(b, t.named.scale)))
		case avroschema.Duration:
			u := func(i int) uint32 {
				return uint32(b[i]) | uint32(b[i+1])<<8 | uint32(b[i+2])<<16 | uint32(b[i+3])<<24
			}
			return qr("Duration").Values(jen.Dict{
				jen.Id("Months"): jen.Lit(int(u(0))), jen.Id("Days"): jen.Lit(int(u(4))), jen.Id("Millis"): jen.Lit(int(u(8))),
			})
		}
		allZero := true
		var bytes []jen.Code
		for _, c := range b {
			allZero = allZero && c == 0
			bytes = append(bytes, jen.Op(fmt.Sprintf("0x%02x", c)))
		}
		return zero(jen.Id(t.named.goName).Values(bytes...), allZero)
	case avroschema.Enum:
		for i, sym := range t.named.symbols {
			if sym == n.Str {
				return jen.Id(t.named.symbolGo[i])
			}
		}
	case avroschema.Record:
		lit := s.recordLiteral(t.named, n)
		if t.byRef {
			return jen.Op("&").Add(lit)
		}
		return lit
	case avroschema.Array:
		if len(n.Elems) == 0 {
			return zero(goType(t).Values(), true)
		}
		var elems []jen.Code
		for _, e := range n.Elems {
			elems = append(elems, jen.Line().Add(s.defaultExpr(t.items, e, true)))
		}
		return goType(t).Values(append(elems, jen.Line())...)
	case avroschema.Map:
		if len(n.Members) == 0 {
			return zero(goType(t).Values(), true)
		}
		var elems []jen.Code
		for _, m := range n.Members {
			elems = append(elems, jen.Line().Lit(m.Key).Op(":").Add(s.defaultExpr(t.values, m.Value, true)))
		}
		return goType(t).Values(append(elems, jen.Line())...)
	case avroschema.Union:
		first := t.branches[0]
		if other, _, ok := t.nullable(); ok {
			if first.kind == avroschema.Null {
				return zero(jen.Nil(), true)
			}
			switch other.kind {
			case avroschema.Array, avroschema.Map:
				return s.defaultExpr(other, n, true)
			case avroschema.Record:
				return jen.Op("&").Add(s.recordLiteral(other.named, n))
			}
			return qg("Ptr").Types(goType(other)).Call(s.defaultExpr(other, n, true))
		}
		u := t.union
		if first.kind == avroschema.Null {
			return zero(jen.Id(u.goName).Values(), true)
		}
		items := jen.Dict{jen.Id("Kind"): jen.Id(u.consts[0])}
		v := s.defaultExpr(first, n, true)
		if first.kind == avroschema.Record && first.byRef {
			v = jen.Op("&").Add(s.recordLiteral(first.named, n))
		}
		items[jen.Id(u.branches[0])] = v
		return jen.Id(u.goName).Values(items)
	}
	return nil
}

// stringLiteral renders s as a raw string literal when it can be one (the
// schema JSON reads better unescaped), else as a quoted one.
func stringLiteral(s string) jen.Code {
	if !strings.ContainsAny(s, "`\r") && utf8.ValidString(s) {
		return jen.Op("`" + s + "`")
	}
	return jen.Lit(s)
}

// article is "a" or "an" for a name.
func article(name string) string {
	if strings.ContainsRune("AEIOU", rune(name[0])) {
		return "an"
	}
	return "a"
}

// timeLiteral renders t (UTC) as time.Date(...).
func timeLiteral(t time.Time) jen.Code {
	return qt("Date").Call(jen.Lit(t.Year()), qt(t.Month().String()), jen.Lit(t.Day()),
		jen.Lit(t.Hour()), jen.Lit(t.Minute()), jen.Lit(t.Second()), jen.Lit(t.Nanosecond()), qt("UTC"))
}

// decimalString renders a two's-complement unscaled value at a scale.
func decimalString(b []byte, scale int) string {
	u := avroschema.TwosComplement(b)
	neg := u.Sign() < 0
	digits := u.Abs(u).String()
	if scale > 0 {
		if len(digits) <= scale {
			digits = strings.Repeat("0", scale-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	}
	if neg {
		digits = "-" + digits
	}
	return digits
}
