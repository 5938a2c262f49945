package transport

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/faustgen/faustgen/runtime/internal/flow"
	"github.com/twmb/franz-go/pkg/kgo"
)

// This file is the one place where a partition's life is decided. Every
// assigned partition has one *Partition, created by the assign callback
// and ended by the revoke or lost callback (or the group's stop); it owns
// the partition's input buffer, its offset tracker and its state:
//
//	assigned ──► recovering ──► running ──► revoking ──► closed
//	    │            │             │
//	    └────────────┴─────────────┴──────► lost ──────► closed
//
// assigned    created by the assign callback; its fetching is paused
//             (held) when a Start hook will run.
// recovering  the Start hook runs (table recovery); no record is
//             processed; fetching stays held until the hook returns.
// running     records are taken from the buffer and processed in order.
// revoking    revoked or stopping: the record in progress finishes, the
//             buffered records that have not started are dropped, what
//             was produced is awaited, PreCommit's sends (the tables'
//             changelog records) are made and awaited, BeforeCommit runs
//             and the offset is committed.
// lost        the group lost the partition (session lost, fenced), or,
//             under exactly-once, the transaction holding its work since
//             the last commit aborted: processing stops after the record
//             in progress and nothing is committed; another member may
//             own it already. After an abort a fresh Partition object of
//             the same partition takes over at once (txn.go): it
//             recovers and fetches again from the aborted transaction's
//             first offset.
// closed      the partition is given up: its pause is cleared, so it
//             does not leak to a later assignment of the same partition.
//
// Invariants:
//   - A record is processed only in running, by the partition's own
//     goroutine, in offset order.
//   - An offset is committed only when its record and every earlier one
//     are processed and everything they produced is acknowledged (the
//     OffsetTracker's watermark), after what PreCommit sent for it is
//     acknowledged, and after BeforeCommit accepted it: state written by
//     the hooks never runs ahead of Kafka.
//   - Nothing is committed for a partition after it is lost.
//   - Under exactly-once a record is processed only while its partition
//     holds the transaction gate, its offset is committed in the
//     transaction holding its outputs, and Committed (not BeforeCommit)
//     runs, once that transaction committed.
//   - Only this file pauses and resumes a partition's fetching: through
//     its flow.Buffer's valve while it lives, and a resume when it closes.

// State is where a partition is in its life.
type State int32

// The states of a partition; see partition.go.
const (
	Assigned State = iota
	Recovering
	Running
	Revoking
	Closed
	Lost
)

var stateNames = [...]string{"assigned", "recovering", "running", "revoking", "closed", "lost"}

// String returns the state's name ("running").
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", int32(s))
}

// Hooks are what layers above the group plug into a partition's life
// (tables, transactions). Each may be nil.
type Hooks struct {
	// Start runs when a partition is assigned, before any of its records
	// is processed; the partition's fetching is paused until it returns.
	// ctx is canceled when the partition is revoked or lost meanwhile. An
	// error stops the group.
	Start func(ctx context.Context, p *Partition) error
	// PreCommit runs first when the partition's offset is about to be
	// committed, with that offset (under exactly-once: math.MaxInt64,
	// every record processed in the transaction, as the producer is about
	// to be flushed): it sends what must reach Kafka before the commit (a
	// table's coalesced changelog records) and returns a function that
	// waits until Kafka acknowledged them (nil: nothing to wait for). The
	// group starts the sends of every partition it commits before it
	// waits for any. An error from the wait skips this commit of the
	// partition (under exactly-once: aborts the transaction); the hook
	// reports a failed delivery with Partition.Fail.
	PreCommit func(ctx context.Context, p *Partition, offset int64) (wait func() error)
	// BeforeCommit runs before the partition's offset is committed, with
	// the offset about to be committed (the next record to process),
	// after everything before it is processed and acknowledged. An error
	// skips this commit of the partition; a later one tries again.
	BeforeCommit func(ctx context.Context, p *Partition, offset int64) error
	// Committed runs under exactly-once, in place of BeforeCommit, once
	// the transaction carrying the partition's offset (the next record to
	// process) committed, before the next transaction begins. An error
	// stops the group: what it failed to store is in the committed
	// changelog, which the next start replays.
	Committed func(ctx context.Context, p *Partition, offset int64) error
	// Revoked runs when a revoked partition has finished its record in
	// progress and its last commit was tried, before it closes.
	Revoked func(p *Partition)
	// Lost runs when the partition is lost: nothing was committed.
	Lost func(p *Partition)
	// Closed runs last, after Revoked or Lost.
	Closed func(p *Partition)
}

// Partition is one assigned partition of the group.
type Partition struct {
	// Topic and Partition name it.
	Topic     string
	Partition int32

	g       *Group
	state   atomic.Int32
	buf     *flow.Buffer
	tracker *OffsetTracker
	unhold  func() // ends the hold of the recovering state (nil: none)

	ctx      context.Context // canceled when the partition stops (for Start)
	cancel   context.CancelFunc
	stopOnce sync.Once
	stop     chan struct{} // closed to stop after the record in progress
	closed   atomic.Bool   // close ran
	done     chan struct{} // closed when the partition's goroutine returns

	processed atomic.Int64
	committed atomic.Int64 // last offset committed, -1 none
	highWater atomic.Int64 // the partition's high watermark at the last fetch, -1 unknown
	firstSeen atomic.Int64 // the first offset fetched since assignment, -1 none
}

// newPartition is called by the assign callback for a partition not
// owned yet; it starts the partition's goroutine.
func (g *Group) newPartition(tp topicPartition) *Partition {
	p := &Partition{
		Topic:     tp.topic,
		Partition: tp.partition,
		g:         g,
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	p.committed.Store(-1)
	p.highWater.Store(-1)
	p.firstSeen.Store(-1)
	p.ctx, p.cancel = context.WithCancel(g.hard)
	p.tracker = NewOffsetTracker(g.Fail, g.kickCommit)
	p.tracker.owner = p
	only := map[string][]int32{tp.topic: {tp.partition}}
	p.buf = flow.NewBuffer(g.o.PartitionLimits, g.budget, flow.Valve{
		Pause: func(why string) {
			g.client().PauseFetchPartitions(only)
			g.o.Logger.Debug("partition paused", "topic", p.Topic, "partition", p.Partition, "why", why)
		},
		Resume: func() {
			g.client().ResumeFetchPartitions(only)
			g.o.Logger.Debug("partition resumed", "topic", p.Topic, "partition", p.Partition)
		},
	})
	// A pause left by an earlier owner object of this partition (a lost
	// partition's goroutine outliving its wait) must not hold this one.
	g.client().ResumeFetchPartitions(only)
	if g.o.Hooks.Start != nil {
		p.unhold = p.buf.Hold("recovering")
	}
	p.state.Store(int32(Assigned))
	go p.run()
	return p
}

// State returns the partition's state now.
func (p *Partition) State() State { return State(p.state.Load()) }

// Fail records a failed delivery of something produced on the
// partition's behalf outside its records' tracking (a hook's): its
// offsets stop being committable, a transaction holding its work aborts,
// and the group stops with err, as after a failed delivery of a record's
// output.
func (p *Partition) Fail(err error) { p.tracker.fail(err) }

// run is the partition's goroutine: recovering, then running until it is
// told to stop.
func (p *Partition) run() {
	defer close(p.done)
	if ready := p.g.o.Ready; ready != nil {
		select {
		case <-ready:
		case <-p.stop:
			return
		}
	}
	if start := p.g.o.Hooks.Start; start != nil {
		p.state.CompareAndSwap(int32(Assigned), int32(Recovering))
		err := start(p.ctx, p)
		p.unhold()
		if err != nil {
			if p.ctx.Err() == nil {
				p.g.Fail(fmt.Errorf("start %s[%d]: %w", p.Topic, p.Partition, err))
			}
			return
		}
	}
	if !p.state.CompareAndSwap(int32(Recovering), int32(Running)) && !p.state.CompareAndSwap(int32(Assigned), int32(Running)) {
		return // revoked or lost while recovering
	}
	p.process()
}

// takeMax is the most records the partition takes from its buffer at
// once; their bytes are released together once processed.
const takeMax = 512

// process takes records from the buffer and hands them to the group's
// HandleFunc in order until the partition is told to stop (it finishes
// the record in progress) or a record fails.
func (p *Partition) process() {
	g := p.g
	var batch []*kgo.Record
	var fs []*Inflight
	for {
		var ok bool
		batch, ok = p.buf.Take(p.stop, batch[:0], takeMax)
		if !ok {
			return
		}
		fs = p.tracker.BeginBatch(batch, fs[:0])
		if !p.processBatch(batch, fs) {
			return
		}
		p.buf.Release(batch)
		clear(batch)
		clear(fs)
		if p.buf.Queued() == 0 {
			g.hurryUp()
		}
	}
}

// processBatch processes batch (whose Inflights are fs) in order and
// reports whether the partition goes on. Under exactly-once each record
// is processed holding the transaction gate (txn.go), let go between
// records when a transaction is waiting to end.
func (p *Partition) processBatch(batch []*kgo.Record, fs []*Inflight) (ok bool) {
	g := p.g
	held := false
	defer func() {
		if held {
			g.txn.exit()
		}
	}()
	for i, rec := range batch {
		f := fs[i]
		select {
		case <-p.stop:
			p.tracker.Abandon(f) // and the rest of the batch
			p.buf.Release(batch)
			return false
		default:
		}
		if txn := g.txn; txn != nil {
			if !held {
				if !txn.enter(p, rec.Offset) {
					p.tracker.Abandon(f) // stopped while a transaction ended
					p.buf.Release(batch)
					return false
				}
				held = true
			}
		}
		if err := g.member.check(g.hard); err != nil {
			p.tracker.Abandon(f) // expelled: the next owner has them
			p.buf.Release(batch)
			return false
		}
		if err := g.o.Handle(g.hard, rec, f); err != nil {
			p.tracker.Abandon(f)
			p.buf.Release(batch)
			if !errors.Is(err, ErrPartitionLost) {
				g.Fail(err)
			}
			return false
		}
		p.tracker.Finish(f)
		p.processed.Add(1)
		if held && g.txn.ending() {
			g.txn.exit()
			held = false
		}
	}
	return true
}

// beginStop moves the partition to to (Revoking or Lost): it stops
// taking records after the one in progress and drops what is buffered.
func (p *Partition) beginStop(to State) {
	p.stopOnce.Do(func() {
		p.state.Store(int32(to))
		p.cancel()
		close(p.stop)
		p.buf.Close()
	})
	if to == Lost {
		p.state.Store(int32(Lost)) // a revoke under way turns into a loss
	}
}

// awaitStopped waits for the record in progress to finish and, unless
// the partition is lost, for what it produced to be acknowledged.
func (p *Partition) awaitStopped(ctx context.Context) {
	select {
	case <-p.done:
	case <-ctx.Done():
		p.g.o.Logger.Warn("record still in progress at the drain timeout; it will be processed again", "topic", p.Topic, "partition", p.Partition)
		return
	}
	if p.State() != Lost {
		p.tracker.WaitIdle(ctx)
	}
}

// close ends the partition after its revoke or loss: hooks, then its
// pause is cleared.
func (p *Partition) close() {
	if !p.closed.CompareAndSwap(false, true) {
		return
	}
	h := p.g.o.Hooks
	if p.State() == Lost {
		if h.Lost != nil {
			h.Lost(p)
		}
	} else if h.Revoked != nil {
		h.Revoked(p)
	}
	p.g.client().ResumeFetchPartitions(map[string][]int32{p.Topic: {p.Partition}})
	p.state.Store(int32(Closed))
	if h.Closed != nil {
		h.Closed(p)
	}
}

// PartitionStats is a snapshot of one partition.
type PartitionStats struct {
	Topic     string
	Partition int32
	State     State
	Buffer    flow.Stats
	// Processed counts the records processed since assignment.
	Processed int64
	// Committed is the last committed offset (the next record to
	// process), -1 when nothing was committed since assignment.
	Committed int64
	// Lag is the high watermark at the last fetch minus Committed (minus
	// the first offset fetched when nothing is committed yet): the records
	// a crash now would process again or that are still to process. -1
	// when unknown (nothing fetched yet).
	Lag int64
}

func (p *Partition) stats() PartitionStats {
	s := PartitionStats{
		Topic:     p.Topic,
		Partition: p.Partition,
		State:     p.State(),
		Buffer:    p.buf.Stats(),
		Processed: p.processed.Load(),
		Committed: p.committed.Load(),
		Lag:       -1,
	}
	from := s.Committed
	if from < 0 {
		from = p.firstSeen.Load()
	}
	if hw := p.highWater.Load(); hw >= 0 && from >= 0 {
		s.Lag = max(0, hw-from)
	}
	return s
}
