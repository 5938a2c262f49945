package engine

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/faustgen/faustgen/runtime"
	"github.com/faustgen/faustgen/runtime/internal/tables"
	"github.com/twmb/franz-go/pkg/kgo"
)

// minute is an event time: Seq minutes after the epoch.
func minute(m int64) time.Time { return time.UnixMilli(m * 60_000).UTC() }

// windowCounter counts views per page per window of table (the view's Seq
// is its event time in minutes) and sends, when a window closes, its
// final count keyed "page@start-minute" to closed.
func windowCounter(in *Topic[string, view], closed *Topic[string, int64], table *TableDef[string, int64]) *Agent[string, view] {
	return &Agent[string, view]{
		Name: "wcount", Source: in, Sinks: []AnyTopic{closed}, Tables: []AnyTable{table}, OnError: DeadLetter,
		Process: func(t *Task, k string, v view) error {
			return WindowedTableOf(t, table).Update(k, minute(v.Seq), func(n int64, _ bool) int64 { return n + 1 })
		},
		Closers: []WindowCloser{OnWindowClose(table, func(t *Task, k string, w runtime.Window, n int64) error {
			return SinkOf(t, closed).Send(fmt.Sprintf("%s@%d", k, w.Start.UnixMilli()/60_000), n)
		})},
	}
}

// sendTimes produces one view per event, "key:minute", in order, to a
// one-partition topic.
func sendTimes(t testing.TB, r *running, topic *Topic[string, view], events ...string) {
	t.Helper()
	p := ProducerOf(r.app, topic)
	awaitSends(t, len(events), func(ctx context.Context, i int, done func(runtime.RecordMeta, error)) {
		k, m, _ := strings.Cut(events[i], ":")
		at, err := strconv.ParseInt(m, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		p.Send(ctx, k, view{Page: k, Seq: at}, done)
	})
}

// closedCounts reads n records of the closers' output: count by
// "key@start".
func closedCounts(t testing.TB, c *env, topic string, n int) map[string][]int64 {
	t.Helper()
	got := map[string][]int64{}
	for _, rec := range readN(t, c, topic, n) {
		k, v := stringLong(t, rec)
		got[k] = append(got[k], v)
	}
	return got
}

func windowTableDef(name string, w WindowSpec) *TableDef[string, int64] {
	return &TableDef[string, int64]{TableSpec: TableSpec{Name: name, Partitions: 1, Window: &w, KeyType: "string", ValueType: "long"}, Key: tString, Value: tLong}
}

// Tumbling windows of 10 minutes, grace 5, kept 30 after they end: counts
// per window are exact, a record within the grace still counts, one
// beyond it is a late-record error (dead-lettered, counted in Stats), each
// window closes once with its final count, and expired windows leave the
// store and are tombstoned in the changelog.
func TestTumblingWindowsCountCloseOnceExpireAndRefuseLateRecords(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	cfg.StateDir = t.TempDir()
	in, closed := viewTopic(c.name("tw-in"), 1), countTopic(c.name("tw-closed"), 1)
	table := windowTableDef("per10", WindowSpec{Tumbling: 10 * time.Minute, Grace: 5 * time.Minute, Expires: 30 * time.Minute})
	spec := AppSpec{ID: c.name("tw"), Topics: []AnyTopic{in, closed}, Tables: []AnyTable{table}, Agents: []AnyAgent{windowCounter(in, closed, table)}}
	r := start(t, cfg, spec)
	sendTimes(t, r, in,
		"a:1", "b:2", "a:3", "a:12", // stream time 12: [0,10) still open (grace)
		"a:8",          // within the grace: a counts 3 in [0,10)
		"b:16",         // stream time 16: [0,10) closes (a=3, b=1)
		"a:9",          // late: [0,10) closed
		"a:25", "b:50", // stream time 50: [10,20) and [20,30) close; [0,10) and [10,20) expire
	)
	want := map[string][]int64{"a@0": {3}, "b@0": {1}, "a@10": {1}, "b@10": {1}, "a@20": {1}}
	got := closedCounts(t, c, closed.Name, 5)
	if !maps.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("closed windows: got %v, want %v", got, want)
	}
	eventually(t, "everything committed", func() bool { return sumCommitted(t, c, spec.ID, in.Name) == 9 })
	// Expiry runs on the committed stream time, at the next record.
	sendTimes(t, r, in, "b:50")
	eventually(t, "the tick committed", func() bool { return sumCommitted(t, c, spec.ID, in.Name) == 10 })
	if n := r.app.Stats().LateRecords; n != 1 {
		t.Errorf("Stats().LateRecords = %d, want 1", n)
	}
	dl := readN(t, c, spec.ID+"-wcount-dlq", 1)
	if e := header(dl[0], runtime.HeaderDLQError); !strings.Contains(e, "late record for windowed table per10[0]") {
		t.Errorf("dead letter error %q does not name the late record", e)
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	// No window closed twice: nothing after the five.
	if n := endOffsets(t, c, closed.Name)[0]; n != 5 {
		t.Fatalf("closed topic holds %d records, want 5", n)
	}

	// The expired windows are tombstoned in the changelog and gone from
	// the store; the live ones remain.
	// The changelog holds the newest write of each key per commit: at
	// most the 9 counted writes and the 4 tombstones, at least the 4
	// tombstones and the 2 live windows.
	clName := changelogName(spec.ID, "per10")
	size := endOffsets(t, c, clName)[0]
	if size < 6 || size > 13 {
		t.Errorf("the changelog holds %d records, want 6 to 13 (9 counted writes and 4 tombstones, coalesced per commit)", size)
	}
	cl := readN(t, c, clName, int(size))
	tombs := map[string]bool{}
	for _, rec := range cl {
		if rec.Value == nil {
			sk, err := windowStoreKey(rec.Key[frameHeader:])
			if err != nil {
				t.Fatal(err)
			}
			tombs[fmt.Sprintf("%s@%d", sk[9:], windowStart(sk)/60_000)] = true
		}
	}
	if want := map[string]bool{"a@0": true, "b@0": true, "a@10": true, "b@10": true}; !maps.Equal(tombs, want) {
		t.Errorf("changelog tombstones for %v, want %v", tombs, want)
	}
	s, err := tables.Open(filepath.Join(cfg.StateDir, spec.ID, "per10", "0.db"), time.Second, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var left []string
	s.Each(func(k, _ []byte) bool {
		left = append(left, fmt.Sprintf("%s@%d", k[9:], windowStart(k)/60_000))
		return true
	})
	if want := []string{"a@20", "b@50"}; !slices.Equal(left, want) {
		t.Errorf("store holds %v, want %v", left, want)
	}
}

func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// Hopping windows of 10 minutes every 5: each view counts in the two
// windows that hold it, exactly, across a graceful restart; then on a new
// instance (an empty state dir: the windows come back from the changelog)
// the counts stay exact and each window closes at least once.
func TestHoppingWindowsSurviveARestartAndAMoveToAnotherInstance(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	cfg.StateDir = t.TempDir()
	in, closed := viewTopic(c.name("hw-in"), 1), countTopic(c.name("hw-closed"), 1)
	table := windowTableDef("hop", WindowSpec{Hopping: 10 * time.Minute, Step: 5 * time.Minute, Expires: time.Hour})
	spec := AppSpec{ID: c.name("hw"), Topics: []AnyTopic{in, closed}, Tables: []AnyTable{table}, Agents: []AnyAgent{windowCounter(in, closed, table)}}

	first := start(t, cfg, spec)
	sendTimes(t, first, in, "a:1", "a:6", "b:7", "a:12") // stream 12: [-5,5) closes
	eventually(t, "the first run committed", func() bool { return sumCommitted(t, c, spec.ID, in.Name) == 4 })
	if err := first.stop(t); err != nil {
		t.Fatal(err)
	}
	second := start(t, cfg, spec)
	sendTimes(t, second, in, "a:14", "b:31") // stream 31: every window ending by 31 closes
	want := map[string][]int64{"a@-5": {1}, "a@0": {2}, "b@0": {1}, "a@5": {3}, "b@5": {1}, "a@10": {2}}
	if got := closedCounts(t, c, closed.Name, 6); !maps.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("closed windows: got %v, want %v", got, want)
	}
	eventually(t, "the second run committed", func() bool { return sumCommitted(t, c, spec.ID, in.Name) == 6 })
	if err := second.stop(t); err != nil {
		t.Fatal(err)
	}
	if n := endOffsets(t, c, closed.Name)[0]; n != 6 {
		t.Fatalf("a graceful restart closed windows twice: %d closes, want 6", n)
	}

	// Another instance, with nothing on disk.
	moved := cfg
	moved.StateDir = t.TempDir()
	third := start(t, moved, spec)
	sendTimes(t, third, in, "b:33", "b:36", "a:50") // stream 50: [25,35), [30,40), [35,45) close
	eventually(t, "the third run committed", func() bool { return sumCommitted(t, c, spec.ID, in.Name) == 9 })
	if err := third.stop(t); err != nil {
		t.Fatal(err)
	}
	n := int(endOffsets(t, c, closed.Name)[0])
	got := closedCounts(t, c, closed.Name, n)
	for k, v := range map[string]int64{"b@25": 2, "b@30": 3, "b@35": 1} {
		if len(got[k]) == 0 || slices.ContainsFunc(got[k], func(x int64) bool { return x != v }) {
			t.Errorf("window %s closed with %v, want %d (at least once)", k, got[k], v)
		}
	}
	for k, vs := range got {
		if len(vs) > 2 {
			t.Errorf("window %s closed %d times: %v", k, len(vs), vs)
		}
	}
}

// sessionCounter counts views per page per session of table and sends,
// when a session closes, its count keyed "page@first-minute".
func sessionCounter(in *Topic[string, view], closed *Topic[string, int64], table *TableDef[string, int64]) *Agent[string, view] {
	sum := func(a, b int64) int64 { return a + b }
	return &Agent[string, view]{
		Name: "scount", Source: in, Sinks: []AnyTopic{closed}, Tables: []AnyTable{table}, OnError: DeadLetter,
		Process: func(t *Task, k string, v view) error {
			_, err := SessionTableOf(t, table).Update(k, minute(v.Seq), func(n int64, _ bool) int64 { return n + 1 }, sum)
			return err
		},
		Closers: []WindowCloser{OnWindowClose(table, func(t *Task, k string, w runtime.Window, n int64) error {
			return SinkOf(t, closed).Send(fmt.Sprintf("%s@%d-%d", k, w.Start.UnixMilli()/60_000, (w.End.UnixMilli()-1)/60_000), n)
		})},
	}
}

// Session windows with a 10-minute gap: a session grows while views keep
// coming within the gap, a view between two sessions merges them (their
// counts added), each session closes once with its count (its last view
// plus gap plus a 5-minute grace), a view of a closed session is late, and expired sessions leave the store. A restart
// in the middle changes nothing.
func TestSessionWindowsGrowMergeCloseOnceAndExpire(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	cfg.StateDir = t.TempDir()
	in, closed := viewTopic(c.name("sw-in"), 1), countTopic(c.name("sw-closed"), 1)
	table := windowTableDef("sessions", WindowSpec{Session: 10 * time.Minute, Grace: 5 * time.Minute, Expires: 30 * time.Minute})
	spec := AppSpec{ID: c.name("sw"), Topics: []AnyTopic{in, closed}, Tables: []AnyTable{table}, Agents: []AnyAgent{sessionCounter(in, closed, table)}}
	first := start(t, cfg, spec)
	sendTimes(t, first, in,
		"a:0", "a:5", "b:3", // a [0,5], b [3,3]
		"a:30", // stream 30: sessions last at or before 15 (gap + grace) close (a@0-5 = 2, b@3-3 = 1)
		"a:12", // late: within the gap of a@0-5, which closed
		"a:45", // stream 45: a@30 closes
		"a:58", // 13 after a@45 (the gap is inclusive: 10 apart would join); a@45 stays open (grace)
	)
	eventually(t, "the first run committed", func() bool { return sumCommitted(t, c, spec.ID, in.Name) == 7 }) // with the late one
	if err := first.stop(t); err != nil {
		t.Fatal(err)
	}
	second := start(t, cfg, spec)
	sendTimes(t, second, in,
		"a:52",  // within the gap of both: merged into a [45,58] = 3
		"b:100", // stream 100: a@45-58 closes; every a session and b@3 expire
	)
	want := map[string][]int64{"a@0-5": {2}, "b@3-3": {1}, "a@30-30": {1}, "a@45-58": {3}}
	if got := closedCounts(t, c, closed.Name, 4); !maps.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("closed sessions: got %v, want %v", got, want)
	}
	eventually(t, "the second run committed", func() bool { return sumCommitted(t, c, spec.ID, in.Name) == 9 })
	// Expiry runs on the committed stream time, at the next record.
	sendTimes(t, second, in, "b:100")
	eventually(t, "the tick committed", func() bool { return sumCommitted(t, c, spec.ID, in.Name) == 10 })
	if n := second.app.Stats().LateRecords; n != 0 {
		t.Errorf("the second run counted %d late records, want 0", n)
	}
	if err := second.stop(t); err != nil {
		t.Fatal(err)
	}
	if n := endOffsets(t, c, closed.Name)[0]; n != 4 {
		t.Fatalf("%d sessions closed, want 4 (none twice)", n)
	}
	if n := endOffsets(t, c, spec.ID+"-scount-dlq")[0]; n != 1 {
		t.Errorf("%d late records dead-lettered, want 1", n)
	}
	s, err := tables.Open(filepath.Join(cfg.StateDir, spec.ID, "sessions", "0.db"), time.Second, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var left []string
	s.Each(func(k, _ []byte) bool {
		left = append(left, fmt.Sprintf("%s@%d-%d", k[9:len(k)-8], windowStart(k[len(k)-8:])/60_000, windowStart(k)/60_000))
		return true
	})
	if want := []string{"b@100-100"}; !slices.Equal(left, want) {
		t.Errorf("store holds %v, want %v", left, want)
	}
}

// A windowed counting App killed with SIGKILL twice in the middle of a
// backlog, restarted on its state dir and then on an empty one: every
// window that the stream time passed closes, and no update is lost.
// At-least-once, a window closes at least once and at most once more per
// kill, and a count may be higher (the changelog holds the writes of
// records processed again after the kill), never lower; exactly-once
// (read_committed), every window closes once with its exact count.
func TestWindowClosesSurviveASIGKILL(t *testing.T) {
	t.Run("at_least_once", func(t *testing.T) { windowKillRun(t, AtLeastOnce, "alo") })
	t.Run("exactly_once", func(t *testing.T) { windowKillRun(t, ExactlyOnce, "exactly_once") })
}

// windowKillRun is TestWindowClosesSurviveASIGKILL under g (name: the
// child's CHILD_GUARANTEE, and a part of the topic names).
func windowKillRun(t *testing.T, g Guarantee, name string) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	in, out := viewTopic(c.name("wkill-in-"+name), 3), countTopic(c.name("wkill-out-"+name), 3)
	producer := start(t, cfg, AppSpec{ID: c.name("wkill-producer-" + name), Topics: []AnyTopic{in, out}})
	keys := keysN(20)
	const n = 6000 // Seq 0..299 per key: 30 windows of 10, the last one open
	produceViews(t, producer, in, keys, n)
	producer.stop(t)

	group := c.name("wkill-" + name)
	settings := childSettings(group, "windows", in, out, map[string]string{
		"CHILD_MODE": "windows", "CHILD_SPIN": "200us", runtime.EnvStateDir: t.TempDir(), runtime.EnvCommitInterval: "100ms",
		"CHILD_GUARANTEE": name,
	})
	killTwiceThenRestartEmpty(t, c, group, in.Name, n, settings, func() bool { return sum(endOffsets(t, c, out.Name)) > 100 })

	got := map[string][]int64{}
	if g == ExactlyOnce {
		for _, o := range readCommittedCounts(t, c, out.Name, len(keys)*29) {
			got[o.key] = append(got[o.key], o.n)
		}
	} else {
		got = closedCounts(t, c, out.Name, int(sum(endOffsets(t, c, out.Name))))
	}
	for _, k := range keys {
		for start := 0; start < 290; start += 10 {
			w := fmt.Sprintf("%s@%d", k, start)
			vs := got[w]
			if g == ExactlyOnce {
				if len(vs) != 1 || vs[0] != 10 {
					t.Errorf("window %s closed with %v, want once with 10 views", w, vs)
				}
				continue
			}
			if len(vs) == 0 || len(vs) > 3 {
				t.Errorf("window %s closed %d times (want 1 to 3: once, and at most once more per kill): %v", w, len(vs), vs)
			}
			for _, v := range vs {
				if v < 10 {
					t.Errorf("window %s closed with %d views, want at least 10: an update was lost: %v", w, v, vs)
				}
			}
		}
		if vs := got[k+"@290"]; len(vs) != 0 {
			t.Errorf("window %s@290 closed though the stream time never passed it: %v", k, vs)
		}
	}
}
