package engine

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/faustgen/faustgen/runtime"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// output is one record a child relayed: who sent it, for which input
// record, and when it was produced.
type output struct {
	child string
	part  int32
	off   int64
	ts    time.Time
}

// readOutputs reads topic from its start to its end offsets now.
func readOutputs(t testing.TB, c *env, topic string) []output {
	t.Helper()
	end := endOffsets(t, c, topic)
	want := int64(0)
	for _, e := range end {
		want += e
	}
	cl := rawClient(t, c, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out []output
	for int64(len(out)) < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d outputs of %s", len(out), want, topic)
		}
		fs.EachRecord(func(r *kgo.Record) {
			o := output{ts: r.Timestamp}
			for _, h := range r.Headers {
				switch h.Key {
				case "child":
					o.child = string(h.Value)
				case "in.partition":
					p, _ := strconv.Atoi(string(h.Value))
					o.part = int32(p)
				case "in.offset":
					o.off, _ = strconv.ParseInt(string(h.Value), 10, 64)
				}
			}
			out = append(out, o)
		})
	}
	return out
}

type inputRecord struct {
	part int32
	off  int64
}

// coverage counts the outputs of each input record and fails t for any
// input record without one.
func coverage(t testing.TB, end map[int32]int64, outs []output) (dups int, copies map[inputRecord]int) {
	t.Helper()
	copies = map[inputRecord]int{}
	for _, o := range outs {
		copies[inputRecord{part: o.part, off: o.off}]++
	}
	lost := 0
	for p, e := range end {
		for off := range e {
			switch n := copies[inputRecord{part: p, off: off}]; {
			case n == 0:
				lost++
			case n > 1:
				dups += n - 1
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d input records have no output: lost", lost)
	}
	return dups, copies
}

// childSettings are the CHILD_* settings of a relay from in to out.
func childSettings(app, name string, in *Topic[string, view], out *Topic[string, int64], extra map[string]string) map[string]string {
	s := map[string]string{
		"CHILD_APP": app, "CHILD_NAME": name, "CHILD_IN": in.Name, "CHILD_OUT": out.Name,
		"CHILD_PARTITIONS": strconv.Itoa(int(in.Partitions)),
	}
	for k, v := range extra {
		s[k] = v
	}
	return s
}

// An instance frozen with SIGSTOP past its session timeout is expelled
// and its partitions go to the other instance. Resumed with SIGCONT, it
// must not process on as a zombie: no input record gets an output from
// it after the resume and one from the other instance too.
func TestAnExpelledInstanceProducesNothingForThePartitionsItLost(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	in, out := viewTopic(c.name("zombie-in"), 4), countTopic(c.name("zombie-out"), 4)
	producer := start(t, cfg, AppSpec{ID: c.name("zombie-producer"), Topics: []AnyTopic{in, out}})
	end := fill(t, c, producer, in, 4*1500, 16)
	producer.stop(t)

	group := c.name("zombie")
	extra := map[string]string{"CHILD_SLEEP": "4ms", runtime.EnvSessionTimeout: "6s", runtime.EnvRebalanceTimeout: "10s", runtime.EnvCommitInterval: "200ms"}
	a := startChild(t, c, childSettings(group, "a", in, out, extra))
	b := startChild(t, c, childSettings(group, "b", in, out, extra))
	eventually30s(t, "both instances hold partitions", func() bool { return membersWithPartitions(t, c, group) == 2 })
	time.Sleep(time.Second) // both process a while

	a.signal(syscall.SIGSTOP)
	eventually30s(t, "the frozen instance expelled and the other holding every partition", func() bool {
		return membersWithPartitions(t, c, group) == 1
	})
	time.Sleep(time.Second)
	resumed := time.Now()
	a.signal(syscall.SIGCONT)

	eventually(t, "every input record relayed", func() bool {
		var n int64
		for _, e := range endOffsets(t, c, out.Name) {
			n += e
		}
		var want int64
		for _, e := range end {
			want += e
		}
		return n >= want && committedAll(t, c, group, in.Name, end)
	})
	a.signal(syscall.SIGTERM)
	b.signal(syscall.SIGTERM)
	a.wait(t, 30*time.Second)
	b.wait(t, 30*time.Second)

	outs := readOutputs(t, c, out.Name)
	_, _ = coverage(t, end, outs)
	fromB := map[inputRecord]bool{}
	for _, o := range outs {
		if o.child == "b" {
			fromB[inputRecord{part: o.part, off: o.off}] = true
		}
	}
	zombie := 0
	var example output
	for _, o := range outs {
		if o.child == "a" && !o.ts.Before(resumed) && fromB[inputRecord{part: o.part, off: o.off}] {
			zombie++
			example = o
		}
	}
	if zombie > 0 {
		t.Fatalf("the expelled instance relayed %d records after it was resumed that the new owner relayed too (e.g. %s[%d]@%d at %v, resumed at %v)",
			zombie, in.Name, example.part, example.off, example.ts, resumed)
	}
}

// committedAll reports whether group has committed every partition of
// topic up to end.
func committedAll(t testing.TB, c *env, group, topic string, end map[int32]int64) bool {
	got := committed(t, c, group, topic)
	for p, e := range end {
		if got[p] < e {
			return false
		}
	}
	return true
}

// A static member (Config.InstanceID) killed with SIGKILL and restarted
// with the same id gets its partitions back at once: it processes again
// well before its 30 s session would have run out. Without an instance id
// the restarted instance waits for the dead member's session to expire
// (10 s here): logged, for comparison.
func TestAStaticMemberRestartedAfterAKillResumesAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name     string
		instance string
		session  string
		within   time.Duration // asserted: the static case only
	}{
		{"static", "static-1", "30s", 10 * time.Second},
		{"dynamic", "", "10s", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newEnv(t)
			cfg := testConfig(t, c)
			in, out := viewTopic(c.name("static-in"), 2), countTopic(c.name("static-out"), 2)
			producer := start(t, cfg, AppSpec{ID: c.name("static-producer"), Topics: []AnyTopic{in, out}})
			end := fill(t, c, producer, in, 2*4000, 16)
			producer.stop(t)

			group := c.name("static")
			extra := map[string]string{"CHILD_SLEEP": "2ms", runtime.EnvSessionTimeout: tc.session}
			if tc.instance != "" {
				extra[runtime.EnvInstanceID] = tc.instance
			}
			first := startChild(t, c, childSettings(group, "first", in, out, extra))
			eventually(t, "the first run relays", func() bool { return sum(endOffsets(t, c, out.Name)) > 100 })
			first.kill()
			first.wait(t, 10*time.Second)
			relayedBefore := sum(endOffsets(t, c, out.Name))

			restarted := time.Now()
			second := startChild(t, c, childSettings(group, "second", in, out, extra))
			resumedAfter := time.Duration(-1)
			for deadline := time.Now().Add(40 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
				if sum(endOffsets(t, c, out.Name)) > relayedBefore+10 {
					resumedAfter = time.Since(restarted)
					break
				}
			}
			if resumedAfter < 0 {
				t.Fatal("the restarted instance never processed")
			}
			if tc.within > 0 && resumedAfter > tc.within {
				t.Fatalf("the restarted static member did not process within %v of its start (session timeout %s): %v", tc.within, tc.session, resumedAfter)
			}
			t.Logf("%s member (session timeout %s) processing again %v after its restart", tc.name, tc.session, resumedAfter.Round(10*time.Millisecond))
			eventually30s(t, "the backlog finished", func() bool { return committedAll(t, c, group, in.Name, end) })
			second.signal(syscall.SIGTERM)
			second.wait(t, 30*time.Second)
			coverage(t, end, readOutputs(t, c, out.Name))
		})
	}
}

func sum(m map[int32]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// streamed is what steadyStream sent: the input's end offsets after the
// last record and how many records it sent per key.
type streamed struct {
	end  map[int32]int64
	want map[string]int64
}

// steadyStream sends records views to in, keys cycling over keys, at a
// steady rate over about d, in the background; the channel it returns
// gets what it sent once every record is acknowledged.
func steadyStream(t testing.TB, c *env, producer *running, in *Topic[string, view], keys []string, records int, d time.Duration) <-chan streamed {
	done := make(chan streamed, 1)
	go func() {
		const chunk = 500
		want := map[string]int64{}
		for i := 0; i < records; i += chunk {
			n := min(chunk, records-i)
			produceViews(t, producer, in, keys, n)
			for k, w := range wantCounts(keys, n) {
				want[k] += w
			}
			time.Sleep(time.Duration(float64(n) / float64(records) * float64(d)))
		}
		done <- streamed{end: endOffsets(t, c, in.Name), want: want}
	}()
	return done
}

// rebalanceStorm runs cycles leave/rejoin cycles over children, one every
// 2 s: the instance of the turn leaves — by SIGTERM (even cycles, which
// must exit 0) and by SIGKILL (odd ones) in turn — and restart(i) starts
// its replacement in children[i]. It returns how long each SIGTERM took
// to stop.
func rebalanceStorm(t testing.TB, children []*child, cycles int, restart func(i int) *child) []time.Duration {
	t.Helper()
	var stops []time.Duration
	for cycle := range cycles {
		time.Sleep(2 * time.Second)
		i := cycle % len(children)
		ch := children[i]
		if cycle%2 == 0 {
			began := time.Now()
			ch.signal(syscall.SIGTERM)
			if _, _, err := ch.wait(t, 30*time.Second); err != nil {
				t.Errorf("cycle %d: instance c%d exited with %v after SIGTERM", cycle, i, err)
			}
			stops = append(stops, time.Since(began))
		} else {
			ch.kill()
			ch.wait(t, 10*time.Second)
		}
		children[i] = restart(i)
	}
	return stops
}

// stormCycles is how many leave/rejoin cycles TestRebalanceStorm runs:
// FAUSTGEN_STORM_CYCLES (make soak sets 30), else 4.
func stormCycles() int {
	if n, err := strconv.Atoi(os.Getenv("FAUSTGEN_STORM_CYCLES")); err == nil && n > 0 {
		return n
	}
	return 4
}

// A rebalance storm: three instances relay a stream while, again and
// again, one of them leaves — by SIGTERM and by SIGKILL in turn — and
// comes back. Nothing is lost; duplicates stay under 10 % of the records;
// offsets are committed throughout (no 30 s without a commit while there
// is work); every SIGTERM exits 0 within its 10 s ShutdownTimeout.
func TestRebalanceStorm(t *testing.T) {
	cycles := stormCycles()
	records := 20000 * cycles
	c := newEnv(t)
	cfg := testConfig(t, c)
	in, out := viewTopic(c.name("storm-in"), 6), countTopic(c.name("storm-out"), 6)
	producer := start(t, cfg, AppSpec{ID: c.name("storm-producer"), Topics: []AnyTopic{in, out}})
	group := c.name("storm")
	extra := map[string]string{"CHILD_SPIN": "20us", runtime.EnvSessionTimeout: "6s"}
	children := make([]*child, 3)
	for i := range children {
		children[i] = startChild(t, c, childSettings(group, fmt.Sprintf("c%d", i), in, out, extra))
	}

	streamDone := steadyStream(t, c, producer, in, keysN(32), records, time.Duration(cycles)*4*time.Second)

	// Commit progress, sampled: the longest time the committed total did
	// not move while the group had records to commit.
	var mu sync.Mutex
	var longestStall time.Duration
	stopSampling := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		adm := kadm.NewClient(rawClient(t, c))
		var last int64 = -1
		lastMove := time.Now()
		for {
			select {
			case <-stopSampling:
				return
			case <-time.After(250 * time.Millisecond):
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			offs, err := adm.FetchOffsetsForTopics(ctx, group, in.Name)
			ends, err2 := adm.ListEndOffsets(ctx, in.Name)
			cancel()
			if err != nil || err2 != nil {
				continue
			}
			var committedSum, endSum int64
			offs.Each(func(o kadm.OffsetResponse) {
				if o.At > 0 {
					committedSum += o.At
				}
			})
			ends.Each(func(o kadm.ListedOffset) { endSum += o.Offset })
			now := time.Now()
			if committedSum != last || committedSum >= endSum {
				last, lastMove = committedSum, now
			}
			mu.Lock()
			longestStall = max(longestStall, now.Sub(lastMove))
			mu.Unlock()
		}
	})

	stops := rebalanceStorm(t, children, cycles, func(i int) *child {
		return startChild(t, c, childSettings(group, fmt.Sprintf("c%d", i), in, out, extra))
	})
	var end map[int32]int64
	select {
	case s := <-streamDone:
		end = s.end
	case <-time.After(5 * time.Minute):
		t.Fatal("the stream did not finish")
	}
	eventually(t, "every record committed after the storm", func() bool { return committedAll(t, c, group, in.Name, end) })
	close(stopSampling)
	sampler.Wait()
	for _, ch := range children {
		ch.signal(syscall.SIGTERM)
		ch.wait(t, 30*time.Second)
	}

	outs := readOutputs(t, c, out.Name)
	dups, copies := coverage(t, end, outs)
	most := 0
	for _, n := range copies {
		most = max(most, n)
	}
	slices.Sort(stops)
	t.Logf("storm: %d cycles, %d records: %d duplicates (%.1f%%, at most %d copies of one record); longest commit stall %v; SIGTERM stops %v",
		cycles, len(copies), dups, 100*float64(dups)/float64(records), most, longestStall.Round(10*time.Millisecond), stops)
	if float64(dups) > 0.10*float64(records) {
		t.Errorf("%d duplicates of %d records: over 10%%", dups, records)
	}
	if longestStall >= 30*time.Second {
		t.Errorf("no commit for %v while records waited", longestStall)
	}
	for _, d := range stops {
		if d > 10*time.Second {
			t.Errorf("a SIGTERM took %v to stop, over the 10 s ShutdownTimeout", d)
		}
	}
}

// One partition takes 50 ms per record and a second instance joins: the
// rebalance completes (the slow partition's revoke waits only for the
// record in progress), nobody is expelled, both instances hold
// partitions, and every record is relayed.
func TestASecondInstanceJoinsWhileAPartitionIsSlow(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	in, out := viewTopic(c.name("slowjoin-in"), 4), countTopic(c.name("slowjoin-out"), 4)
	producer := start(t, cfg, AppSpec{ID: c.name("slowjoin-producer"), Topics: []AnyTopic{in, out}})
	end := fill(t, c, producer, in, 4*150, 16)
	producer.stop(t)
	group := c.name("slowjoin")
	extra := map[string]string{"CHILD_SLOW_PARTITION": "0", "CHILD_SLOW": "50ms"}
	a := startChild(t, c, childSettings(group, "a", in, out, extra))
	time.Sleep(time.Second) // a holds every partition and is deep in partition 0
	joined := time.Now()
	b := startChild(t, c, childSettings(group, "b", in, out, extra))
	eventually(t, "both instances hold partitions after the join", func() bool { return membersWithPartitions(t, c, group) == 2 })
	t.Logf("rebalance with a 50 ms/record partition completed %v after the second instance started", time.Since(joined).Round(10*time.Millisecond))
	eventually30s(t, "every record relayed", func() bool { return committedAll(t, c, group, in.Name, end) })
	if n := membersWithPartitions(t, c, group); n != 2 {
		t.Fatalf("%d members hold partitions at the end: one was expelled", n)
	}
	a.signal(syscall.SIGTERM)
	b.signal(syscall.SIGTERM)
	for _, ch := range []*child{a, b} {
		if _, _, err := ch.wait(t, 30*time.Second); err != nil {
			t.Errorf("an instance exited with %v", err)
		}
	}
	coverage(t, end, readOutputs(t, c, out.Name))
}
