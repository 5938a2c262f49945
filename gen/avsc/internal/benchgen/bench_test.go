package benchgen

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/linkedin/goavro/v2"
)

// The benchmarks compare the generated codec with hamba/avro's reflection
// codec and linkedin/goavro on the same PageView (strings, longs, a nested
// record, an array, a nullable union, a timestamp). TestSpeedAgainstHamba
// prints the ratios: run
//
//	FAUSTGEN_BENCH=1 go test ./gen/avsc/internal/benchgen -run SpeedRatios -v
//
// or the benchmarks themselves with -bench . -benchmem.

func pageView() PageView {
	ref := "https://example.com/search?q=avro"
	return PageView{
		URL:        "https://example.com/products/12345/reviews",
		Referrer:   &ref,
		UserID:     987654321,
		SessionID:  1234567890123,
		DurationMs: 4521,
		ViewedAt:   time.UnixMilli(1700000000123).UTC(),
		Browser:    Browser{Name: "Firefox", Version: "128.0.1", Mobile: false},
		Tags:       []string{"electronics", "reviews", "mobile-web"},
	}
}

// hambaPageView is the shape hamba's reflection codec maps the same schema
// to (a nullable union as a pointer, the timestamp as time.Time).
type hambaPageView struct {
	URL        string       `avro:"url"`
	Referrer   *string      `avro:"referrer"`
	UserID     int64        `avro:"user_id"`
	SessionID  int64        `avro:"session_id"`
	DurationMs int64        `avro:"duration_ms"`
	ViewedAt   time.Time    `avro:"viewed_at"`
	Browser    hambaBrowser `avro:"browser"`
	Tags       []string     `avro:"tags"`
}

type hambaBrowser struct {
	Name    string `avro:"name"`
	Version string `avro:"version"`
	Mobile  bool   `avro:"mobile"`
}

func hambaValue() hambaPageView {
	v := pageView()
	return hambaPageView{
		URL: v.URL, Referrer: v.Referrer, UserID: v.UserID, SessionID: v.SessionID, DurationMs: v.DurationMs,
		ViewedAt: v.ViewedAt, Browser: hambaBrowser(v.Browser), Tags: v.Tags,
	}
}

func goavroValue() map[string]any {
	v := pageView()
	return map[string]any{
		"url":         v.URL,
		"referrer":    goavro.Union("string", *v.Referrer),
		"user_id":     v.UserID,
		"session_id":  v.SessionID,
		"duration_ms": v.DurationMs,
		"viewed_at":   v.ViewedAt,
		"browser":     map[string]any{"name": v.Browser.Name, "version": v.Browser.Version, "mobile": v.Browser.Mobile},
		"tags":        []any{v.Tags[0], v.Tags[1], v.Tags[2]},
	}
}

func hambaSchema(tb testing.TB) avro.Schema {
	s, err := avro.ParseWithCache(PageViewCodec.FullSchema(), "", &avro.SchemaCache{})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func goavroCodec(tb testing.TB) *goavro.Codec {
	c, err := goavro.NewCodec(PageViewCodec.FullSchema())
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// All three implementations write the benchmark value the same way (hamba
// writes arrays in blocks with a byte size, which is equivalent), so they
// are measured doing the same work.
func TestImplementationsAgreeOnTheBenchmarkRecord(t *testing.T) {
	v := pageView()
	ours, err := PageViewCodec.Marshal(&v)
	if err != nil {
		t.Fatal(err)
	}
	hv := hambaValue()
	theirs, err := avro.Marshal(hambaSchema(t), &hv)
	if err != nil {
		t.Fatal(err)
	}
	linkedin, err := goavroCodec(t).BinaryFromNative(nil, goavroValue())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ours, linkedin) {
		t.Fatalf("encodings differ:\ngenerated %x\ngoavro    %x", ours, linkedin)
	}
	var back PageView
	if err := PageViewCodec.Unmarshal(theirs, &back); err != nil {
		t.Fatal(err)
	}
	again, err := PageViewCodec.Marshal(&back)
	if err != nil || !bytes.Equal(again, ours) {
		t.Fatalf("hamba's encoding decodes to another value: %x, %v", again, err)
	}
}

func BenchmarkEncodeGenerated(b *testing.B) {
	v := pageView()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PageViewCodec.Marshal(&v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeHambaReflection(b *testing.B) {
	s := hambaSchema(b)
	v := hambaValue()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := avro.Marshal(s, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeGoavro(b *testing.B) {
	c := goavroCodec(b)
	v := goavroValue()
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.BinaryFromNative(buf[:0], v); err != nil {
			b.Fatal(err)
		}
	}
}

func encoded(tb testing.TB) []byte {
	v := pageView()
	data, err := PageViewCodec.Marshal(&v)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func BenchmarkDecodeGenerated(b *testing.B) {
	data := encoded(b)
	b.ReportAllocs()
	for b.Loop() {
		var v PageView
		if err := PageViewCodec.Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeHambaReflection(b *testing.B) {
	s := hambaSchema(b)
	data := encoded(b)
	b.ReportAllocs()
	for b.Loop() {
		var v hambaPageView
		if err := avro.Unmarshal(s, data, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeGoavro(b *testing.B) {
	c := goavroCodec(b)
	data := encoded(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := c.NativeFromBinary(data); err != nil {
			b.Fatal(err)
		}
	}
}

// The generated code allocates no more than hamba's reflection codec
// (allocation counts are deterministic, unlike times).
func TestGeneratedAllocatesNoMoreThanHamba(t *testing.T) {
	v, hv, data, s := pageView(), hambaValue(), encoded(t), hambaSchema(t)
	cases := []struct {
		op               string
		generated, hamba func()
	}{
		{"encode", func() { _, _ = PageViewCodec.Marshal(&v) }, func() { _, _ = avro.Marshal(s, &hv) }},
		{"decode", func() { var out PageView; _ = PageViewCodec.Unmarshal(data, &out) }, func() { var out hambaPageView; _ = avro.Unmarshal(s, data, &out) }},
	}
	for _, c := range cases {
		g, h := testing.AllocsPerRun(200, c.generated), testing.AllocsPerRun(200, c.hamba)
		if g > h {
			t.Errorf("%s: generated code allocates %.1f times per op, hamba's reflection codec %.1f", c.op, g, h)
		}
	}
}

// TestSpeedRatios measures the three implementations in the same run,
// interleaved, and prints time and allocations as ratios to hamba's
// reflection codec, the ceiling the generated code must stay under. Each
// figure is the best of five rounds, which filters out other load on the
// machine. It takes about 20 s, so it runs only when asked:
//
//	FAUSTGEN_BENCH=1 go test ./gen/avsc/internal/benchgen -run SpeedRatios -v
func TestSpeedRatios(t *testing.T) {
	if os.Getenv("FAUSTGEN_BENCH") == "" {
		t.Skip("set FAUSTGEN_BENCH=1 to measure")
	}
	if err := flag.Set("test.benchtime", "300ms"); err != nil {
		t.Fatal(err)
	}
	type impl struct {
		name  string
		bench func(*testing.B)
		best  testing.BenchmarkResult
	}
	ops := []struct {
		op    string
		impls []*impl
	}{
		{"encode", []*impl{{name: "generated", bench: BenchmarkEncodeGenerated}, {name: "hamba-reflection", bench: BenchmarkEncodeHambaReflection}, {name: "linkedin-goavro", bench: BenchmarkEncodeGoavro}}},
		{"decode", []*impl{{name: "generated", bench: BenchmarkDecodeGenerated}, {name: "hamba-reflection", bench: BenchmarkDecodeHambaReflection}, {name: "linkedin-goavro", bench: BenchmarkDecodeGoavro}}},
	}
	for round := 0; round < 5; round++ {
		for _, o := range ops {
			for _, im := range o.impls {
				r := testing.Benchmark(im.bench)
				if im.best.N == 0 || r.NsPerOp() < im.best.NsPerOp() {
					im.best = r
				}
			}
		}
	}
	w := os.Stdout
	fmt.Fprintf(w, "%-7s %-17s %8s %7s %8s %11s %10s\n", "op", "codec", "ns/op", "B/op", "allocs", "time/hamba", "allocs/h")
	for _, o := range ops {
		h := o.impls[1].best
		for _, im := range o.impls {
			r := im.best
			fmt.Fprintf(w, "%-7s %-17s %8d %7d %8d %11.2f %10.2f\n", o.op, im.name, r.NsPerOp(), r.AllocedBytesPerOp(), r.AllocsPerOp(),
				float64(r.NsPerOp())/float64(h.NsPerOp()), float64(r.AllocsPerOp())/float64(max(h.AllocsPerOp(), 1)))
		}
	}
}
