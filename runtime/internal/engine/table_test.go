package engine

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/faustgen/faustgen/runtime"
	"github.com/twmb/franz-go/pkg/kadm"
)

// readyLog captures the "table partition ready" records an App logs.
type readyLog struct {
	slog.Handler
	mu       *sync.Mutex
	replayed *[]int64
}

func newReadyLog(t testing.TB) (*slog.Logger, func() []int64) {
	var mu sync.Mutex
	var replayed []int64
	h := &readyLog{Handler: testLogger(t).Handler(), mu: &mu, replayed: &replayed}
	return slog.New(h), func() []int64 {
		mu.Lock()
		defer mu.Unlock()
		return append([]int64(nil), replayed...)
	}
}

func (h *readyLog) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "table partition ready" {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "replayed" {
				h.mu.Lock()
				*h.replayed = append(*h.replayed, a.Value.Int64())
				h.mu.Unlock()
			}
			return true
		})
	}
	return h.Handler.Handle(ctx, r)
}

func (h *readyLog) WithAttrs(as []slog.Attr) slog.Handler {
	return &readyLog{Handler: h.Handler.WithAttrs(as), mu: h.mu, replayed: h.replayed}
}

func (h *readyLog) Enabled(context.Context, slog.Level) bool { return true }

// countsTable counts views per key.
func countsTable(partitions int32) *TableDef[string, int64] {
	return &TableDef[string, int64]{TableSpec: TableSpec{Name: "counts", Partitions: partitions, KeyType: "string", ValueType: "long"}, Key: tString, Value: tLong}
}

// counter is an agent that counts the views of each key in table and
// sends the new count to out.
func counter(in *Topic[string, view], out *Topic[string, int64], table *TableDef[string, int64]) *Agent[string, view] {
	return &Agent[string, view]{
		Name: "count", Source: in, Sinks: []AnyTopic{out}, Tables: []AnyTable{table}, OnError: Fail,
		Process: func(t *Task, k string, _ view) error {
			n, err := countIn(t, table, k)
			if err != nil {
				return err
			}
			return SinkOf(t, out).Send(k, n)
		},
	}
}

// countIn adds one to k's count in table and returns the new count.
func countIn(t *Task, table *TableDef[string, int64], k string) (int64, error) {
	tb := TableOf(t, table)
	n, _, err := tb.Get(k)
	if err != nil {
		return 0, err
	}
	n++
	return n, tb.Put(k, n)
}

// finalCounts reads out and returns the highest count sent per key.
func finalCounts(t testing.TB, c *env, out string, n int) map[string]int64 {
	t.Helper()
	got := map[string]int64{}
	for _, rec := range readN(t, c, out, n) {
		k, v := stringLong(t, rec)
		got[k] = max(got[k], v)
	}
	return got
}

// wantCounts returns how many of n views produceViews sends per key.
func wantCounts(keys []string, n int) map[string]int64 {
	want := map[string]int64{}
	for i := range n {
		want[keys[i%len(keys)]]++
	}
	return want
}

// A counting table is exact across a graceful restart, and the restart
// replays no changelog record: the stores hold everything the changelog
// does.
func TestTableCountsAreExactAcrossAGracefulRestartThatReplaysNothing(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	cfg.StateDir = t.TempDir()
	in, out := viewTopic(c.name("count-in"), 3), countTopic(c.name("count-out"), 3)
	table := countsTable(3)
	log, replayed := newReadyLog(t)
	cfg.Logger = log
	spec := AppSpec{ID: c.name("count"), Topics: []AnyTopic{in, out}, Tables: []AnyTable{table}, Agents: []AnyAgent{counter(in, out, table)}}
	keys := keysN(10)

	first := start(t, cfg, spec)
	produceViews(t, first, in, keys, 300)
	eventually(t, "the first run counted everything", func() bool { return sumCommitted(t, c, spec.ID, in.Name) == 300 })
	if err := first.stop(t); err != nil {
		t.Fatal(err)
	}
	before := replayed()

	second := start(t, cfg, spec)
	eventually(t, "the second run's partitions ready", func() bool { return len(replayed()) == len(before)+3 })
	for _, n := range replayed()[len(before):] {
		if n != 0 {
			t.Fatalf("a graceful restart replayed changelog records: %v", replayed()[len(before):])
		}
	}
	produceViews(t, second, in, keys, 200)
	eventually(t, "the second run counted everything", func() bool { return sumCommitted(t, c, spec.ID, in.Name) == 500 })
	got := finalCounts(t, c, out.Name, 500)
	for k, want := range wantCounts(keys, 500) {
		if got[k] != want {
			t.Errorf("key %s counted %d, want %d", k, got[k], want)
		}
	}
}

func sumCommitted(t testing.TB, c *env, group, topic string) int64 {
	var n int64
	for _, o := range committed(t, c, group, topic) {
		n += o
	}
	return n
}

// Two instances count one stream; partitions move between them as the
// second joins and then leaves. A moved partition's table comes with it
// (restored from the changelog): the totals are exact.
func TestAPartitionMovingBetweenInstancesKeepsItsTable(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	in, out := viewTopic(c.name("move-in"), 4), countTopic(c.name("move-out"), 4)
	table := countsTable(4)
	spec := AppSpec{ID: c.name("move"), Topics: []AnyTopic{in, out}, Tables: []AnyTable{table}, Agents: []AnyAgent{counter(in, out, table)}}
	keys := keysN(16)
	cfgA, cfgB := cfg, cfg
	cfgA.StateDir, cfgB.StateDir = t.TempDir(), t.TempDir()

	a := start(t, cfgA, spec)
	produceViews(t, a, in, keys, 400)
	eventually(t, "the first instance counted", func() bool { return sumCommitted(t, c, spec.ID, in.Name) == 400 })
	b := start(t, cfgB, spec)
	eventually(t, "both instances hold partitions", func() bool { return membersWithPartitions(t, c, spec.ID) == 2 })
	produceViews(t, a, in, keys, 400)
	eventually(t, "both counted", func() bool { return sumCommitted(t, c, spec.ID, in.Name) == 800 })
	if err := b.stop(t); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the first instance holds every partition again", func() bool { return membersWithPartitions(t, c, spec.ID) == 1 })
	produceViews(t, a, in, keys, 400)
	eventually(t, "all counted", func() bool { return sumCommitted(t, c, spec.ID, in.Name) == 1200 })
	got := finalCounts(t, c, out.Name, 1200)
	for k, want := range wantCounts(keys, 1200) {
		if got[k] != want {
			t.Errorf("key %s counted %d, want %d", k, got[k], want)
		}
	}
}

// A second App on a state dir that a live one holds is refused, naming
// the dir.
func TestAStateDirInUseIsRefused(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	cfg.StateDir = t.TempDir()
	in, out := viewTopic(c.name("lock-in"), 1), countTopic(c.name("lock-out"), 1)
	table := countsTable(1)
	spec := AppSpec{ID: c.name("lock"), Topics: []AnyTopic{in, out}, Tables: []AnyTable{table}, Agents: []AnyAgent{counter(in, out, table)}}
	start(t, cfg, spec)
	a, err := NewApp(cfg, spec)
	if err != nil {
		t.Fatal(err)
	}
	err = a.Run(context.Background())
	if err == nil || !containsAll(err.Error(), "state dir", cfg.StateDir, "in use by another live instance") {
		t.Fatalf("second App on the same state dir: %v", err)
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// A counting App killed with SIGKILL in the middle of a backlog loses no
// update, whether it restarts on its state dir or on an empty one (a new
// machine: the state comes back from the changelog): every key's count
// reaches at least its number of views (at-least-once: a count may be
// higher, never lower).
func TestTableCountsSurviveASIGKILL(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	in, out := viewTopic(c.name("kill-in"), 3), countTopic(c.name("kill-out"), 3)
	producer := start(t, cfg, AppSpec{ID: c.name("kill-producer"), Topics: []AnyTopic{in, out}})
	keys := keysN(20)
	const n = 6000
	produceViews(t, producer, in, keys, n)
	producer.stop(t)

	group := c.name("kill")
	settings := childSettings(group, "counter", in, out, map[string]string{
		"CHILD_MODE": "count", "CHILD_SPIN": "200us", runtime.EnvStateDir: t.TempDir(), runtime.EnvCommitInterval: "100ms",
	})
	killTwiceThenRestartEmpty(t, c, group, in.Name, n, settings, func() bool { return sum(endOffsets(t, c, out.Name)) > n/4 })
	got := finalCounts(t, c, out.Name, int(sum(endOffsets(t, c, out.Name))))
	for k, want := range wantCounts(keys, n) {
		if got[k] < want {
			t.Errorf("key %s counted %d after the kill, want at least %d: an update was lost", k, got[k], want)
		}
	}
}

// All and Range see the store and the writes not stored yet (the newest
// winning, deletes hiding keys), in the keys' encoded byte order.
func TestTableAllAndRangeMergeTheStoreAndTheNewestWrites(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	cfg.StateDir = t.TempDir()
	in := viewTopic(c.name("range-in"), 1)
	table := countsTable(1)
	type scan struct{ all, rng []string }
	got := make(chan scan, 1)
	agent := &Agent[string, view]{Name: "ranger", Source: in, Tables: []AnyTable{table}, OnError: Fail,
		Process: func(t *Task, k string, v view) error {
			tb := TableOf(t, table)
			if k != "scan" {
				return tb.Put(k, v.Seq)
			}
			// Unstored writes: one delete, one new key, one new value.
			if err := tb.Delete("k07"); err != nil {
				return err
			}
			if err := tb.Put("k21", 21); err != nil {
				return err
			}
			if err := tb.Put("k05", 500); err != nil {
				return err
			}
			var s scan
			if err := tb.All(func(k string, v int64) bool { s.all = append(s.all, fmt.Sprintf("%s=%d", k, v)); return true }); err != nil {
				return err
			}
			if err := tb.Range("k05", "k10", func(k string, v int64) bool { s.rng = append(s.rng, fmt.Sprintf("%s=%d", k, v)); return true }); err != nil {
				return err
			}
			got <- s
			return nil
		}}
	spec := AppSpec{ID: c.name("range"), Topics: []AnyTopic{in}, Tables: []AnyTable{table}, Agents: []AnyAgent{agent}}
	r := start(t, cfg, spec)
	p := ProducerOf(r.app, in)
	for i := range 20 {
		if _, err := p.SendSync(context.Background(), fmt.Sprintf("k%02d", i), view{Seq: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the puts committed (and stored)", func() bool { return sumCommitted(t, c, spec.ID, in.Name) == 20 })
	if _, err := p.SendSync(context.Background(), "scan", view{}); err != nil {
		t.Fatal(err)
	}
	var s scan
	select {
	case s = <-got:
	case <-time.After(20 * time.Second):
		t.Fatal("no scan within 20s")
	}
	var want []string
	for i := range 22 {
		switch i {
		case 5:
			want = append(want, "k05=500")
		case 7, 20:
		default:
			want = append(want, fmt.Sprintf("k%02d=%d", i, i))
		}
	}
	if fmt.Sprint(s.all) != fmt.Sprint(want) {
		t.Errorf("All: %v\nwant %v", s.all, want)
	}
	if w := []string{"k05=500", "k06=6", "k08=8", "k09=9"}; fmt.Sprint(s.rng) != fmt.Sprint(w) {
		t.Errorf("Range(k05, k10): %v, want %v", s.rng, w)
	}
}

// killTwiceThenRestartEmpty runs a child App (settings) over a backlog of
// n records of topic in: it SIGKILLs it once progressed holds, restarts it
// on its state dir and SIGKILLs it again after more is committed, then
// restarts it on an empty state dir (a new machine) and stops it with
// SIGTERM once everything is committed.
func killTwiceThenRestartEmpty(t *testing.T, c *env, group, in string, n int64, settings map[string]string, progressed func() bool) {
	t.Helper()
	first := startChild(t, c, settings)
	eventually30s(t, "the first run processes a part of the backlog", progressed)
	first.kill()
	first.wait(t, 10*time.Second)
	if got := sumCommitted(t, c, group, in); got >= n {
		t.Fatalf("the first run had committed the whole backlog (%d) before the kill: nothing to test", got)
	}
	base := sumCommitted(t, c, group, in)
	second := startChild(t, c, settings)
	eventually30s(t, "the restart goes on", func() bool { return sumCommitted(t, c, group, in) > base+n/6 })
	second.kill()
	second.wait(t, 10*time.Second)
	settings[runtime.EnvStateDir] = t.TempDir() // the third run starts with nothing
	third := startChild(t, c, settings)
	eventually30s(t, "the restart processes the rest", func() bool { return sumCommitted(t, c, group, in) == n })
	third.signal(syscall.SIGTERM)
	third.wait(t, 30*time.Second)
}

// tableCounter counts the views of each key in table and sends nothing:
// every record it produces is a changelog record.
func tableCounter(in *Topic[string, view], table *TableDef[string, int64]) *Agent[string, view] {
	return &Agent[string, view]{
		Name: "count", Source: in, Tables: []AnyTable{table}, OnError: Fail,
		Process: func(t *Task, k string, _ view) error {
			_, err := countIn(t, table, k)
			return err
		},
	}
}

// A key written many times between two commits costs one changelog
// record per commit: the changelog ends at the exact counts, in far fewer
// records than inputs, each key's values increasing.
func TestChangelogHoldsTheNewestWriteOfEachKeyPerCommit(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	cfg.StateDir = t.TempDir()
	cfg.CommitInterval = 500 * time.Millisecond
	in := viewTopic(c.name("coalesce-in"), 1)
	table := countsTable(1)
	spec := AppSpec{ID: c.name("coalesce"), Topics: []AnyTopic{in}, Tables: []AnyTable{table}, Agents: []AnyAgent{tableCounter(in, table)}}
	keys := keysN(3)
	const n = 3000
	producer := start(t, cfg, AppSpec{ID: c.name("coalesce-producer"), Topics: []AnyTopic{in}})
	produceViews(t, producer, in, keys, n)
	r := start(t, cfg, spec)
	eventually(t, "everything counted", func() bool { return sumCommitted(t, c, spec.ID, in.Name) == n })
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	cl := changelogName(spec.ID, "counts")
	size := endOffsets(t, c, cl)[0]
	last := map[string]int64{}
	for _, rec := range readN(t, c, cl, int(size)) {
		k, v := stringLong(t, rec)
		if v <= last[k] {
			t.Errorf("changelog: %s = %d after %d", k, v, last[k])
		}
		last[k] = v
	}
	if want := wantCounts(keys, n); fmt.Sprint(last) != fmt.Sprint(want) {
		t.Errorf("the changelog ends at %v, want %v", last, want)
	}
	// A commit every 500 ms sends at most one record per key: far fewer
	// than one per input, which is what writing through would cost.
	if size > n/10 {
		t.Errorf("the changelog holds %d records for %d inputs of %d keys: not coalesced", size, n, len(keys))
	}
	t.Logf("%d inputs of %d keys: %d changelog records", n, len(keys), size)
}

// A changelog record Kafka refuses fails its partition: the App stops
// with an error naming the table, the changelog partition and the input
// record, and commits nothing the refused write covered.
func TestARefusedChangelogWriteStopsTheAppAndCommitsNothing(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	cfg.StateDir = t.TempDir()
	in := viewTopic(c.name("clrefuse-in"), 1)
	table := countsTable(1)
	spec := AppSpec{ID: c.name("clrefuse"), Topics: []AnyTopic{in}, Tables: []AnyTable{table}, Agents: []AnyAgent{tableCounter(in, table)}}
	// The changelog exists, refusing every batch: its max.message.bytes is
	// below a record batch's header.
	cl := changelogName(spec.ID, "counts")
	adm := kadm.NewClient(rawClient(t, c))
	if _, err := adm.CreateTopic(context.Background(), 1, -1, map[string]*string{"cleanup.policy": ptrTo("compact"), "max.message.bytes": ptrTo("64")}, cl); err != nil {
		t.Fatal(err)
	}
	producer := start(t, cfg, AppSpec{ID: c.name("clrefuse-producer"), Topics: []AnyTopic{in}})
	produceViews(t, producer, in, keysN(4), 40)
	r := start(t, cfg, spec)
	var err error
	select {
	case err = <-r.errc:
		r.once.Do(func() { r.err = err })
	case <-time.After(60 * time.Second):
		t.Fatal("the App did not stop after its changelog refused a write")
	}
	for _, want := range []string{"write table counts to its changelog " + cl + "[0]", "the change of " + in.Name + "[0] at offset "} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("Run returned %v, want an error containing %q", err, want)
		}
	}
	if got := committed(t, c, spec.ID, in.Name); len(got) != 0 {
		t.Errorf("committed %v although no changelog write was acknowledged", got)
	}
}
