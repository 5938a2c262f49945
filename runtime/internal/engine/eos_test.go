package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faustgen/faustgen/runtime"
	"github.com/faustgen/faustgen/runtime/internal/tables"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// countOutput is one count a counting agent sent, as a read_committed
// consumer sees it.
type countOutput struct {
	key   string
	n     int64
	child string
	ts    time.Time
}

// readCommittedCounts reads topic read_committed from its start until it
// holds at least n records, then a second more (so that duplicates past n
// show), and decodes them; n < 0 reads until nothing new came for 2 s
// (all of a topic nothing writes any more).
func readCommittedCounts(t testing.TB, c *env, topic string, n int) []countOutput {
	t.Helper()
	cl := rawClient(t, c, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.FetchMaxWait(100*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var out []countOutput
	var extra time.Time
	lastNew := time.Now()
	for {
		if n >= 0 && len(out) >= n && extra.IsZero() {
			extra = time.Now().Add(time.Second)
		}
		if !extra.IsZero() && time.Now().After(extra) {
			return out
		}
		if n < 0 && time.Since(lastNew) > 2*time.Second {
			return out // all of it: nothing new for 2 s
		}
		had := len(out)
		pctx, pcancel := context.WithTimeout(ctx, 200*time.Millisecond)
		fs := cl.PollFetches(pctx)
		pcancel()
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d committed records of %s", len(out), n, topic)
		}
		fs.EachRecord(func(r *kgo.Record) {
			o := countOutput{ts: r.Timestamp}
			if err := tString.Unmarshal(r.Key[frameHeader:], &o.key); err != nil {
				t.Fatal(err)
			}
			if err := tLong.Unmarshal(r.Value[frameHeader:], &o.n); err != nil {
				t.Fatal(err)
			}
			for _, h := range r.Headers {
				if h.Key == "child" {
					o.child = string(h.Value)
				}
			}
			out = append(out, o)
		})
		if len(out) > had {
			lastNew = time.Now()
		}
	}
}

// checkExact fails t unless, for each key, the counts sent are exactly 1,
// 2, ..., want[key] in that order: no duplicate, no gap, nothing extra.
func checkExact(t testing.TB, outs []countOutput, want map[string]int64) {
	t.Helper()
	next := map[string]int64{}
	bad := 0
	for _, o := range outs {
		if o.n != next[o.key]+1 {
			if bad < 5 {
				t.Errorf("key %s: count %d after %d (a duplicate or a gap)", o.key, o.n, next[o.key])
			}
			bad++
		}
		next[o.key] = o.n
	}
	for k, w := range want {
		if next[k] != w {
			t.Errorf("key %s: last count %d, want %d", k, next[k], w)
		}
	}
	if len(outs) != int(sumCounts(want)) {
		t.Errorf("%d committed outputs for %d inputs (%d out of order)", len(outs), sumCounts(want), bad)
	}
}

func sumCounts(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// storedCounts reads the counts a table's stores under dir hold.
func storedCounts(t testing.TB, dir string) map[string]int64 {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*", "counts", "*.db"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no table store under %s (%v)", dir, err)
	}
	got := map[string]int64{}
	for _, f := range files {
		s, err := tables.Open(f, time.Second, testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		err = s.Each(func(k, v []byte) bool {
			var key string
			var n int64
			if err := tString.Unmarshal(k, &key); err != nil {
				t.Error(err)
				return false
			}
			if err := tLong.Unmarshal(v[frameHeader:], &n); err != nil {
				t.Error(err)
				return false
			}
			got[key] = n
			return true
		})
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return got
}

// Under exactly-once, a counting agent's committed outputs hold each
// count exactly once across a graceful restart, the App commits in
// transactions, and the restart replays no changelog record.
func TestExactlyOnceCountsAreExactAcrossAGracefulRestart(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	cfg.StateDir = t.TempDir()
	in, out := viewTopic(c.name("eos-in"), 3), countTopic(c.name("eos-out"), 3)
	table := countsTable(3)
	log, replayed := newReadyLog(t)
	cfg.Logger = log
	spec := AppSpec{ID: c.name("eos"), Guarantee: ExactlyOnce, Topics: []AnyTopic{in, out}, Tables: []AnyTable{table}, Agents: []AnyAgent{counter(in, out, table)}}
	keys := keysN(10)

	first := start(t, cfg, spec)
	produceViews(t, first, in, keys, 3000)
	eventually(t, "the first run counted everything", func() bool { return committedSoFar(t, c, spec.ID, in.Name) == 3000 })
	s := first.app.Stats()
	if s.CommittedTransactions == 0 || !strings.HasPrefix(s.TransactionalID, spec.ID+"-") {
		t.Fatalf("stats: transactional id %q, %d transactions committed; want the app's id and some", s.TransactionalID, s.CommittedTransactions)
	}
	if err := first.stop(t); err != nil {
		t.Fatal(err)
	}
	second := start(t, cfg, spec)
	produceViews(t, second, in, keys, 1000)
	eventually(t, "the second run counted everything", func() bool { return committedSoFar(t, c, spec.ID, in.Name) == 4000 })
	if err := second.stop(t); err != nil {
		t.Fatal(err)
	}
	want := wantCounts(keys, 4000)
	checkExact(t, readCommittedCounts(t, c, out.Name, 4000), want)
	for i, n := range replayed()[3:] {
		if n != 0 {
			t.Errorf("restart: table partition %d replayed %d changelog records, want 0", i, n)
		}
	}
	got := storedCounts(t, cfg.StateDir)
	for k, w := range want {
		if got[k] != w {
			t.Errorf("stored count of %s: %d, want %d", k, got[k], w)
		}
	}
}

// Under exactly-once the fail policy aborts the transaction: the outputs
// and table writes of the records before the failing one, in the same
// transaction, are never committed; a restart that no longer fails counts
// everything exactly once.
func TestExactlyOnceFailAbortsTheTransaction(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	cfg.StateDir = t.TempDir()
	cfg.CommitInterval = time.Minute // one transaction, ended by the failure
	in, out := viewTopic(c.name("eosfail-in"), 1), countTopic(c.name("eosfail-out"), 1)
	table := countsTable(1)
	keys := keysN(5)
	producer := start(t, cfg, AppSpec{ID: c.name("eosfail-producer"), Topics: []AnyTopic{in, out}})
	produceViews(t, producer, in, keys, 500)
	producer.stop(t)

	failing := counter(in, out, table)
	inner := failing.Process
	var seen int
	failing.Process = func(tk *Task, k string, v view) error {
		if seen++; seen == 400 {
			return errors.New("boom")
		}
		return inner(tk, k, v)
	}
	spec := AppSpec{ID: c.name("eosfail"), Guarantee: ExactlyOnce, Topics: []AnyTopic{in, out}, Tables: []AnyTable{table}, Agents: []AnyAgent{failing}}
	r := start(t, cfg, spec)
	select {
	case err := <-r.errc:
		r.err = err
		r.once.Do(func() {})
		if err == nil || !strings.Contains(err.Error(), "boom") {
			t.Fatalf("Run: %v, want the agent's failure", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the failing App did not stop")
	}
	if n := sum(endOffsets(t, c, out.Name)); n == 0 {
		t.Fatal("nothing was produced before the failure: nothing to test")
	}
	if got := committedSoFar(t, c, spec.ID, in.Name); got != 0 {
		t.Fatalf("%d offsets committed by the failing transaction, want 0", got)
	}

	cfg.CommitInterval = 50 * time.Millisecond
	spec.Agents = []AnyAgent{counter(in, out, table)}
	again := start(t, cfg, spec)
	eventually(t, "the restart counted everything", func() bool { return committedSoFar(t, c, spec.ID, in.Name) == 500 })
	if err := again.stop(t); err != nil {
		t.Fatal(err)
	}
	checkExact(t, readCommittedCounts(t, c, out.Name, 500), wantCounts(keys, 500))
}

// eosKills is the crash test's size: FAUSTGEN_EOS_KILLS kills over
// FAUSTGEN_EOS_RECORDS records (make soak: 20 and 1000000), else 4 over
// 50000.
func eosKills() (kills, records int) {
	kills, records = 4, 50000
	if n, err := strconv.Atoi(os.Getenv("FAUSTGEN_EOS_KILLS")); err == nil && n > 0 {
		kills = n
	}
	if n, err := strconv.Atoi(os.Getenv("FAUSTGEN_EOS_RECORDS")); err == nil && n > 0 {
		records = n
	}
	return kills, records
}

// A counting App run exactly-once in a child process, SIGKILLed again and
// again while it counts: the read_committed output holds, for each key,
// exactly the counts 1..n (no duplicate, no gap), the final table equals
// the true counts, and each restart replays only the changelog tail, never
// wiping its stores.
func TestExactlyOnceCountsSurviveRepeatedSIGKILLs(t *testing.T) {
	kills, records := eosKills()
	c := newEnv(t)
	cfg := testConfig(t, c)
	const parts = 6
	in, out := viewTopic(c.name("eoskill-in"), parts), countTopic(c.name("eoskill-out"), parts)
	producer := start(t, cfg, AppSpec{ID: c.name("eoskill-producer"), Topics: []AnyTopic{in, out}})
	keys := keysN(24)
	want := map[string]int64{}
	for done := 0; done < records; done += 10000 {
		n := min(10000, records-done)
		produceViews(t, producer, in, keys, n)
		for k, w := range wantCounts(keys, n) {
			want[k] += w
		}
	}
	producer.stop(t)
	// About 10 s of processing in all, so that the kills land mid-run.
	spin := 10 * time.Second / time.Duration(records)

	group := c.name("eoskill")
	stateDir := t.TempDir()
	settings := childSettings(group, "counter", in, out, map[string]string{
		"CHILD_MODE": "count", "CHILD_GUARANTEE": "exactly_once", "CHILD_SPIN": spin.String(), runtime.EnvStateDir: stateDir, runtime.EnvCommitInterval: "100ms",
		runtime.EnvInstanceID: "counter-1", runtime.EnvSessionTimeout: "10s",
	})
	changelog := changelogName(group, "counts")
	step := int64(records / (kills + 1))
	for kill := 0; kill <= kills; kill++ {
		size := sum(endOffsets(t, c, changelog))
		ch := startChild(t, c, settings)
		eventually30s(t, "every table partition ready", func() bool { return len(ch.readies()) >= parts })
		var replayed int64
		for _, r := range ch.readies() {
			if r.wiped {
				t.Errorf("restart %d: table partition %d wiped its store", kill, r.partition)
			}
			replayed += r.replayed
		}
		t.Logf("start %d: replayed %d changelog records of %d (changelog end offsets)", kill, replayed, size)
		if kill > 0 && size > 0 && replayed*10 > size {
			t.Errorf("start %d replayed %d changelog records of %d: more than the tail", kill, replayed, size)
		}
		if kill == kills {
			eventuallyWithin(t, 5*time.Minute, "the last run counted everything", func() bool { return committedSoFar(t, c, group, in.Name) == int64(records) })
			ch.signal(syscall.SIGTERM)
			if _, _, err := ch.wait(t, 30*time.Second); err != nil {
				t.Fatalf("the last run: %v", err)
			}
			break
		}
		target := min(int64(records)-1, int64(kill+1)*step)
		eventuallyWithin(t, 2*time.Minute, fmt.Sprintf("run %d counted %d", kill, target), func() bool { return committedSoFar(t, c, group, in.Name) >= target })
		time.Sleep(time.Duration(kill%3) * 70 * time.Millisecond) // kill at various points of a transaction
		ch.kill()
		ch.wait(t, 10*time.Second)
	}
	checkExact(t, readCommittedCounts(t, c, out.Name, records), want)
	got := storedCounts(t, stateDir)
	for k, w := range want {
		if got[k] != w {
			t.Errorf("final table: %s = %d, want %d", k, got[k], w)
		}
	}
}

// An exactly-once instance frozen with SIGSTOP until its partitions move
// to the other instance, then resumed with SIGCONT, commits nothing more:
// no committed output of it is newer than its resume, and the output
// stays exact.
func TestExactlyOnceZombieCommitsNothingAfterItsPartitionsMoved(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	const parts, records = 4, 8000
	in, out := viewTopic(c.name("eoszombie-in"), parts), countTopic(c.name("eoszombie-out"), parts)
	producer := start(t, cfg, AppSpec{ID: c.name("eoszombie-producer"), Topics: []AnyTopic{in, out}})
	keys := keysN(16)
	produceViews(t, producer, in, keys, records)
	producer.stop(t)

	group := c.name("eoszombie")
	extra := func(name string) map[string]string {
		return map[string]string{"CHILD_MODE": "count", "CHILD_GUARANTEE": "exactly_once", "CHILD_SLEEP": "2ms",
			runtime.EnvStateDir: t.TempDir(), runtime.EnvSessionTimeout: "6s", runtime.EnvRebalanceTimeout: "10s", runtime.EnvCommitInterval: "200ms", runtime.EnvInstanceID: name}
	}
	a := startChild(t, c, childSettings(group, "a", in, out, extra("a")))
	b := startChild(t, c, childSettings(group, "b", in, out, extra("b")))
	eventually30s(t, "both instances hold partitions", func() bool { return membersWithPartitions(t, c, group) == 2 })
	time.Sleep(time.Second)

	a.signal(syscall.SIGSTOP)
	eventually30s(t, "the frozen instance expelled and the other holding every partition", func() bool {
		return membersWithPartitions(t, c, group) == 1
	})
	time.Sleep(time.Second)
	resumed := time.Now()
	a.signal(syscall.SIGCONT)

	eventuallyWithin(t, 2*time.Minute, "every record counted", func() bool { return committedSoFar(t, c, group, in.Name) == records })
	a.signal(syscall.SIGTERM)
	b.signal(syscall.SIGTERM)
	a.wait(t, 30*time.Second)
	b.wait(t, 30*time.Second)

	outs := readCommittedCounts(t, c, out.Name, records)
	late := 0
	for _, o := range outs {
		if o.child == "a" && o.ts.After(resumed) {
			late++
		}
	}
	checkExact(t, outs, wantCounts(keys, records))
	t.Logf("after its resume the zombie had %d committed outputs (it may rejoin and own partitions again)", late)
}

// committedSoFar is sumCommitted that counts a group without commits yet
// (or not known yet) as 0.
func committedSoFar(t testing.TB, c *env, group, topic string) int64 {
	t.Helper()
	adm := kadm.NewClient(rawClient(t, c))
	resp, err := adm.FetchOffsetsForTopics(context.Background(), group, topic)
	if err != nil {
		return 0
	}
	var n int64
	resp.Each(func(o kadm.OffsetResponse) {
		if o.Err == nil && o.At > 0 {
			n += o.At
		}
	})
	return n
}

// A rebalance storm under exactly-once: three counting instances (child
// processes, each with its own state dir, so that a restarted one fences
// its predecessor's transaction) count a stream while, every 2 s, one of
// them leaves — by SIGTERM and by SIGKILL in turn — and comes back, its
// partitions moving to the others and back. The read_committed output
// holds, for each key, exactly the counts 1..n (no duplicate, no gap);
// the committed changelog holds, per key, strictly increasing counts
// (one per transaction at most) ending at the true counts; no store is
// wiped; every SIGTERM exits 0.
// FAUSTGEN_STORM_CYCLES sets the cycles (make soak: 30), else 4. The same
// test run at-least-once fails (duplicated counts).
func TestExactlyOnceRebalanceStorm(t *testing.T) {
	cycles := stormCycles()
	records := 10000 * cycles
	c := newEnv(t)
	cfg := testConfig(t, c)
	const parts = 6
	in, out := viewTopic(c.name("eosstorm-in"), parts), countTopic(c.name("eosstorm-out"), parts)
	producer := start(t, cfg, AppSpec{ID: c.name("eosstorm-producer"), Topics: []AnyTopic{in, out}})
	group := c.name("eosstorm")
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	settings := func(i int) map[string]string {
		return childSettings(group, fmt.Sprintf("c%d", i), in, out, map[string]string{
			"CHILD_MODE": "count", "CHILD_GUARANTEE": "exactly_once", "CHILD_SPIN": "20us",
			runtime.EnvStateDir: dirs[i], runtime.EnvSessionTimeout: "6s", runtime.EnvCommitInterval: "300ms",
		})
	}
	var starts []*child
	startOne := func(i int) *child {
		ch := startChild(t, c, settings(i))
		starts = append(starts, ch)
		return ch
	}
	children := make([]*child, len(dirs))
	for i := range children {
		children[i] = startOne(i)
	}
	streamDone := steadyStream(t, c, producer, in, keysN(32), records, time.Duration(cycles)*4*time.Second)
	stops := rebalanceStorm(t, children, cycles, startOne)
	var sent streamed
	select {
	case sent = <-streamDone:
	case <-time.After(5 * time.Minute):
		t.Fatal("the stream did not finish")
	}
	eventuallyWithin(t, 2*time.Minute, "every record counted after the storm", func() bool { return committedAll(t, c, group, in.Name, sent.end) })
	for i, ch := range children {
		ch.signal(syscall.SIGTERM)
		if _, _, err := ch.wait(t, 30*time.Second); err != nil {
			t.Errorf("instance c%d exited with %v after the final SIGTERM", i, err)
		}
	}
	producer.stop(t)

	checkExact(t, readCommittedCounts(t, c, out.Name, records), sent.want)
	// The changelog holds the newest count of each key per transaction:
	// per key strictly increasing, at most one record per input, ending at
	// the true count.
	changelog := readCommittedCounts(t, c, changelogName(group, "counts"), -1)
	final := map[string]int64{}
	for _, o := range changelog {
		if o.n <= final[o.key] {
			t.Errorf("committed changelog: %s = %d after %d", o.key, o.n, final[o.key])
		}
		final[o.key] = o.n
	}
	if len(changelog) > records {
		t.Errorf("the committed changelog holds %d records for %d inputs", len(changelog), records)
	}
	t.Logf("the committed changelog holds %d records for %d inputs (coalesced per key per transaction)", len(changelog), records)
	for k, w := range sent.want {
		if final[k] != w {
			t.Errorf("committed table: %s = %d, want %d", k, final[k], w)
		}
	}
	var readies, replayed int64
	for _, ch := range starts {
		for _, r := range ch.readies() {
			readies++
			replayed += r.replayed
			if r.wiped {
				t.Errorf("a store of table partition %d was wiped at a start", r.partition)
			}
		}
	}
	t.Logf("exactly-once storm: %d cycles, %d records, %d instance starts, %d table partitions made ready replaying %d changelog records in all; SIGTERM stops %v",
		cycles, records, len(starts), readies, replayed, stops)
	for _, d := range stops {
		if d > 10*time.Second {
			t.Errorf("a SIGTERM took %v to stop, over the 10 s ShutdownTimeout", d)
		}
	}
}
