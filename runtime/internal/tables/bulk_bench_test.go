package tables

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkBulkLoad feeds n distinct keys in shuffled order (as in the
// runtime's restore benchmark) straight into a bulk load, without
// Kafka, and reports the time of each phase: taking the records in
// (sorting overlaps it), the sort's tail, and the merge into a bbolt
// file (written, renamed over the store, opened).
func BenchmarkBulkLoad(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			keys := make([][]byte, n)
			for i, k := range rand.New(rand.NewPCG(1, uint64(n))).Perm(n) {
				keys[i] = fmt.Appendf([]byte{20}, "k%09d", k)
			}
			val := []byte{0, 0, 0, 0, 2, 4}
			var in, tail, write time.Duration
			for range b.N {
				s, err := Open(filepath.Join(b.TempDir(), "0.db"), 0, quiet())
				if err != nil {
					b.Fatal(err)
				}
				began := time.Now()
				l := newBulkLoad(s.Path(), 0)
				for _, k := range keys {
					if err := l.add(k, val); err != nil {
						b.Fatal(err)
					}
				}
				t1 := time.Now()
				if err := l.wait(); err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				built, _, err := l.write(int64(n-1), 4096)
				if err == nil {
					err = s.replaceWith(built)
				}
				if err != nil {
					b.Fatal(err)
				}
				t3 := time.Now()
				l.removeTemp()
				s.Close()
				in, tail, write = in+t1.Sub(began), tail+t2.Sub(t1), write+t3.Sub(t2)
			}
			per := func(d time.Duration) float64 { return d.Seconds() / float64(b.N) }
			b.ReportMetric(per(in), "in-s")
			b.ReportMetric(per(tail), "sort-tail-s")
			b.ReportMetric(per(write), "write-s")
			b.ReportMetric(float64(n)/per(in+tail+write), "rec/s")
		})
	}
}
