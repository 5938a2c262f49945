//go:build integration

package itest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/faustgen/faustgen/internal/itest"
)

// createTopic creates a topic on the real broker and fails the test on any
// error, including a per-topic one.
func createTopic(ctx context.Context, t *testing.T, adm *kadm.Client, name string, partitions int32, configs map[string]*string) {
	t.Helper()
	resp, err := adm.CreateTopic(ctx, partitions, 1, configs, name)
	if err != nil {
		t.Fatalf("create topic %s: %v", name, err)
	}
	if resp.Err != nil {
		t.Fatalf("create topic %s: %v (%s)", name, resp.Err, resp.ErrMessage)
	}
}

// consumeUntil polls cl until want records arrived or ctx ends.
func consumeUntil(ctx context.Context, t *testing.T, cl *kgo.Client, want int) []*kgo.Record {
	t.Helper()
	var got []*kgo.Record
	for len(got) < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of %d records before the deadline: %v", len(got), want, ctx.Err())
		}
		fs.EachError(func(topic string, p int32, err error) {
			t.Fatalf("fetch %s[%d]: %v", topic, p, err)
		})
		got = append(got, fs.Records()...)
	}
	return got
}

func TestProduceAndConsumeThroughAGroupOnRealKafka(t *testing.T) {
	ctx := itest.Context(t, 2*time.Minute)
	topic := itest.UniqueName(t, "roundtrip")
	group := itest.UniqueName(t, "group")
	createTopic(ctx, t, itest.Admin(t), topic, 3, nil)

	const n = 300
	producer := itest.Client(t, kgo.DefaultProduceTopic(topic))
	want := make(map[string]string, n)
	recs := make([]*kgo.Record, 0, n)
	for i := range n {
		k, v := fmt.Sprintf("key-%03d", i), fmt.Sprintf("value-%03d", i)
		want[k] = v
		recs = append(recs, &kgo.Record{Key: []byte(k), Value: []byte(v)})
	}
	if err := producer.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce %d records to %s: %v", n, topic, err)
	}

	consumer := itest.Client(t,
		kgo.ConsumeTopics(topic),
		kgo.ConsumerGroup(group),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
	)
	got := consumeUntil(ctx, t, consumer, n)
	if len(got) != n {
		t.Fatalf("consumed %d records, want %d", len(got), n)
	}
	lastOffset := map[int32]int64{}
	partitions := map[int32]bool{}
	for _, r := range got {
		if w, ok := want[string(r.Key)]; !ok || w != string(r.Value) {
			t.Errorf("record %s=%s at %s[%d]@%d was not produced", r.Key, r.Value, r.Topic, r.Partition, r.Offset)
		}
		delete(want, string(r.Key))
		if prev, ok := lastOffset[r.Partition]; ok && r.Offset <= prev {
			t.Errorf("partition %d: offset %d after %d, want increasing", r.Partition, r.Offset, prev)
		}
		lastOffset[r.Partition] = r.Offset
		partitions[r.Partition] = true
	}
	if len(want) != 0 {
		t.Errorf("%d produced records never consumed", len(want))
	}
	if len(partitions) != 3 {
		t.Errorf("records landed on %d partitions, want all 3 (keys hash across them)", len(partitions))
	}

	// Committing through the group proves the offsets topic works at
	// replication factor 1; the committed offsets add up to n.
	if err := consumer.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatalf("commit offsets of group %s: %v", group, err)
	}
	offsets, err := itest.Admin(t).FetchOffsets(ctx, group)
	if err != nil {
		t.Fatalf("fetch offsets of group %s: %v", group, err)
	}
	var committed int64
	offsets.Each(func(o kadm.OffsetResponse) {
		if o.Err != nil {
			t.Errorf("committed offset of %s[%d]: %v", o.Topic, o.Partition, o.Err)
		}
		committed += o.At
	})
	if committed != n {
		t.Errorf("group %s committed offsets adding up to %d, want %d", group, committed, n)
	}
}

func TestReadCommittedSeesOnlyCommittedTransactionsOnRealKafka(t *testing.T) {
	ctx := itest.Context(t, 2*time.Minute)
	topic := itest.UniqueName(t, "txn")
	createTopic(ctx, t, itest.Admin(t), topic, 1, nil)

	producer := itest.Client(t,
		kgo.DefaultProduceTopic(topic),
		kgo.TransactionalID(itest.UniqueName(t, "txn-id")),
	)
	transaction := func(prefix string, commit kgo.TransactionEndTry) {
		t.Helper()
		if err := producer.BeginTransaction(); err != nil {
			t.Fatalf("begin %s transaction: %v", prefix, err)
		}
		for i := range 3 {
			r := &kgo.Record{Key: []byte(prefix), Value: []byte(fmt.Sprintf("%s-%d", prefix, i))}
			if err := producer.ProduceSync(ctx, r).FirstErr(); err != nil {
				t.Fatalf("produce in %s transaction: %v", prefix, err)
			}
		}
		if err := producer.EndTransaction(ctx, commit); err != nil {
			t.Fatalf("end %s transaction: %v", prefix, err)
		}
	}
	transaction("committed", kgo.TryCommit)
	transaction("aborted", kgo.TryAbort)
	transaction("after", kgo.TryCommit) // so a reader must step over the aborted batch

	readAll := func(isolation kgo.IsolationLevel, want int) []string {
		t.Helper()
		cl := itest.Client(t,
			kgo.ConsumeTopics(topic),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
			kgo.FetchIsolationLevel(isolation),
		)
		var values []string
		for _, r := range consumeUntil(ctx, t, cl, want) {
			values = append(values, string(r.Value))
		}
		return values
	}

	committed := readAll(kgo.ReadCommitted(), 6)
	wantCommitted := []string{"committed-0", "committed-1", "committed-2", "after-0", "after-1", "after-2"}
	if fmt.Sprint(committed) != fmt.Sprint(wantCommitted) {
		t.Errorf("read_committed saw %v, want %v", committed, wantCommitted)
	}

	// The aborted records are in the log: read_uncommitted sees all nine, so
	// read_committed above really filtered them.
	all := readAll(kgo.ReadUncommitted(), 9)
	wantAll := []string{"committed-0", "committed-1", "committed-2", "aborted-0", "aborted-1", "aborted-2", "after-0", "after-1", "after-2"}
	if fmt.Sprint(all) != fmt.Sprint(wantAll) {
		t.Errorf("read_uncommitted saw %v, want %v", all, wantAll)
	}
}

func TestCompactedTopicIsCreatedAndCompactedOnRealKafka(t *testing.T) {
	ctx := itest.Context(t, 3*time.Minute)
	adm := itest.Admin(t)
	topic := itest.UniqueName(t, "compact")
	str := func(s string) *string { return &s }
	createTopic(ctx, t, adm, topic, 1, map[string]*string{
		"cleanup.policy":            str("compact"),
		"segment.ms":                str("100"),
		"min.cleanable.dirty.ratio": str("0.01"),
		"min.compaction.lag.ms":     str("0"),
	})

	configs, err := adm.DescribeTopicConfigs(ctx, topic)
	if err != nil {
		t.Fatalf("describe configs of %s: %v", topic, err)
	}
	rc, err := configs.On(topic, nil)
	if err != nil {
		t.Fatalf("configs of %s: %v", topic, err)
	}
	if rc.Err != nil {
		t.Fatalf("configs of %s: %v", topic, rc.Err)
	}
	policy := ""
	for _, c := range rc.Configs {
		if c.Key == "cleanup.policy" {
			policy = c.MaybeValue()
		}
	}
	if policy != "compact" {
		t.Fatalf("cleanup.policy of %s is %q, want compact", topic, policy)
	}

	// Five rounds over the same ten keys, each round in its own segment
	// (segment.ms=100 rolls the segment on the next append), so the log
	// cleaner has closed segments to compact.
	producer := itest.Client(t, kgo.DefaultProduceTopic(topic))
	const keys, rounds = 10, 5
	for round := range rounds {
		for k := range keys {
			r := &kgo.Record{Key: []byte(fmt.Sprintf("k%d", k)), Value: []byte(fmt.Sprintf("round-%d", round))}
			if err := producer.ProduceSync(ctx, r).FirstErr(); err != nil {
				t.Fatalf("produce round %d: %v", round, err)
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	const produced = keys * rounds

	// Wait, bounded by ctx, for the log cleaner to drop superseded records;
	// whatever is left must hold the newest value of every key.
	for {
		latest, count := readCompacted(ctx, t, topic, produced)
		if count < produced {
			for k := range keys {
				key := fmt.Sprintf("k%d", k)
				if latest[key] != fmt.Sprintf("round-%d", rounds-1) {
					t.Errorf("after compaction key %s holds %q, want round-%d", key, latest[key], rounds-1)
				}
			}
			t.Logf("log cleaner compacted %d records to %d", produced, count)
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the log cleaner did not compact %s before the deadline: still %d records", topic, count)
		case <-time.After(time.Second):
		}
	}
}

// readCompacted reads topic partition 0 from its start to its high watermark
// and returns the last value per key and the number of records read.
func readCompacted(ctx context.Context, t *testing.T, topic string, limit int) (map[string]string, int) {
	t.Helper()
	ends, err := itest.Admin(t).ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatalf("list end offsets of %s: %v", topic, err)
	}
	end, ok := ends.Lookup(topic, 0)
	if !ok || end.Err != nil {
		t.Fatalf("end offset of %s[0]: %v", topic, end.Err)
	}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(itest.Brokers(t)...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}),
	)
	if err != nil {
		t.Fatalf("new consumer of %s: %v", topic, err)
	}
	defer cl.Close()
	latest := map[string]string{}
	count := 0
	for count <= limit {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %s: %v", topic, ctx.Err())
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("fetch %s[%d]: %v", topic, p, err) })
		done := false
		fs.EachRecord(func(r *kgo.Record) {
			latest[string(r.Key)] = string(r.Value)
			count++
			if r.Offset >= end.Offset-1 {
				done = true
			}
		})
		if done {
			break
		}
	}
	return latest, count
}
