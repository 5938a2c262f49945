package allgen

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/faustgen/faustgen/runtime"
	"github.com/faustgen/faustgen/runtime/genapi"
	"github.com/hamba/avro/v2"
)

// Every sample encodes, decodes to an equal value, and encodes again to the
// same bytes.
func TestRoundTripIsExact(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.name, func(t *testing.T) {
			b, err := s.encode()
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			if _, err := s.decodeEqual(b); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// hamba's generic codec, given the generated Schema, reads what the
// generated code writes; what it writes back decodes to the same value;
// and hamba computes the same fingerprint.
func TestHambaReadsAndWritesTheSameData(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.name, func(t *testing.T) {
			schema, err := avro.ParseWithCache(s.schema, "", &avro.SchemaCache{})
			if err != nil {
				t.Fatalf("hamba cannot parse the generated schema: %v", err)
			}
			// python3-avro 1.11's canonical form deviates from the
			// specification more (it repeats fixed definitions).
			if got := rabin(specCanonical(schema.String())); got != s.fp {
				t.Fatalf("fingerprint: generated %#x, of hamba's canonical form %#x", s.fp, got)
			}
			ours, err := s.encode()
			if err != nil {
				t.Fatal(err)
			}
			var generic any
			if err := avro.Unmarshal(schema, ours, &generic); err != nil {
				t.Fatalf("hamba decode: %v", err)
			}
			theirs, err := avro.Marshal(schema, generic)
			if err != nil {
				t.Fatalf("hamba encode: %v", err)
			}
			if _, err := s.decodeEqual(theirs); err != nil {
				t.Fatalf("hamba's encoding: %v", err)
			}
		})
	}
}

// pythonAvro finds a python3 that imports Debian's python3-avro.
func pythonAvro(t *testing.T) string {
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(py, "-c", "import avro.io").Run() == nil {
			return py
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("python3 cannot import avro: run scripts/python-avro.sh (make test does)")
	}
	t.Skip("python3-avro is not installed: run scripts/python-avro.sh")
	return ""
}

// Apache Avro for Python decodes what the generated code writes, and the
// generated code decodes what Python writes back, to the same values.
func TestPythonAvroReadsAndWritesTheSameData(t *testing.T) {
	py := pythonAvro(t)
	type pyCase struct {
		Name    string          `json:"name"`
		Schema  string          `json:"schema"`
		Data    string          `json:"data"`
		Summary json.RawMessage `json:"summary,omitempty"`
	}
	var in []pyCase
	byName := map[string]sample{}
	for _, s := range samples() {
		if !s.python {
			continue
		}
		b, err := s.encode()
		if err != nil {
			t.Fatalf("%s: encode: %v", s.name, err)
		}
		in = append(in, pyCase{Name: s.name, Schema: s.schema, Data: hex.EncodeToString(b)})
		byName[s.name] = s
	}
	input, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "../../testdata/python_cross.py")
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	output, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.String())
	}
	var out []pyCase
	if err := json.Unmarshal(output, &out); err != nil {
		t.Fatalf("python output: %v", err)
	}
	if len(out) != len(in) {
		t.Fatalf("python answered %d cases of %d", len(out), len(in))
	}
	for _, c := range out {
		t.Run(c.Name, func(t *testing.T) {
			b, err := hex.DecodeString(c.Data)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := byName[c.Name].decodeEqual(b); err != nil {
				t.Fatalf("python's encoding: %v", err)
			}
			if c.Name == "Everything/full" {
				checkPythonSummary(t, c.Summary)
			}
		})
	}
}

// checkPythonSummary checks what Python itself made of the full sample:
// the logical types as Python types, unions, names.
func checkPythonSummary(t *testing.T, raw json.RawMessage) {
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"text":         "héllo, \"wörld\" ✓",
		"count":        float64(-123456),
		"amount":       "decimal:-98765432109876.5432",
		"maybe_amount": "decimal:-999.99",
		"day":          "date:2021-03-04",
		"at_ms":        "datetime:2024-02-29T13:14:15.123000+00:00",
		"at_us":        "datetime:2024-02-29T13:14:15.123456+00:00",
		"at_ns":        float64(1709212455123456256), // python3-avro 1.11 knows no timestamp-nanos: a long
		"local_ns":     float64(math.MaxInt64),
		"clock_ms":     "time:13:00:00.005000",
		"status":       "IN_PROGRESS",
		"blob":         "bytes:000102ff",
		"choice":       float64(77),
		"maybe_text":   "",
		"maybe_long":   nil,
	}
	for k, w := range want {
		if g := got[k]; g != w {
			t.Errorf("python decoded %s as %#v, want %#v", k, g, w)
		}
	}
	user, _ := got["user"].(map[string]any)
	if user["user_id"] != "u-1" || user["marshal_avro"] != true {
		t.Errorf("python decoded user as %v", user)
	}
}

// Encoding refuses values the schema cannot hold, instead of writing
// something else.
func TestEncodeRejectsValuesOutsideTheSchema(t *testing.T) {
	cases := []struct {
		name string
		enc  func() error
		want string
	}{
		{"unknown enum value", func() error { s := Status(7); _, err := s.MarshalAvro(); return err }, "7 is not a symbol"},
		{"negative enum value", func() error { s := Status(-1); _, err := s.MarshalAvro(); return err }, "is not a symbol"},
		{"unknown union kind", func() error {
			v := full()
			v.Mixed.Kind = 42
			_, err := v.MarshalAvro()
			return err
		}, "kind 42 is not a branch"},
		{"nil record on a cycle", func() error {
			v := Expr{Left: ExprLeft{Kind: ExprLeftExpr}}
			_, err := v.MarshalAvro()
			return err
		}, "nil *Expr"},
		{"time after timestamp-nanos", func() error {
			v := full()
			v.AtNs = time.Unix(0, math.MaxInt64).Add(time.Nanosecond)
			_, err := v.MarshalAvro()
			return err
		}, "2262-04-11 23:47:16.854775808 +0000 UTC is outside the range of timestamp-nanos"},
		{"time before local-timestamp-nanos", func() error {
			v := full()
			v.LocalNs = time.Date(1677, time.September, 21, 0, 12, 43, 145224191, time.UTC)
			_, err := v.MarshalAvro()
			return err
		}, "is outside the range of local-timestamp-nanos"},
		// The zero time.Time is outside an int64 of nanoseconds: encoding
		// it fails (README's logical types table says so), naming the
		// field, instead of writing a wrapped time.
		{"zero time in timestamp-nanos", func() error {
			_, err := EverythingCodec.Marshal(&Everything{})
			return err
		}, "encode com.example.Everything.at_ns: 0001-01-01 00:00:00 +0000 UTC is outside the range of timestamp-nanos"},
		{"zero time in a nullable timestamp-nanos", func() error {
			v := full()
			v.MaybeNs = ptr(time.Time{})
			_, err := v.MarshalAvro()
			return err
		}, "encode com.example.Everything.maybe_ns: 0001-01-01 00:00:00 +0000 UTC is outside the range of timestamp-nanos"},
		{"decimal over precision", func() error {
			_, err := MoneyCodec.Marshal(ptr(runtime.MustParseDecimal("12345678901234567.89")))
			return err
		}, "more than the precision 18"},
		{"decimal that would round", func() error {
			_, err := MoneyCodec.Marshal(ptr(runtime.MustParseDecimal("1.005")))
			return err
		}, "rounding is never done"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.enc()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got error %v, want one containing %q", err, c.want)
			}
		})
	}
}

// A decimal at a smaller scale is rescaled exactly.
func TestDecimalRescalesExactly(t *testing.T) {
	b, err := MoneyCodec.Marshal(ptr(runtime.MustParseDecimal("1.5")))
	if err != nil {
		t.Fatal(err)
	}
	var got Money
	if err := MoneyCodec.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.String() != "1.50" {
		t.Fatalf("got %s, want 1.50", got)
	}
}

// Decoding reports corrupt input instead of returning part of a value.
func TestDecodeRejectsCorruptInput(t *testing.T) {
	good, err := EverythingCodec.Marshal(ptr(full()))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"truncated":        good[:len(good)/2],
		"empty":            nil,
		"enum index":       {0x0e}, // 7
		"union index":      {0x06}, // Everything.Choice is not first; use Address.zip below
		"bool byte":        {0x04},
		"negative length":  {0x01},
		"huge block count": {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
	}
	checks := map[string]func([]byte) error{
		"truncated":        func(b []byte) error { var v Everything; return v.UnmarshalAvro(b) },
		"empty":            func(b []byte) error { var v Address; return v.UnmarshalAvro(b) },
		"enum index":       func(b []byte) error { var v Status; return v.UnmarshalAvro(b) },
		"union index":      func(b []byte) error { var v Address; return v.UnmarshalAvro(append([]byte{0x02, 'a'}, b...)) },
		"bool byte":        func(b []byte) error { var v ExampleUser; return v.UnmarshalAvro(append([]byte{0, 0, 0, 0}, b...)) },
		"negative length":  func(b []byte) error { var v OtherUser; return v.UnmarshalAvro(b) },
		"huge block count": func(b []byte) error { var v Node; return v.UnmarshalAvro(append([]byte{0x02}, b...)) },
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { done <- checks[name](b) }()
			select {
			case err := <-done:
				if err == nil {
					t.Fatal("corrupt input decoded without an error")
				}
			case <-time.After(10 * time.Second):
				t.Fatal("decoding corrupt input did not finish")
			}
		})
	}
}

// New<Type> applies the schema's defaults, nested ones included.
func TestConstructorsApplyDefaults(t *testing.T) {
	v := NewEverything()
	if !v.Flag || v.Count != -7 || v.Total != 9007199254740993 || v.Ratio != 1.5 || v.Precise != 2.25 {
		t.Errorf("primitive defaults: %+v", v)
	}
	if !bytes.Equal(v.Blob, []byte{0, 0xff, 0x10}) || v.Text != `hello "world"` {
		t.Errorf("bytes/string defaults: %q %q", v.Blob, v.Text)
	}
	if !v.Day.Equal(time.Date(2022, 1, 8, 0, 0, 0, 0, time.UTC)) || v.ClockMs != time.Hour || v.AtMs.UnixMilli() != 1700000000123 || v.AtNs.UnixNano() != 1700000000123456789 || v.MaybeNs != nil {
		t.Errorf("logical defaults: %v %v %v %v %v", v.Day, v.ClockMs, v.AtMs, v.AtNs, v.MaybeNs)
	}
	if v.Amount.String() != "12.3456" || v.Digest != MD5([]byte("0123456789abcdef")) || v.Status != StatusDone {
		t.Errorf("decimal/fixed/enum defaults: %v %v %v", v.Amount, v.Digest, v.Status)
	}
	if len(v.Tags) != 2 || v.Tags[1] != "b" || v.Scores["x"] != 1 || v.MaybeMap == nil || len(v.MaybeMap) != 0 {
		t.Errorf("array/map defaults: %v %v %v", v.Tags, v.Scores, v.MaybeMap)
	}
	if v.Home.Street != "Main St" || v.Home.Zip != nil || v.Backup == nil || v.Backup.Street != "Side St" || v.Work != nil {
		t.Errorf("record defaults: %+v %+v %+v", v.Home, v.Backup, v.Work)
	}
	if v.MaybeLong == nil || *v.MaybeLong != 42 {
		t.Errorf("nullable default: %v", v.MaybeLong)
	}
	if v.Mixed.Kind != EverythingMixedString || v.Mixed.String != "first" || v.Shape.Kind != EverythingShapeCircle || v.Shape.Circle.Radius != 1 {
		t.Errorf("union defaults: %+v %+v", v.Mixed, v.Shape)
	}
}

// hamba keeps logical types in its canonical form, against the
// specification, which strips every attribute but type, name, fields,
// symbols, items, values and size: hambaLogical matches them on primitives
// and hambaFixedLogical on fixed types.
var (
	hambaLogical      = regexp.MustCompile(`\{"type":"(int|long|bytes|string)","logicalType":"[^"]*"(,"precision":\d+)?(,"scale":\d+)?\}`)
	hambaFixedLogical = regexp.MustCompile(`,"logicalType":"[^"]*"(,"precision":\d+)?(,"scale":\d+)?`)
)

// specCanonical turns hamba's canonical form into the specification's.
func specCanonical(hamba string) string {
	return hambaFixedLogical.ReplaceAllString(hambaLogical.ReplaceAllString(hamba, `"$1"`), "")
}

// rabin is the CRC-64-AVRO fingerprint, written out again here so that the
// test does not trust the generator's own.
func rabin(s string) uint64 {
	const empty = 0xc15d213aa4d7a795
	fp := uint64(empty)
	for i := 0; i < len(s); i++ {
		b := (fp ^ uint64(s[i])) & 0xff
		for range 8 {
			b = (b >> 1) ^ (empty & -(b & 1))
		}
		fp = (fp >> 8) ^ b
	}
	return fp
}

// Damaged input (every cut, every byte changed) never panics or hangs the
// generated decoder: it decodes to something or reports an error.
func TestDecodeSurvivesDamagedInput(t *testing.T) {
	good, err := EverythingCodec.Marshal(ptr(full()))
	if err != nil {
		t.Fatal(err)
	}
	decode := func(b []byte) {
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("panic on %x: %v", b, r)
			}
		}()
		var v Everything
		_ = EverythingCodec.Unmarshal(b, &v)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for cut := range len(good) {
			decode(good[:cut])
		}
		for at := range len(good) {
			for _, b := range []byte{0x00, 0x01, 0x7f, 0x80, 0xff} {
				damaged := bytes.Clone(good)
				damaged[at] = b
				decode(damaged)
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("decoding damaged input did not finish")
	}
}

// avroLong is the Avro encoding of a long (a zig-zag varint).
func avroLong(n int64) []byte {
	w := avro.NewWriter(nil, 16)
	w.WriteLong(n)
	return w.Buffer()
}

func join(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// decodeWithin decodes b as a Sparse on another goroutine; the deadline
// only guards the test against a decoder that would spin forever.
func decodeWithin(t *testing.T, b []byte) (Sparse, error) {
	t.Helper()
	type result struct {
		v   Sparse
		err error
	}
	done := make(chan result, 1)
	go func() {
		var v Sparse
		err := v.UnmarshalAvro(b)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-time.After(30 * time.Second):
		t.Fatal("decoding did not finish: a block count of items that encode to nothing spins")
		return Sparse{}, nil
	}
}

// Items that encode to nothing (null, an empty record, a fixed of size 0)
// consume no input, so a corrupt block count cannot be stopped by running
// out of input: an array of them holds at most genapi.MaxEmptyItems, and
// a count past that is a decode error naming the field.
func TestDecodeRejectsHugeCountsOfItemsThatEncodeToNothing(t *testing.T) {
	huge := avroLong(1 << 62)
	zero := []byte{0}
	cases := []struct {
		name, field string
		data        []byte
	}{
		{"array of null", "Sparse.nulls", huge},
		{"array of null, negative count with a byte size", "Sparse.nulls", join(avroLong(-(1 << 62)), avroLong(0))},
		{"array of null, blocks adding up past the limit", "Sparse.nulls", join(avroLong(genapi.MaxEmptyItems), avroLong(1))},
		{"array of empty records", "Sparse.marks", join(zero, huge)},
		{"array of size-0 fixed", "Sparse.blanks", join(zero, zero, huge)},
		{"array of null inside an array", "Sparse.grid", join(zero, zero, zero, avroLong(1), huge)},
		{"nullable array of null", "Sparse.maybe_nulls", join(zero, zero, zero, zero, zero, avroLong(1), huge)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := decodeWithin(t, c.data)
			if err == nil || !strings.Contains(err.Error(), c.field) || !strings.Contains(err.Error(), "encode to nothing") {
				t.Fatalf("got error %v, want one naming %s and the limit", err, c.field)
			}
		})
	}
	// A map's keys take input, so running out of it ends a corrupt count.
	t.Run("map of null", func(t *testing.T) {
		if _, err := decodeWithin(t, join(zero, zero, zero, zero, huge)); err == nil {
			t.Fatal("a huge map block count decoded without an error")
		}
	})
	// Exactly the limit, in two blocks, decodes.
	t.Run("at the limit", func(t *testing.T) {
		v, err := decodeWithin(t, join(avroLong(genapi.MaxEmptyItems-1), avroLong(1), zero, zero, zero, zero, zero, zero))
		if err != nil || len(v.Nulls) != genapi.MaxEmptyItems {
			t.Fatalf("got %d items, error %v; want %d items", len(v.Nulls), err, genapi.MaxEmptyItems)
		}
	})
}

// Encoding refuses an array of items that encode to nothing longer than
// decoding accepts, so that whatever encodes also decodes.
func TestEncodeRefusesMoreItemsThatEncodeToNothingThanDecodingAccepts(t *testing.T) {
	v := Sparse{Nulls: make([]struct{}, genapi.MaxEmptyItems)}
	b, err := v.MarshalAvro()
	if err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	var back Sparse
	if err := back.UnmarshalAvro(b); err != nil || len(back.Nulls) != genapi.MaxEmptyItems {
		t.Fatalf("at the limit: decoded %d items, %v", len(back.Nulls), err)
	}
	v.Grid = [][]struct{}{nil, make([]struct{}, genapi.MaxEmptyItems+1)}
	if _, err := v.MarshalAvro(); err == nil || !strings.Contains(err.Error(), "Sparse.grid") || !strings.Contains(err.Error(), "more than the 65536 decoding accepts") {
		t.Fatalf("past the limit: got error %v", err)
	}
}

// An empty bytes value decodes as a nil []byte, never as []byte{}: nil and
// empty encode alike, and the zero value round-trips exactly. (A nullable
// bytes field is a *[]byte, where nil is null and a pointer to an empty
// slice decodes as a pointer to nil.)
func TestEmptyBytesDecodeAsNil(t *testing.T) {
	for _, in := range [][]byte{nil, {}} {
		v := full()
		v.Blob = in
		v.MaybeBytes = &in
		b, err := v.MarshalAvro()
		if err != nil {
			t.Fatal(err)
		}
		nilBlob := full()
		nilBlob.Blob, nilBlob.MaybeBytes = nil, new([]byte)
		want, err := nilBlob.MarshalAvro()
		if err != nil || !bytes.Equal(b, want) {
			t.Fatalf("%#v encodes differently from nil: %v", in, err)
		}
		var got Everything
		if err := got.UnmarshalAvro(b); err != nil {
			t.Fatal(err)
		}
		if got.Blob == nil && got.MaybeBytes != nil && *got.MaybeBytes == nil {
			continue
		}
		t.Errorf("encoded %#v, decoded Blob %#v, MaybeBytes %#v; want nil and a pointer to nil", in, got.Blob, got.MaybeBytes)
	}
	for _, in := range [][]byte{nil, {}} {
		b, err := runtime.BytesCodec.Marshal(&in)
		if err != nil {
			t.Fatal(err)
		}
		out := []byte{1}
		if err := runtime.BytesCodec.Unmarshal(b, &out); err != nil || out != nil {
			t.Errorf("BytesCodec: %#v decoded as %#v (%v), want nil", in, out, err)
		}
	}
}
