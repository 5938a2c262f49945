package compat

import (
	"fmt"
	"strings"
)

// Level is a compatibility level, as schema registries name them.
type Level int

// The compatibility levels. BACKWARD: the candidate can read data written
// with the latest version. FORWARD: the latest version can read data
// written with the candidate. FULL: both. The _TRANSITIVE variants check
// against every version in the history instead of only the latest. NONE
// checks nothing.
const (
	None Level = iota
	Backward
	BackwardTransitive
	Forward
	ForwardTransitive
	Full
	FullTransitive
)

var levelNames = [...]string{"NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"}

// String returns the registry name of the level, e.g. "FULL_TRANSITIVE".
func (l Level) String() string {
	if l >= 0 && int(l) < len(levelNames) {
		return levelNames[l]
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// ParseLevel parses a level name, case-insensitively ("backward",
// "FULL_TRANSITIVE", ...).
func ParseLevel(s string) (Level, error) {
	up := strings.ToUpper(strings.TrimSpace(s))
	for i, n := range levelNames {
		if n == up {
			return Level(i), nil
		}
	}
	return None, fmt.Errorf("unknown compatibility level %q: want one of %s", s, strings.Join(levelNames[:], ", "))
}

// Transitive reports whether the level checks against every version.
func (l Level) Transitive() bool {
	return l == BackwardTransitive || l == ForwardTransitive || l == FullTransitive
}

// Backward reports whether the level requires the candidate to read older data.
func (l Level) Backward() bool {
	return l == Backward || l == BackwardTransitive || l == Full || l == FullTransitive
}

// Forward reports whether the level requires older readers to read the
// candidate's data.
func (l Level) Forward() bool {
	return l == Forward || l == ForwardTransitive || l == Full || l == FullTransitive
}

// Direction says which side of a comparison the candidate is on.
type Direction string

const (
	// DirBackward: the candidate is the reader, the old version the writer
	// (new code reading old data).
	DirBackward Direction = "backward"
	// DirForward: the old version is the reader, the candidate the writer
	// (old code reading new data).
	DirForward Direction = "forward"
)

// Rule ids. They are stable: tools and docs refer to them.
const (
	RuleTypeMismatch        = "type-mismatch"
	RuleTypeNarrowed        = "type-narrowed"
	RuleNameMismatch        = "name-mismatch"
	RuleFieldAddedNoDefault = "field-added-no-default"
	RuleFieldRemovedNoDef   = "field-removed-no-default"
	RuleEnumSymbolRemoved   = "enum-symbol-removed"
	RuleEnumSymbolAdded     = "enum-symbol-added"
	RuleFixedSizeChanged    = "fixed-size-changed"
	RuleDecimalPrecision    = "decimal-precision-changed"
	RuleDecimalScale        = "decimal-scale-changed"
	RuleLogicalTypeChanged  = "logical-type-changed"
	RuleUnionBranchMissing  = "union-branch-missing"
)

// Finding is one compatibility violation.
type Finding struct {
	// Rule is a stable rule id such as "field-added-no-default".
	Rule string `json:"rule"`
	// Path locates the offending node, e.g. "Order.lines[].qty"; "[]" is an
	// array's items, "{}" a map's values.
	Path string `json:"path"`
	// Message says what is wrong; Hint how to fix it.
	Message string `json:"message"`
	Hint    string `json:"hint"`
	// Direction tells whether the candidate was the reader (backward) or
	// the writer (forward).
	Direction Direction `json:"direction"`
	// Reader and Writer are the Version labels of the two schemas compared.
	Reader string `json:"reader"`
	Writer string `json:"writer"`
	// Candidate and Against are the same two labels seen from the check:
	// the schema under test and the earlier version.
	Candidate string `json:"candidate"`
	Against   string `json:"against"`
	// Pos is the position of the offending node in the candidate (or of
	// its nearest enclosing node); zero when the schema has no source.
	Pos Pos `json:"pos"`
}

// String renders "pos: rule: path: message".
func (f Finding) String() string {
	prefix := ""
	if f.Pos.Line > 0 {
		prefix = f.Pos.String() + ": "
	} else if f.Pos.File != "" {
		prefix = f.Pos.File + ": "
	}
	return fmt.Sprintf("%s%s: %s: %s", prefix, f.Rule, f.Path, f.Message)
}

// Result is the verdict of Check.
type Result struct {
	Level      Level
	Compatible bool
	// Findings lists every violation, grouped by the version compared
	// against (oldest first), backward before forward.
	Findings []Finding
}

// Check tells whether candidate may follow history (oldest first) at the
// given level, and lists every violation. Non-transitive levels compare
// with the latest version only; transitive ones with every version. An
// empty history is always compatible.
func Check(history []*Schema, candidate *Schema, level Level) Result {
	res := Result{Level: level, Compatible: true}
	if level == None || len(history) == 0 {
		return res
	}
	against := history[len(history)-1:]
	if level.Transitive() {
		against = history
	}
	for _, old := range against {
		res.Findings = append(res.Findings, Compare(old, candidate, level)...)
	}
	res.Compatible = len(res.Findings) == 0
	return res
}

// Compare checks candidate against one earlier version in the directions
// the level requires (its transitivity is ignored) and returns every
// violation.
func Compare(old, candidate *Schema, level Level) []Finding {
	var out []Finding
	if level.Backward() {
		out = append(out, Resolve(old, candidate, DirBackward)...)
	}
	if level.Forward() {
		out = append(out, Resolve(candidate, old, DirForward)...)
	}
	return out
}

// Resolve applies the Avro schema-resolution rules to data written with
// writer and read with reader, and returns every violation. dir says
// which of the two is the candidate (DirBackward: the reader).
func Resolve(writer, reader *Schema, dir Direction) []Finding {
	c := &resolver{writer: writer, reader: reader, dir: dir, visited: map[[2]*Type]bool{}}
	root := reader.Root
	if dir == DirForward {
		root = writer.Root
	}
	c.resolve(writer.Root, reader.Root, root.ShortName())
	return c.findings
}

type resolver struct {
	writer, reader *Schema
	dir            Direction
	visited        map[[2]*Type]bool
	findings       []Finding
}

// candPos returns the position of the candidate's side of a comparison.
func (c *resolver) candPos(w, r Pos) Pos {
	if c.dir == DirBackward {
		return r
	}
	return w
}

func (c *resolver) add(rule, path string, pos Pos, hint, format string, args ...any) {
	f := Finding{
		Rule: rule, Path: path, Message: fmt.Sprintf(format, args...), Hint: hint,
		Direction: c.dir, Reader: c.reader.Version, Writer: c.writer.Version, Pos: pos,
	}
	if c.dir == DirBackward {
		f.Candidate, f.Against = c.reader.Version, c.writer.Version
	} else {
		f.Candidate, f.Against = c.writer.Version, c.reader.Version
	}
	c.findings = append(c.findings, f)
}

func promotable(w, r Kind) bool {
	switch w {
	case Int:
		return r == Long || r == Float || r == Double
	case Long:
		return r == Float || r == Double
	case Float:
		return r == Double
	case String:
		return r == Bytes
	case Bytes:
		return r == String
	}
	return false
}

// nameMatches applies the naming rule: same unqualified name, or a reader
// alias equal to the writer's full name.
func nameMatches(w, r *Type) bool {
	if w.ShortName() == r.ShortName() {
		return true
	}
	for _, a := range r.Aliases {
		if a == w.Name {
			return true
		}
	}
	return false
}

// unionBranch picks the reader branch a writer type resolves to: the same
// named type by full name, then by unqualified name or alias, then the same
// unnamed kind, then a promotion target; nil if none.
func unionBranch(w *Type, branches []*Type) *Type {
	if w.Kind.Named() {
		for _, b := range branches {
			if b.Kind == w.Kind && b.Name == w.Name {
				return b
			}
		}
		for _, b := range branches {
			if b.Kind == w.Kind && nameMatches(w, b) {
				return b
			}
		}
		return nil
	}
	for _, b := range branches {
		if b.Kind == w.Kind {
			return b
		}
	}
	for _, b := range branches {
		if promotable(w.Kind, b.Kind) {
			return b
		}
	}
	return nil
}

func (c *resolver) resolve(w, r *Type, path string) {
	if w.Kind == Union {
		for _, wb := range w.Branches {
			if r.Kind == Union {
				if rb := unionBranch(wb, r.Branches); rb != nil {
					c.resolve(wb, rb, path)
				} else {
					c.unionMissing(wb, r, path)
				}
				continue
			}
			if wb.Kind == r.Kind || promotable(wb.Kind, r.Kind) {
				c.resolve(wb, r, path)
			} else {
				c.unionMissing(wb, r, path)
			}
		}
		return
	}
	if r.Kind == Union {
		if rb := unionBranch(w, r.Branches); rb != nil {
			c.resolve(w, rb, path)
		} else {
			c.unionMissing(w, r, path)
		}
		return
	}
	if w.Kind != r.Kind {
		if promotable(w.Kind, r.Kind) {
			c.logical(w, r, path)
			return
		}
		c.mismatch(w, r, path)
		return
	}
	if w.Kind.Named() {
		key := [2]*Type{w, r}
		if c.visited[key] {
			return
		}
		c.visited[key] = true
		if !nameMatches(w, r) {
			c.add(RuleNameMismatch, path, c.candPos(w.Pos, r.Pos),
				"keep the name, or add the old full name to the reader's \"aliases\"",
				"%s %s is read as %s: names differ and no reader alias matches %s", w.Kind, w.Name, r.Name, w.Name)
			return
		}
	}
	switch w.Kind {
	case Record:
		c.record(w, r, path)
	case Enum:
		c.enum(w, r, path)
	case Fixed:
		if w.Size != r.Size {
			c.add(RuleFixedSizeChanged, path, c.candPos(w.Pos, r.Pos),
				"keep the size; a fixed of another size is a new type",
				"fixed %s has size %d in the writer (%s) and %d in the reader (%s)", r.Name, w.Size, c.writer.Version, r.Size, c.reader.Version)
			return
		}
		c.logical(w, r, path)
	case Array:
		c.resolve(w.Items, r.Items, path+"[]")
	case Map:
		c.resolve(w.Values, r.Values, path+"{}")
	default:
		c.logical(w, r, path)
	}
}

func (c *resolver) unionMissing(w, r *Type, path string) {
	var msg, hint string
	if r.Kind == Union {
		msg = fmt.Sprintf("writer type %s has no matching branch in the reader's %s", w.Describe(), r.Describe())
	} else {
		msg = fmt.Sprintf("writer branch %s cannot be read as %s", w.Describe(), r.Describe())
	}
	if c.dir == DirBackward {
		hint = "keep " + w.Describe() + " as a branch of the new schema's union"
	} else {
		hint = "don't add " + w.Describe() + " to the union, or first release readers whose union accepts it"
	}
	c.add(RuleUnionBranchMissing, path, c.candPos(w.Pos, r.Pos), hint, "%s", msg)
}

func (c *resolver) mismatch(w, r *Type, path string) {
	pos := c.candPos(w.Pos, r.Pos)
	if promotable(r.Kind, w.Kind) {
		c.add(RuleTypeNarrowed, path, pos,
			"Avro only widens (int→long→float→double, string↔bytes); keep the wider type or add a new field",
			"writer %s cannot be read as the narrower %s", w.Describe(), r.Describe())
		return
	}
	c.add(RuleTypeMismatch, path, pos,
		"keep the type; to change it, add a new field with a default and deprecate the old one",
		"writer %s cannot be read as %s", w.Describe(), r.Describe())
}

func (c *resolver) record(w, r *Type, path string) {
	for _, rf := range r.Fields {
		wf := writerField(w, rf)
		if wf != nil {
			c.resolve(wf.Type, rf.Type, path+"."+rf.Name)
			continue
		}
		if rf.HasDefault {
			continue
		}
		if c.dir == DirBackward {
			c.add(RuleFieldAddedNoDefault, path+"."+rf.Name, rf.Pos,
				fmt.Sprintf("give %q a default (for an optional field: type [\"null\", ...] with default null)", rf.Name),
				"field %q is new in %s and has no default, so it cannot read data written by %s", rf.Name, c.reader.Version, c.writer.Version)
		} else {
			c.add(RuleFieldRemovedNoDef, path+"."+rf.Name, w.Pos,
				fmt.Sprintf("keep %q, or first release a version where it has a default, then remove it", rf.Name),
				"field %q is missing in %s and has no default in %s, whose readers then cannot read the new data", rf.Name, c.writer.Version, c.reader.Version)
		}
	}
}

// writerField finds the writer field a reader field reads: same name, or
// a reader field alias naming it.
func writerField(w *Type, rf *Field) *Field {
	for _, wf := range w.Fields {
		if wf.Name == rf.Name {
			return wf
		}
	}
	for _, a := range rf.Aliases {
		for _, wf := range w.Fields {
			if wf.Name == a {
				return wf
			}
		}
	}
	return nil
}

func (c *resolver) enum(w, r *Type, path string) {
	if r.HasEnumDefault {
		return
	}
	have := make(map[string]bool, len(r.Symbols))
	for _, s := range r.Symbols {
		have[s] = true
	}
	for _, s := range w.Symbols {
		if have[s] {
			continue
		}
		if c.dir == DirBackward {
			c.add(RuleEnumSymbolRemoved, path, r.Pos,
				fmt.Sprintf("keep symbol %s, or give enum %s a \"default\" symbol", s, r.ShortName()),
				"enum %s lost symbol %s, which data written by %s may hold", r.Name, s, c.writer.Version)
		} else {
			c.add(RuleEnumSymbolAdded, path, w.Pos,
				fmt.Sprintf("don't add %s until readers have an enum \"default\"; first release a version with a default", s),
				"enum %s gained symbol %s, unknown to readers of %s, which have no enum default", w.Name, s, c.reader.Version)
		}
	}
}

func (c *resolver) logical(w, r *Type, path string) {
	pos := c.candPos(w.Pos, r.Pos)
	if w.Logical == "decimal" && r.Logical == "decimal" {
		if w.Precision != r.Precision {
			c.add(RuleDecimalPrecision, path, pos,
				"keep precision and scale; a different decimal is a new field",
				"decimal precision %d in the writer (%s) differs from %d in the reader (%s); the Avro specification requires them to match", w.Precision, c.writer.Version, r.Precision, c.reader.Version)
		}
		if w.Scale != r.Scale {
			c.add(RuleDecimalScale, path, pos,
				"keep the scale; a different scale silently changes every value (1.50 read with scale 3 is 0.150)",
				"decimal scale %d in the writer (%s) differs from %d in the reader (%s): values would be silently rescaled", w.Scale, c.writer.Version, r.Scale, c.reader.Version)
		}
		return
	}
	if w.Logical == r.Logical {
		return
	}
	if w.Logical == "" || r.Logical == "" {
		if w.Logical != "decimal" && r.Logical != "decimal" {
			return // adding or dropping a logical annotation keeps the value
		}
	}
	c.add(RuleLogicalTypeChanged, path, pos,
		"keep the logical type; a value read with another one changes meaning (e.g. millis read as micros)",
		"writer %s is read as %s", w.Describe(), r.Describe())
}
