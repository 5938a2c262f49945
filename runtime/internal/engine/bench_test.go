package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/faustgen/faustgen/runtime"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

const (
	// benchRecords is the records per round of each side: enough that the
	// fixed tails (the agent's last commit, up to one CommitInterval after
	// its last record; raw's last flush and commit) are a few percent of
	// the measured window, not a tenth of it.
	benchRecords    = 300000
	benchPartitions = 6
)

// BenchmarkStatelessAgentVsRawFranzGo measures, on the same kfake cluster
// and the same input bytes, a stateless agent (consume, decode, map,
// encode, produce, commit at-least-once) against hand-written raw franz-go
// (consume, produce the same bytes, commit), and reports the agent's
// throughput as a ratio of the raw ceiling. Run it with -benchtime 1x.
func BenchmarkStatelessAgentVsRawFranzGo(b *testing.B) {
	c := newEnv(b)
	cfg := testConfig(b, c)
	cfg.CommitInterval = 10 * time.Millisecond // raw commits after every polled batch
	for i := range b.N {
		// The machine is shared: alternate the two, four rounds each, and
		// compare the best round of each. The order swaps every round, so
		// neither always runs on the fuller cluster and heap.
		var raw, agent, rawCPU, agentCPU []float64
		for round := range 4 {
			id := fmt.Sprintf("%d-%d", i, round)
			in := viewTopic(c.name("bench-in-"+id), benchPartitions)
			out := viewTopic(c.name("bench-out-"+id), benchPartitions)
			producer := start(b, cfg, AppSpec{ID: c.name("bench-producer-" + id), Topics: []AnyTopic{in, out}})
			fillTopic(b, producer, in, benchRecords)
			producer.stop(b)
			runRaw := func() {
				cpu := processCPU()
				raw = append(raw, rawRelay(b, c, in.Name, out.Name+"-raw", c.name("bench-raw-"+id)))
				rawCPU = append(rawCPU, (processCPU()-cpu).Seconds()*1e6/benchRecords)
			}
			runAgent := func() {
				cpu := processCPU()
				agent = append(agent, agentRelay(b, c, cfg, in, out, c.name("bench-agent-"+id)))
				agentCPU = append(agentCPU, (processCPU()-cpu).Seconds()*1e6/benchRecords)
			}
			if round%2 == 0 {
				runRaw()
				runAgent()
			} else {
				runAgent()
				runRaw()
			}
			// kfake keeps every topic in this process's heap: drop the
			// round's, so later rounds do not mark an ever larger heap.
			deleteTopics(b, c, in.Name, out.Name, out.Name+"-raw")
		}
		rawRate, agentRate := slices.Max(raw), slices.Max(agent)
		b.ReportMetric(rawRate, "raw-rec/s")
		b.ReportMetric(agentRate, "agent-rec/s")
		b.ReportMetric(agentRate/rawRate, "ratio")
		// CPU time per record (the whole process: client, in-process broker,
		// GC), least of 4: less sensitive than rates to other load on the
		// machine.
		rawC, agentC := slices.Min(rawCPU), slices.Min(agentCPU)
		b.ReportMetric(rawC, "raw-cpu-µs/rec")
		b.ReportMetric(agentC, "agent-cpu-µs/rec")
		b.Logf("%d records, %d partitions, best of 4 (order alternating): raw franz-go %.0f rec/s, stateless agent %.0f rec/s, ratio %.2f (target >= 0.6); rounds raw %.0f, agent %.0f; CPU per record (least of 4, whole process incl. start and group join): raw %.2f µs, agent %.2f µs, raw/agent %.2f",
			benchRecords, benchPartitions, rawRate, agentRate, agentRate/rawRate, raw, agent, rawC, agentC, rawC/agentC)
	}
}

func deleteTopics(b *testing.B, c *env, names ...string) {
	b.Helper()
	resp, err := kadm.NewClient(rawClient(b, c)).DeleteTopics(context.Background(), names...)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		b.Fatalf("delete topics %v: %v", names, err)
	}
}

func fillTopic(b *testing.B, r *running, in *Topic[string, view], n int) {
	b.Helper()
	p := ProducerOf(r.app, in)
	ctx := context.Background()
	var failed atomic.Int64
	pad := strings.Repeat("x", 40)
	for i := range n {
		k := fmt.Sprintf("page-%04d", i%1000)
		p.Send(ctx, k, view{Page: "/pages/" + k + pad, User: "user-" + pad, Seq: int64(i)}, func(_ runtime.RecordMeta, err error) {
			if err != nil {
				failed.Add(1)
			}
		})
	}
	if err := r.app.client.Flush(ctx); err != nil || failed.Load() > 0 {
		b.Fatalf("fill %s: %v, %d failed", in.Name, err, failed.Load())
	}
}

// rawRelay copies every record of in to out with a plain franz-go group
// consumer, committing after each polled batch is produced, and returns
// records per second from the first records polled.
func rawRelay(b *testing.B, c *env, in, out, group string) float64 {
	b.Helper()
	ctx := context.Background()
	adm := kadm.NewClient(rawClient(b, c))
	if _, err := adm.CreateTopic(ctx, benchPartitions, 1, nil, out); err != nil {
		b.Fatal(err)
	}
	cl := rawClient(b, c, kgo.ConsumerGroup(group), kgo.ConsumeTopics(in), kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	var begin time.Time
	n := 0
	for n < benchRecords {
		fs := cl.PollRecords(ctx, 10000)
		if err := fs.Err0(); err != nil {
			b.Fatal(err)
		}
		if n == 0 && !fs.Empty() {
			begin = time.Now() // after the group join, as for the agent
		}
		fs.EachRecord(func(r *kgo.Record) {
			cl.Produce(ctx, &kgo.Record{Topic: out, Key: r.Key, Value: r.Value}, nil)
			n++
		})
		if err := cl.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		if err := cl.CommitUncommittedOffsets(ctx); err != nil {
			b.Fatal(err)
		}
	}
	return float64(n) / time.Since(begin).Seconds()
}

// agentRelay runs a stateless agent over in (decode, map, encode, send to
// out) until every input offset is committed, and returns records per
// second from the first record processed (start and group join excluded,
// as rawRelay excludes its join).
func agentRelay(b *testing.B, c *env, cfg runtime.Config, in, out *Topic[string, view], group string) float64 {
	b.Helper()
	// Counted per partition (padded apart), so the count does not make
	// the partitions' goroutines contend for one cache line: the raw side
	// counts in a local variable.
	var processed [benchPartitions]struct {
		n atomic.Int64
		_ [56]byte
	}
	total := func() (n int64) {
		for i := range processed {
			n += processed[i].n.Load()
		}
		return n
	}
	var first, last atomic.Int64
	agent := &Agent[string, view]{
		Name: "relay", Source: in, Sinks: []AnyTopic{out},
		Process: func(t *Task, k string, v view) error {
			v.Seq++
			if first.Load() == 0 {
				first.CompareAndSwap(0, time.Now().UnixNano())
			}
			processed[t.rec.Partition].n.Add(1)
			return SinkOf(t, out).Send(k, v)
		},
	}
	begin := time.Now()
	r := start(b, cfg, AppSpec{ID: group, Topics: []AnyTopic{in, out}, Agents: []AnyAgent{agent}})
	startedAt := time.Now()
	adm := kadm.NewClient(rawClient(b, c))
	// Ask for the commits only once every record is processed, so the
	// observer does not load the cluster while the agent runs.
	deadline := time.Now().Add(60 * time.Second)
	for total() < benchRecords {
		if time.Now().After(deadline) {
			b.Fatalf("processed %d of %d records within 60s", total(), benchRecords)
		}
		time.Sleep(time.Millisecond)
	}
	last.Store(time.Now().UnixNano()) // within a millisecond; only logged
	waitCommitted(b, adm, group, in.Name, benchRecords, 60*time.Second)
	elapsed := time.Since(time.Unix(0, first.Load()))
	var pauses int64
	for _, p := range r.app.Stats().Partitions {
		pauses += p.Pauses
	}
	b.Logf("pauses %d", pauses)
	b.Logf("agent: started after %v, first record after %v, last after %v, all committed after %v",
		startedAt.Sub(begin), time.Duration(first.Load()-begin.UnixNano()), time.Duration(last.Load()-begin.UnixNano()), time.Since(begin))
	if err := r.stop(b); err != nil {
		b.Fatal(err)
	}
	return benchRecords / elapsed.Seconds()
}

// BenchmarkEndToEndLatency sends views at a fixed moderate rate through a
// stateless agent and reports the p50 and p99 of the time from Send to
// the output record being read back, with the raw franz-go round trip
// (produce, then read the same topic back) at the same rate as ceiling.
func BenchmarkEndToEndLatency(b *testing.B) {
	const (
		rate  = 2000 // records per second
		total = 4000
	)
	c := newEnv(b)
	cfg := testConfig(b, c)
	for i := range b.N {
		in := viewTopic(c.name(fmt.Sprintf("lat-in-%d", i)), benchPartitions)
		out := viewTopic(c.name(fmt.Sprintf("lat-out-%d", i)), benchPartitions)
		agent := &Agent[string, view]{
			Name: "relay", Source: in, Sinks: []AnyTopic{out},
			Process: func(t *Task, k string, v view) error { return SinkOf(t, out).Send(k, v) },
		}
		group := c.name(fmt.Sprintf("lat-%d", i))
		r := start(b, cfg, AppSpec{ID: group, Topics: []AnyTopic{in, out}, Agents: []AnyAgent{agent}})
		eventually(b, "the agent owns its partitions", func() bool { return membersWithPartitions(b, c, group) == 1 })
		agentLat := measureLatency(b, c, out.Name, total, rate, func(ctx context.Context, seq int64) {
			ProducerOf(r.app, in).Send(ctx, "k"+fmt.Sprint((seq+64)%64), view{Page: "/p", User: "u", Seq: seq}, nil)
		}, func(rec *kgo.Record) int64 {
			v, err := decodeFrame(context.Background(), r.app.reg, &tView, r.app.ids[out.Name].value, rec.Value)
			if err != nil {
				b.Fatal(err)
			}
			return v.Seq
		})
		rawTopic := c.name(fmt.Sprintf("lat-raw-%d", i))
		if _, err := kadm.NewClient(rawClient(b, c)).CreateTopic(context.Background(), benchPartitions, 1, nil, rawTopic); err != nil {
			b.Fatal(err)
		}
		rawProducer := rawClient(b, c)
		rawLat := measureLatency(b, c, rawTopic, total, rate, func(ctx context.Context, seq int64) {
			rawProducer.Produce(ctx, &kgo.Record{Topic: rawTopic, Key: fmt.Append(nil, (seq+64)%64), Value: fmt.Append(nil, seq)}, nil)
		}, func(rec *kgo.Record) int64 {
			var seq int64
			if _, err := fmt.Sscan(string(rec.Value), &seq); err != nil {
				return -2
			}
			return seq
		})
		p := func(l []time.Duration, q float64) time.Duration { return l[int(q*float64(len(l)-1))] }
		b.ReportMetric(float64(p(agentLat, 0.5).Microseconds()), "agent-p50-µs")
		b.ReportMetric(float64(p(agentLat, 0.99).Microseconds()), "agent-p99-µs")
		b.ReportMetric(float64(p(rawLat, 0.5).Microseconds()), "raw-p50-µs")
		b.ReportMetric(float64(p(rawLat, 0.99).Microseconds()), "raw-p99-µs")
		b.Logf("%d records at %d/s: agent (in -> agent -> out -> reader) p50 %v p99 %v; raw (produce -> reader) p50 %v p99 %v",
			total, rate, p(agentLat, 0.5), p(agentLat, 0.99), p(rawLat, 0.5), p(rawLat, 0.99))
	}
}

// measureLatency sends total records at rate with send and reads them back
// from topic, returning the sorted send-to-read latencies.
func measureLatency(b *testing.B, c *env, topic string, total, rate int, send func(context.Context, int64), seqOf func(*kgo.Record) int64) []time.Duration {
	b.Helper()
	ctx := context.Background()
	sent := make([]atomic.Int64, total)
	reader := rawClient(b, c, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(50*time.Millisecond))
	lat := make([]time.Duration, 0, total)
	readDone := make(chan struct{})
	warm := make(chan struct{})
	go func() {
		defer close(readDone)
		rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		for len(lat) < total && rctx.Err() == nil {
			reader.PollFetches(rctx).EachRecord(func(rec *kgo.Record) {
				seq := seqOf(rec)
				if seq == -1 {
					close(warm)
				}
				if seq >= 0 && seq < int64(total) {
					lat = append(lat, time.Duration(time.Now().UnixNano()-sent[seq].Load()))
				}
			})
		}
	}()
	// One warm-up record first: metadata, connections and assignments
	// are in place before the clock starts.
	send(ctx, -1)
	select {
	case <-warm:
	case <-time.After(30 * time.Second):
		b.Fatalf("warm-up record not read back from %s", topic)
	}
	interval := time.Second / time.Duration(rate)
	next := time.Now()
	for i := range total {
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
		next = next.Add(interval)
		sent[i].Store(time.Now().UnixNano())
		send(ctx, int64(i))
	}
	<-readDone
	if len(lat) < total {
		b.Fatalf("read back %d of %d records from %s", len(lat), total, topic)
	}
	slices.Sort(lat)
	return lat
}

// BenchmarkStatelessAgentOnly runs only the agent side of
// BenchmarkStatelessAgentVsRawFranzGo, for profiling.
func BenchmarkStatelessAgentOnly(b *testing.B) {
	c := newEnv(b)
	cfg := testConfig(b, c)
	cfg.CommitInterval = 10 * time.Millisecond // raw commits after every polled batch
	for i := range b.N {
		id := fmt.Sprint("only-", i)
		in, out := viewTopic(c.name("bench-in-"+id), benchPartitions), viewTopic(c.name("bench-out-"+id), benchPartitions)
		producer := start(b, cfg, AppSpec{ID: c.name("bench-producer-" + id), Topics: []AnyTopic{in, out}})
		fillTopic(b, producer, in, benchRecords)
		producer.stop(b)
		b.ReportMetric(agentRelay(b, c, cfg, in, out, c.name("bench-agent-"+id)), "agent-rec/s")
	}
}

// BenchmarkRawFranzGoOnly runs only the raw side of
// BenchmarkStatelessAgentVsRawFranzGo, for profiling.
func BenchmarkRawFranzGoOnly(b *testing.B) {
	c := newEnv(b)
	cfg := testConfig(b, c)
	for i := range b.N {
		id := fmt.Sprint("rawonly-", i)
		in, out := viewTopic(c.name("bench-in-"+id), benchPartitions), viewTopic(c.name("bench-out-"+id), benchPartitions)
		producer := start(b, cfg, AppSpec{ID: c.name("bench-producer-" + id), Topics: []AnyTopic{in, out}})
		fillTopic(b, producer, in, benchRecords)
		producer.stop(b)
		b.ReportMetric(rawRelay(b, c, in.Name, out.Name+"-raw", c.name("bench-raw-"+id)), "raw-rec/s")
	}
}

// waitCommitted waits until group has committed n records of topic,
// failing after timeout.
func waitCommitted(b testing.TB, adm *kadm.Client, group, topic string, n int64, timeout time.Duration) {
	b.Helper()
	deadline := time.Now().Add(timeout)
	for {
		resp, err := adm.FetchOffsetsForTopics(context.Background(), group, topic)
		if (errors.Is(err, kerr.GroupIDNotFound) || kerr.IsRetriable(err)) && time.Now().Before(deadline) {
			// The group has not committed (or joined) yet.
			time.Sleep(time.Millisecond)
			continue
		}
		if err != nil {
			b.Fatalf("committed offsets of group %s: %v", group, err)
		}
		var done int64
		resp.Each(func(o kadm.OffsetResponse) {
			if o.At > 0 {
				done += o.At
			}
		})
		if done >= n {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("committed %d of %d records of %s within %v", done, n, topic, timeout)
		}
		time.Sleep(time.Millisecond)
	}
}
