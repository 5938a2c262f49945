package runtime

import (
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/hamba/avro/v2"
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

// rescale returns the unscaled value at the given scale, exactly.
func (d Decimal) rescale(scale int) (*big.Int, error) {
	u := d.unscaled()
	switch {
	case d.Scale == scale:
		return u, nil
	case d.Scale < scale:
		return new(big.Int).Mul(u, pow10(scale-d.Scale)), nil
	}
	q, m := new(big.Int).QuoRem(u, pow10(d.Scale-scale), new(big.Int))
	if m.Sign() != 0 {
		return nil, fmt.Errorf("%s has more than %d digits after the point (rounding is never done)", d, scale)
	}
	return q, nil
}

func (d Decimal) forSchema(precision, scale int) (*big.Int, error) {
	u, err := d.rescale(scale)
	if err != nil {
		return nil, err
	}
	if n := len(new(big.Int).Abs(u).String()); n > precision && u.Sign() != 0 {
		return nil, fmt.Errorf("%s has %d digits, more than the precision %d", d, n, precision)
	}
	return u, nil
}

// twosComplement returns u in big-endian two's complement in size bytes,
// or in as few bytes as hold it when size is 0.
func twosComplement(u *big.Int, size int) ([]byte, bool) {
	var n int
	if u.Sign() >= 0 {
		n = u.BitLen()/8 + 1
	} else {
		n = new(big.Int).Sub(new(big.Int).Neg(u), big.NewInt(1)).BitLen()/8 + 1
	}
	if size == 0 {
		size = n
	} else if n > size {
		return nil, false
	}
	b := make([]byte, size)
	if u.Sign() >= 0 {
		u.FillBytes(b)
		return b, true
	}
	m := new(big.Int).Lsh(big.NewInt(1), uint(8*size))
	m.Add(m, u)
	m.FillBytes(b)
	return b, true
}

func fromTwosComplement(b []byte) *big.Int {
	v := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return v
}

// WriteDecimalBytes writes d as a decimal on bytes.
func WriteDecimalBytes(w *avro.Writer, typ string, d Decimal, precision, scale int) {
	u, err := d.forSchema(precision, scale)
	if err != nil {
		FailEncode(w, typ, "%v", err)
		return
	}
	b, _ := twosComplement(u, 0)
	w.WriteBytes(b)
}

// ReadDecimalBytes reads a decimal on bytes.
func ReadDecimalBytes(r *avro.Reader, scale int) Decimal {
	return Decimal{Unscaled: fromTwosComplement(r.ReadBytes()), Scale: scale}
}

// WriteDecimalFixed writes d as a decimal on a fixed of size bytes.
func WriteDecimalFixed(w *avro.Writer, typ string, d Decimal, size, precision, scale int) {
	u, err := d.forSchema(precision, scale)
	if err != nil {
		FailEncode(w, typ, "%v", err)
		return
	}
	b, ok := twosComplement(u, size)
	if !ok {
		FailEncode(w, typ, "%s does not fit in %d bytes", d, size)
		return
	}
	_, _ = w.Write(b)
}

// ReadDecimalFixed reads a decimal on a fixed of size bytes.
func ReadDecimalFixed(r *avro.Reader, size, scale int) Decimal {
	b := make([]byte, size)
	r.Read(b)
	return Decimal{Unscaled: fromTwosComplement(b), Scale: scale}
}

// Duration is the Go value of Avro's duration logical type: an amount of
// months, days and milliseconds, each counted separately (a month is not a
// fixed number of days).
type Duration struct {
	Months uint32
	Days   uint32
	Millis uint32
}

// WriteDuration writes d as a 12-byte fixed (three little-endian uint32).
func WriteDuration(w *avro.Writer, d Duration) {
	var b [12]byte
	putUint32(b[0:], d.Months)
	putUint32(b[4:], d.Days)
	putUint32(b[8:], d.Millis)
	_, _ = w.Write(b[:])
}

// ReadDuration reads a duration.
func ReadDuration(r *avro.Reader) Duration {
	var b [12]byte
	r.Read(b[:])
	return Duration{Months: uint32At(b[0:]), Days: uint32At(b[4:]), Millis: uint32At(b[8:])}
}

func putUint32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

func uint32At(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// DateFromDays is the UTC midnight that an Avro date (days since the Unix
// epoch) stands for.
func DateFromDays(days int32) time.Time {
	return time.Unix(int64(days)*86400, 0).UTC()
}

// DaysSinceEpoch is the Avro date of t: whole days since 1970-01-01 in t's
// UTC calendar, rounded down.
func DaysSinceEpoch(t time.Time) int32 {
	s := t.Unix()
	d := s / 86400
	if s%86400 < 0 {
		d--
	}
	return int32(d)
}
