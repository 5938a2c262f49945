package transport

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// lifecycleLog records the hooks a group calls, in order.
type lifecycleLog struct {
	mu     sync.Mutex
	events []string
	// commits holds, per partition, the offsets BeforeCommit was given.
	commits map[int32][]int64
}

func (l *lifecycleLog) add(format string, args ...any) {
	l.mu.Lock()
	l.events = append(l.events, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

func (l *lifecycleLog) has(e string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Contains(l.events, e)
}

func (l *lifecycleLog) index(e string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Index(l.events, e)
}

// twoPartitions starts kfake with topic "in" of 2 partitions holding n
// records each.
func twoPartitions(t *testing.T, n int) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "in"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	prod, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	for p := range int32(2) {
		for i := range n {
			if err := prod.ProduceSync(context.Background(), &kgo.Record{Topic: "in", Partition: p, Value: fmt.Appendf(nil, "%d", i)}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	return c
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A partition whose Start hook is running (its state recovering) is held:
// nothing of it is processed and its fetching is paused, while the other
// partitions run. Once Start returns it runs; BeforeCommit sees every
// committed offset first, in increasing order; a stop calls Revoked, then
// Closed, and clears the pause.
func TestStartHookHoldsThePartitionAndTheOtherHooksFollowItsLife(t *testing.T) {
	const perPartition = 50
	c := twoPartitions(t, perPartition)

	log := &lifecycleLog{commits: map[int32][]int64{}}
	release := make(chan struct{})
	var mu sync.Mutex
	processed := map[int32]int{}
	g := NewGroup(GroupOptions{
		Group:          "g",
		Topics:         []string{"in"},
		CommitInterval: 20 * time.Millisecond,
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
		Handle: func(_ context.Context, rec *kgo.Record, _ *Inflight) error {
			mu.Lock()
			processed[rec.Partition]++
			mu.Unlock()
			return nil
		},
		Hooks: Hooks{
			Start: func(ctx context.Context, p *Partition) error {
				log.add("start %d", p.Partition)
				if p.Partition == 1 {
					select {
					case <-release:
					case <-ctx.Done():
						return ctx.Err()
					}
				}
				log.add("started %d", p.Partition)
				return nil
			},
			BeforeCommit: func(_ context.Context, p *Partition, offset int64) error {
				log.mu.Lock()
				log.commits[p.Partition] = append(log.commits[p.Partition], offset)
				log.mu.Unlock()
				return nil
			},
			Revoked: func(p *Partition) { log.add("revoked %d", p.Partition) },
			Lost:    func(p *Partition) { log.add("lost %d", p.Partition) },
			Closed:  func(p *Partition) { log.add("closed %d", p.Partition) },
		},
	})
	cl, err := kgo.NewClient(append(g.Opts(), kgo.SeedBrokers(c.ListenAddrs()...), kgo.FetchMaxWait(50*time.Millisecond))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx, cl) }()

	count := func(p int32) int {
		mu.Lock()
		defer mu.Unlock()
		return processed[p]
	}
	eventually(t, "partition 0 runs", func() bool { return count(0) == perPartition })
	state := func(p int32) PartitionStats {
		for _, s := range g.Stats().Partitions {
			if s.Partition == p {
				return s
			}
		}
		return PartitionStats{}
	}
	if s := state(1); s.State != Recovering || !s.Buffer.Paused || s.Buffer.Reason != "recovering" {
		t.Fatalf("partition 1 while its Start hook runs: %+v", s)
	}
	paused := cl.PauseFetchPartitions(nil)["in"]
	if !slices.Contains(paused, 1) || slices.Contains(paused, 0) {
		t.Fatalf("paused on the client: %v, want partition 1 only", paused)
	}
	time.Sleep(100 * time.Millisecond)
	if n := count(1); n != 0 {
		t.Fatalf("%d records of partition 1 processed while it was recovering", n)
	}
	close(release)
	eventually(t, "partition 1 runs", func() bool { return count(1) == perPartition })
	if s := state(1); s.State != Running || s.Buffer.Paused {
		t.Fatalf("partition 1 after its Start hook: %+v", s)
	}
	eventually(t, "both partitions committed", func() bool {
		log.mu.Lock()
		defer log.mu.Unlock()
		for p := range int32(2) {
			cs := log.commits[p]
			if len(cs) == 0 || cs[len(cs)-1] != perPartition {
				return false
			}
		}
		return true
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for p := range int32(2) {
		if !slices.IsSorted(log.commits[p]) {
			t.Errorf("partition %d: BeforeCommit offsets out of order: %v", p, log.commits[p])
		}
		r, cl := log.index(fmt.Sprintf("revoked %d", p)), log.index(fmt.Sprintf("closed %d", p))
		if r < 0 || cl < r {
			t.Errorf("partition %d: want revoked then closed, got %v", p, log.events)
		}
		if log.has(fmt.Sprintf("lost %d", p)) {
			t.Errorf("partition %d reported lost on a graceful stop", p)
		}
	}
	if paused := cl.PauseFetchPartitions(nil); len(paused) != 0 {
		t.Fatalf("pauses left after the stop: %v", paused)
	}
}

// A BeforeCommit hook that refuses keeps the partition's offset from
// being committed; the other partition commits as usual.
func TestBeforeCommitRefusalSkipsThatPartitionsCommit(t *testing.T) {
	c := twoPartitions(t, 10)
	g := NewGroup(GroupOptions{
		Group: "g", Topics: []string{"in"}, CommitInterval: 20 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Handle: func(context.Context, *kgo.Record, *Inflight) error { return nil },
		Hooks: Hooks{BeforeCommit: func(_ context.Context, p *Partition, _ int64) error {
			if p.Partition == 1 {
				return fmt.Errorf("state store unavailable")
			}
			return nil
		}},
	})
	cl, err := kgo.NewClient(append(g.Opts(), kgo.SeedBrokers(c.ListenAddrs()...), kgo.FetchMaxWait(50*time.Millisecond))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx, cl) }()
	eventually(t, "partition 0 committed", func() bool {
		for _, s := range g.Stats().Partitions {
			if s.Partition == 0 && s.Committed == 10 {
				return true
			}
		}
		return false
	})
	time.Sleep(100 * time.Millisecond)
	for _, s := range g.Stats().Partitions {
		if s.Partition == 1 && s.Committed != -1 {
			t.Fatalf("partition 1 committed %d although BeforeCommit refused", s.Committed)
		}
	}
	cancel()
	<-done
}
