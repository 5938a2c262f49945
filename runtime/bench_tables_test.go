package runtime

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/faustgen/faustgen/runtime/tables"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// BenchmarkRestoreVsRawConsume restores a one-partition changelog of
// distinct keys in shuffled order (the shape compaction leaves: one
// record per key, in the order of their last writes, not in key order)
// into an empty store and
// reports its rate as a ratio of raw franz-go consuming the same
// partition from start to end (the ceiling), in the same run, best of 3
// with the order alternating. Sizes: 100k and 1M records, and 5M with
// BENCH_RESTORE_5M=1; the restore time must grow linearly.
func BenchmarkRestoreVsRawConsume(b *testing.B) {
	sizes := []int{100_000, 1_000_000}
	if os.Getenv("BENCH_RESTORE_5M") != "" {
		sizes = append(sizes, 5_000_000)
	}
	c := newEnv(b)
	for _, n := range sizes {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			topic := c.name(fmt.Sprintf("restore-%d", n))
			fillChangelog(b, c, topic, n)
			for range b.N {
				var raw, restore, heap []float64
				var spilled int
				rawHeap = 0
				for round := range 3 {
					runRaw := func() { raw = append(raw, rawConsume(b, c, topic, n)) }
					runRestore := func() {
						rate, peak, runs := restoreRate(b, c, topic, n)
						spilled = runs
						restore, heap = append(restore, rate), append(heap, float64(peak)/(1<<20))
					}
					if round%2 == 0 {
						runRaw()
						runRestore()
					} else {
						runRestore()
						runRaw()
					}
				}
				r, s := slices.Max(raw), slices.Max(restore)
				b.ReportMetric(r, "raw-rec/s")
				b.ReportMetric(s, "restore-rec/s")
				b.ReportMetric(s/r, "ratio")
				b.ReportMetric(float64(n)/s, "restore-s")
				b.ReportMetric(slices.Max(heap), "restore-heap-MiB")
				b.ReportMetric(float64(rawHeap)/(1<<20), "raw-heap-MiB")
				b.Logf("%d records: raw consume %.0f rec/s, restore into bbolt %.0f rec/s (%.2fs), ratio %.2f (target >= 0.6); rounds raw %.0f, restore %.0f; live heap growth (MiB) during the restores %.0f, the raw consumes %.0f at most; %d sorted runs spilled to files",
					n, r, s, float64(n)/s, s/r, raw, restore, heap, float64(rawHeap)/(1<<20), spilled)
			}
			deleteTopics(b, c, topic)
		})
	}
}

// fillChangelog produces n records of distinct keys in a shuffled order
// (a fixed seed, so runs compare), framed long values, to a new
// one-partition compacted topic.
func fillChangelog(b testing.TB, c *env, topic string, n int) {
	b.Helper()
	adm := kadm.NewClient(rawClient(b, c))
	if _, err := adm.CreateTopic(context.Background(), 1, -1, map[string]*string{"cleanup.policy": ptrTo("compact")}, topic); err != nil {
		b.Fatal(err)
	}
	cl := rawClient(b, c, kgo.MaxBufferedRecords(200000), kgo.ProducerLinger(5*time.Millisecond))
	var wg sync.WaitGroup
	var failed atomic.Value
	order := rand.New(rand.NewPCG(1, uint64(n))).Perm(n)
	for i, k := range order {
		key := fmt.Appendf([]byte{0, 0, 0, 0, 1, 20}, "k%09d", k) // frame, zigzag length 10, the key
		val := []byte{0, 0, 0, 0, 2, byte(i&0x3f) << 1}
		wg.Add(1)
		cl.Produce(context.Background(), &kgo.Record{Topic: topic, Key: key, Value: val}, func(_ *kgo.Record, err error) {
			if err != nil {
				failed.Store(err)
			}
			wg.Done()
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
}

func ptrTo(s string) *string { return &s }

// rawHeap is the peak growth of the live heap during a raw consume
// (heapGrowth), for comparison with a restore's.
var rawHeap uint64

// rawConsume reads topic[0] from start to n records with a plain client
// and returns its rate.
func rawConsume(b testing.TB, c *env, topic string, n int) float64 {
	b.Helper()
	cl := rawClient(b, c, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}),
		kgo.FetchMaxPartitionBytes(8<<20), kgo.FetchMaxBytes(32<<20))
	defer cl.Close()
	peak := heapGrowth()
	defer func() { rawHeap = max(rawHeap, peak()) }()
	began := time.Now()
	got := 0
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for got < n {
		fs := cl.PollRecords(ctx, 50000)
		if ctx.Err() != nil {
			b.Fatalf("raw consume read %d of %d", got, n)
		}
		got += fs.NumRecords()
	}
	return float64(n) / time.Since(began).Seconds()
}

// restoreRate restores topic[0] into a fresh store and returns its rate
// and the peak growth of the live heap during it (as of each garbage
// collection, sampled every millisecond: the restore's client and its
// fetches included, garbage not), and how many sorted runs it spilled.
func restoreRate(b testing.TB, c *env, topic string, n int) (float64, uint64, int) {
	b.Helper()
	s, err := tables.Open(filepath.Join(b.TempDir(), "0.db"), time.Second, testLogger(b))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	peak := heapGrowth()
	began := time.Now()
	res, err := tables.Restore(context.Background(), s, tables.RestoreOptions{
		Client: []kgo.Opt{kgo.SeedBrokers(c.Brokers()...)}, Table: "bench", Topic: topic, Logger: testLogger(b),
	})
	if err != nil {
		b.Fatal(err)
	}
	took := time.Since(began)
	grew := peak()
	if res.Replayed != int64(n) {
		b.Fatalf("restored %d of %d records", res.Replayed, n)
	}
	return float64(n) / took.Seconds(), grew, res.Spilled
}

// heapGrowth starts sampling the live heap (as of each garbage
// collection) every millisecond; the function it returns stops and
// returns the peak growth over the heap at the start.
func heapGrowth() func() uint64 {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	heap := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	runtime.GC()
	base, peak := heap(), uint64(0)
	stop, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		for t := time.NewTicker(time.Millisecond); ; {
			select {
			case <-stop:
				t.Stop()
				return
			case <-t.C:
				peak = max(peak, heap())
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-sampled
		return max(peak, base) - base
	}
}

// BenchmarkStatefulVsStatelessAgent runs a counting agent (Get, Put,
// Send: a table read and write and a changelog record per input) and a
// stateless relay (decode, send) over the same input, alternating, and
// reports the stateful agent's throughput as a ratio of the stateless
// one's (target >= 0.5), best of 4 rounds each. Run with -benchtime 1x.
func BenchmarkStatefulVsStatelessAgent(b *testing.B) {
	c := newEnv(b)
	cfg := testConfig(b, c)
	cfg.CommitInterval = 10 * time.Millisecond
	for i := range b.N {
		var stateless, stateful, slCPU, sfCPU []float64
		for round := range 4 {
			id := strconv.Itoa(i) + "-" + strconv.Itoa(round)
			in := viewTopic(c.name("sf-in-"+id), benchPartitions)
			outViews := viewTopic(c.name("sf-relay-out-"+id), benchPartitions)
			outCounts := countTopic(c.name("sf-count-out-"+id), benchPartitions)
			producer := start(b, cfg, AppSpec{ID: c.name("sf-producer-" + id), Topics: []AnyTopic{in, outViews, outCounts}})
			fillTopic(b, producer, in, benchRecords)
			producer.stop(b)
			runStateless := func() {
				cpu := processCPU()
				stateless = append(stateless, agentRelay(b, c, cfg, in, outViews, c.name("sf-relay-"+id)))
				slCPU = append(slCPU, (processCPU()-cpu).Seconds()*1e6/benchRecords)
			}
			runStateful := func() {
				cpu := processCPU()
				stateful = append(stateful, countRelay(b, c, cfg, in, outCounts, c.name("sf-count-"+id)))
				sfCPU = append(sfCPU, (processCPU()-cpu).Seconds()*1e6/benchRecords)
			}
			if round%2 == 0 {
				runStateless()
				runStateful()
			} else {
				runStateful()
				runStateless()
			}
			deleteTopics(b, c, in.Name, outViews.Name, outCounts.Name, changelogName(c.name("sf-count-"+id), "counts"))
		}
		sl, sf := slices.Max(stateless), slices.Max(stateful)
		b.ReportMetric(sl, "stateless-rec/s")
		b.ReportMetric(sf, "stateful-rec/s")
		b.ReportMetric(sf/sl, "ratio")
		b.ReportMetric(slices.Min(slCPU), "stateless-cpu-µs/rec")
		b.ReportMetric(slices.Min(sfCPU), "stateful-cpu-µs/rec")
		b.Logf("%d records, %d partitions, best of 4 (order alternating): stateless relay %.0f rec/s, counting agent %.0f rec/s, ratio %.2f (target >= 0.5); CPU per record (least of 4): stateless %.2f µs, stateful %.2f µs",
			benchRecords, benchPartitions, sl, sf, sf/sl, slices.Min(slCPU), slices.Min(sfCPU))
	}
}

// countRelay runs the counting agent over in until every record is
// committed and returns its rate from the first record processed.
func countRelay(b *testing.B, c *env, cfg Config, in *Topic[string, view], out *Topic[string, int64], group string) float64 {
	b.Helper()
	cfg.StateDir = b.TempDir()
	table := countsTable(in.Partitions)
	var first atomic.Int64
	agent := counter(in, out, table)
	inner := agent.Process
	agent.Process = func(t *Task, k string, v view) error {
		if first.Load() == 0 {
			first.CompareAndSwap(0, time.Now().UnixNano())
		}
		return inner(t, k, v)
	}
	r := start(b, cfg, AppSpec{ID: group, Topics: []AnyTopic{in, out}, Tables: []AnyTable{table}, Agents: []AnyAgent{agent}})
	waitCommitted(b, kadm.NewClient(rawClient(b, c)), group, in.Name, benchRecords, 120*time.Second)
	elapsed := time.Since(time.Unix(0, first.Load()))
	if err := r.stop(b); err != nil {
		b.Fatal(err)
	}
	return benchRecords / elapsed.Seconds()
}
