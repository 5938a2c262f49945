package genapi

import (
	"fmt"
	"math/big"
	"time"

	"github.com/faustgen/faustgen/internal/avroschema"
	"github.com/faustgen/faustgen/runtime"
	"github.com/hamba/avro/v2"
)

// The encodings of Avro's logical types, on their runtime Go values.

// WriteDecimalBytes writes d as a decimal on bytes, rescaled to scale
// exactly; a value that would round or has more digits than precision is
// an encode failure on w.
func WriteDecimalBytes(w *avro.Writer, typ string, d runtime.Decimal, precision, scale int) {
	u, err := forSchema(d, precision, scale)
	if err != nil {
		FailEncode(w, typ, "%v", err)
		return
	}
	b, _ := twosComplement(u, 0)
	w.WriteBytes(b)
}

// ReadDecimalBytes reads a decimal on bytes.
func ReadDecimalBytes(r *avro.Reader, scale int) runtime.Decimal {
	return runtime.Decimal{Unscaled: avroschema.TwosComplement(r.ReadBytes()), Scale: scale}
}

// WriteDecimalFixed writes d as a decimal on a fixed of size bytes, like
// WriteDecimalBytes; a value that does not fit in size bytes is an encode
// failure too.
func WriteDecimalFixed(w *avro.Writer, typ string, d runtime.Decimal, size, precision, scale int) {
	u, err := forSchema(d, precision, scale)
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
func ReadDecimalFixed(r *avro.Reader, size, scale int) runtime.Decimal {
	b := make([]byte, size)
	r.Read(b)
	return runtime.Decimal{Unscaled: avroschema.TwosComplement(b), Scale: scale}
}

// WriteDuration writes d as a 12-byte fixed (three little-endian uint32).
func WriteDuration(w *avro.Writer, d runtime.Duration) {
	var b [12]byte
	putUint32(b[0:], d.Months)
	putUint32(b[4:], d.Days)
	putUint32(b[8:], d.Millis)
	_, _ = w.Write(b[:])
}

// ReadDuration reads a duration.
func ReadDuration(r *avro.Reader) runtime.Duration {
	var b [12]byte
	r.Read(b[:])
	return runtime.Duration{Months: uint32At(b[0:]), Days: uint32At(b[4:]), Millis: uint32At(b[8:])}
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

// forSchema returns d's unscaled value at scale, exactly, checking that it
// has at most precision digits.
func forSchema(d runtime.Decimal, precision, scale int) (*big.Int, error) {
	u := d.Unscaled
	if u == nil {
		u = new(big.Int)
	}
	switch {
	case d.Scale < scale:
		u = new(big.Int).Mul(u, pow10(scale-d.Scale))
	case d.Scale > scale:
		q, m := new(big.Int).QuoRem(u, pow10(d.Scale-scale), new(big.Int))
		if m.Sign() != 0 {
			return nil, fmt.Errorf("%s has more than %d digits after the point (rounding is never done)", d, scale)
		}
		u = q
	}
	if n := len(new(big.Int).Abs(u).String()); n > precision && u.Sign() != 0 {
		return nil, fmt.Errorf("%s has %d digits, more than the precision %d", d, n, precision)
	}
	return u, nil
}

func pow10(n int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

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

func putUint32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

func uint32At(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
