package engine

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/faustgen/faustgen/runtime"
	"github.com/twmb/franz-go/pkg/kgo"
)

// BenchmarkBacklogPeakRSS measures the peak resident set (VmHWM) of an
// App in a child process working for 15 s on a backlog of 2M records of
// 512-byte values (about 1.1 GB; BENCH_BACKLOG to change) with a slow
// agent (1 ms per record: it cannot drain the buffers, so fetching fills
// them as far as the limits let it), at MaxBufferedBytes of 32 MiB and
// 256 MiB, and with no effective budget (64 GiB, partition buffers as
// large) for comparison, partition buffers bounded by bytes alone in all
// three; and an idle App's (its fixed overhead: runtime,
// client, codecs). It reports each peak in MiB and, per budget, the peak
// above the idle App as a multiple of the budget. Run with -benchtime 1x.
func BenchmarkBacklogPeakRSS(b *testing.B) {
	n := 2_000_000
	if v, err := strconv.Atoi(os.Getenv("BENCH_BACKLOG")); err == nil && v > 0 {
		n = v
	}
	c := newEnv(b)
	cfg := testConfig(b, c)
	in := viewTopic(c.name("rss-in"), benchPartitions)
	producer := start(b, cfg, AppSpec{ID: c.name("rss-producer"), Topics: []AnyTopic{in}})
	fillFast(b, c, producer, in, n, 512)
	producer.stop(b)

	run := func(name string, budget string, expect int, extra map[string]string) float64 {
		settings := map[string]string{
			"CHILD_APP": c.name("rss-" + name), "CHILD_IN": in.Name,
			"CHILD_PARTITIONS": strconv.Itoa(benchPartitions), "CHILD_SLEEP": "1ms",
			"CHILD_EXPECT": strconv.Itoa(expect), "CHILD_RUN_FOR": "15s", runtime.EnvMaxBufferedBytes: budget,
		}
		for k, v := range extra {
			settings[k] = v
		}
		ch := startChild(b, c, settings)
		processed, hwm, err := ch.wait(b, 10*time.Minute)
		if err != nil || processed == 0 {
			b.Fatalf("%s: child processed %d of %d: %v", name, processed, expect, err)
		}
		return float64(hwm) / 1024
	}
	for range b.N {
		idle := run("idle", "32MiB", 1, nil)
		// Partition buffers bounded by bytes only (the default 10,000
		// records would bind first at 256 MiB): the budget is what limits.
		bytesOnly := map[string]string{runtime.EnvPartitionRecords: "100000000"}
		rss32 := run("32", "32MiB", 0, bytesOnly)
		rss256 := run("256", "256MiB", 0, bytesOnly)
		unbounded := run("unbounded", "64GiB", 0, map[string]string{runtime.EnvPartitionBytes: "64GiB", runtime.EnvPartitionRecords: "100000000"})
		b.ReportMetric(idle, "idle-MiB")
		b.ReportMetric(rss32, "budget32-MiB")
		b.ReportMetric(rss256, "budget256-MiB")
		b.ReportMetric(unbounded, "unbounded-MiB")
		b.ReportMetric((rss32-idle)/32, "over-idle/budget32")
		b.ReportMetric((rss256-idle)/256, "over-idle/budget256")
		b.Logf("backlog %d records of 512 bytes, %d partitions, agent 1 ms/record, 15 s: peak RSS idle %.0f MiB; budget 32 MiB %.0f MiB (%.2f× the budget above idle); 256 MiB %.0f MiB (%.2f×); no budget %.0f MiB",
			n, benchPartitions, idle, rss32, (rss32-idle)/32, rss256, (rss256-idle)/256, unbounded)
	}
}

// fillFast produces n views with pageBytes pages (64 random pages
// cycled: compressible no better than random letters) as fast as it can.
func fillFast(b testing.TB, c *env, r *running, in *Topic[string, view], n, pageBytes int) {
	b.Helper()
	cl := rawClient(b, c, kgo.RecordPartitioner(kgo.RoundRobinPartitioner()), kgo.MaxBufferedRecords(100000))
	ids := r.app.ids[in.Name]
	var pages [64][]byte
	for i := range pages {
		v := view{Page: randomLetters(pageBytes, uint64(i)), User: "u"}
		page, err := encodeFrame(&in.Value, ids.value, &v)
		if err != nil {
			b.Fatal(err)
		}
		pages[i] = page
	}
	var wg sync.WaitGroup
	var failed atomic.Value
	for i := range n {
		k := "k" + strconv.Itoa(i%1000)
		key, err := encodeFrame(&in.Key, ids.key, &k)
		if err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		cl.Produce(context.Background(), &kgo.Record{Topic: in.Name, Key: key, Value: pages[i%len(pages)]}, func(_ *kgo.Record, err error) {
			if err != nil {
				failed.Store(err)
			}
			wg.Done()
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(fmt.Errorf("fill %s: %w", in.Name, err))
	}
}
