package runtime_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faustgen/faustgen/examples/generated/orders"
	"github.com/faustgen/faustgen/examples/generated/pageviews"
	"github.com/faustgen/faustgen/runtime"
	"github.com/faustgen/faustgen/runtime/genapi"
	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
)

// services are a Kafka cluster and a schema registry to test against.
type services struct {
	brokers  []string
	registry string
	suffix   string // appended to topic, group and subject names
}

func (s services) name(base string) string { return base + s.suffix }

func (s services) config() runtime.Config {
	return runtime.Config{
		Brokers: s.brokers, RegistryURL: s.registry,
		CommitInterval: 50 * time.Millisecond, ShutdownTimeout: 10 * time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

func (s services) kafka(t testing.TB, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(s.brokers...), kgo.FetchMaxWait(100 * time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// register registers schema as the first version of a fresh subject (a
// writer version some other producer uses; a first version is never
// checked) and returns its id.
func (s services) register(t testing.TB, subject, schema string) int {
	t.Helper()
	cl, err := sr.NewClient(sr.URLs(s.registry))
	if err != nil {
		t.Fatal(err)
	}
	ss, err := cl.CreateSchema(context.Background(), subject, sr.Schema{Schema: schema, Type: sr.TypeAvro})
	if err != nil {
		t.Fatalf("register %s: %v", subject, err)
	}
	return ss.ID
}

// frame is the Confluent framing of an Avro body.
func frame(id int, body []byte) []byte {
	b := []byte{0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], uint32(id))
	return append(b, body...)
}

// encodeWith encodes a generic value with a schema parsed in a fresh cache
// (writer versions share names).
func encodeWith(t testing.TB, schema string, v any) []byte {
	t.Helper()
	s, err := avro.ParseWithCache(schema, "", &avro.SchemaCache{})
	if err != nil {
		t.Fatalf("parse writer schema: %v", err)
	}
	b, err := avro.Marshal(s, v)
	if err != nil {
		t.Fatalf("encode with writer schema: %v", err)
	}
	return b
}

// collector records what an agent decoded, by key.
type collector[V any] struct {
	mu  sync.Mutex
	got map[string]V
}

func (c *collector[V]) add(k string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.got == nil {
		c.got = map[string]V{}
	}
	c.got[k] = v
}

func (c *collector[V]) get(k string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.got[k]
	return v, ok
}

// runApp runs an App in the background until the test ends; it returns a
// channel with Run's result.
func runApp(t testing.TB, cfg runtime.Config, spec genapi.AppSpec) (*genapi.App, <-chan error) {
	t.Helper()
	app, err := genapi.NewApp(cfg, spec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- app.Run(ctx) }()
	done := make(chan error, 1)
	stopped := false
	var mu sync.Mutex
	go func() {
		err := <-errc
		mu.Lock()
		stopped = true
		mu.Unlock()
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		mu.Lock()
		s := stopped
		mu.Unlock()
		if !s {
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Error("app did not stop within 30s")
			}
		}
	})
	select {
	case <-app.Started():
	case <-time.After(30 * time.Second):
		t.Fatal("app did not start within 30s")
	}
	return app, done
}

// produce sends records and waits for them.
func produce(t testing.TB, cl *kgo.Client, recs ...*kgo.Record) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// consume reads n records of topic from the start.
func consume(t testing.TB, s services, topic string, n int) []*kgo.Record {
	t.Helper()
	cl := s.kafka(t, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
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

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
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

// pageViewWith returns the PageView schema with its fields replaced.
func pageViewWith(fields string) string {
	return `{"type":"record","name":"PageView","namespace":"com.example.pageviews","fields":[` + fields + `]}`
}

const (
	fPage     = `{"name":"page","type":"string"}`
	fUser     = `{"name":"user_id","type":"string"}`
	fViewedAt = `{"name":"viewed_at","type":{"type":"long","logicalType":"timestamp-millis"}}`
	fReferrer = `{"name":"referrer","type":["null","string"],"default":null}`
	fDuration = `{"name":"duration_ms","type":"long","default":0}`
	fDevice   = `{"name":"device","type":{"type":"enum","name":"Device","symbols":["DESKTOP","MOBILE","TABLET","UNKNOWN"],"default":"UNKNOWN"},"default":"UNKNOWN"}`
)

// TestRecordsOfOlderAndNewerSchemasAreReadAsTheGeneratedType produces
// records written with other versions of a topic's value schema, as other
// producers would, and checks that agents receive them as the generated
// reader types with the values the Avro resolution rules give; an
// unresolvable writer schema goes to the dead-letter topic.
func TestRecordsOfOlderAndNewerSchemasAreReadAsTheGeneratedType(t *testing.T) {
	s := newServices(t)
	views := &genapi.Topic[string, pageviews.PageView]{TopicSpec: genapi.TopicSpec{Name: s.name("evo-views"), Partitions: 2}, Key: runtime.StringCodec, Value: pageviews.PageViewCodec}
	customers := &genapi.Topic[string, orders.Customer]{TopicSpec: genapi.TopicSpec{Name: s.name("evo-customers"), Partitions: 1}, Key: runtime.StringCodec, Value: orders.CustomerCodec}
	var gotViews collector[pageviews.PageView]
	var gotCustomers collector[orders.Customer]
	appID := s.name("evo")
	spec := genapi.AppSpec{
		ID: appID, Subjects: genapi.TopicSubjects, Compatibility: "BACKWARD",
		Topics: []genapi.AnyTopic{views, customers},
		Agents: []genapi.AnyAgent{
			&genapi.Agent[string, pageviews.PageView]{Name: "views", Source: views, OnError: genapi.DeadLetter,
				Process: func(_ *genapi.Task, k string, v pageviews.PageView) error { gotViews.add(k, v); return nil }},
			&genapi.Agent[string, orders.Customer]{Name: "customers", Source: customers, OnError: genapi.DeadLetter,
				Process: func(_ *genapi.Task, k string, v orders.Customer) error { gotCustomers.add(k, v); return nil }},
		},
	}
	_, _ = runApp(t, s.config(), spec)
	keyID := s.register(t, s.name("evo-keys"), `"string"`)
	key := func(k string) []byte { return frame(keyID, append(zig(int64(len(k))), k...)) }

	at := time.UnixMilli(1_700_000_000_123).UTC()
	base := map[string]any{"page": "/p", "user_id": "u", "viewed_at": at}
	with := func(extra map[string]any) map[string]any {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	ref := "https://example.com/"
	cases := []struct {
		key, schema string
		value       map[string]any
		want        pageviews.PageView
	}{
		{"added-with-default", pageViewWith(strings.Join([]string{fPage, fUser, fViewedAt, fReferrer}, ",")),
			with(map[string]any{"referrer": ref}),
			pageviews.PageView{Page: "/p", UserID: "u", ViewedAt: at, Referrer: &ref, DurationMs: 0, Device: pageviews.DeviceUnknown}},
		{"removed-in-reader", pageViewWith(strings.Join([]string{fPage, `{"name":"session","type":{"type":"array","items":"string"}}`, fUser, fViewedAt, fReferrer, fDuration, fDevice}, ",")),
			with(map[string]any{"session": []any{"a", "b"}, "referrer": nil, "duration_ms": int64(1500), "device": "MOBILE"}),
			pageviews.PageView{Page: "/p", UserID: "u", ViewedAt: at, DurationMs: 1500, Device: pageviews.DeviceMobile}},
		{"int-to-long", pageViewWith(strings.Join([]string{fPage, fUser, fViewedAt, fReferrer, `{"name":"duration_ms","type":"int"}`, fDevice}, ",")),
			with(map[string]any{"referrer": nil, "duration_ms": 2_000_000_000, "device": "TABLET"}),
			pageviews.PageView{Page: "/p", UserID: "u", ViewedAt: at, DurationMs: 2_000_000_000, Device: pageviews.DeviceTablet}},
		{"unknown-enum-symbol", pageViewWith(strings.Join([]string{fPage, fUser, fViewedAt, fReferrer, fDuration, `{"name":"device","type":{"type":"enum","name":"Device","symbols":["WATCH","DESKTOP","MOBILE","TABLET","UNKNOWN"]}}`}, ",")),
			with(map[string]any{"referrer": nil, "duration_ms": int64(7), "device": "WATCH"}),
			pageviews.PageView{Page: "/p", UserID: "u", ViewedAt: at, DurationMs: 7, Device: pageviews.DeviceUnknown}},
		{"known-enum-symbol-moved", pageViewWith(strings.Join([]string{fPage, fUser, fViewedAt, fReferrer, fDuration, `{"name":"device","type":{"type":"enum","name":"Device","symbols":["WATCH","DESKTOP","MOBILE","TABLET","UNKNOWN"]}}`}, ",")),
			with(map[string]any{"referrer": nil, "duration_ms": int64(8), "device": "DESKTOP"}),
			pageviews.PageView{Page: "/p", UserID: "u", ViewedAt: at, DurationMs: 8, Device: pageviews.DeviceDesktop}},
		{"union-reordered", pageViewWith(strings.Join([]string{fPage, fUser, fViewedAt, `{"name":"referrer","type":["string","null"]}`, fDuration, fDevice}, ",")),
			with(map[string]any{"referrer": ref, "duration_ms": int64(9), "device": "DESKTOP"}),
			pageviews.PageView{Page: "/p", UserID: "u", ViewedAt: at, Referrer: &ref, DurationMs: 9, Device: pageviews.DeviceDesktop}},
		{"fields-reordered", pageViewWith(strings.Join([]string{fDevice, fDuration, fReferrer, fViewedAt, fUser, fPage}, ",")),
			with(map[string]any{"referrer": ref, "duration_ms": int64(10), "device": "MOBILE"}),
			pageviews.PageView{Page: "/p", UserID: "u", ViewedAt: at, Referrer: &ref, DurationMs: 10, Device: pageviews.DeviceMobile}},
	}
	cl := s.kafka(t)
	var recs []*kgo.Record
	for i, c := range cases {
		id := s.register(t, s.name(fmt.Sprintf("evo-writer-%d", i)), c.schema)
		recs = append(recs, &kgo.Record{Topic: views.Name, Key: key(c.key), Value: frame(id, encodeWith(t, c.schema, c.value))})
	}
	// An unresolvable writer: page became an int.
	badSchema := pageViewWith(strings.Join([]string{`{"name":"page","type":"int"}`, fUser, fViewedAt}, ","))
	badID := s.register(t, s.name("evo-writer-bad"), badSchema)
	recs = append(recs, &kgo.Record{Topic: views.Name, Key: key("unresolvable"), Value: frame(badID, encodeWith(t, badSchema, map[string]any{"page": 3, "user_id": "u", "viewed_at": at}))})

	// A nested record change: Customer written with Address's fields
	// reordered and without "country" (reader default "NL"), a tier symbol
	// the reader lacks (reader enum default STANDARD), and no "email" (reader
	// default null).
	oldCustomer := `{"type":"record","name":"Customer","namespace":"com.example.orders","fields":[
		{"name":"id","type":{"type":"string","logicalType":"uuid"}},
		{"name":"name","type":"string"},
		{"name":"tier","type":{"type":"enum","name":"Tier","symbols":["STANDARD","GOLD","PLATINUM","DIAMOND"]}},
		{"name":"shipping","type":{"type":"record","name":"Address","fields":[
			{"name":"postcode","type":"string"},{"name":"city","type":"string"},{"name":"street","type":"string"}]}},
		{"name":"since","type":{"type":"int","logicalType":"date"}}]}`
	custID := s.register(t, s.name("evo-writer-customer"), oldCustomer)
	since := time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)
	recs = append(recs, &kgo.Record{Topic: customers.Name, Key: key("c1"), Value: frame(custID, encodeWith(t, oldCustomer, map[string]any{
		"id": "6f1c1b2e-0000-4000-8000-000000000001", "name": "Ada", "tier": "DIAMOND",
		"shipping": map[string]any{"postcode": "1011", "city": "Amsterdam", "street": "Dam 1"}, "since": since,
	}))})
	produce(t, cl, recs...)

	for _, c := range cases {
		waitFor(t, "record "+c.key, func() bool { _, ok := gotViews.get(c.key); return ok })
		got, _ := gotViews.get(c.key)
		if !got.ViewedAt.Equal(c.want.ViewedAt) || got.Page != c.want.Page || got.UserID != c.want.UserID ||
			!ptrEq(got.Referrer, c.want.Referrer) || got.DurationMs != c.want.DurationMs || got.Device != c.want.Device {
			t.Errorf("%s: got %+v, want %+v", c.key, got, c.want)
		}
	}
	waitFor(t, "the customer", func() bool { _, ok := gotCustomers.get("c1"); return ok })
	cust, _ := gotCustomers.get("c1")
	wantAddr := orders.Address{Street: "Dam 1", City: "Amsterdam", Postcode: "1011", Country: "NL"}
	if cust.Name != "Ada" || cust.Email != nil || cust.Tier != orders.TierStandard || cust.Shipping != wantAddr || !cust.Since.Equal(since) {
		t.Errorf("customer: got %+v", cust)
	}

	dead := consume(t, s, appID+"-views-dlq", 1)[0]
	msg := header(dead, runtime.HeaderDLQError)
	for _, want := range []string{
		fmt.Sprintf("decode value of %s[", views.Name),
		fmt.Sprintf("written with schema id %d, which this build's com.example.pageviews.PageView", badID),
		"type-mismatch: PageView.page: writer int cannot be read as string",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("dead letter error %q lacks %q", msg, want)
		}
	}
	if string(dead.Key) != string(key("unresolvable")) || header(dead, runtime.HeaderDLQTopic) != views.Name || header(dead, runtime.HeaderDLQOffset) == "" {
		t.Errorf("dead letter: key %q, headers %v", dead.Key, dead.Headers)
	}
	if _, ok := gotViews.get("unresolvable"); ok {
		t.Error("the unresolvable record reached the agent")
	}
}

func ptrEq(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func zig(v int64) []byte {
	return binary.AppendVarint(nil, v) // Avro's zigzag varint
}

// TestBadFramesReachOnErrorAsTypedErrors runs an agent with on_error fail
// on each kind of bad frame: Run returns the record's error, and it is the
// typed error (errors.As / errors.Is) naming the record.
func TestBadFramesReachOnErrorAsTypedErrors(t *testing.T) {
	s := newServices(t)
	cl := s.kafka(t)
	keyID := s.register(t, s.name("bad-keys"), `"string"`)
	good := frame(keyID, []byte{2, 'k'})
	cases := []struct {
		name  string
		value func(viewID int) []byte
		check func(error) bool
		msg   string
	}{
		{"bad magic", func(int) []byte { return []byte(`{"page":"/"}`) },
			func(err error) bool { return errors.Is(err, runtime.ErrBadMagic) }, "bad magic byte 0x7b"},
		{"short frame", func(int) []byte { return []byte{0, 0, 1} },
			func(err error) bool { return errors.Is(err, runtime.ErrShortFrame) }, "short frame"},
		{"unknown id", func(int) []byte { return frame(1<<30, []byte{2, 'x'}) },
			func(err error) bool {
				var u *runtime.UnknownSchemaIDError
				return errors.As(err, &u) && u.ID == 1<<30
			}, fmt.Sprintf("unknown schema id %d", 1<<30)},
		{"corrupt body", func(id int) []byte { return frame(id, []byte{0x7f}) },
			func(err error) bool { return errors.Is(err, runtime.ErrCorruptBody) }, "corrupt Avro body: com.example.pageviews.PageView"},
		{"corrupt body of an older writer", func(int) []byte {
			id := s.register(t, s.name("bad-older"), pageViewWith(strings.Join([]string{fPage, fUser, fViewedAt}, ",")))
			return frame(id, []byte{2, '/', 0x7f})
		}, func(err error) bool { return errors.Is(err, runtime.ErrCorruptBody) }, "corrupt Avro body: com.example.pageviews.PageView from schema id"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			topic := &genapi.Topic[string, pageviews.PageView]{TopicSpec: genapi.TopicSpec{Name: s.name("bad-" + strconv.Itoa(i)), Partitions: 1}, Key: runtime.StringCodec, Value: pageviews.PageViewCodec}
			var processed collector[pageviews.PageView]
			_, done := runApp(t, s.config(), genapi.AppSpec{ID: s.name("bad-app-" + strconv.Itoa(i)), Topics: []genapi.AnyTopic{topic},
				Agents: []genapi.AnyAgent{&genapi.Agent[string, pageviews.PageView]{Name: "a", Source: topic, OnError: genapi.Fail,
					Process: func(_ *genapi.Task, k string, v pageviews.PageView) error { processed.add(k, v); return nil }}}})
			viewID := s.register(t, topic.Name+"-value", pageviews.PageViewCodec.FullSchema())
			produce(t, cl, &kgo.Record{Topic: topic.Name, Key: good, Value: c.value(viewID)})
			var err error
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("the app did not stop on the bad record")
			}
			var de *runtime.DecodeError
			var re *runtime.RecordError
			if !errors.As(err, &re) || !errors.As(err, &de) || de.Part != "value" || de.Record.Topic != topic.Name || de.Record.Offset != 0 {
				t.Fatalf("Run returned %v, want a RecordError wrapping a DecodeError of the value at %s[0]@0", err, topic.Name)
			}
			if !c.check(err) {
				t.Fatalf("%v is not the typed error of %s", err, c.name)
			}
			if !strings.Contains(err.Error(), c.msg) || !strings.Contains(err.Error(), topic.Name+"[0]@0") {
				t.Fatalf("message %q lacks %q or the record's coordinates", err, c.msg)
			}
			if len(processed.got) != 0 {
				t.Fatal("the agent processed the bad record")
			}
		})
	}
}
