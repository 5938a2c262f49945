package tables

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// cenv is a cluster with a one-partition changelog topic for one test:
// kfake, or the real broker under the integration build tag
// (cluster_*_test.go).
type cenv struct {
	opts  []kgo.Opt
	topic string
}

// framed returns a Confluent frame around body (schema id 1).
func framed(body string) []byte { return append([]byte{0, 0, 0, 0, 1}, body...) }

// produce writes records key -> value (value "" is a tombstone) to cl[0].
func produce(t *testing.T, e cenv, kvs ...string) {
	t.Helper()
	cl, err := kgo.NewClient(append(e.opts, kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for i := 0; i < len(kvs); i += 2 {
		r := &kgo.Record{Topic: e.topic, Key: framed(kvs[i])}
		if kvs[i+1] != "" {
			r.Value = framed(kvs[i+1])
		}
		if err := cl.ProduceSync(context.Background(), r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

// inTxn writes kvs in one transaction, committed or aborted.
func inTxn(t *testing.T, e cenv, commit bool, kvs ...string) {
	t.Helper()
	cl, err := kgo.NewClient(append(e.opts, kgo.TransactionalID(fmt.Sprintf("%s-txn-%v-%d", e.topic, commit, len(kvs))), kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(kvs); i += 2 {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: e.topic, Key: framed(kvs[i]), Value: framed(kvs[i+1])}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	if err := cl.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
		t.Fatal(err)
	}
}

func contents(t *testing.T, s *Store) string {
	t.Helper()
	var b strings.Builder
	if err := s.Each(func(k, v []byte) bool {
		fmt.Fprintf(&b, "%s=%s ", k, v[5:])
		return true
	}); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(b.String())
}

func restore(t *testing.T, s *Store, e cenv) RestoreResult {
	t.Helper()
	res, err := Restore(context.Background(), s, RestoreOptions{Client: e.opts, Table: "t", Partition: 0, Topic: e.topic, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func openStore(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path, 0, quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestRestoreOfAnEmptyChangelogReplaysNothing(t *testing.T) {
	e := cluster(t)
	s := openStore(t, filepath.Join(t.TempDir(), "0.db"))
	if res := restore(t, s, e); res.Replayed != 0 || res.Wiped {
		t.Fatalf("restore of an empty changelog: %+v", res)
	}
	if got := contents(t, s); got != "" {
		t.Fatalf("store after restoring nothing: %q", got)
	}
}

// Restores apply puts and tombstones in order, and a second restore of
// an unchanged changelog replays nothing; a later one only the tail.
func TestRestoreReplaysOnlyWhatTheStoreLacks(t *testing.T) {
	e := cluster(t)
	s := openStore(t, filepath.Join(t.TempDir(), "0.db"))
	produce(t, e, "a", "1", "b", "1", "a", "2", "c", "1", "b", "")
	if res := restore(t, s, e); res.Replayed != 5 || !res.Bulk {
		t.Fatalf("first restore (into the empty store: a bulk load): %+v", res)
	}
	if got := contents(t, s); got != "a=2 c=1" {
		t.Fatalf("store: %q, want a=2 c=1", got)
	}
	if res := restore(t, s, e); res.Replayed != 0 {
		t.Fatalf("a restore of an unchanged changelog replayed %d", res.Replayed)
	}
	produce(t, e, "d", "1")
	if res := restore(t, s, e); res.Replayed != 1 || res.From != 5 || res.Bulk {
		t.Fatalf("restore of the tail: %+v", res)
	}
	if got := contents(t, s); got != "a=2 c=1 d=1" {
		t.Fatalf("store: %q", got)
	}
}

// Committed transactions are replayed, aborted ones are not; their
// markers and the offsets aborted records take are gaps, as compaction
// leaves, and the restore still ends.
func TestRestoreSkipsAbortedTransactionsAndGaps(t *testing.T) {
	e := cluster(t)
	s := openStore(t, filepath.Join(t.TempDir(), "0.db"))
	produce(t, e, "a", "1")
	inTxn(t, e, false, "a", "aborted", "x", "aborted")
	inTxn(t, e, true, "b", "1")
	inTxn(t, e, false, "b", "aborted")
	res := restore(t, s, e)
	if got := contents(t, s); got != "a=1 b=1" {
		t.Fatalf("store: %q, want a=1 b=1 (restore %+v)", got, res)
	}
	if res.Replayed != 2 || !res.Bulk {
		t.Fatalf("replayed %d records (bulk %v), want the 2 committed ones in a bulk load", res.Replayed, res.Bulk)
	}
	if res := restore(t, s, e); res.Replayed != 0 {
		t.Fatalf("a second restore replayed %d", res.Replayed)
	}
}

// A changelog whose start moved (records deleted, as retention or
// compaction of the head does) restores from its start.
func TestRestoreStartsAtTheChangelogsStart(t *testing.T) {
	e := cluster(t)
	produce(t, e, "a", "1", "b", "1", "c", "1", "d", "1")
	cl, _ := kgo.NewClient(e.opts...)
	defer cl.Close()
	adm := kadm.NewClient(cl)
	resp, err := adm.DeleteRecords(context.Background(), kadm.Offsets{e.topic: {0: {Topic: e.topic, Partition: 0, At: 2}}})
	if err != nil || resp.Error() != nil {
		t.Fatalf("delete records: %v %v", err, resp.Error())
	}
	s := openStore(t, filepath.Join(t.TempDir(), "0.db"))
	res := restore(t, s, e)
	if res.From != 2 || res.Replayed != 2 {
		t.Fatalf("restore: %+v, want from 2, 2 records", res)
	}
	if got := contents(t, s); got != "c=1 d=1" {
		t.Fatalf("store: %q", got)
	}
}

// A store ahead of its changelog (the topic was deleted and created
// again) is wiped and rebuilt.
func TestRestoreWipesAStoreAheadOfItsChangelog(t *testing.T) {
	e := cluster(t)
	s := openStore(t, filepath.Join(t.TempDir(), "0.db"))
	if err := s.Apply([]Change{{Key: []byte("old"), Value: framed("9")}}, 1000); err != nil {
		t.Fatal(err)
	}
	produce(t, e, "a", "1")
	res := restore(t, s, e)
	if !res.Wiped || !res.Bulk || res.Replayed != 1 {
		t.Fatalf("restore: %+v, want a wipe and 1 record", res)
	}
	if got := contents(t, s); got != "a=1" {
		t.Fatalf("store: %q, want only the changelog's a=1", got)
	}
}

// A store file bbolt cannot read is moved aside (named in a warning) and
// rebuilt from the changelog.
func TestACorruptStoreIsMovedAsideAndRebuilt(t *testing.T) {
	e := cluster(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "0.db")
	if err := os.WriteFile(path, bytes.Repeat([]byte("not bbolt "), 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	s, err := Open(path, 0, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.Contains(logs.String(), "moved aside") || !strings.Contains(logs.String(), path) {
		t.Fatalf("no warning naming the file: %s", logs.String())
	}
	aside, _ := filepath.Glob(path + ".corrupt-*")
	if len(aside) != 1 {
		t.Fatalf("moved-aside files: %v", aside)
	}
	produce(t, e, "a", "1")
	restore(t, s, e)
	if got := contents(t, s); got != "a=1" {
		t.Fatalf("store: %q", got)
	}
}

// The overlay hands out only the writes of records before the committed
// offset, the newest per key, with the highest changelog offset among
// them; it refuses to hand out a write whose changelog record is not
// acknowledged.
func TestOverlayFlushesOnlyCommittedAcknowledgedWrites(t *testing.T) {
	o := NewOverlay()
	a1 := o.Put([]byte("a"), framed("a"), framed("1"), 10, nil)
	b1 := o.Put([]byte("b"), framed("b"), framed("1"), 11, nil)
	a2 := o.Put([]byte("a"), framed("a"), framed("2"), 12, nil)
	a1.Acked(100)
	b1.Acked(101)
	if _, _, err := o.Flush(13); err == nil {
		t.Fatal("flushed a write whose changelog record was not acknowledged")
	}
	changes, cl, err := o.Flush(12)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range changes {
		got[string(c.Key)] = string(c.Value[5:])
	}
	if fmt.Sprint(got) != "map[a:1 b:1]" || cl != 101 {
		t.Fatalf("flush before 12: %v, changelog offset %d", got, cl)
	}
	if v, ok := o.Get([]byte("a")); !ok || string(v[5:]) != "2" {
		t.Fatalf("the later write of a is gone from the overlay: %q %v", v, ok)
	}
	a2.Acked(102)
	changes, cl, _ = o.Flush(13)
	if len(changes) != 1 || cl != 102 || o.Len() != 0 {
		t.Fatalf("second flush: %d changes, offset %d, %d left", len(changes), cl, o.Len())
	}
}

// Unsent hands out, once, the newest write per key of the records before
// the offset to commit; the superseded ones are never sent, and Flush
// needs only the newest acknowledged.
func TestOverlayCoalescesWritesPerKey(t *testing.T) {
	o := NewOverlay()
	for i, kv := range []string{"a1", "b1", "a2", "a3", "b2", "c1", "a4"} {
		o.Put([]byte(kv[:1]), framed(kv[:1]), framed(kv[1:]), int64(10+i), nil)
	}
	// Records 10..14 are to be committed: a's newest is a3, b's b2.
	sent := o.Unsent(15, nil)
	got := map[string]string{}
	for _, v := range sent {
		got[string(v.ChangelogKey()[5:])] = string(v.Value()[5:])
	}
	if fmt.Sprint(got) != "map[a:3 b:2]" {
		t.Fatalf("unsent before 15: %v, want a:3 b:2", got)
	}
	if again := o.Unsent(15, nil); len(again) != 0 {
		t.Fatalf("a second Unsent handed out %d writes again", len(again))
	}
	if _, _, err := o.Flush(15); err == nil {
		t.Fatal("flushed writes whose changelog records were not acknowledged")
	}
	for i, v := range sent {
		v.Acked(int64(200 + i))
	}
	changes, cl, err := o.Flush(15)
	if err != nil || len(changes) != 2 || cl != 201 {
		t.Fatalf("flush before 15: %d changes, changelog offset %d, %v", len(changes), cl, err)
	}
	// What is left: c1 (15) and a4 (16).
	left := o.Unsent(100, nil)
	if len(left) != 2 || o.Len() != 2 {
		t.Fatalf("left: %d unsent, %d held, want 2 and 2", len(left), o.Len())
	}
}

// produceMany writes n records key -> value (nil: a tombstone) made by
// rec to cl[0], without waiting for each.
func produceMany(t *testing.T, e cenv, n int, rec func(i int) (key string, value []byte)) {
	t.Helper()
	cl, err := kgo.NewClient(append(e.opts, kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var wg sync.WaitGroup
	var failed atomic.Value
	for i := range n {
		k, v := rec(i)
		r := &kgo.Record{Topic: e.topic, Key: framed(k)}
		if v != nil {
			r.Value = framed(string(v))
		}
		wg.Add(1)
		cl.Produce(context.Background(), r, func(_ *kgo.Record, err error) {
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
}

// model writes n random records (a few thousand keys, a fifth of them
// tombstones) and returns what a store restored from them must hold.
func model(t *testing.T, e cenv, n int) map[string][]byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 6))
	want := map[string][]byte{}
	produceMany(t, e, n, func(i int) (string, []byte) {
		k := fmt.Sprintf("key-%d", rng.IntN(4000))
		if rng.IntN(5) == 0 {
			delete(want, k)
			return k, nil
		}
		v := fmt.Appendf(nil, "v%d", i)
		want[k] = framed(string(v))
		return k, v
	})
	return want
}

// A restore into an empty store whose records pass its memory bound
// spills sorted runs and still ends with the newest write of each key,
// no key whose newest write is a tombstone, the changelog's offset, and
// no files beside the store; the tail after it goes the usual way.
func TestABulkRestoreThatSpillsKeepsTheNewestWritePerKey(t *testing.T) {
	e := cluster(t)
	want := model(t, e, 30_000)
	dir := t.TempDir()
	s := openStore(t, filepath.Join(dir, "0.db"))
	res, err := Restore(context.Background(), s, RestoreOptions{Client: e.opts, Topic: e.topic, Logger: quiet(), MemoryBytes: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Bulk || res.Spilled < 2 || res.Replayed != 30_000 {
		t.Fatalf("restore: %+v, want a bulk load of 30000 records spilling several runs", res)
	}
	checkBolt(t, s)
	storeEquals(t, s, want)
	if off, _ := s.Offset(); off != 29_999 {
		t.Fatalf("offset %d, want 29999", off)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.restore-*")); len(left) > 0 {
		t.Fatalf("files left beside the store: %v", left)
	}
	produce(t, e, "key-1", "tail", "key-2", "")
	want["key-1"] = framed("tail")
	delete(want, "key-2")
	if res := restore(t, s, e); res.Bulk || res.Replayed != 2 {
		t.Fatalf("restore of the tail: %+v", res)
	}
	storeEquals(t, s, want)
}

// cancelOnProgress cancels a context when the restore logs its progress.
type cancelOnProgress struct {
	slog.Handler
	cancel context.CancelFunc
}

func (h cancelOnProgress) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "restoring table" {
		h.cancel()
	}
	return nil
}

// A bulk restore stopped in the middle leaves the store empty (offset
// -1: never ahead of the changelog, whatever it had read) and no files;
// files a crash would leave are removed at the next open; the next
// restore rebuilds the store whole.
func TestABulkRestoreStoppedMidwayLeavesAStoreTheNextStartRestores(t *testing.T) {
	e := cluster(t)
	want := model(t, e, 120_000)
	dir := t.TempDir()
	path := filepath.Join(dir, "0.db")
	s := openStore(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(cancelOnProgress{slog.NewTextHandler(io.Discard, nil), cancel})
	res, err := Restore(ctx, s, RestoreOptions{Client: e.opts, Topic: e.topic, Logger: log, ProgressEvery: time.Nanosecond, MemoryBytes: 256 << 10})
	if err == nil || res.Replayed == 0 || res.Replayed >= 120_000 {
		t.Fatalf("restore stopped midway: %+v, %v; want it to fail after reading part of the changelog", res, err)
	}
	if off, _ := s.Offset(); off != -1 {
		t.Fatalf("offset %d after a stopped bulk restore, want -1", off)
	}
	if got := contents(t, s); got != "" {
		t.Fatalf("store after a stopped bulk restore: %.100q", got)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.restore-*")); len(left) > 0 {
		t.Fatalf("files left beside the store: %v", left)
	}
	// What a crash in the middle leaves: a partial new file and runs.
	s.Close()
	for _, f := range []string{path + ".restore-new", path + ".restore-run-0"} {
		if err := os.WriteFile(f, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s = openStore(t, path)
	if res := restore(t, s, e); !res.Bulk || res.Replayed != 120_000 {
		t.Fatalf("restore after the crash: %+v", res)
	}
	checkBolt(t, s)
	storeEquals(t, s, want)
}

// A changelog record whose key has no body cannot be stored: the
// restore fails naming the record, and the store stays empty.
func TestARestoreRefusesAnEmptyKeyNamingTheRecord(t *testing.T) {
	e := cluster(t)
	produce(t, e, "a", "1", "", "2")
	s := openStore(t, filepath.Join(t.TempDir(), "0.db"))
	_, err := Restore(context.Background(), s, RestoreOptions{Client: e.opts, Topic: e.topic, Logger: quiet()})
	if err == nil || !strings.Contains(err.Error(), e.topic+"[0]@1") {
		t.Fatalf("restore of an empty key: %v, want an error naming %s[0]@1", err, e.topic)
	}
	if off, _ := s.Offset(); off != -1 || contents(t, s) != "" {
		t.Fatalf("store after a failed restore: offset %d, %q", off, contents(t, s))
	}
}
