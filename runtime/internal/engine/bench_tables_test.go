package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	goruntime "runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/faustgen/faustgen/runtime"
	"github.com/faustgen/faustgen/runtime/internal/tables"
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
				var tail []float64 // seconds after the changelog was read
				rawHeap = 0
				for round := range 3 {
					runRaw := func() { raw = append(raw, rawConsume(b, c, topic, n)) }
					runRestore := func() {
						rate, peak, runs, read := restoreRate(b, c, topic, n)
						spilled = runs
						tail = append(tail, float64(n)/rate-read.Seconds())
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
				b.Logf("%d records: raw consume %.0f rec/s, restore into bbolt %.0f rec/s (%.2fs), ratio %.2f (target >= 0.6); rounds raw %.0f, restore %.0f; live heap growth (MiB) during the restores %.0f, the raw consumes %.0f at most; %d sorted runs spilled to files; merging and writing the store after the changelog was read took %.3f s",
					n, r, s, float64(n)/s, s/r, raw, restore, heap, float64(rawHeap)/(1<<20), spilled, tail)
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
// fetches included, garbage not), how many sorted runs it spilled and
// how long reading the changelog took.
func restoreRate(b testing.TB, c *env, topic string, n int) (float64, uint64, int, time.Duration) {
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
	return float64(n) / took.Seconds(), grew, res.Spilled, res.Read
}

// heapGrowth starts sampling the live heap (as of each garbage
// collection) every millisecond; the function it returns stops and
// returns the peak growth over the heap at the start.
func heapGrowth() func() uint64 {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	heap := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	goruntime.GC()
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
func countRelay(b *testing.B, c *env, cfg runtime.Config, in *Topic[string, view], out *Topic[string, int64], group string) float64 {
	table := countsTable(in.Partitions)
	return statefulRate(b, c, cfg, AtLeastOnce, in, out, group, table, counter(in, out, table))
}

// statefulRate runs agent (of table) under guarantee g over in until
// every record is committed and returns its rate from the first record
// processed.
func statefulRate(b *testing.B, c *env, cfg runtime.Config, g Guarantee, in *Topic[string, view], out *Topic[string, int64], group string, table AnyTable, agent *Agent[string, view]) float64 {
	b.Helper()
	cfg.StateDir = b.TempDir()
	var first atomic.Int64
	inner := agent.Process
	agent.Process = func(t *Task, k string, v view) error {
		if first.Load() == 0 {
			first.CompareAndSwap(0, time.Now().UnixNano())
		}
		return inner(t, k, v)
	}
	r := start(b, cfg, AppSpec{ID: group, Guarantee: g, Topics: []AnyTopic{in, out}, Tables: []AnyTable{table}, Agents: []AnyAgent{agent}})
	waitCommitted(b, kadm.NewClient(rawClient(b, c)), group, in.Name, benchRecords, 120*time.Second)
	elapsed := time.Since(time.Unix(0, first.Load()))
	if err := r.stop(b); err != nil {
		b.Fatal(err)
	}
	return benchRecords / elapsed.Seconds()
}

// windowCounter counts views per key per window of table, the view's
// event time being 10 ms per input record (Seq), and sends the newest
// window's count: a read and a write per window holding the time, and a
// send, per input.
func windowCountRelay(in *Topic[string, view], out *Topic[string, int64], table *TableDef[string, int64]) *Agent[string, view] {
	return &Agent[string, view]{
		Name: "wcount", Source: in, Sinks: []AnyTopic{out}, Tables: []AnyTable{table}, OnError: Fail,
		Process: func(t *Task, k string, v view) error {
			var n int64
			err := WindowedTableOf(t, table).Update(k, time.UnixMilli(v.Seq*10), func(c int64, _ bool) int64 { n = c + 1; return n })
			if err != nil {
				return err
			}
			return SinkOf(t, out).Send(k, n)
		},
	}
}

// BenchmarkWindowedVsStatelessAgent runs a windowed count (tumbling
// 1-minute windows, the same never expiring (to see what expiry costs),
// and hopping 6-minute windows every minute: six windows per view) and the stateless relay over the same input,
// alternating, and reports the windowed agent's throughput as a ratio of
// the stateless one's (target >= 0.5 for tumbling), best of 4 rounds
// each. Windows close and expire (5 minutes after their end) as the
// event time moves through 50 minutes. Run with -benchtime 1x.
func BenchmarkWindowedVsStatelessAgent(b *testing.B) {
	c := newEnv(b)
	cfg := testConfig(b, c)
	cfg.CommitInterval = benchCommitInterval(b, 10*time.Millisecond)
	for _, kind := range []struct {
		name string
		w    WindowSpec
	}{
		{"tumbling", WindowSpec{Tumbling: time.Minute, Expires: 5 * time.Minute}},
		{"unexpiring", WindowSpec{Tumbling: time.Minute, Expires: 1000 * time.Hour}},
		{"hopping6", WindowSpec{Hopping: 6 * time.Minute, Step: time.Minute, Expires: 5 * time.Minute}},
	} {
		b.Run(kind.name, func(b *testing.B) {
			for i := range b.N {
				var stateless, windowed, slCPU, wdCPU []float64
				for round := range 4 {
					id := kind.name + strconv.Itoa(i) + "-" + strconv.Itoa(round)
					in := viewTopic(c.name("wb-in-"+id), benchPartitions)
					outViews := viewTopic(c.name("wb-relay-out-"+id), benchPartitions)
					outCounts := countTopic(c.name("wb-count-out-"+id), benchPartitions)
					producer := start(b, cfg, AppSpec{ID: c.name("wb-producer-" + id), Topics: []AnyTopic{in, outViews, outCounts}})
					fillTopic(b, producer, in, benchRecords)
					producer.stop(b)
					w := kind.w
					table := &TableDef[string, int64]{TableSpec: TableSpec{Name: "windows", Partitions: benchPartitions, Window: &w, KeyType: "string", ValueType: "long"}, Key: tString, Value: tLong}
					runStateless := func() {
						cpu := processCPU()
						stateless = append(stateless, agentRelay(b, c, cfg, in, outViews, c.name("wb-relay-"+id)))
						slCPU = append(slCPU, (processCPU()-cpu).Seconds()*1e6/benchRecords)
					}
					runWindowed := func() {
						cpu := processCPU()
						windowed = append(windowed, statefulRate(b, c, cfg, AtLeastOnce, in, outCounts, c.name("wb-count-"+id), table, windowCountRelay(in, outCounts, table)))
						wdCPU = append(wdCPU, (processCPU()-cpu).Seconds()*1e6/benchRecords)
					}
					if round%2 == 0 {
						runStateless()
						runWindowed()
					} else {
						runWindowed()
						runStateless()
					}
					deleteTopics(b, c, in.Name, outViews.Name, outCounts.Name, changelogName(c.name("wb-count-"+id), "windows"))
				}
				sl, wd := slices.Max(stateless), slices.Max(windowed)
				b.ReportMetric(sl, "stateless-rec/s")
				b.ReportMetric(wd, "windowed-rec/s")
				b.ReportMetric(wd/sl, "ratio")
				b.ReportMetric(slices.Min(slCPU), "stateless-cpu-µs/rec")
				b.ReportMetric(slices.Min(wdCPU), "windowed-cpu-µs/rec")
				b.Logf("%s: %d records, %d partitions, best of 4 (order alternating): stateless relay %.0f rec/s, windowed count %.0f rec/s, ratio %.2f (target >= 0.5 for tumbling); rounds stateless %.0f, windowed %.0f; CPU per record (least of 4): stateless %.2f µs, windowed %.2f µs",
					kind.name, benchRecords, benchPartitions, sl, wd, wd/sl, stateless, windowed, slices.Min(slCPU), slices.Min(wdCPU))
			}
		})
	}
}

// BenchmarkGlobalLookupVsPlainGet fills a global table and a plain
// table with the same 1M entries (the global one through its source
// topic, the plain one through its changelog, both caught up or restored
// at start), then, inside one Process call, times random Gets on each,
// alternating, best of 3: the global lookup's cost as a ratio of the
// plain Get's (target <= 2).
func BenchmarkGlobalLookupVsPlainGet(b *testing.B) {
	const entries, gets = 1_000_000, 200_000
	c := newEnv(b)
	cfg := testConfig(b, c)
	cfg.StateDir = b.TempDir()
	id := c.name("lk")
	src := &Topic[string, int64]{TopicSpec: TopicSpec{Name: c.name("lk-src"), Partitions: 1, Config: map[string]string{"cleanup.policy": "compact"}}, Key: tString, Value: tLong}
	global := &TableDef[string, int64]{TableSpec: TableSpec{Name: "global", Partitions: 1, Global: true, KeyType: "string", ValueType: "long"}, Key: tString, Value: tLong, Source: src}
	plain := &TableDef[string, int64]{TableSpec: TableSpec{Name: "plain", Partitions: 1, KeyType: "string", ValueType: "long"}, Key: tString, Value: tLong}
	changelog := plain.changelog(id).(*Topic[string, int64])
	in := viewTopic(c.name("lk-in"), 1)
	key := func(i int) string { return fmt.Sprintf("k%09d", i) }

	writer := start(b, cfg, AppSpec{ID: c.name("lk-writer"), Topics: []AnyTopic{src, changelog, in}})
	for _, tp := range []*Topic[string, int64]{src, changelog} {
		p := ProducerOf(writer.app, tp)
		var failed atomic.Int64
		for i := range entries {
			p.Send(context.Background(), key(i), int64(i), func(_ runtime.RecordMeta, err error) {
				if err != nil {
					failed.Add(1)
				}
			})
		}
		if err := writer.app.client.Flush(context.Background()); err != nil || failed.Load() > 0 {
			b.Fatalf("fill %s: %v, %d failed", tp.Name, err, failed.Load())
		}
	}
	produceViews(b, writer, in, []string{"go"}, 1)
	writer.stop(b)

	type result struct{ plain, global []float64 }
	done := make(chan result, 1)
	agent := &Agent[string, view]{Name: "lookup", Source: in, Lookups: []AnyTable{plain, global}, OnError: Fail,
		Process: func(t *Task, _ string, _ view) error {
			var res result
			pt, gt := ReadTableOf(t, plain), ReadTableOf(t, global)
			timeGets := func(tb runtime.ReadTable[string, int64], seed int) float64 {
				began := time.Now()
				for i := range gets {
					k := (i*7919 + seed) % entries
					v, ok, err := tb.Get(key(k))
					if err != nil || !ok || v != int64(k) {
						b.Errorf("Get(%s) = %d, %v, %v", key(k), v, ok, err)
						return 0
					}
				}
				return float64(time.Since(began).Nanoseconds()) / gets
			}
			for round := range 3 {
				if round%2 == 0 {
					res.plain = append(res.plain, timeGets(pt, round))
					res.global = append(res.global, timeGets(gt, round))
				} else {
					res.global = append(res.global, timeGets(gt, round))
					res.plain = append(res.plain, timeGets(pt, round))
				}
			}
			done <- res
			return nil
		}}
	for range b.N {
		r := start(b, cfg, AppSpec{ID: id, Topics: []AnyTopic{in, src}, Tables: []AnyTable{plain, global}, Agents: []AnyAgent{agent}})
		var res result
		select {
		case res = <-done:
		case <-time.After(5 * time.Minute):
			b.Fatal("no lookup run within 5 minutes")
		}
		r.stop(b)
		pl, gl := slices.Min(res.plain), slices.Min(res.global)
		b.ReportMetric(pl, "plain-ns/get")
		b.ReportMetric(gl, "global-ns/get")
		b.ReportMetric(gl/pl, "ratio")
		b.Logf("%d entries, %d random Gets per round, best of 3 (alternating): plain %.0f ns, global %.0f ns, ratio %.2f (target <= 2); rounds plain %.0f, global %.0f", entries, gets, pl, gl, gl/pl, res.plain, res.global)
	}
}

// benchCommitInterval is BENCH_COMMIT_INTERVAL (a Go duration), else def.
func benchCommitInterval(b *testing.B, def time.Duration) time.Duration {
	if v := os.Getenv("BENCH_COMMIT_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("BENCH_COMMIT_INTERVAL=%q: %v", v, err)
		}
		return d
	}
	return def
}

// BenchmarkExactlyOnceVsAtLeastOnce runs the counting agent (a table read
// and write, a changelog record and a sink record per input) exactly-once
// and at-least-once over the same input, alternating, at each commit
// interval (1s is Config's default), and reports the exactly-once
// throughput as a ratio of the at-least-once one's (target >= 0.7 at the
// default), best of 3 rounds each, with the ranges of the rounds in the
// log. Throughput is the steady rate: records processed per second
// between the 10th and the 90th percent of the input, a window that
// spans several commit intervals (the input is 600k records at 100 ms,
// 3M at 1 s: the window's length in intervals is reported), so that
// neither the start nor the wait for the last commit counts. Run with
// -benchtime 1x.
func BenchmarkExactlyOnceVsAtLeastOnce(b *testing.B) {
	c := newEnv(b)
	for _, tc := range []struct {
		interval time.Duration
		records  int
	}{{100 * time.Millisecond, 600_000}, {time.Second, 3_000_000}} {
		b.Run("interval="+tc.interval.String(), func(b *testing.B) {
			cfg := testConfig(b, c)
			cfg.CommitInterval = tc.interval
			for i := range b.N {
				var alo, eos, ratios, spans []float64
				for round := range 3 {
					id := fmt.Sprintf("%s-%d-%d", tc.interval, i, round)
					in := viewTopic(c.name("eos-bench-in-"+id), benchPartitions)
					out := countTopic(c.name("eos-bench-out-"+id), benchPartitions)
					producer := start(b, cfg, AppSpec{ID: c.name("eos-bench-producer-" + id), Topics: []AnyTopic{in, out}})
					fillTopic(b, producer, in, tc.records)
					producer.stop(b)
					run := func(g Guarantee, group string) float64 {
						rate, window := steadyCountRate(b, c, cfg, g, in, out, group, tc.records)
						spans = append(spans, window.Seconds()/tc.interval.Seconds())
						deleteTopics(b, c, changelogName(group, "counts"))
						return rate
					}
					var a, e float64
					if round%2 == 0 {
						a = run(AtLeastOnce, c.name("eos-bench-alo-"+id))
						e = run(ExactlyOnce, c.name("eos-bench-eos-"+id))
					} else {
						e = run(ExactlyOnce, c.name("eos-bench-eos-"+id))
						a = run(AtLeastOnce, c.name("eos-bench-alo-"+id))
					}
					alo, eos, ratios = append(alo, a), append(eos, e), append(ratios, e/a)
					deleteTopics(b, c, in.Name, out.Name)
				}
				a, e := slices.Max(alo), slices.Max(eos)
				b.ReportMetric(a, "alo-rec/s")
				b.ReportMetric(e, "eos-rec/s")
				b.ReportMetric(e/a, "ratio")
				b.ReportMetric(slices.Min(spans), "window-intervals")
				b.Logf("%d records, %d partitions, commit interval %v, steady rate over the 10-90%% window (%.1f-%.1f intervals long), best of 3 (order alternating): at-least-once %.0f rec/s (rounds %.0f), exactly-once %.0f rec/s (rounds %.0f), ratio %.2f (target >= 0.7 at the default 1s; per-round ratios %.2f)",
					tc.records, benchPartitions, tc.interval, slices.Min(spans), slices.Max(spans), a, alo, e, eos, e/a, ratios)
			}
		})
	}
}

// steadyCountRate runs the counting agent under guarantee g over the n
// records of in until every one is committed, and returns its steady
// rate: records processed per second between the moment it had processed
// 10 % of them and the moment it had processed 90 %, and that window's
// length.
func steadyCountRate(b *testing.B, c *env, cfg runtime.Config, g Guarantee, in *Topic[string, view], out *Topic[string, int64], group string, n int) (float64, time.Duration) {
	b.Helper()
	cfg.StateDir = b.TempDir()
	table := countsTable(in.Partitions)
	agent := counter(in, out, table)
	inner := agent.Process
	lo, hi := int64(n/10), int64(n-n/10)
	var processed, at10, at90 atomic.Int64
	agent.Process = func(t *Task, k string, v view) error {
		if err := inner(t, k, v); err != nil {
			return err
		}
		switch processed.Add(1) {
		case lo:
			at10.Store(time.Now().UnixNano())
		case hi:
			at90.Store(time.Now().UnixNano())
		}
		return nil
	}
	r := start(b, cfg, AppSpec{ID: group, Guarantee: g, Topics: []AnyTopic{in, out}, Tables: []AnyTable{table}, Agents: []AnyAgent{agent}})
	waitCommitted(b, kadm.NewClient(rawClient(b, c)), group, in.Name, int64(n), 5*time.Minute)
	if err := r.stop(b); err != nil {
		b.Fatal(err)
	}
	window := time.Duration(at90.Load() - at10.Load())
	if at10.Load() == 0 || at90.Load() == 0 || window <= 0 {
		b.Fatalf("%s: no 10-90%% window measured (%d records processed)", group, processed.Load())
	}
	return float64(hi-lo) / window.Seconds(), window
}

// BenchmarkRestartAfterKillVsFullRestore builds a 1M-record changelog
// (BENCH_RESTART_RECORDS) with an exactly-once counting child process (6
// partitions, 100k keys), kills it with SIGKILL while it counts, and
// then, 3 rounds with the order alternating, times two starts of a child
// until every table partition is ready: the killed instance's restart on
// its own state dir (it replays the changelog tail written since its
// stores were last written), and a start on an empty state dir, which
// restores the whole changelog. Between rounds the restarted instance
// counts 150k more records and is killed while it does (a commit
// interval of 100 ms, so that each kill lands mid-run). Time to ready is
// from the process's start to its last "table partition ready" report
// (start, registry, join and recovery); the restart's is reported as a
// ratio of the full restore's (lower is better), with the recovery alone
// (the slowest partition's, as logged) and the records replayed. Run
// with -benchtime 1x.
func BenchmarkRestartAfterKillVsFullRestore(b *testing.B) {
	records := 1_000_000
	if n, err := strconv.Atoi(os.Getenv("BENCH_RESTART_RECORDS")); err == nil && n > 0 {
		records = n
	}
	const parts, keys, extra = 6, 100_000, 150_000
	c := newEnv(b)
	cfg := testConfig(b, c)
	for i := range b.N {
		id := strconv.Itoa(i)
		in, out := viewTopic(c.name("rs-in-"+id), parts), countTopic(c.name("rs-out-"+id), parts)
		group := c.name("rs-" + id)
		changelog := changelogName(group, "counts")
		producer := start(b, cfg, AppSpec{ID: c.name("rs-producer-" + id), Topics: []AnyTopic{in, out}})
		sent := 0
		feed := func(n int) {
			fillTopicKeys(b, producer, in, n, keys, sent)
			sent += n
		}
		feed(records + extra)
		settings := func(dir string) map[string]string {
			return childSettings(group, "counter", in, out, map[string]string{
				"CHILD_MODE": "count", "CHILD_GUARANTEE": "exactly_once", runtime.EnvStateDir: dir,
				runtime.EnvInstanceID: "counter-1", runtime.EnvSessionTimeout: "30s", runtime.EnvCommitInterval: "100ms",
			})
		}
		// ready starts a child on dir and returns it once every table
		// partition is ready, with its time to ready, its slowest
		// partition's recovery and the records it replayed.
		ready := func(dir string) (ch *child, wall, recovery float64, replayed int64) {
			ch = startChild(b, c, settings(dir))
			eventuallyWithin(b, 5*time.Minute, "every table partition ready", func() bool { return len(ch.readies()) >= parts })
			var last time.Time
			for _, r := range ch.readies() {
				if r.wiped {
					b.Fatalf("table partition %d of %s wiped its store", r.partition, changelog)
				}
				if r.at.After(last) {
					last = r.at
				}
				recovery = max(recovery, r.seconds)
				replayed += r.replayed
			}
			return ch, last.Sub(ch.started).Seconds(), recovery, replayed
		}
		// killMidRun lets ch count until half of the records fed after
		// mark are committed, then kills it.
		killMidRun := func(ch *child, mark int64) {
			eventuallyWithin(b, 5*time.Minute, "the count under way", func() bool {
				return committedSoFar(b, c, group, in.Name) >= mark
			})
			ch.kill()
			ch.wait(b, 10*time.Second)
		}
		stateDir := b.TempDir()
		first := startChild(b, c, settings(stateDir))
		killMidRun(first, int64(records))
		size := sum(endOffsets(b, c, changelog))

		var restartWall, fullWall, restartRec, fullRec []float64
		var tails []int64
		for round := range 3 {
			runRestart := func() {
				ch, wall, rec, replayed := ready(stateDir)
				restartWall, restartRec, tails = append(restartWall, wall), append(restartRec, rec), append(tails, replayed)
				feed(extra)
				killMidRun(ch, int64(sent-extra/2))
			}
			runFull := func() {
				ch, wall, rec, replayed := ready(b.TempDir())
				if now := sum(endOffsets(b, c, changelog)); replayed*10 < now*9 {
					b.Fatalf("the start on an empty state dir replayed %d records of a changelog of %d", replayed, now)
				}
				fullWall, fullRec = append(fullWall, wall), append(fullRec, rec)
				ch.kill()
				ch.wait(b, 10*time.Second)
			}
			if round%2 == 0 {
				runRestart()
				runFull()
			} else {
				runFull()
				runRestart()
			}
		}
		producer.stop(b)
		rw, fw := slices.Min(restartWall), slices.Min(fullWall)
		b.ReportMetric(rw, "restart-s")
		b.ReportMetric(fw, "full-restore-s")
		b.ReportMetric(rw/fw, "ratio")
		b.ReportMetric(slices.Min(restartRec), "restart-recovery-s")
		b.ReportMetric(slices.Min(fullRec), "full-recovery-s")
		b.Logf("changelog of %d records (end offsets after the first kill; %d inputs, %d keys, %d partitions), best of 3 (order alternating): restart after SIGKILL ready in %.2f s (rounds %.2f; slowest partition's recovery %.3f s, rounds %.3f; replayed %v), start on an empty state dir ready in %.2f s (rounds %.2f; recovery %.3f s, rounds %.3f), ratio %.2f",
			size, records, keys, parts, rw, restartWall, slices.Min(restartRec), restartRec, tails, fw, fullWall, slices.Min(fullRec), fullRec, rw/fw)
		deleteTopics(b, c, in.Name, out.Name, changelog)
	}
}

// fillTopicKeys sends n views to in, keys cycling over keys distinct
// ones starting at the from-th, and waits for them.
func fillTopicKeys(b testing.TB, r *running, in *Topic[string, view], n, keys, from int) {
	b.Helper()
	p := ProducerOf(r.app, in)
	ctx := context.Background()
	var failed atomic.Int64
	for i := range n {
		k := fmt.Sprintf("key-%06d", (from+i)%keys)
		p.Send(ctx, k, view{Page: "/p/" + k, User: "u", Seq: int64(from + i)}, func(_ runtime.RecordMeta, err error) {
			if err != nil {
				failed.Add(1)
			}
		})
	}
	if err := r.app.client.Flush(ctx); err != nil || failed.Load() > 0 {
		b.Fatalf("fill %s: %v, %d failed", in.Name, err, failed.Load())
	}
}
