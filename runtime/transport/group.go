package transport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// HandleFunc processes one record. It calls f.Add and f.Done around every
// record it produces on the record's behalf. A non-nil error stops the
// group: the record's offset (and every later one of its partition) is not
// committed.
type HandleFunc func(ctx context.Context, rec *kgo.Record, f *Inflight) error

// GroupOptions configure a Group.
type GroupOptions struct {
	// Group is the consumer group id. Required.
	Group string
	// Topics are the topics to consume. Required.
	Topics []string
	// Handle processes each record. Required.
	Handle HandleFunc
	// CommitInterval is the most often committable offsets are committed:
	// a commit runs at each interval while records complete, and at once
	// when a partition has completed everything it was given and the last
	// commit is an interval old. Default 1s.
	CommitInterval time.Duration
	// MaxPollRecords caps the records taken from the client per poll.
	// Default 10000.
	MaxPollRecords int
	// QueuedBatches is how many polled batches may wait per partition
	// before polling blocks. Default 4.
	QueuedBatches int
	// DrainTimeout bounds how long a stop or a revoke waits for the
	// record in progress and for acknowledgements. Default 30s.
	DrainTimeout time.Duration
	// Logger receives the group's logs. Default: slog.Default().
	Logger *slog.Logger
}

type topicPartition struct {
	topic     string
	partition int32
}

// Group is a consumer group member that processes every assigned
// partition in order on its own goroutine, partitions in parallel, and
// commits at-least-once: an offset is committed only once its record and
// every earlier record of the partition are processed and everything they
// produced is acknowledged.
//
// Use it as: g := NewGroup(opts); cl := NewClient(conn, g.Opts()...);
// g.Run(ctx, cl); cl.Close().
type Group struct {
	o GroupOptions

	cl *kgo.Client

	hard       context.Context // processing context, canceled on a forced stop
	cancelHard context.CancelFunc
	soft       context.Context // canceled to stop polling (stop or failure)
	cancelSoft context.CancelFunc

	errMu sync.Mutex
	err   error

	mu      sync.Mutex // guards workers and closed
	workers map[topicPartition]*worker
	closed  bool // set when Run has finished: callbacks do nothing
	aborted bool // set by Abort: nothing more is committed

	commitMu  sync.Mutex // serializes commits; guards committed
	committed map[topicPartition]int64
	kick      chan struct{} // a partition became idle: commit soon
	hurry     chan struct{} // a partition ran out of records: send what lingers
}

type worker struct {
	tp      topicPartition
	in      chan []*kgo.Record
	stop    chan struct{}
	done    chan struct{}
	tracker *OffsetTracker
}

// NewGroup returns a Group with o's defaults filled in.
func NewGroup(o GroupOptions) *Group {
	if o.CommitInterval <= 0 {
		o.CommitInterval = time.Second
	}
	if o.MaxPollRecords <= 0 {
		o.MaxPollRecords = 10000
	}
	if o.QueuedBatches <= 0 {
		o.QueuedBatches = 4
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	g := &Group{o: o, workers: map[topicPartition]*worker{}, committed: map[topicPartition]int64{}, kick: make(chan struct{}, 1), hurry: make(chan struct{}, 1)}
	g.hard, g.cancelHard = context.WithCancel(context.Background())
	g.soft, g.cancelSoft = context.WithCancel(context.Background())
	return g
}

// Opts returns the kgo options that make a client a member of the group.
func (g *Group) Opts() []kgo.Opt {
	return []kgo.Opt{
		kgo.ConsumerGroup(g.o.Group),
		kgo.ConsumeTopics(g.o.Topics...),
		kgo.Balancers(kgo.CooperativeStickyBalancer()),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.OnPartitionsAssigned(g.onAssigned),
		kgo.OnPartitionsRevoked(g.onRevoked),
		kgo.OnPartitionsLost(g.onLost),
	}
}

// Fail stops the group with err (the first error wins); Run returns it.
func (g *Group) Fail(err error) {
	g.errMu.Lock()
	if g.err == nil {
		g.err = err
	}
	g.errMu.Unlock()
	g.cancelSoft()
}

// Abort stops the group as a crash would: nothing more is committed and
// processing contexts are canceled. For tests of at-least-once delivery.
func (g *Group) Abort() {
	g.mu.Lock()
	g.aborted = true
	g.mu.Unlock()
	g.cancelHard()
	g.cancelSoft()
}

func (g *Group) isAborted() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.aborted
}

// ProcessContext is the context handed to HandleFunc; it is canceled only
// when a stop is forced (the drain timeout passed, or Abort).
func (g *Group) ProcessContext() context.Context { return g.hard }

// Run polls and processes records until ctx is canceled or a record fails,
// then stops: polling ends, each partition finishes the record in
// progress, produced records are awaited, and the committable offsets are
// committed, all within the drain timeout. It does not close cl.
func (g *Group) Run(ctx context.Context, cl *kgo.Client) error {
	g.cl = cl
	stop := context.AfterFunc(ctx, g.cancelSoft)
	defer stop()

	var bg sync.WaitGroup
	bg.Go(g.commitLoop)
	bg.Go(g.hurryLoop)
	g.pollLoop()
	bg.Wait()
	g.shutdown()

	g.errMu.Lock()
	defer g.errMu.Unlock()
	return g.err
}

func (g *Group) pollLoop() {
	for {
		fetches := g.cl.PollRecords(g.soft, g.o.MaxPollRecords)
		if g.soft.Err() != nil || fetches.IsClientClosed() {
			g.cl.AllowRebalance()
			return
		}
		fetches.EachError(func(topic string, partition int32, err error) {
			if errors.Is(err, context.Canceled) {
				return
			}
			g.o.Logger.Error("fetch failed", "topic", topic, "partition", partition, "err", err)
		})
		fetches.EachPartition(func(p kgo.FetchTopicPartition) {
			if len(p.Records) == 0 {
				return
			}
			g.mu.Lock()
			w := g.workers[topicPartition{p.Topic, p.Partition}]
			g.mu.Unlock()
			if w == nil {
				// Not possible while rebalances wait for AllowRebalance;
				// the records stay uncommitted either way.
				g.o.Logger.Warn("records for a partition without a worker", "topic", p.Topic, "partition", p.Partition)
				return
			}
			select {
			case w.in <- p.Records:
			case <-w.stop:
			case <-g.soft.Done():
			}
		})
		g.cl.AllowRebalance()
	}
}

func (g *Group) commitLoop() {
	t := time.NewTimer(g.o.CommitInterval)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-g.soft.Done():
			return
		case <-g.kick:
			if wait := g.o.CommitInterval - time.Since(last); wait > 0 {
				// Committed recently: the timer commits at the interval.
				continue
			}
		case <-t.C:
		}
		g.mu.Lock()
		ws := make([]*worker, 0, len(g.workers))
		for _, w := range g.workers {
			ws = append(ws, w)
		}
		g.mu.Unlock()
		if err := g.commit(g.soft, ws); err != nil && g.soft.Err() == nil {
			g.o.Logger.Warn("commit failed; retrying at the next interval", "group", g.o.Group, "err", err)
		}
		last = time.Now()
		t.Reset(g.o.CommitInterval)
	}
}

// hurryLoop sends the producer's lingering records at once whenever a
// partition has processed everything it was given: lingering then only
// delays the acknowledgements (and so the commits) of that work. Under a
// steady load partitions always have records waiting and batches form as
// usual.
func (g *Group) hurryLoop() {
	for {
		select {
		case <-g.soft.Done():
			return
		case <-g.hurry:
			if err := g.cl.Flush(g.soft); err != nil && g.soft.Err() == nil {
				g.o.Logger.Warn("flush failed", "err", err)
			}
		}
	}
}

func (g *Group) kickCommit() {
	select {
	case g.kick <- struct{}{}:
	default:
	}
}

// commit commits the committable offsets of ws that moved since their last
// commit.
func (g *Group) commit(ctx context.Context, ws []*worker) error {
	g.commitMu.Lock()
	defer g.commitMu.Unlock()
	if g.isAborted() {
		return nil
	}
	offsets := map[string]map[int32]kgo.EpochOffset{}
	for _, w := range ws {
		eo, ok := w.tracker.Committable()
		if !ok || g.committed[w.tp] >= eo.Offset {
			continue
		}
		if offsets[w.tp.topic] == nil {
			offsets[w.tp.topic] = map[int32]kgo.EpochOffset{}
		}
		offsets[w.tp.topic][w.tp.partition] = eo
	}
	if len(offsets) == 0 {
		return nil
	}
	var cerr error
	g.cl.CommitOffsetsSync(ctx, offsets, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			cerr = err
			return
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
					cerr = errors.Join(cerr, fmt.Errorf("commit %s[%d]: %w", t.Topic, p.Partition, err))
					continue
				}
				if eo, ok := offsets[t.Topic][p.Partition]; ok {
					g.committed[topicPartition{t.Topic, p.Partition}] = eo.Offset
				}
			}
		}
	})
	return cerr
}

func (g *Group) onAssigned(_ context.Context, _ *kgo.Client, assigned map[string][]int32) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return
	}
	for topic, partitions := range assigned {
		for _, p := range partitions {
			tp := topicPartition{topic, p}
			if g.workers[tp] != nil {
				continue
			}
			w := &worker{
				tp:      tp,
				in:      make(chan []*kgo.Record, g.o.QueuedBatches),
				stop:    make(chan struct{}),
				done:    make(chan struct{}),
				tracker: NewOffsetTracker(g.Fail, g.kickCommit),
			}
			g.workers[tp] = w
			delete(g.committed, tp)
			go g.runWorker(w)
		}
	}
	g.o.Logger.Info("partitions assigned", "group", g.o.Group, "assigned", assigned)
}

// onRevoked finishes the record in progress on each revoked partition,
// waits for what it produced, and commits before the partition is given
// up.
func (g *Group) onRevoked(ctx context.Context, _ *kgo.Client, revoked map[string][]int32) {
	ws := g.takeWorkers(revoked)
	if len(ws) == 0 {
		return
	}
	dctx, cancel := context.WithTimeout(ctx, g.o.DrainTimeout)
	defer cancel()
	g.drain(dctx, ws)
	if err := g.commit(dctx, ws); err != nil {
		g.o.Logger.Warn("commit on revoke failed; the next owner reprocesses from the last commit", "group", g.o.Group, "err", err)
	}
	g.o.Logger.Info("partitions revoked", "group", g.o.Group, "revoked", revoked)
}

// onLost drops the work of lost partitions without committing.
func (g *Group) onLost(ctx context.Context, _ *kgo.Client, lost map[string][]int32) {
	ws := g.takeWorkers(lost)
	for _, w := range ws {
		close(w.stop)
	}
	for _, w := range ws {
		select {
		case <-w.done:
		case <-time.After(g.o.DrainTimeout):
		}
	}
	if len(ws) > 0 {
		g.o.Logger.Warn("partitions lost; their uncommitted records will be processed again", "group", g.o.Group, "lost", lost)
	}
}

func (g *Group) takeWorkers(tps map[string][]int32) []*worker {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	var ws []*worker
	for topic, partitions := range tps {
		for _, p := range partitions {
			tp := topicPartition{topic, p}
			if w := g.workers[tp]; w != nil {
				ws = append(ws, w)
				delete(g.workers, tp)
			}
		}
	}
	return ws
}

// drain stops ws after their record in progress and waits for their
// produced records to be acknowledged.
func (g *Group) drain(ctx context.Context, ws []*worker) {
	for _, w := range ws {
		close(w.stop)
	}
	for _, w := range ws {
		select {
		case <-w.done:
		case <-ctx.Done():
			g.o.Logger.Warn("record still in progress at the drain timeout; it will be processed again", "topic", w.tp.topic, "partition", w.tp.partition)
		}
	}
	for _, w := range ws {
		w.tracker.WaitIdle(ctx)
	}
}

func (g *Group) shutdown() {
	g.mu.Lock()
	ws := make([]*worker, 0, len(g.workers))
	for tp, w := range g.workers {
		ws = append(ws, w)
		delete(g.workers, tp)
	}
	g.closed = true
	g.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), g.o.DrainTimeout)
	defer cancel()
	if g.isAborted() {
		cancel() // a crash waits for nothing
	}
	g.drain(ctx, ws)
	if err := g.commit(ctx, ws); err != nil {
		g.o.Logger.Warn("final commit failed; uncommitted records will be processed again", "group", g.o.Group, "err", err)
	}
	g.cancelHard()
}

func (g *Group) runWorker(w *worker) {
	defer close(w.done)
	var fs []*Inflight // the batch's
	for {
		select {
		case <-w.stop:
			return
		case batch := <-w.in:
			fs = w.tracker.BeginBatch(batch, fs[:0])
			for i, rec := range batch {
				f := fs[i]
				select {
				case <-w.stop:
					w.tracker.Abandon(f) // and the rest of the batch
					return
				default:
				}
				if err := g.o.Handle(g.hard, rec, f); err != nil {
					w.tracker.Abandon(f)
					g.Fail(err)
					return
				}
				w.tracker.Finish(f)
			}
			clear(fs)
			if len(w.in) == 0 {
				select {
				case g.hurry <- struct{}{}:
				default:
				}
			}
		}
	}
}
