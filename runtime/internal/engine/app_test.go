package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/faustgen/faustgen/runtime"
	"github.com/faustgen/faustgen/runtime/embedded"
	"github.com/faustgen/faustgen/runtime/internal/transport"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// seen records what an agent processed, per key, in order.
type seen struct {
	mu    sync.Mutex
	byKey map[string][]int64
	n     atomic.Int64
}

func newSeen() *seen { return &seen{byKey: map[string][]int64{}} }

func (s *seen) add(k string, seq int64) {
	s.mu.Lock()
	s.byKey[k] = append(s.byKey[k], seq)
	s.mu.Unlock()
	s.n.Add(1)
}

// distinct returns how many distinct (key, seq) pairs were seen.
func (s *seen) distinct() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, seqs := range s.byKey {
		m := map[int64]bool{}
		for _, q := range seqs {
			m[q] = true
		}
		n += len(m)
	}
	return n
}

// relay is an agent that records what it sees and forwards each view's
// sequence number to out.
func relay(name string, in *Topic[string, view], out *Topic[string, int64], s *seen, policy ErrorPolicy) *Agent[string, view] {
	return &Agent[string, view]{
		Name: name, Source: in, Sinks: []AnyTopic{out}, OnError: policy,
		Process: func(t *Task, k string, v view) error {
			s.add(k, v.Seq)
			return SinkOf(t, out).Send(k, v.Seq)
		},
	}
}

func TestRecordsOfAPartitionAreProcessedInOrder(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	in, out := viewTopic(c.name("order-in"), 4), countTopic(c.name("order-out"), 4)
	s := newSeen()
	const n = 400
	r := start(t, cfg, AppSpec{ID: c.name("order"), Topics: []AnyTopic{in, out}, Agents: []AnyAgent{relay("relay", in, out, s, Fail)}})
	keys := keysN(8)
	produceViews(t, r, in, keys, n)
	eventually(t, "every record processed", func() bool { return s.n.Load() >= n })

	for k, seqs := range s.byKey {
		for i, q := range seqs {
			if q != int64(i) {
				t.Fatalf("key %s: record %d processed with seq %d; order within a partition broken: %v", k, i, q, seqs)
			}
		}
	}
	// The output keeps the order too, and every output landed where the
	// Java partitioner puts its key.
	recs := readN(t, c, out.Name, n)
	next := map[string]int64{}
	for _, rec := range recs {
		k, err := decodeFrame(context.Background(), r.app.reg, &tString, r.app.ids[out.Name].key, rec.Key)
		if err != nil {
			t.Fatal(err)
		}
		v, err := decodeFrame(context.Background(), r.app.reg, &tLong, r.app.ids[out.Name].value, rec.Value)
		if err != nil {
			t.Fatal(err)
		}
		if v != next[k] {
			t.Fatalf("output of key %s: got seq %d, want %d", k, v, next[k])
		}
		next[k]++
		if want := transport.PartitionForKey(rec.Key, out.Partitions); rec.Partition != want {
			t.Fatalf("key %s on partition %d, the Java partitioner puts it on %d", k, rec.Partition, want)
		}
	}
	if err := r.stop(t); err != nil {
		t.Fatalf("Run after a graceful stop: %v", err)
	}
	// A graceful stop commits everything processed.
	got := committed(t, c, c.name("order"), in.Name)
	var total int64
	for _, off := range got {
		total += off
	}
	if total != n {
		t.Fatalf("committed offsets %v sum to %d, want %d", got, total, n)
	}
}

// A record whose output the broker never acknowledged must not be
// committed: after a crash, the next instance processes it again.
func TestCrashBeforeAcknowledgementLosesNothing(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	in, out := viewTopic(c.name("crash-in"), 2), countTopic(c.name("crash-out"), 2)
	const n = 40

	producer := start(t, cfg, AppSpec{ID: c.name("crash-producer"), Topics: []AnyTopic{in, out}})
	produceViews(t, producer, in, keysN(4), n)

	// On kfake, from now on hold every produce request (only the agent produces):
	// nothing the agent sends is acknowledged. (Requests name topics by id
	// in recent protocol versions, so the test does not match names.)
	release := make(chan struct{})
	var held atomic.Int64
	if c.Kafka() == nil {
		// The real broker cannot hold acknowledgements: there the test
		// crashes before any commit (a long commit interval) instead.
		cfg.CommitInterval = time.Hour
		held.Add(1)
	} else {
		c.Kafka().ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
			c.Kafka().KeepControl()
			held.Add(1)
			c.Kafka().SleepControl(func() { <-release })
			return nil, nil, false
		})
	}
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})

	first := newSeen()
	r1 := start(t, cfg, AppSpec{ID: c.name("crash"), Topics: []AnyTopic{in, out}, Agents: []AnyAgent{relay("relay", in, out, first, Fail)}})
	eventually(t, "first instance processed everything", func() bool { return first.n.Load() >= n })
	eventually(t, "a produce request to the output held", func() bool { return held.Load() > 0 })
	time.Sleep(250 * time.Millisecond) // on kfake: several commit ticks pass with nothing acknowledged
	if got := committed(t, c, c.name("crash"), in.Name); len(got) != 0 {
		t.Fatalf("offsets %v committed although no output was acknowledged", got)
	}
	r1.app.abortForTest()
	if err := r1.stop(t); err != nil {
		t.Fatalf("aborted Run: %v", err)
	}
	close(release)

	second := newSeen()
	start(t, cfg, AppSpec{ID: c.name("crash"), Topics: []AnyTopic{in, out}, Agents: []AnyAgent{relay("relay", in, out, second, Fail)}})
	eventually(t, "second instance processed every record again", func() bool { return second.distinct() >= n })
	if got := second.distinct(); got != n {
		t.Fatalf("second instance processed %d distinct records, want %d", got, n)
	}
}

func TestTwoInstancesShareThePartitionsAndOneTakesOverWithoutLoss(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	in, out := viewTopic(c.name("share-in"), 4), countTopic(c.name("share-out"), 4)
	keys := keysN(16)
	producer := start(t, cfg, AppSpec{ID: c.name("share-producer"), Topics: []AnyTopic{in, out}})

	a, b := newSeen(), newSeen()
	spec := func(s *seen) AppSpec {
		return AppSpec{ID: c.name("share"), Topics: []AnyTopic{in, out}, Agents: []AnyAgent{relay("relay", in, out, s, Fail)}}
	}
	ra := start(t, cfg, spec(a))
	rb := start(t, cfg, spec(b))
	eventually(t, "both members own partitions", func() bool { return membersWithPartitions(t, c, c.name("share")) == 2 })
	produceViews(t, producer, in, keys, 160)
	eventually(t, "the first batch processed", func() bool { return a.distinct()+b.distinct() >= 160 })
	if a.n.Load() == 0 || b.n.Load() == 0 {
		t.Fatalf("partitions not shared: instance a processed %d, b %d", a.n.Load(), b.n.Load())
	}

	if err := ra.stop(t); err != nil { // a leaves the group
		t.Fatalf("first instance: %v", err)
	}
	_ = rb
	// produceViews restarts Seq at 0: shift the second batch.
	p := ProducerOf(producer.app, in)
	for i := range 160 {
		k := keys[i%len(keys)]
		if _, err := p.SendSync(context.Background(), k, view{Page: "/p/" + k, Seq: int64(1000 + i)}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the survivor processed the second batch on every partition", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		n := 0
		for _, seqs := range b.byKey {
			for _, q := range seqs {
				if q >= 1000 {
					n++
				}
			}
		}
		return n >= 160
	})
	// Nothing of the first batch was lost: every (key, seq) was processed
	// by one instance or the other.
	all := newSeen()
	for _, s := range []*seen{a, b} {
		for k, seqs := range s.byKey {
			for _, q := range seqs {
				all.add(k, q)
			}
		}
	}
	if got := all.distinct(); got != 320 {
		t.Fatalf("%d distinct records processed across both instances, want 320", got)
	}
}

func TestPoisonRecordGoesToTheDeadLetterTopicAndProcessingContinues(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	in, out := viewTopic(c.name("poison-in"), 1), countTopic(c.name("poison-out"), 1)
	s := newSeen()
	agent := relay("relay", in, out, s, DeadLetter)
	agent.Process = func(t *Task, k string, v view) error {
		if v.Page == "/panic" {
			panic("boom")
		}
		if v.Page == "/err" {
			return errors.New("refused")
		}
		s.add(k, v.Seq)
		return SinkOf(t, out).Send(k, v.Seq)
	}
	r := start(t, cfg, AppSpec{ID: c.name("poison"), Topics: []AnyTopic{in, out}, Agents: []AnyAgent{agent}})
	p := ProducerOf(r.app, in)
	ctx := context.Background()
	send := func(v view) {
		t.Helper()
		if _, err := p.SendSync(ctx, "k", v); err != nil {
			t.Fatal(err)
		}
	}
	send(view{Page: "/ok", Seq: 0})
	raw := rawClient(t, c)
	poison := &kgo.Record{Topic: in.Name, Key: []byte("not framed"), Value: []byte{0, 0, 0, 0}, Headers: []kgo.RecordHeader{{Key: "trace", Value: []byte("t1")}}}
	if err := raw.ProduceSync(ctx, poison).FirstErr(); err != nil {
		t.Fatal(err)
	}
	send(view{Page: "/panic", Seq: 1})
	send(view{Page: "/err", Seq: 2})
	send(view{Page: "/ok", Seq: 3})
	eventually(t, "the records after the poison processed", func() bool { return s.n.Load() >= 2 })

	dlq := readN(t, c, c.name("poison")+"-relay-dlq", 3)
	wantErr := []string{
		"decode key of " + in.Name + "[0]@1: bad magic byte 0x6e",
		"panic: boom",
		"refused",
	}
	for i, rec := range dlq {
		h := map[string]string{}
		for _, kv := range rec.Headers {
			h[kv.Key] = string(kv.Value)
		}
		if !strings.Contains(h[runtime.HeaderDLQError], wantErr[i]) {
			t.Errorf("dead letter %d: error header %q, want it to contain %q", i, h[runtime.HeaderDLQError], wantErr[i])
		}
		if h[runtime.HeaderDLQTopic] != in.Name || h[runtime.HeaderDLQPartition] != "0" || h[runtime.HeaderDLQOffset] != fmt.Sprint(i+1) || h[runtime.HeaderDLQAgent] != "relay" {
			t.Errorf("dead letter %d: source headers %v, want %s/0/%d from relay", i, h, in.Name, i+1)
		}
		if h[runtime.HeaderDLQTimestamp] == "" {
			t.Errorf("dead letter %d: no source timestamp header", i)
		}
	}
	if string(dlq[0].Key) != "not framed" || string(dlq[0].Value) != "\x00\x00\x00\x00" || dlq[0].Headers[0].Key != "trace" {
		t.Errorf("dead letter 0 does not carry the original bytes and headers: key %q value %q headers %v", dlq[0].Key, dlq[0].Value, dlq[0].Headers)
	}
	if got := s.byKey["k"]; len(got) != 2 || got[0] != 0 || got[1] != 3 {
		t.Fatalf("good records processed: %v, want [0 3]", got)
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if got := committed(t, c, c.name("poison"), in.Name); got[0] != 5 {
		t.Fatalf("committed offset %d, want 5 (past the dead-lettered records)", got[0])
	}
}

func TestSkipPolicyLogsAndMovesOn(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	in, out := viewTopic(c.name("skip-in"), 1), countTopic(c.name("skip-out"), 1)
	s := newSeen()
	r := start(t, cfg, AppSpec{ID: c.name("skip"), Topics: []AnyTopic{in, out}, Agents: []AnyAgent{relay("relay", in, out, s, Skip)}})
	raw := rawClient(t, c)
	ctx := context.Background()
	if err := raw.ProduceSync(ctx, &kgo.Record{Topic: in.Name, Key: []byte{0, 0, 0, 0, 99, 2, 'k'}, Value: []byte{1}}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if _, err := ProducerOf(r.app, in).SendSync(ctx, "k", view{Seq: 7}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the good record processed", func() bool { return s.n.Load() == 1 })
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if got := committed(t, c, c.name("skip"), in.Name); got[0] != 2 {
		t.Fatalf("committed offset %d, want 2", got[0])
	}
}

func TestFailPolicyStopsTheAppNamingTheRecord(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	in, out := viewTopic(c.name("fail-in"), 1), countTopic(c.name("fail-out"), 1)
	s := newSeen()
	a := relay("relay", in, out, s, Fail)
	inner := a.Process
	a.Process = func(t *Task, k string, v view) error {
		if v.Seq == 2 {
			return errors.New("cannot handle seq 2")
		}
		return inner(t, k, v)
	}
	r := start(t, cfg, AppSpec{ID: c.name("fail"), Topics: []AnyTopic{in, out}, Agents: []AnyAgent{a}})
	produceViews(t, r, in, []string{"k"}, 4)
	var err error
	select {
	case err = <-r.errc:
		r.once.Do(func() { r.err = err })
	case <-time.After(20 * time.Second):
		t.Fatal("the app did not stop on a failing record")
	}
	var rerr *runtime.RecordError
	if !errors.As(err, &rerr) || rerr.Record.Offset != 2 || rerr.Record.Topic != in.Name {
		t.Fatalf("Run returned %v, want a *RecordError for %s[0]@2", err, in.Name)
	}
	if want := "agent relay: " + in.Name + "[0]@2: cannot handle seq 2"; err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
	if got := s.byKey["k"]; len(got) != 2 {
		t.Fatalf("processed %v; records after the failing one must not be processed", got)
	}
	if got := committed(t, c, c.name("fail"), in.Name); got[0] != 2 {
		t.Fatalf("committed offset %d, want 2 (up to the failing record, not past it)", got[0])
	}
}

func TestWrongPartitionCountStopsTheStart(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	start(t, cfg, AppSpec{ID: c.name("first"), Topics: []AnyTopic{viewTopic(c.name("resized"), 3)}}).stop(t)

	a, err := NewApp(cfg, AppSpec{ID: c.name("second"), Topics: []AnyTopic{viewTopic(c.name("resized"), 6)}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = a.Run(ctx)
	var pm *transport.PartitionMismatchError
	if !errors.As(err, &pm) || pm.Topic != c.name("resized") || pm.Declared != 6 || pm.Actual != 3 {
		t.Fatalf("Run returned %v, want a partition mismatch for resized (declared 6, actual 3)", err)
	}
	if !strings.Contains(err.Error(), "topic "+c.name("resized")+" has 3 partitions but the topology declares 6") {
		t.Fatalf("message %q does not name the topic and both counts", err)
	}
}

func TestMissingTopicsAreCreatedAsDeclared(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	in := viewTopic(c.name("declared"), 5)
	in.Config = map[string]string{"retention.ms": "3600000"}
	r := start(t, cfg, AppSpec{ID: c.name("creator"), Topics: []AnyTopic{in}})
	if _, err := ProducerOf(r.app, in).SendSync(context.Background(), "k", view{}); err != nil {
		t.Fatal(err)
	}
	md, err := kmsg.NewPtrMetadataRequest().RequestWith(context.Background(), rawClient(t, c))
	if err != nil {
		t.Fatal(err)
	}
	for _, tp := range md.Topics {
		if tp.Topic != nil && *tp.Topic == in.Name && len(tp.Partitions) != 5 {
			t.Fatalf("created with %d partitions, want 5", len(tp.Partitions))
		}
	}
}

func TestTablesAreCheckedAtNewApp(t *testing.T) {
	in, out := viewTopic("t-in", 1), viewTopic("t-out", 1)
	pages := &Topic[string, int64]{TopicSpec: TopicSpec{Name: "pages", Partitions: 3}, Key: tString, Value: tLong}
	windowed := &TableDef[string, int64]{TableSpec: TableSpec{Name: "views_per_page", Partitions: 1, Window: &WindowSpec{Tumbling: time.Hour}}, Key: tString, Value: tLong}
	global := &TableDef[string, int64]{TableSpec: TableSpec{Name: "pages", Partitions: 1, Global: true}, Key: tString, Value: tLong}
	sourced := &TableDef[string, int64]{TableSpec: TableSpec{Name: "page_info", Partitions: 3}, Key: tString, Value: tLong, Source: pages}
	plain := &TableDef[string, int64]{TableSpec: TableSpec{Name: "totals", Partitions: 1}, Key: tString, Value: tLong}
	wide := &TableDef[string, int64]{TableSpec: TableSpec{Name: "wide", Partitions: 4}, Key: tString, Value: tLong}
	tables := []AnyTable{windowed, global, sourced, plain, wide}
	stateful := &Agent[string, view]{Name: "count", Source: in, Tables: []AnyTable{sourced}, Lookups: []AnyTable{windowed, global},
		Process: func(*Task, string, view) error { return nil }}
	stateless := &Agent[string, view]{Name: "relay", Source: in, Sinks: []AnyTopic{out},
		Process: func(*Task, string, view) error { return nil }}
	_, err := NewApp(runtime.Config{Embedded: true}, AppSpec{
		ID: "tables", Topics: []AnyTopic{in, out, pages}, Tables: tables, Agents: []AnyAgent{stateful, stateless},
	})
	for _, want := range []string{
		"agent count: the windowed table views_per_page is in its lookups",
		"agent count: global table pages has no source topic",
		"agent count: table page_info is sourced from topic pages and is read-only",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("NewApp: %v\nwant it to say %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "relay") {
		t.Errorf("NewApp: %v, names the stateless agent", err)
	}
	lookup := &Agent[string, view]{Name: "lookup", Source: in, Lookups: []AnyTable{sourced}, Process: func(*Task, string, view) error { return nil }}
	_, err = NewApp(runtime.Config{Embedded: true}, AppSpec{ID: "tables", Topics: []AnyTopic{in, pages}, Tables: tables, Agents: []AnyAgent{lookup}})
	if err == nil || !strings.Contains(err.Error(), "table page_info is sourced from topic pages, which has 3 partitions, but the agent's source topic t-in has 1") {
		t.Errorf("NewApp with a sourced table partitioned unlike the source: %v", err)
	}
	// Declared tables that no running agent uses are fine: the stateful
	// agent is not run by this instance.
	var none *Agent[string, view]
	if _, err := NewApp(runtime.Config{Embedded: true}, AppSpec{
		ID: "tables", Topics: []AnyTopic{in, out}, Tables: tables, Agents: []AnyAgent{none, stateless},
	}); err != nil {
		t.Fatalf("NewApp with declared but unused tables: %v", err)
	}
	counter := &Agent[string, view]{Name: "total", Source: in, Tables: []AnyTable{plain}, Process: func(*Task, string, view) error { return nil }}
	if _, err := NewApp(runtime.Config{Embedded: true}, AppSpec{ID: "tables", Topics: []AnyTopic{in}, Tables: tables, Agents: []AnyAgent{counter}}); err != nil {
		t.Fatalf("NewApp with a plain table: %v", err)
	}
	misfit := &Agent[string, view]{Name: "misfit", Source: in, Tables: []AnyTable{wide}, Process: func(*Task, string, view) error { return nil }}
	_, err = NewApp(runtime.Config{Embedded: true}, AppSpec{ID: "tables", Topics: []AnyTopic{in}, Tables: tables, Agents: []AnyAgent{misfit}})
	if err == nil || !strings.Contains(err.Error(), "table wide has 4 partitions but its source topic t-in has 1") {
		t.Fatalf("NewApp with a table partitioned unlike its source: %v", err)
	}
	if _, err = NewApp(runtime.Config{Embedded: true}, AppSpec{ID: "eos", Guarantee: ExactlyOnce}); err != nil {
		t.Fatalf("NewApp with exactly_once: %v", err)
	}
	_, err = NewApp(runtime.Config{Embedded: true}, AppSpec{ID: "odd", Guarantee: Guarantee(7)})
	if err == nil || !strings.Contains(err.Error(), "unknown guarantee") {
		t.Fatalf("NewApp with guarantee 7: %v, want it refused", err)
	}
	_, err = NewApp(runtime.Config{}, AppSpec{ID: "noconf"})
	if err == nil || !strings.Contains(err.Error(), "no brokers") || !strings.Contains(err.Error(), "no schema registry URL") {
		t.Fatalf("NewApp with an empty config: %v", err)
	}
}

func TestSinkOfATopicNotGrantedFails(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	in, out, other := viewTopic(c.name("grant-in"), 1), countTopic(c.name("grant-out"), 1), countTopic(c.name("grant-other"), 1)
	errc := make(chan error, 1)
	agent := &Agent[string, view]{
		Name: "relay", Source: in, Sinks: []AnyTopic{out}, OnError: Skip,
		Process: func(t *Task, k string, v view) error {
			errc <- SinkOf(t, other).Send(k, 1)
			return nil
		},
	}
	r := start(t, cfg, AppSpec{ID: c.name("grant"), Topics: []AnyTopic{in, out, other}, Agents: []AnyAgent{agent}})
	if _, err := ProducerOf(r.app, in).SendSync(context.Background(), "k", view{}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if err == nil || !strings.Contains(err.Error(), "agent relay may not send to topic grant-other") {
			t.Fatalf("Send to an ungranted topic: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("record not processed")
	}
}

// TestSinkKeptPastItsRecordRefuses keeps the Sink of one record and sends
// with it while processing later ones: the runtime recycles Tasks and
// their sinks, and the stale Sink must refuse instead of sending on behalf
// of another record until SinkOf hands it out again for that record.
func TestSinkKeptPastItsRecordRefuses(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	in, out := viewTopic(c.name("stale-in"), 1), viewTopic(c.name("stale-out"), 1)
	const n = 50
	errc := make(chan error, n)
	var kept runtime.Sink[string, view]
	agent := &Agent[string, view]{
		Name: "relay", Source: in, Sinks: []AnyTopic{out},
		Process: func(t *Task, k string, v view) error {
			if kept != nil {
				errc <- kept.Send(k, v) // the previous record's sink
			}
			s := SinkOf(t, out)
			kept = s
			return s.Send(k, v)
		},
	}
	r := start(t, cfg, AppSpec{ID: c.name("stale"), Topics: []AnyTopic{in, out}, Agents: []AnyAgent{agent}})
	for i := range n {
		if _, err := ProducerOf(r.app, in).SendSync(context.Background(), "k", view{Seq: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	for range n - 1 {
		select {
		case err := <-errc:
			if err == nil || !strings.Contains(err.Error(), "used after the processing it was made for returned") {
				t.Fatalf("Send with a stale sink: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("records not processed")
		}
	}
	got := readN(t, c, out.Name, n)
	for i, rec := range got {
		v, err := decodeFrame(context.Background(), r.app.reg, &tView, r.app.ids[out.Name].value, rec.Value)
		if err != nil || v.Seq != int64(i) {
			t.Fatalf("output %d: seq %d, %v; want exactly one output per input, in order", i, v.Seq, err)
		}
	}
}

func TestRegistryRefusalStopsTheStartNamingTheSubject(t *testing.T) {
	refuse := embedded.Options{Registry: refusingRegistry{}}
	ec, err := embedded.Start(context.Background(), refuse)
	if err != nil {
		t.Fatal(err)
	}
	defer ec.Close()
	c := &env{brokers: ec.Brokers(), registry: ec.RegistryURL()}
	a, err := NewApp(testConfig(t, c), AppSpec{ID: c.name("refused"), Topics: []AnyTopic{viewTopic(c.name("refused-in"), 1)}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = a.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "subject refused-in-value") || !strings.Contains(err.Error(), "incompatible with an earlier schema") {
		t.Fatalf("Run: %v, want the subject and the registry's reason", err)
	}
}

func TestSignalContextIsCanceledBySIGTERM(t *testing.T) {
	ctx, stop := runtime.SignalContext(context.Background())
	defer stop()
	if err := syscallKill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("context not canceled by SIGTERM")
	}
}

// A member that joins mid-stream takes partitions from a busy one: the
// busy member finishes its record in progress, waits for its sends and
// commits before giving each partition up, so the newcomer starts exactly
// where it stopped. Periodic commits are off (a 1h interval): only the
// revoke's commit can make the hand-over exact.
func TestRevokedPartitionsAreCommittedBeforeHandOver(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	cfg.CommitInterval = time.Hour
	in, out := viewTopic(c.name("handover-in"), 4), countTopic(c.name("handover-out"), 4)
	producer := start(t, cfg, AppSpec{ID: c.name("handover-producer"), Topics: []AnyTopic{in, out}})
	const n = 400
	produceViews(t, producer, in, keysN(16), n)

	slow := func(s *seen) *Agent[string, view] {
		a := relay("relay", in, out, s, Fail)
		inner := a.Process
		a.Process = func(t *Task, k string, v view) error {
			time.Sleep(2 * time.Millisecond)
			return inner(t, k, v)
		}
		return a
	}
	spec := func(s *seen) AppSpec {
		return AppSpec{ID: c.name("handover"), Topics: []AnyTopic{in, out}, Agents: []AnyAgent{slow(s)}}
	}
	a, b := newSeen(), newSeen()
	start(t, cfg, spec(a))
	eventually(t, "the first member is busy", func() bool { return a.n.Load() >= 50 })
	start(t, cfg, spec(b))
	eventually(t, "every record processed", func() bool {
		all := newSeen()
		for _, s := range []*seen{a, b} {
			s.mu.Lock()
			for k, seqs := range s.byKey {
				for _, q := range seqs {
					all.add(k, q)
				}
			}
			s.mu.Unlock()
		}
		return all.distinct() >= n
	})
	if b.n.Load() == 0 {
		t.Fatal("the second member processed nothing: no partition was handed over")
	}
	if dup := a.n.Load() + b.n.Load() - n; dup != 0 {
		t.Fatalf("%d records processed twice across the hand-over (first member %d, second %d of %d)", dup, a.n.Load(), b.n.Load(), n)
	}
}
