package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/faustgen/faustgen/runtime"
)

// enricher sends, for each view, the value its key has in the lookup
// table (-1 when none) to out.
func enricher(name string, in *Topic[string, view], out *Topic[string, int64], table *TableDef[string, int64]) *Agent[string, view] {
	return &Agent[string, view]{
		Name: name, Source: in, Sinks: []AnyTopic{out}, Lookups: []AnyTable{table}, OnError: Fail,
		Process: func(t *Task, k string, _ view) error {
			v, ok, err := ReadTableOf(t, table).Get(k)
			if err != nil {
				return err
			}
			if !ok {
				v = -1
			}
			return SinkOf(t, out).Send(k, v)
		},
	}
}

// sendLongs produces key i -> value(i) for i < n to topic, and waits.
func sendLongs(t testing.TB, r *running, topic *Topic[string, int64], n int, value func(int) int64) {
	t.Helper()
	p := ProducerOf(r.app, topic)
	awaitSends(t, n, func(ctx context.Context, i int, done func(runtime.RecordMeta, error)) {
		p.Send(ctx, fmt.Sprintf("p%d", i), value(i), done)
	})
}

// A global table is written through its source topic by one instance and
// read by an agent of another, which processes nothing before it has
// caught up with what the topic held when it started, keeps following
// the topic after, and never has the topic's partitions assigned.
func TestAGlobalTableIsCaughtUpBeforeProcessingAndKeptCurrent(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	pages := &Topic[string, int64]{TopicSpec: TopicSpec{Name: c.name("gt-pages"), Partitions: 3, Config: map[string]string{"cleanup.policy": "compact"}}, Key: tString, Value: tLong}
	in, out := viewTopic(c.name("gt-in"), 2), countTopic(c.name("gt-out"), 2)
	table := &TableDef[string, int64]{TableSpec: TableSpec{Name: "pages", Partitions: 3, Global: true, KeyType: "string", ValueType: "long"}, Key: tString, Value: tLong, Source: pages}

	// The writer: an instance that only produces to the source topic.
	writerCfg := cfg
	writer := start(t, writerCfg, AppSpec{ID: c.name("gt-writer"), Topics: []AnyTopic{pages, in}})
	const n = 3000
	sendLongs(t, writer, pages, n, func(i int) int64 { return int64(i) })

	// Views of every page wait in the input before the reader starts.
	readerCfg := cfg
	readerCfg.StateDir = t.TempDir()
	spec := AppSpec{ID: c.name("gt-reader"), Topics: []AnyTopic{in, out, pages}, Tables: []AnyTable{table}, Agents: []AnyAgent{enricher("enrich", in, out, table)}}
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("p%d", i)
	}
	produceViews(t, writer, in, keys, n)
	reader := start(t, readerCfg, spec)
	for _, rec := range readN(t, c, out.Name, n) {
		k, v := stringLong(t, rec)
		if want := fmt.Sprintf("p%d", v); v < 0 || want != k {
			t.Fatalf("view of %s read %d from the global table: processed before the table caught up", k, v)
		}
	}
	for _, p := range reader.app.Stats().Partitions {
		if p.Topic == pages.Name {
			t.Fatalf("the global table's topic %s was assigned to the group: %+v", pages.Name, p)
		}
	}
	if cs := committed(t, c, spec.ID, pages.Name); len(cs) != 0 {
		t.Fatalf("the group committed offsets of the global table's topic: %v", cs)
	}

	// Updates to the topic reach the running reader.
	sendLongs(t, writer, pages, 1, func(int) int64 { return 1_000_000 })
	eventually(t, "the reader sees the update", func() bool {
		produceViews(t, writer, in, []string{"p0"}, 1)
		recs := readN(t, c, out.Name, int(sumEnds(t, c, out.Name)))
		var v int64
		last := recs[len(recs)-1]
		for _, r := range recs {
			var k string
			if tString.Unmarshal(r.Key[frameHeader:], &k) == nil && k == "p0" {
				last = r
			}
		}
		return tLong.Unmarshal(last.Value[frameHeader:], &v) == nil && v == 1_000_000
	})
}

func sumEnds(t testing.TB, c *env, topic string) int64 {
	var n int64
	for _, e := range endOffsets(t, c, topic) {
		n += e
	}
	return n
}

// A table sourced from a topic that is not global holds, per owned
// partition, that partition of its topic: co-partitioned with the agent's
// source (same key, same partition), the agent finds every key.
func TestASourcedTableFollowsItsTopicPartitionByPartition(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	cfg.StateDir = t.TempDir()
	pages := &Topic[string, int64]{TopicSpec: TopicSpec{Name: c.name("st-pages"), Partitions: 3, Config: map[string]string{"cleanup.policy": "compact"}}, Key: tString, Value: tLong}
	in, out := viewTopic(c.name("st-in"), 3), countTopic(c.name("st-out"), 3)
	table := &TableDef[string, int64]{TableSpec: TableSpec{Name: "pages", Partitions: 3, KeyType: "string", ValueType: "long"}, Key: tString, Value: tLong, Source: pages}
	spec := AppSpec{ID: c.name("st"), Topics: []AnyTopic{in, out, pages}, Tables: []AnyTable{table}, Agents: []AnyAgent{enricher("enrich", in, out, table)}}
	r := start(t, cfg, spec)
	if r.app.ids[pages.Name].key != r.app.ids[in.Name].key {
		t.Fatalf("the two topics' string keys have schema ids %d and %d: their framed keys hash apart", r.app.ids[pages.Name].key, r.app.ids[in.Name].key)
	}
	const n = 300
	sendLongs(t, r, pages, n, func(i int) int64 { return int64(i) })
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("p%d", i)
	}
	// Restart, so that every partition catches up before processing.
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	r = start(t, cfg, spec)
	produceViews(t, r, in, keys, n)
	for _, rec := range readN(t, c, out.Name, n) {
		k, v := stringLong(t, rec)
		if fmt.Sprintf("p%d", v) != k {
			t.Fatalf("view of %s read %d from the sourced table", k, v)
		}
	}
}
