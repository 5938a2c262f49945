package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/faustgen/faustgen/runtime"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// perPartition counts what an agent processed per partition and checks
// that each partition's offsets arrive in order.
type perPartition struct {
	mu        sync.Mutex
	last      map[int32]int64
	offsets   map[int32]map[int64]int // offset -> times processed
	reordered []string
}

func newPerPartition() *perPartition {
	return &perPartition{last: map[int32]int64{}, offsets: map[int32]map[int64]int{}}
}

func (p *perPartition) add(m runtime.RecordMeta) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if last, ok := p.last[m.Partition]; ok && m.Offset <= last && p.offsets[m.Partition][m.Offset] == 0 {
		p.reordered = append(p.reordered, fmt.Sprintf("%s after offset %d", m, last))
	}
	p.last[m.Partition] = m.Offset
	if p.offsets[m.Partition] == nil {
		p.offsets[m.Partition] = map[int64]int{}
	}
	p.offsets[m.Partition][m.Offset]++
}

func (p *perPartition) of(partition int32) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.offsets[partition])
}

// check fails t unless every offset below end[p] was processed exactly
// once (duplicates allowed when dupOK) and in order.
func (p *perPartition) check(t testing.TB, end map[int32]int64, dupOK bool) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.reordered) > 0 {
		t.Errorf("records processed out of order: %s", strings.Join(p.reordered[:min(5, len(p.reordered))], "; "))
	}
	for part, e := range end {
		var missing, dups int
		for o := range e {
			switch n := p.offsets[part][o]; {
			case n == 0:
				missing++
			case n > 1:
				dups++
			}
		}
		if missing > 0 {
			t.Errorf("partition %d: %d of %d records never processed", part, missing, e)
		}
		if dups > 0 && !dupOK {
			t.Errorf("partition %d: %d records processed more than once", part, dups)
		}
	}
}

// endOffsets returns the end offset of each partition of topic.
func endOffsets(t testing.TB, c *env, topic string) map[int32]int64 {
	t.Helper()
	adm := kadm.NewClient(rawClient(t, c))
	ends, err := adm.ListEndOffsets(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) { out[o.Partition] = o.Offset })
	return out
}

// fill produces n views with pages of pageBytes random letters, in small
// batches (so no single fetched batch exceeds a small budget's fetch
// size), and returns the topic's end offsets.
func fill(t testing.TB, c *env, r *running, in *Topic[string, view], n, pageBytes int) map[int32]int64 {
	t.Helper()
	cl := rawClient(t, c, kgo.ProducerBatchMaxBytes(16<<10), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	ids := r.app.ids[in.Name]
	var wg sync.WaitGroup
	var failed atomic.Value
	for i := range n {
		k := fmt.Sprintf("k%d", i%64)
		v := view{Page: randomLetters(pageBytes, uint64(i)), User: "u", Seq: int64(i)}
		key, err := encodeFrame(&in.Key, ids.key, &k)
		if err != nil {
			t.Fatal(err)
		}
		val, err := encodeFrame(&in.Value, ids.value, &v)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		cl.Produce(context.Background(), &kgo.Record{Topic: in.Name, Key: key, Value: val}, func(_ *kgo.Record, err error) {
			if err != nil {
				failed.Store(err)
			}
			wg.Done()
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatal(err)
	}
	return endOffsets(t, c, in.Name)
}

// recorder is an agent on in that records each record's coordinates and
// sleeps slow(partition) first.
func recorder(in *Topic[string, view], p *perPartition, slow func(partition int32) time.Duration) *Agent[string, view] {
	return &Agent[string, view]{
		Name: "recorder", Source: in, OnError: Fail,
		Process: func(t *Task, _ string, _ view) error {
			m := t.Record()
			if d := slow(m.Partition); d > 0 {
				time.Sleep(d)
			}
			p.add(m)
			return nil
		},
	}
}

// One partition takes 10 ms per record and five take none: the five
// finish their backlog while the slow one is still at the start of its
// own, and the slow one's full buffer pauses only its own fetching.
// Nothing is lost or reordered.
func TestASlowPartitionDoesNotHoldBackTheOthers(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	cfg.PartitionBufferRecords = 40 // the slow partition's backlog is far larger
	in := viewTopic(c.name("slow-in"), 6)
	producer := start(t, cfg, AppSpec{ID: c.name("slow-producer"), Topics: []AnyTopic{in}})
	end := fill(t, c, producer, in, 6*500, 16)

	got := newPerPartition()
	const slowPart = 0
	r := start(t, cfg, AppSpec{ID: c.name("slow"), Topics: []AnyTopic{in}, Agents: []AnyAgent{
		recorder(in, got, func(p int32) time.Duration {
			if p == slowPart {
				return 10 * time.Millisecond
			}
			return 0
		}),
	}})
	eventually(t, "the five fast partitions finish their backlog", func() bool {
		for p := int32(1); p < 6; p++ {
			if int64(got.of(p)) < end[p] {
				return false
			}
		}
		return true
	})
	if done := got.of(slowPart); int64(done) >= end[slowPart]/2 {
		t.Fatalf("the slow partition had done %d of %d when the fast ones finished: they were not faster", done, end[slowPart])
	}
	var slow runtime.PartitionStats
	for _, p := range r.app.Stats().Partitions {
		if p.Partition == slowPart {
			slow = p
		}
	}
	if slow.Pauses == 0 || slow.State != "running" {
		t.Fatalf("the slow partition's fetching was never paused (or it is not running): %+v", slow)
	}
	eventually30s(t, "the slow partition finishes", func() bool { return int64(got.of(slowPart)) >= end[slowPart] })
	got.check(t, end, false)
}

// A slow agent over a backlog many times the budget: every sample of
// Stats shows the partitions within their three quarters of
// MaxBufferedBytes and the client's fetches within their quarter;
// partitions were paused and resumed; every record is processed once, in
// order.
func TestBufferedInputStaysWithinTheBudget(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	cfg.MaxBufferedBytes = 1 << 20
	in := viewTopic(c.name("budget-in"), 4)
	producer := start(t, cfg, AppSpec{ID: c.name("budget-producer"), Topics: []AnyTopic{in}})
	const n = 12000 // 512-byte pages: about 7 MiB of input, 7 times the budget
	end := fill(t, c, producer, in, n, 512)

	got := newPerPartition()
	var spins atomic.Int64
	r := start(t, cfg, AppSpec{ID: c.name("budget"), Topics: []AnyTopic{in}, Agents: []AnyAgent{
		recorder(in, got, func(int32) time.Duration {
			// Slow, without sleeping per record (sleeps are coarse).
			if spins.Add(1)%16 == 0 {
				time.Sleep(time.Millisecond)
			}
			return 0
		}),
	}})
	var peakOurs, peakFetch, samples int64
	for {
		s := r.app.Stats()
		samples++
		peakOurs, peakFetch = max(peakOurs, s.BufferedBytes), max(peakFetch, s.FetchBufferedBytes)
		if s.BufferedBytes > s.MaxBufferedBytes*3/4 {
			t.Fatalf("partitions hold %d bytes, over three quarters of the %d budget", s.BufferedBytes, s.MaxBufferedBytes)
		}
		if s.FetchBufferedBytes > s.MaxBufferedBytes/4 {
			t.Fatalf("the client's fetches hold %d bytes, over a quarter of the %d budget", s.FetchBufferedBytes, s.MaxBufferedBytes)
		}
		total := 0
		for p := range end {
			total += got.of(p)
		}
		if total >= n {
			break
		}
		if samples > 200000 {
			t.Fatalf("only %d of %d records processed", total, n)
		}
		time.Sleep(200 * time.Microsecond)
	}
	var pauses int64
	for _, p := range r.app.Stats().Partitions {
		pauses += p.Pauses
	}
	if pauses == 0 {
		t.Fatal("no partition was ever paused over a backlog seven times the budget")
	}
	if peakOurs < cfg.MaxBufferedBytes/8 {
		t.Fatalf("the partitions never held more than %d bytes: the budget was not what limited them", peakOurs)
	}
	t.Logf("%d samples: partitions peaked at %d bytes, fetches at %d, of a %d budget; %d pauses", samples, peakOurs, peakFetch, cfg.MaxBufferedBytes, pauses)
	got.check(t, end, false)
}

// A second instance joins while one partition is slow and its buffer
// full: the rebalance completes, the slow partition's record in progress
// finishes and is committed before the partition moves, nothing is lost
// or processed twice (the revoke commits exactly what was processed), and
// the pause of a partition the first instance gave up does not stay on
// its client: when the second instance leaves and the partitions come
// back, they are processed again.
func TestARebalanceCompletesWhileAPartitionIsSlowAndItsPauseDoesNotLeak(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	cfg.CommitInterval = time.Hour // only revokes and stops commit: hand-overs must be exact
	cfg.PartitionBufferRecords = 20
	in := viewTopic(c.name("rebal-in"), 4)
	producer := start(t, cfg, AppSpec{ID: c.name("rebal-producer"), Topics: []AnyTopic{in}})
	end := fill(t, c, producer, in, 4*150, 16)

	a, b := newPerPartition(), newPerPartition()
	slow := func(p int32) time.Duration { return 5 * time.Millisecond }
	spec := func(got *perPartition) AppSpec {
		return AppSpec{ID: c.name("rebal"), Topics: []AnyTopic{in}, Agents: []AnyAgent{recorder(in, got, slow)}}
	}
	ra := start(t, cfg, spec(a))
	eventually(t, "the first instance's partitions are paused with full buffers", func() bool {
		ps := ra.app.Stats().Partitions
		paused := 0
		for _, p := range ps {
			if p.Paused {
				paused++
			}
		}
		return len(ps) == 4 && paused > 0
	})
	rb := start(t, cfg, spec(b))
	eventually(t, "both instances hold partitions", func() bool { return membersWithPartitions(t, c, c.name("rebal")) == 2 })
	held := map[int32]bool{}
	for _, p := range ra.app.Stats().Partitions {
		held[p.Partition] = true
	}
	for topic, parts := range ra.app.client.PauseFetchPartitions(nil) {
		for _, p := range parts {
			if topic == in.Name && !held[p] {
				t.Fatalf("partition %d was revoked from the first instance but is still paused on its client", p)
			}
		}
	}
	// The second instance leaves mid-stream; the first gets its
	// partitions back and must fetch them (no leftover pause).
	eventually(t, "the second instance processes", func() bool {
		n := 0
		for p := range int32(4) {
			n += b.of(p)
		}
		return n > 20
	})
	if err := rb.stop(t); err != nil {
		t.Fatal(err)
	}
	eventually30s(t, "every record processed", func() bool {
		for p, e := range end {
			if int64(a.of(p)+b.of(p)) < e {
				return false
			}
		}
		return true
	})
	merged := newPerPartition()
	for _, s := range []*perPartition{a, b} {
		s.mu.Lock()
		for p, offs := range s.offsets {
			for o, k := range offs {
				if merged.offsets[p] == nil {
					merged.offsets[p] = map[int64]int{}
				}
				merged.offsets[p][o] += k
			}
		}
		if len(s.reordered) > 0 {
			t.Errorf("out of order: %v", s.reordered[:min(3, len(s.reordered))])
		}
		s.mu.Unlock()
	}
	merged.check(t, end, false)
}

// randomLetters returns n letters drawn from a generator seeded by seed.
func randomLetters(n int, seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + rng.IntN(26))
	}
	return string(b)
}
