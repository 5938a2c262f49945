package avroschema

import (
	"math/big"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/faustgen/faustgen/internal/posjson"
)

// The logical types of the Avro specification (1.12).
const (
	Decimal              = "decimal"
	BigDecimal           = "big-decimal"
	UUID                 = "uuid"
	Date                 = "date"
	TimeMillis           = "time-millis"
	TimeMicros           = "time-micros"
	TimestampMillis      = "timestamp-millis"
	TimestampMicros      = "timestamp-micros"
	TimestampNanos       = "timestamp-nanos"
	LocalTimestampMillis = "local-timestamp-millis"
	LocalTimestampMicros = "local-timestamp-micros"
	LocalTimestampNanos  = "local-timestamp-nanos"
	Duration             = "duration"
)

// logicalBases is the underlying type each known logical type annotates.
var logicalBases = map[string][]Kind{
	Decimal:              {Bytes, Fixed},
	BigDecimal:           {Bytes},
	UUID:                 {String, Fixed},
	Date:                 {Int},
	TimeMillis:           {Int},
	TimeMicros:           {Long},
	TimestampMillis:      {Long},
	TimestampMicros:      {Long},
	TimestampNanos:       {Long},
	LocalTimestampMillis: {Long},
	LocalTimestampMicros: {Long},
	LocalTimestampNanos:  {Long},
	Duration:             {Fixed},
}

// logical reads "logicalType" (and a decimal's precision and scale) of a
// primitive or fixed type object into t. A known logical type that is
// invalid where it stands (on another base type, with bad parameters) is
// left out, as the specification requires, and reported as Strict; so is
// an unknown name that is a near miss of a known one.
func (p *parser) logical(t *Type, n *posjson.Node) {
	lt := n.Get("logicalType")
	if lt == nil {
		return
	}
	if lt.Kind != posjson.String {
		p.strictf(lt.Pos, `"logicalType" must be a string`)
		return
	}
	bases, known := logicalBases[lt.Str]
	if !known {
		if near := nearLogicalType(lt.Str); near != "" {
			p.strictf(lt.Pos, "unknown logical type %q: did you mean %q? (an unknown logical type is ignored, which would leave a plain %q)", lt.Str, near, t.Kind)
		}
		return
	}
	if !slices.Contains(bases, t.Kind) {
		var want []string
		for _, b := range bases {
			want = append(want, strconv.Quote(b.String()))
		}
		p.strictf(lt.Pos, "logical type %q applies to type %s, not %q", lt.Str, strings.Join(want, " or "), t.Kind)
		return
	}
	switch lt.Str {
	case Decimal:
		prec, ok := p.intProp(n, "precision", lt.Pos)
		if !ok {
			return
		}
		scale := 0
		if n.Get("scale") != nil {
			if scale, ok = p.intProp(n, "scale", lt.Pos); !ok {
				return
			}
		}
		if prec <= 0 {
			p.strictf(n.Get("precision").Pos, "decimal precision must be a positive integer, not %d", prec)
			return
		}
		if scale < 0 || scale > prec {
			p.strictf(n.Get("scale").Pos, "decimal scale must be between 0 and the precision (%d), not %d", prec, scale)
			return
		}
		if t.Kind == Fixed && t.Size > 0 {
			if most := maxDecimalDigits(t.Size); prec > most {
				p.strictf(n.Get("precision").Pos, "decimal precision %d does not fit in fixed of size %d (at most %d digits)", prec, t.Size, most)
				return
			}
		}
		t.Precision, t.Scale = prec, scale
	case Duration:
		if t.Size != 12 {
			p.strictf(lt.Pos, "logical type \"duration\" needs a fixed of size 12, not %d", t.Size)
			return
		}
	case UUID:
		if t.Kind == Fixed && t.Size != 16 {
			p.strictf(lt.Pos, "logical type \"uuid\" on a fixed needs size 16, not %d", t.Size)
			return
		}
	}
	t.Logical = lt.Str
}

// logicalKeys are the attributes a valid logical type takes out of Props.
func logicalKeys(t *Type) []string {
	switch t.Logical {
	case "":
		return nil
	case Decimal:
		return []string{"logicalType", "precision", "scale"}
	}
	return []string{"logicalType"}
}

// maxDecimalDigits is the largest precision a two's-complement number of
// size bytes can hold: floor(log10(2^(8*size-1) - 1)).
func maxDecimalDigits(size int) int {
	if size > 1024 {
		size = 1024
	}
	most := new(big.Int).Lsh(big.NewInt(1), uint(8*size-1))
	most.Sub(most, big.NewInt(1))
	return len(most.String()) - 1
}

// intProp reads an integer attribute of a decimal.
func (p *parser) intProp(n *posjson.Node, key string, at posjson.Pos) (int, bool) {
	v := n.Get(key)
	if v == nil {
		p.strictf(at, "decimal needs %q", key)
		return 0, false
	}
	if v.Kind != posjson.Number {
		p.strictf(v.Pos, "%q must be an integer, not a %s", key, v.Kind)
		return 0, false
	}
	i, err := strconv.Atoi(v.Str)
	if err != nil {
		p.strictf(v.Pos, "%q must be an integer, not %s", key, v.Str)
		return 0, false
	}
	return i, true
}

// nearLogicalType returns the known logical type that name is almost
// surely a typo of, or "". The specification has readers ignore unknown
// logical types, so a misspelt one would silently give the base type;
// other unknown names stay allowed. A near miss is the same name but for
// case, '-', '_' and spaces ("Timestamp_Millis"), or, for names of 7
// characters or more, at most 2 edits away ("timestamp-milis",
// "decimals"). Short names (uuid, date) count only the former, so that
// custom types such as "ulid" are not taken for typos.
func nearLogicalType(name string) string {
	norm := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == '-' || r == '_' || r == ' ' {
				return -1
			}
			return r
		}, strings.ToLower(s))
	}
	known := make([]string, 0, len(logicalBases))
	for k := range logicalBases {
		known = append(known, k)
	}
	sort.Strings(known)
	best, bestDist := "", 3
	for _, k := range known {
		if norm(name) == norm(k) {
			return k
		}
		if len(k) < 7 {
			continue
		}
		if d := editDistance(strings.ToLower(name), k); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
