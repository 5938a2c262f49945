package engine

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/faustgen/faustgen/runtime"
	"github.com/hamba/avro/v2"
)

// benchView mirrors a generated page-view record (strings, a timestamp, an
// optional string, a long and an enum), with a hand-written codec as the
// generator emits it, so the runtime's benchmarks need no generated
// package.
type benchView struct {
	Page, UserID string
	ViewedAt     time.Time
	Referrer     *string
	DurationMs   int64
	Device       int32
}

var tBenchView = runtime.Codec[benchView]{
	Type:   "bench.PageView",
	Schema: `{"type":"record","name":"PageView","namespace":"bench","fields":[{"name":"page","type":"string"},{"name":"user_id","type":"string"},{"name":"viewed_at","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"referrer","type":["null","string"],"default":null},{"name":"duration_ms","type":"long","default":0},{"name":"device","type":{"type":"enum","name":"Device","symbols":["DESKTOP","MOBILE","TABLET","UNKNOWN"],"default":"UNKNOWN"},"default":"UNKNOWN"}]}`,
	Encode: func(w *avro.Writer, v *benchView) {
		w.WriteString(v.Page)
		w.WriteString(v.UserID)
		w.WriteLong(v.ViewedAt.UnixMilli())
		if v.Referrer == nil {
			w.WriteLong(0)
		} else {
			w.WriteLong(1)
			w.WriteString(*v.Referrer)
		}
		w.WriteLong(v.DurationMs)
		w.WriteInt(v.Device)
	},
	Decode: func(r *avro.Reader, v *benchView) {
		v.Page = r.ReadString()
		v.UserID = r.ReadString()
		v.ViewedAt = time.UnixMilli(r.ReadLong()).UTC()
		switch u := r.ReadLong(); u {
		case 0:
			v.Referrer = nil
		case 1:
			v.Referrer = new(r.ReadString())
		default:
			r.ReportError("decode bench.PageView.referrer", "index outside the schema")
		}
		v.DurationMs = r.ReadLong()
		i := r.ReadInt()
		if uint32(i) >= 4 {
			r.ReportError("decode bench.Device", "index outside the schema")
			return
		}
		v.Device = i
	},
}

// benchOlderView is an older writer version of bench.PageView: no
// duration_ms or device, the referrer union in the other order, an extra
// field the reader dropped since.
const benchOlderView = `{"type":"record","name":"PageView","namespace":"bench","fields":[{"name":"page","type":"string"},{"name":"session","type":"string"},{"name":"user_id","type":"string"},{"name":"viewed_at","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"referrer","type":["string","null"]}]}`

func benchBodies(b testing.TB) (bare, framed, olderFramed []byte) {
	b.Helper()
	ref := "https://example.com/some/where"
	v := benchView{Page: "/pricing/enterprise", UserID: "user-00042-abcdef", ViewedAt: time.UnixMilli(1_700_000_000_123), Referrer: &ref, DurationMs: 12345, Device: 1}
	bare, err := tBenchView.Marshal(&v)
	if err != nil {
		b.Fatal(err)
	}
	framed, err = encodeFrame(&tBenchView, 3, &v)
	if err != nil {
		b.Fatal(err)
	}
	w := avro.NewWriter(nil, 128)
	w.WriteString(v.Page)
	w.WriteString("session-1234")
	w.WriteString(v.UserID)
	w.WriteLong(v.ViewedAt.UnixMilli())
	w.WriteLong(0)
	w.WriteString(ref)
	olderFramed = append([]byte{0, 0, 0, 0, 5}, w.Buffer()...)
	return bare, framed, olderFramed
}

// alternate runs a and c back to back in pairs of chunks of 20,000
// iterations (each side first in half the pairs), b.N iterations of each
// in all, and returns the median ns/op of each and the median of the
// per-pair ratios c/a: a pair shares the machine's load of its moment,
// so the ratio holds on a shared machine where absolute times drift.
func alternate(b *testing.B, a, c func(n int)) (aNs, cNs, ratio float64) {
	b.Helper()
	const chunk = 20000
	pairs := max(b.N/chunk, 1)
	n := min(b.N, chunk)
	timed := func(f func(int)) float64 {
		start := time.Now()
		f(n)
		return float64(time.Since(start).Nanoseconds()) / float64(n)
	}
	as, cs, rs := make([]float64, pairs), make([]float64, pairs), make([]float64, pairs)
	b.ResetTimer()
	for i := range pairs {
		if i%2 == 0 {
			as[i] = timed(a)
			cs[i] = timed(c)
		} else {
			cs[i] = timed(c)
			as[i] = timed(a)
		}
		rs[i] = cs[i] / as[i]
	}
	median := func(x []float64) float64 {
		slices.Sort(x)
		return x[len(x)/2]
	}
	return median(as), median(cs), median(rs)
}

// BenchmarkFramedDecodeVsBareBody decodes the same record as a bare Avro
// body and as a Confluent frame whose schema id is the generated type's
// (the cached fast path), alternating, and reports framed/bare as a ratio
// against the 1.10 ceiling. Run it with -benchtime 4000000x or more.
func BenchmarkFramedDecodeVsBareBody(b *testing.B) {
	bare, framed, _ := benchBodies(b)
	reg := &registry{byID: map[int]string{}}
	r := avro.NewReader(nil, 0)
	ctx := context.Background()
	var v benchView
	b.ReportAllocs()
	bareNs, framedNs, ratio := alternate(b, func(n int) {
		for range n {
			if err := decodeBody(r, &tBenchView, bare, &v); err != nil {
				b.Fatal(err)
			}
		}
	}, func(n int) {
		for range n {
			if err := decodeFrameInto(ctx, reg, r, &tBenchView, 3, framed, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(bareNs, "bare-ns/op")
	b.ReportMetric(framedNs, "framed-ns/op")
	b.ReportMetric(ratio, "ratio")
	b.Logf("bare body %.1f ns, framed (schema id cached) %.1f ns (medians): median pair ratio %.3f (ceiling 1.10)", bareNs, framedNs, ratio)
}

// BenchmarkResolvedDecodeVsFastPath decodes a record written with an older
// writer schema (transcoded by the built-in resolver's cached plan, then
// decoded by the generated decoder) against the same reader type's fast
// path, and reports resolved/fast as a ratio.
func BenchmarkResolvedDecodeVsFastPath(b *testing.B) {
	_, framed, older := benchBodies(b)
	reg := &registry{byID: map[int]string{5: benchOlderView}}
	r := avro.NewReader(nil, 0)
	ctx := context.Background()
	var v benchView
	if err := decodeFrameInto(ctx, reg, r, &tBenchView, 3, older, &v); err != nil || v.DurationMs != 0 || v.Device != 3 || *v.Referrer != "https://example.com/some/where" {
		b.Fatalf("resolved decode: %+v, %v", v, err)
	}
	b.ReportAllocs()
	fastNs, resolvedNs, ratio := alternate(b, func(n int) {
		for range n {
			if err := decodeFrameInto(ctx, reg, r, &tBenchView, 3, framed, &v); err != nil {
				b.Fatal(err)
			}
		}
	}, func(n int) {
		for range n {
			if err := decodeFrameInto(ctx, reg, r, &tBenchView, 3, older, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(fastNs, "fast-ns/op")
	b.ReportMetric(resolvedNs, "resolved-ns/op")
	b.ReportMetric(ratio, "ratio")
	b.Logf("fast path %.1f ns, through the resolver (older writer) %.1f ns (medians): median pair ratio %.2f", fastNs, resolvedNs, ratio)
}

// TestResolvedDecodeAllocatesNoMoreThanTheFastPath: transcoding through a
// cached plan reuses pooled buffers, so a record of an older writer costs
// the same allocations as one of the reader's own schema (those of the
// decoded value).
func TestResolvedDecodeAllocatesNoMoreThanTheFastPath(t *testing.T) {
	_, framed, older := benchBodies(t)
	reg := &registry{byID: map[int]string{5: benchOlderView}}
	r := avro.NewReader(nil, 0)
	ctx := context.Background()
	var v benchView
	decode := func(frame []byte) func() {
		return func() {
			if err := decodeFrameInto(ctx, reg, r, &tBenchView, 3, frame, &v); err != nil {
				t.Fatal(err)
			}
		}
	}
	decode(older)() // compile and cache the plan
	fast, resolved := testing.AllocsPerRun(200, decode(framed)), testing.AllocsPerRun(200, decode(older))
	if resolved > fast {
		t.Fatalf("resolved decode allocates %.1f times per record, the fast path %.1f", resolved, fast)
	}
}
