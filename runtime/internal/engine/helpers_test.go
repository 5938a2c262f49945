package engine

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faustgen/faustgen/runtime"
	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Test-local codecs, so these tests do not depend on the generator.
var (
	tString = runtime.Codec[string]{
		Type: "string", Schema: `"string"`,
		Encode: func(w *avro.Writer, v *string) { w.WriteString(*v) },
		Decode: func(r *avro.Reader, v *string) { *v = r.ReadString() },
	}
	tLong = runtime.Codec[int64]{
		Type: "long", Schema: `"long"`,
		Encode: func(w *avro.Writer, v *int64) { w.WriteLong(*v) },
		Decode: func(r *avro.Reader, v *int64) { *v = r.ReadLong() },
	}
)

// view is a hand-written stand-in for a generated record type.
type view struct {
	Page string
	User string
	Seq  int64
}

var tView = runtime.Codec[view]{
	Type:   "test.View",
	Schema: `{"type":"record","name":"View","namespace":"test","fields":[{"name":"page","type":"string"},{"name":"user","type":"string"},{"name":"seq","type":"long"}]}`,
	Encode: func(w *avro.Writer, v *view) {
		w.WriteString(v.Page)
		w.WriteString(v.User)
		w.WriteLong(v.Seq)
	},
	Decode: func(r *avro.Reader, v *view) {
		v.Page = r.ReadString()
		v.User = r.ReadString()
		v.Seq = r.ReadLong()
	},
}

func viewTopic(name string, partitions int32) *Topic[string, view] {
	return &Topic[string, view]{TopicSpec: TopicSpec{Name: name, Partitions: partitions}, Key: tString, Value: tView}
}

func countTopic(name string, partitions int32) *Topic[string, int64] {
	return &Topic[string, int64]{TopicSpec: TopicSpec{Name: name, Partitions: partitions}, Key: tString, Value: tLong}
}

// env is where a test runs: an embedded cluster, or the real services
// under the integration build tag (see newEnv).
type env struct {
	brokers  []string
	registry string
	kafka    *kfake.Cluster // nil on the real services
	suffix   string         // appended to topic and group names
}

func (e *env) Brokers() []string { return e.brokers }

func (e *env) RegistryURL() string { return e.registry }

// Kafka returns the kfake cluster for fault injection, nil on the real
// services.
func (e *env) Kafka() *kfake.Cluster { return e.kafka }

// name makes a topic or group name unique to this run.
func (e *env) name(base string) string { return base + e.suffix }

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("FAUSTGEN_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func testConfig(t testing.TB, c *env) runtime.Config {
	return runtime.Config{
		Brokers:         c.Brokers(),
		RegistryURL:     c.RegistryURL(),
		CommitInterval:  50 * time.Millisecond,
		ShutdownTimeout: 10 * time.Second,
		Logger:          testLogger(t),
	}
}

// running is an App running in the background.
type running struct {
	app    *App
	cancel context.CancelFunc
	errc   chan error
	err    error
	once   sync.Once
}

// start runs an App built from cfg and spec and waits until it has started.
func start(t testing.TB, cfg runtime.Config, spec AppSpec) *running {
	t.Helper()
	a, err := NewApp(cfg, spec)
	if err != nil {
		t.Fatal(err)
	}
	a.testOpts = []kgo.Opt{kgo.HeartbeatInterval(100 * time.Millisecond), kgo.FetchMaxWait(100 * time.Millisecond)}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{app: a, cancel: cancel, errc: make(chan error, 1)}
	go func() { r.errc <- a.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	select {
	case <-a.Started():
		if a.startErr != nil {
			t.Fatal(a.startErr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("app did not start within 20s")
	}
	return r
}

// stop cancels the App and returns Run's error.
func (r *running) stop(t testing.TB) error {
	r.once.Do(func() {
		r.cancel()
		select {
		case r.err = <-r.errc:
		case <-time.After(30 * time.Second):
			r.err = errors.New("app did not stop within 30s")
			t.Error(r.err)
		}
	})
	return r.err
}

// rawClient is a plain kgo client on the cluster.
func rawClient(t testing.TB, c *env, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.Brokers()...)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// readN reads n records from topic from the start, failing after timeout.
func readN(t testing.TB, c *env, topic string, n int) []*kgo.Record {
	t.Helper()
	cl := rawClient(t, c, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d records from %s before the timeout", len(out), n, topic)
		}
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r) })
	}
	return out
}

// committed returns the group's committed offsets of topic by partition.
func committed(t testing.TB, c *env, group, topic string) map[int32]int64 {
	t.Helper()
	adm := kadm.NewClient(rawClient(t, c))
	resp, err := adm.FetchOffsetsForTopics(context.Background(), group, topic)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	resp.Each(func(o kadm.OffsetResponse) {
		if o.Err == nil && o.At >= 0 {
			out[o.Partition] = o.At
		}
	})
	return out
}

// eventually polls cond until it holds, failing with what after 20s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	eventuallyWithin(t, 20*time.Second, what, cond)
}

// eventually30s is eventually with a 30 s limit, for slow agents.
func eventually30s(t testing.TB, what string, cond func() bool) {
	t.Helper()
	eventuallyWithin(t, 30*time.Second, what, cond)
}

// eventuallyWithin polls cond until it holds, failing with what after d.
func eventuallyWithin(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// produceViews sends n views, keys cycling over keys, with Seq counting
// per key from 0, and waits for all of them.
func produceViews(t testing.TB, r *running, topic *Topic[string, view], keys []string, n int) {
	t.Helper()
	p := ProducerOf(r.app, topic)
	seq := map[string]int64{}
	awaitSends(t, n, func(ctx context.Context, i int, done func(runtime.RecordMeta, error)) {
		k := keys[i%len(keys)]
		v := view{Page: "/p/" + k, User: "u", Seq: seq[k]}
		seq[k]++
		p.Send(ctx, k, v, done)
	})
}

// awaitSends calls send n times (send passes done to a Producer's Send)
// and waits for every acknowledgement, failing on any error.
func awaitSends(t testing.TB, n int, send func(ctx context.Context, i int, done func(runtime.RecordMeta, error))) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for i := range n {
		wg.Add(1)
		send(ctx, i, func(_ runtime.RecordMeta, err error) {
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
			wg.Done()
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

// stringLong decodes a framed string key and long value.
func stringLong(t testing.TB, rec *kgo.Record) (string, int64) {
	t.Helper()
	var k string
	var v int64
	if err := tString.Unmarshal(rec.Key[frameHeader:], &k); err != nil {
		t.Fatal(err)
	}
	if err := tLong.Unmarshal(rec.Value[frameHeader:], &v); err != nil {
		t.Fatal(err)
	}
	return k, v
}

func keysN(n int) []string {
	ks := make([]string, n)
	for i := range ks {
		ks[i] = "k" + strings.Repeat("x", i%3) + string(rune('a'+i))
	}
	return ks
}

// membersWithPartitions returns how many members of group own partitions.
func membersWithPartitions(t testing.TB, c *env, group string) int {
	t.Helper()
	adm := kadm.NewClient(rawClient(t, c))
	described, err := adm.DescribeGroups(context.Background(), group)
	if err != nil {
		return 0
	}
	n := 0
	for _, g := range described {
		if g.State != "Stable" {
			return 0
		}
		for _, m := range g.Members {
			if a, ok := m.Assigned.AsConsumer(); ok && len(a.Topics) > 0 {
				n++
			}
		}
	}
	return n
}
