package allgen

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/faustgen/faustgen/runtime"
	"github.com/faustgen/faustgen/runtime/embedded"
	"github.com/faustgen/faustgen/runtime/genapi"
)

// A record of a recursive type nested past runtime.MaxDecodeDepth, framed
// with the generated type's schema id (decoded by the generated decoder)
// or with an older writer schema's (transcoded by the resolver first),
// goes to the dead-letter topic with a depth error naming
// topic[partition]@offset, and the agent goes on with the next records —
// one of them nested exactly MaxDecodeDepth deep.
func TestDeeplyNestedRecordIsDeadLetteredAndProcessingContinues(t *testing.T) {
	ctx := context.Background()
	cluster, err := embedded.Start(ctx, embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)

	nodes := &genapi.Topic[string, Node]{TopicSpec: genapi.TopicSpec{Name: "nodes", Partitions: 1}, Key: runtime.StringCodec, Value: NodeCodec}
	var mu sync.Mutex
	var seen []string // key: depth of the value
	agent := &genapi.Agent[string, Node]{
		Name: "walk", Source: nodes, OnError: genapi.DeadLetter,
		Process: func(_ *genapi.Task, k string, v Node) error {
			d := 0
			for p := &v; p != nil; p = p.Next {
				d++
			}
			mu.Lock()
			seen = append(seen, fmt.Sprintf("%s:%d", k, d))
			mu.Unlock()
			return nil
		},
	}
	app, err := genapi.NewApp(runtime.Config{
		Brokers: cluster.Brokers(), RegistryURL: cluster.RegistryURL(),
		CommitInterval: 50 * time.Millisecond, ShutdownTimeout: 10 * time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, genapi.AppSpec{ID: "deep", Topics: []genapi.AnyTopic{nodes}, Agents: []genapi.AnyAgent{agent}})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- app.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	select {
	case <-app.Started():
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("app did not start within 30s")
	}

	// The schema ids: the generated type's (registered by the app) and an
	// older writer schema's, a Node without children.
	reg, err := sr.NewClient(sr.URLs(cluster.RegistryURL()))
	if err != nil {
		t.Fatal(err)
	}
	own, err := reg.CreateSchema(ctx, "nodes-value", sr.Schema{Schema: NodeCodec.FullSchema()})
	if err != nil {
		t.Fatal(err)
	}
	older, err := reg.CreateSchema(ctx, "older-node", sr.Schema{Schema: `{"type":"record","name":"Node","namespace":"com.example","fields":[{"name":"value","type":"long"},{"name":"next","type":["null","Node"],"default":null}]}`})
	if err != nil {
		t.Fatal(err)
	}
	frame := func(id int, body []byte) []byte {
		return append(binary.BigEndian.AppendUint32([]byte{0}, uint32(id)), body...)
	}
	olderChain := func(n int) []byte { // value 0, next: the following Node
		b := []byte{}
		for range n - 1 {
			b = append(b, 0x00, 0x02)
		}
		return append(b, 0x00, 0x00)
	}

	p := genapi.ProducerOf(app, nodes)
	chain := func(n int) Node {
		var v *Node
		for range n {
			v = &Node{Next: v}
		}
		return *v
	}
	if _, err := p.SendSync(ctx, "first", chain(1)); err != nil {
		t.Fatal(err)
	}
	// Borrow the key bytes the producer framed, so that only the values
	// are hostile.
	raw, err := kgo.NewClient(kgo.SeedBrokers(cluster.Brokers()...), kgo.ConsumeTopics(nodes.Name, "deep-walk-dlq"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	keyBytes := poll(t, raw, func(r *kgo.Record) bool { return r.Topic == nodes.Name }, 1)[0].Key
	for _, value := range [][]byte{
		frame(own.ID, nodeChain(runtime.MaxDecodeDepth+1)),
		frame(older.ID, olderChain(runtime.MaxDecodeDepth+1)),
		frame(own.ID, nodeChain(1<<18)), // 768 KiB, under the broker's 1 MiB limit
	} {
		if err := raw.ProduceSync(ctx, &kgo.Record{Topic: nodes.Name, Key: keyBytes, Value: value}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.SendSync(ctx, "last", chain(runtime.MaxDecodeDepth)); err != nil {
		t.Fatal(err)
	}

	dead := poll(t, raw, func(r *kgo.Record) bool { return r.Topic == "deep-walk-dlq" }, 3)
	for i, rec := range dead {
		var msg string
		for _, h := range rec.Headers {
			if h.Key == runtime.HeaderDLQError {
				msg = string(h.Value)
			}
		}
		want := fmt.Sprintf("decode value of nodes[0]@%d: ", i+1)
		if !strings.HasPrefix(msg, want) || !strings.Contains(msg, runtime.ErrTooDeep.Error()) {
			t.Errorf("dead letter %d: error %q, want %q... %q", i, msg, want, runtime.ErrTooDeep.Error())
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		got := strings.Join(seen, " ")
		mu.Unlock()
		if want := fmt.Sprintf("first:1 last:%d", runtime.MaxDecodeDepth); got == want {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("processed %q, want %q", got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// poll reads records from cl until n of them match, for up to 20s.
func poll(t *testing.T, cl *kgo.Client, match func(*kgo.Record) bool, n int) []*kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d records before the timeout", len(out), n)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if match(r) {
				out = append(out, r)
			}
		})
	}
	return out
}
