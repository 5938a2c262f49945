// Package resolve compiles and runs Avro schema-resolution plans: a Plan
// transcodes a body written with one schema (the writer's) into the binary
// encoding of another (the reader's), following the Avro specification's
// "Schema Resolution" rules exactly as package compat checks them — fields
// matched by name and reader aliases and reordered, writer-only fields
// skipped, reader-only fields filled from their defaults (encoded once, at
// compile time), promotions, enum symbols mapped by name (unknown ones to
// the reader's enum default), unions branch by branch, arrays, maps, fixed,
// nested and recursive named types.
//
// The runtime uses it so that a record written with an older or newer
// schema is transcoded, then decoded by the generated reader type's fast
// decoder. Running a plan uses no reflection; parts of the writer schema
// that encode exactly as the reader's are copied as raw bytes.
//
// It is not a codec (it yields bytes, not values) and not a compatibility
// checker: Compile refuses a pair that compat.Resolve finds unresolvable
// and returns those findings.
package resolve

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/faustgen/faustgen/compat"
)

// UnresolvableError is a writer/reader pair that the Avro resolution rules
// cannot join; Findings lists every reason (compat.Resolve, backward
// direction: the reader is the candidate).
type UnresolvableError struct {
	Findings []compat.Finding
}

// Error lists every finding.
func (e *UnresolvableError) Error() string {
	parts := make([]string, len(e.Findings))
	for i, f := range e.Findings {
		parts[i] = f.Rule + ": " + f.Path + ": " + f.Message
	}
	return fmt.Sprintf("%d finding(s): %s", len(e.Findings), strings.Join(parts, "; "))
}

// Plan transcodes bodies of one writer schema into one reader schema's
// encoding. It is immutable and safe for concurrent use.
type Plan struct {
	root     *node
	identity bool
}

// Identity reports whether the two schemas encode every value the same
// way: a body can then be decoded with the reader schema as it is.
func (p *Plan) Identity() bool { return p.identity }

// op is what a node does with one writer value.
type op uint8

const (
	opCopy          op = iota // the encodings agree: skip the writer value and copy its bytes
	opIntToFloat              // int or long → float
	opIntToDouble             // int or long → double
	opFloatToDouble           // float → double
	opEnum                    // writer symbol index → reader index
	opArray                   // items transcoded
	opMap                     // values transcoded
	opRecord                  // fields matched, skipped, defaulted
	opUnion                   // writer union: per-branch reader index and plan
	opToUnion                 // non-union writer → one reader union branch
)

// node is one step of a plan, for one (writer type, reader type) pair.
// Named pairs are compiled once, so recursive schemas make cyclic plans.
type node struct {
	op   op
	skip *skipper // opCopy: the writer type
	elem *node    // opArray items, opMap values, opToUnion branch
	// opEnum: reader index by writer index (-1: none, an error).
	enum []int32
	// opToUnion: the reader branch index, zigzag-encoded.
	branch []byte
	// opUnion: by writer branch.
	branches []unionBranch
	// opRecord:
	steps    []step // in writer order
	reorder  bool   // reader order differs: steps fill spans, emit reorders
	emit     []emit // in reader order (reorder only)
	nReaders int
}

type unionBranch struct {
	index []byte // reader branch index, zigzag-encoded; nil: reader is no union
	plan  *node
}

// stepKind says what a record step does.
type stepKind uint8

const (
	stepSkip    stepKind = iota // skip writer fields (writer-only)
	stepCopy                    // copy writer fields as they are (runs of identical fields)
	stepConvert                 // transcode one writer field
	stepDefault                 // append a reader-only field's encoded default
)

type step struct {
	kind   stepKind
	skips  []*skipper // stepSkip, stepCopy: the writer fields
	plan   *node      // stepConvert
	def    []byte     // stepDefault
	reader int        // reorder: the reader field index this step fills
}

// emit is one reader field when reordering: a span filled by a step, or a
// default.
type emit struct {
	def     []byte
	fromDef bool
}

// Compile checks that data written with writer can be read with reader
// (compat.Resolve, backward direction) and compiles the transcoding plan.
// An unresolvable pair is an *UnresolvableError with every finding.
func Compile(writer, reader *compat.Schema) (*Plan, error) {
	if fs := compat.Resolve(writer, reader, compat.DirBackward); len(fs) > 0 {
		return nil, &UnresolvableError{Findings: fs}
	}
	c := &compiler{named: map[[2]*compat.Type]*node{}, skips: map[*compat.Type]*skipper{}, same: map[[2]*compat.Type]bool{}}
	root, err := c.compile(writer.Root, reader.Root)
	if err != nil {
		return nil, err
	}
	return &Plan{root: root, identity: root.op == opCopy}, nil
}

type compiler struct {
	named map[[2]*compat.Type]*node
	skips map[*compat.Type]*skipper
	same  map[[2]*compat.Type]bool
}

func (c *compiler) copyOf(w *compat.Type) *node { return &node{op: opCopy, skip: c.skipper(w)} }

func (c *compiler) compile(w, r *compat.Type) (*node, error) {
	if c.identical(w, r) {
		return c.copyOf(w), nil
	}
	if w.Kind == compat.Union {
		n := &node{op: opUnion, branches: make([]unionBranch, len(w.Branches))}
		for i, wb := range w.Branches {
			var ub unionBranch
			var rb *compat.Type
			if r.Kind == compat.Union {
				j := compat.UnionBranch(wb, r.Branches)
				if j < 0 {
					return nil, fmt.Errorf("writer branch %s has no reader branch", wb.Kind)
				}
				ub.index = zigzag(nil, int64(j))
				rb = r.Branches[j]
			} else {
				if wb.Kind != r.Kind && !compat.Promotable(wb.Kind, r.Kind) {
					return nil, fmt.Errorf("writer branch %s cannot be read as %s", wb.Kind, r.Kind)
				}
				rb = r
			}
			p, err := c.compile(wb, rb)
			if err != nil {
				return nil, err
			}
			ub.plan = p
			n.branches[i] = ub
		}
		return n, nil
	}
	if r.Kind == compat.Union {
		j := compat.UnionBranch(w, r.Branches)
		if j < 0 {
			return nil, fmt.Errorf("writer %s has no reader branch", w.Kind)
		}
		p, err := c.compile(w, r.Branches[j])
		if err != nil {
			return nil, err
		}
		return &node{op: opToUnion, branch: zigzag(nil, int64(j)), elem: p}, nil
	}
	if w.Kind != r.Kind {
		switch {
		case (w.Kind == compat.Int || w.Kind == compat.Long) && r.Kind == compat.Float:
			return &node{op: opIntToFloat}, nil
		case (w.Kind == compat.Int || w.Kind == compat.Long) && r.Kind == compat.Double:
			return &node{op: opIntToDouble}, nil
		case w.Kind == compat.Float && r.Kind == compat.Double:
			return &node{op: opFloatToDouble}, nil
		case compat.Promotable(w.Kind, r.Kind): // int→long, string↔bytes: same bytes
			return c.copyOf(w), nil
		}
		return nil, fmt.Errorf("writer %s cannot be read as %s", w.Kind, r.Kind)
	}
	switch w.Kind {
	case compat.Array:
		p, err := c.compile(w.Items, r.Items)
		if err != nil {
			return nil, err
		}
		return &node{op: opArray, elem: p, skip: c.skipper(w.Items)}, nil
	case compat.Map:
		p, err := c.compile(w.Values, r.Values)
		if err != nil {
			return nil, err
		}
		return &node{op: opMap, elem: p, skip: c.skipper(w.Values)}, nil
	case compat.Enum:
		return c.enum(w, r)
	case compat.Record:
		key := [2]*compat.Type{w, r}
		if n := c.named[key]; n != nil {
			return n, nil
		}
		n := &node{op: opRecord}
		c.named[key] = n // before the fields: recursion ends here
		return n, c.record(n, w, r)
	}
	// Same primitive or fixed kind that is not identical cannot happen
	// (identical covers them); be explicit anyway.
	return nil, fmt.Errorf("no plan for writer %s and reader %s", w.Kind, r.Kind)
}

func (c *compiler) enum(w, r *compat.Type) (*node, error) {
	idx := map[string]int32{}
	for i, s := range r.Symbols {
		idx[s] = int32(i)
	}
	n := &node{op: opEnum, enum: make([]int32, len(w.Symbols))}
	for i, s := range w.Symbols {
		j, ok := idx[s]
		if !ok {
			j = -1
			if r.HasEnumDefault {
				j = idx[r.EnumDefault]
			}
		}
		n.enum[i] = j
	}
	return n, nil
}

func (c *compiler) record(n *node, w, r *compat.Type) error {
	n.nReaders = len(r.Fields)
	readerOf := make([]int, len(w.Fields)) // writer field → reader field, -1 none
	for i := range readerOf {
		readerOf[i] = -1
	}
	wIndex := map[*compat.Field]int{}
	for i, wf := range w.Fields {
		wIndex[wf] = i
	}
	inOrder := true
	last := -1
	for ri, rf := range r.Fields {
		wf := compat.WriterField(w, rf)
		if wf == nil {
			if !rf.HasDefault {
				return fmt.Errorf("reader field %s.%s has no writer field and no default", r.Name, rf.Name)
			}
			continue
		}
		wi := wIndex[wf]
		readerOf[wi] = ri
		if wi < last {
			inOrder = false
		}
		last = wi
	}
	defaults := make([][]byte, len(r.Fields))
	for ri, rf := range r.Fields {
		if compat.WriterField(w, rf) != nil {
			continue
		}
		js, _ := rf.DefaultJSON()
		b, err := encodeDefault(nil, rf.Type, js)
		if err != nil {
			return fmt.Errorf("default of %s.%s: %w", r.Name, rf.Name, err)
		}
		defaults[ri] = b
	}
	plans := make([]*node, len(w.Fields))
	for wi, ri := range readerOf {
		if ri < 0 {
			continue
		}
		p, err := c.compile(w.Fields[wi].Type, r.Fields[ri].Type)
		if err != nil {
			return err
		}
		plans[wi] = p
	}
	if !inOrder {
		n.reorder = true
		for wi, ri := range readerOf {
			switch {
			case ri < 0:
				n.addSkip(stepSkip, c.skipper(w.Fields[wi].Type))
			default:
				n.steps = append(n.steps, step{kind: stepConvert, plan: plans[wi], reader: ri})
			}
		}
		n.emit = make([]emit, len(r.Fields))
		for ri := range r.Fields {
			if defaults[ri] != nil || compat.WriterField(w, r.Fields[ri]) == nil {
				n.emit[ri] = emit{def: defaults[ri], fromDef: true}
			}
		}
		return nil
	}
	// In order: one pass over the writer fields, defaults slotted in where
	// the reader wants them.
	wi := 0
	for ri, rf := range r.Fields {
		if defaults[ri] != nil || compat.WriterField(w, rf) == nil {
			n.steps = append(n.steps, step{kind: stepDefault, def: defaults[ri]})
			continue
		}
		target := wIndex[compat.WriterField(w, rf)]
		for ; wi < target; wi++ {
			n.addSkip(stepSkip, c.skipper(w.Fields[wi].Type))
		}
		if plans[wi].op == opCopy {
			n.addSkip(stepCopy, plans[wi].skip)
		} else {
			n.steps = append(n.steps, step{kind: stepConvert, plan: plans[wi]})
		}
		wi++
	}
	for ; wi < len(w.Fields); wi++ {
		n.addSkip(stepSkip, c.skipper(w.Fields[wi].Type))
	}
	return nil
}

// addSkip appends a skip or copy of one writer field, merged with the
// previous step when it is of the same kind.
func (n *node) addSkip(k stepKind, s *skipper) {
	if l := len(n.steps); l > 0 && n.steps[l-1].kind == k && !n.reorder {
		n.steps[l-1].skips = append(n.steps[l-1].skips, s)
		return
	}
	n.steps = append(n.steps, step{kind: k, skips: []*skipper{s}})
}

// identical reports whether every value of writer type w is encoded as
// reader type r encodes it (so its bytes can be copied). Recursive named
// pairs are compared coinductively from scratch for each question, so a
// memoized answer never rests on an assumption.
func (c *compiler) identical(w, r *compat.Type) bool {
	key := [2]*compat.Type{w, r}
	if v, ok := c.same[key]; ok {
		return v
	}
	v := sameEncoding(w, r, map[[2]*compat.Type]bool{})
	c.same[key] = v
	return v
}

func sameEncoding(w, r *compat.Type, assumed map[[2]*compat.Type]bool) bool {
	if w.Kind != r.Kind {
		// int→long and string↔bytes share their encodings.
		return (w.Kind == compat.Int && r.Kind == compat.Long) ||
			(w.Kind == compat.String && r.Kind == compat.Bytes) ||
			(w.Kind == compat.Bytes && r.Kind == compat.String)
	}
	if w.Kind.Named() || w.Kind == compat.Union {
		key := [2]*compat.Type{w, r}
		if assumed[key] {
			return true
		}
		assumed[key] = true
	}
	switch w.Kind {
	case compat.Fixed:
		return w.Size == r.Size
	case compat.Enum:
		if len(w.Symbols) > len(r.Symbols) {
			return false
		}
		for i, s := range w.Symbols {
			if r.Symbols[i] != s {
				return false
			}
		}
		return true
	case compat.Array:
		return sameEncoding(w.Items, r.Items, assumed)
	case compat.Map:
		return sameEncoding(w.Values, r.Values, assumed)
	case compat.Union:
		if len(w.Branches) > len(r.Branches) {
			return false
		}
		for i, wb := range w.Branches {
			if wb.Kind == compat.Union || compat.UnionBranch(wb, r.Branches) != i || !sameEncoding(wb, r.Branches[i], assumed) {
				return false
			}
		}
		return true
	case compat.Record:
		if len(w.Fields) != len(r.Fields) {
			return false
		}
		for i, rf := range r.Fields {
			if compat.WriterField(w, rf) != w.Fields[i] || !sameEncoding(w.Fields[i].Type, rf.Type, assumed) {
				return false
			}
		}
		return true
	}
	return true // the same primitive kind
}

// zigzag appends the Avro (zigzag varint) encoding of v.
func zigzag(dst []byte, v int64) []byte {
	u := uint64((v << 1) ^ (v >> 63))
	for u >= 0x80 {
		dst = append(dst, byte(u)|0x80)
		u >>= 7
	}
	return append(dst, byte(u))
}

// encodeDefault appends the binary encoding of a JSON default value of
// type t (Avro specification: a union's default is its first branch; bytes
// and fixed are strings of code points 0-255).
func encodeDefault(dst []byte, t *compat.Type, js []byte) ([]byte, error) {
	dec := json.NewDecoder(strings.NewReader(string(js)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("default %s: %w", js, err)
	}
	return appendValue(dst, t, v, 0)
}

var errDefaultDepth = errors.New("default nested too deeply")

func appendValue(dst []byte, t *compat.Type, v any, depth int) ([]byte, error) {
	if depth > 256 {
		return nil, errDefaultDepth
	}
	bad := func() ([]byte, error) { return nil, fmt.Errorf("default %v does not match %s", v, t.Kind) }
	switch t.Kind {
	case compat.Null:
		return dst, nil
	case compat.Boolean:
		b, ok := v.(bool)
		if !ok {
			return bad()
		}
		if b {
			return append(dst, 1), nil
		}
		return append(dst, 0), nil
	case compat.Int, compat.Long:
		n, ok := v.(json.Number)
		if !ok {
			return bad()
		}
		i, err := n.Int64()
		if err != nil {
			f, ferr := n.Float64()
			if ferr != nil || f != math.Trunc(f) {
				return bad()
			}
			i = int64(f)
		}
		return zigzag(dst, i), nil
	case compat.Float, compat.Double:
		var f float64
		switch x := v.(type) {
		case json.Number:
			var err error
			if f, err = x.Float64(); err != nil {
				return bad()
			}
		default: // a string ("NaN") too: the parser refuses it as a default
			return bad()
		}
		if t.Kind == compat.Float {
			return appendFloat(dst, float32(f)), nil
		}
		return appendDouble(dst, f), nil
	case compat.String:
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		dst = zigzag(dst, int64(len(s)))
		return append(dst, s...), nil
	case compat.Bytes, compat.Fixed:
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		b := make([]byte, 0, len(s))
		for _, r := range s {
			if r > 255 || r == utf8.RuneError {
				return nil, fmt.Errorf("default %q: a bytes or fixed default holds code points 0-255 only", s)
			}
			b = append(b, byte(r))
		}
		if t.Kind == compat.Fixed {
			if len(b) != t.Size {
				return nil, fmt.Errorf("default %q: fixed %s has size %d", s, t.Name, t.Size)
			}
			return append(dst, b...), nil
		}
		dst = zigzag(dst, int64(len(b)))
		return append(dst, b...), nil
	case compat.Enum:
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		for i, sym := range t.Symbols {
			if sym == s {
				return zigzag(dst, int64(i)), nil
			}
		}
		return nil, fmt.Errorf("default %q is not a symbol of %s", s, t.Name)
	case compat.Array:
		items, ok := v.([]any)
		if !ok {
			return bad()
		}
		if len(items) > 0 {
			dst = zigzag(dst, int64(len(items)))
			for _, it := range items {
				var err error
				if dst, err = appendValue(dst, t.Items, it, depth+1); err != nil {
					return nil, err
				}
			}
		}
		return append(dst, 0), nil
	case compat.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return bad()
		}
		if len(m) > 0 {
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			sortStrings(keys)
			dst = zigzag(dst, int64(len(m)))
			for _, k := range keys {
				dst = zigzag(dst, int64(len(k)))
				dst = append(dst, k...)
				var err error
				if dst, err = appendValue(dst, t.Values, m[k], depth+1); err != nil {
					return nil, err
				}
			}
		}
		return append(dst, 0), nil
	case compat.Record:
		m, ok := v.(map[string]any)
		if !ok {
			return bad()
		}
		for _, f := range t.Fields {
			fv, ok := m[f.Name]
			if !ok {
				js, has := f.DefaultJSON()
				if !has {
					return nil, fmt.Errorf("default of record %s lacks field %q, which has no default", t.Name, f.Name)
				}
				var err error
				if dst, err = encodeDefault(dst, f.Type, js); err != nil {
					return nil, err
				}
				continue
			}
			var err error
			if dst, err = appendValue(dst, f.Type, fv, depth+1); err != nil {
				return nil, err
			}
		}
		return dst, nil
	case compat.Union:
		if len(t.Branches) == 0 {
			return bad()
		}
		dst = append(dst, 0) // branch 0, zigzag-encoded
		return appendValue(dst, t.Branches[0], v, depth+1)
	}
	return bad()
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
