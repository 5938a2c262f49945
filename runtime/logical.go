package runtime

import (
	"fmt"
	"math/big"
	"strings"
)

// Decimal is an exact decimal number, Unscaled × 10^-Scale: the Go value of
// Avro's decimal logical type. No float is involved anywhere, so encoding
// and decoding never round.
//
// Encoding rescales a value to the schema's scale when that is exact
// (1.5 → 1.50) and fails when it would round or when the value has more
// digits than the schema's precision. Decoding gives the schema's scale.
type Decimal struct {
	Unscaled *big.Int // nil is zero
	Scale    int
}

// NewDecimal returns unscaled × 10^-scale.
func NewDecimal(unscaled *big.Int, scale int) Decimal {
	return Decimal{Unscaled: unscaled, Scale: scale}
}

// ParseDecimal parses a plain decimal number such as "-12.340". The scale
// is the number of digits after the point.
func ParseDecimal(s string) (Decimal, error) {
	digits, scale := s, 0
	if i := strings.IndexByte(s, '.'); i >= 0 {
		digits, scale = s[:i]+s[i+1:], len(s)-i-1
	}
	v, ok := new(big.Int).SetString(digits, 10)
	if !ok || strings.ContainsAny(digits, "xXoObB_") {
		return Decimal{}, fmt.Errorf("parse decimal %q: not a decimal number", s)
	}
	return Decimal{Unscaled: v, Scale: scale}, nil
}

// MustParseDecimal is ParseDecimal that panics on bad input; generated
// code uses it for schema defaults, which the generator has checked.
func MustParseDecimal(s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

func (d Decimal) unscaled() *big.Int {
	if d.Unscaled == nil {
		return new(big.Int)
	}
	return d.Unscaled
}

// String renders the number in plain notation with Scale digits after the
// point.
func (d Decimal) String() string {
	u := d.unscaled()
	if d.Scale <= 0 {
		return new(big.Int).Mul(u, pow10(-d.Scale)).String()
	}
	s := new(big.Int).Abs(u).String()
	if len(s) <= d.Scale {
		s = strings.Repeat("0", d.Scale-len(s)+1) + s
	}
	s = s[:len(s)-d.Scale] + "." + s[len(s)-d.Scale:]
	if u.Sign() < 0 {
		s = "-" + s
	}
	return s
}

// Rat returns the number as a big.Rat.
func (d Decimal) Rat() *big.Rat {
	r := new(big.Rat).SetInt(d.unscaled())
	if d.Scale > 0 {
		return r.Quo(r, new(big.Rat).SetInt(pow10(d.Scale)))
	}
	return r.Mul(r, new(big.Rat).SetInt(pow10(-d.Scale)))
}

// Cmp compares the numbers d and e (not their scales): -1, 0 or +1.
func (d Decimal) Cmp(e Decimal) int { return d.Rat().Cmp(e.Rat()) }

func pow10(n int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

// Duration is the Go value of Avro's duration logical type: an amount of
// months, days and milliseconds, each counted separately (a month is not a
// fixed number of days).
type Duration struct {
	Months uint32
	Days   uint32
	Millis uint32
}
