package transport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/faustgen/faustgen/runtime/internal/flow"
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
	// Hooks plug tables and transactions into each partition's life.
	Hooks Hooks
	// Ready, when set, holds every partition (before its Start hook and
	// its first record) until it is closed: the client joins the group as
	// soon as it exists, before its owner may have finished starting
	// (schemas registered, say).
	Ready <-chan struct{}
	// CommitInterval is the most often committable offsets are committed:
	// a commit runs at each interval while records complete, and at once
	// when a partition has completed everything it was given and the last
	// commit is an interval old. Default 1s.
	CommitInterval time.Duration
	// MaxPollRecords caps the records taken from the client per poll.
	// Default 10000 (fewer when MaxBufferedBytes is small).
	MaxPollRecords int
	// MaxBufferedBytes caps the input the process holds: the client's
	// buffered fetches plus every partition's buffer (see Budget in
	// group.go). Default 64 MiB; at least 1 MiB.
	MaxBufferedBytes int64
	// PartitionLimits bound each partition's input buffer. Default:
	// 10000 records and an eighth of MaxBufferedBytes (at least 64 KiB),
	// resuming at half of each.
	PartitionLimits flow.Limits
	// InstanceID, when set, makes the member static (KIP-345): restarted
	// within SessionTimeout with the same id, it gets its partitions back
	// without a rebalance. Each live instance needs its own id.
	InstanceID string
	// SessionTimeout is how long the coordinator waits for a silent
	// member (crashed, frozen, cut off) before giving its partitions to
	// others. Default 10s (kgo's is 45s).
	SessionTimeout time.Duration
	// RebalanceTimeout is how long the coordinator waits for every member
	// to rejoin in a rebalance; a member that has not rejoined by then is
	// expelled. Revokes finish well within it (the record in progress,
	// then a commit). Default 30s.
	RebalanceTimeout time.Duration
	// DrainTimeout bounds how long a stop or a revoke waits for the
	// record in progress and for acknowledgements. Default 30s.
	DrainTimeout time.Duration
	// Logger receives the group's logs. Default: slog.Default().
	Logger *slog.Logger
	// TransactionalID, when set, runs the group exactly-once (txn.go):
	// its client is a transactional producer with this id, made by
	// NewTransactSession from Opts and run by RunTransactions. Each live
	// instance needs its own: a second process with the same id fences
	// the first. A transaction ends at every CommitInterval.
	TransactionalID string
	// TransactionTimeout is how long the broker lets a transaction stay
	// open before aborting it (an instance frozen or killed mid-way).
	// Default: 10 × CommitInterval, at least 10s and at most 15m (the
	// broker's default transaction.max.timeout.ms).
	TransactionTimeout time.Duration
}

// Defaults of GroupOptions.
const (
	DefaultMaxBufferedBytes = 64 << 20
	MinMaxBufferedBytes     = 1 << 20
)

type topicPartition struct {
	topic     string
	partition int32
}

// Group is a consumer group member that processes every assigned
// partition in order on its own goroutine, partitions in parallel, and
// commits at-least-once: an offset is committed only once its record and
// every earlier record of the partition are processed and everything they
// produced is acknowledged — or, given a TransactionalID, exactly-once,
// in transactions (txn.go). Each assigned partition's life is a
// *Partition (partition.go).
//
// Memory: the input held by the process is capped by MaxBufferedBytes,
// split in two. A quarter is the client's: at most 2 fetches in flight or
// buffered, each sized to hold at most an eighth of the budget once
// decoded (see fetchSizer: fetch sizes count compressed wire bytes, so
// they are scaled by the expansion measured on the batches read). A
// single record batch larger than a fetch is still returned, and exceeds
// the cap by that batch. Three quarters are the partitions' buffers, counted by a
// flow.Budget: the poll loop polls only when that budget has room for the
// most one poll can return (the client's quarter plus the bookkeeping of
// the records it may hold), so the partitions never hold more than their
// share.
//
// Use it as: g := NewGroup(opts); cl := NewClient(conn, g.Opts()...);
// g.Run(ctx, cl); cl.Close().
type Group struct {
	o GroupOptions

	cl atomic.Pointer[kgo.Client] // set by Run or the first callback, whichever comes first

	hard       context.Context // processing context, canceled on a forced stop
	cancelHard context.CancelFunc
	soft       context.Context // canceled to stop polling (stop or failure)
	cancelSoft context.CancelFunc

	errMu sync.Mutex
	err   error

	budget      *flow.Budget
	fetch       fetchSizer
	member      membership
	pollRecords int   // records per poll
	pollCost    int64 // the most one poll can add to the budget

	mu         sync.Mutex // guards partitions, closed and aborted
	partitions map[topicPartition]*Partition
	closed     bool // set when Run has finished: callbacks do nothing
	aborted    bool // set by Abort: nothing more is committed

	txn *txnState // nil: at-least-once

	commitMu sync.Mutex    // serializes commits
	kick     chan struct{} // a partition became idle: commit soon
	hurry    chan struct{} // a partition ran out of records: send what lingers
}

// NewGroup returns a Group with o's defaults filled in.
func NewGroup(o GroupOptions) *Group {
	if o.CommitInterval <= 0 {
		o.CommitInterval = time.Second
	}
	if o.MaxPollRecords <= 0 {
		o.MaxPollRecords = 10000
	}
	if o.MaxBufferedBytes <= 0 {
		o.MaxBufferedBytes = DefaultMaxBufferedBytes
	}
	o.MaxBufferedBytes = max(o.MaxBufferedBytes, MinMaxBufferedBytes)
	if o.PartitionLimits.HighBytes <= 0 {
		o.PartitionLimits.HighBytes = max(o.MaxBufferedBytes/8, 64<<10)
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = 30 * time.Second
	}
	if o.SessionTimeout <= 0 {
		o.SessionTimeout = 10 * time.Second
	}
	if o.RebalanceTimeout <= 0 {
		o.RebalanceTimeout = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	g := &Group{o: o, partitions: map[topicPartition]*Partition{}, kick: make(chan struct{}, 1), hurry: make(chan struct{}, 1)}
	clientShare := o.MaxBufferedBytes / 4
	g.fetch.init(clientShare, o.PartitionLimits.HighBytes)
	g.pollRecords = int(min(int64(o.MaxPollRecords), max(1, o.MaxBufferedBytes/16/flow.RecordOverhead)))
	g.pollCost = clientShare + int64(g.pollRecords)*flow.RecordOverhead
	g.budget = flow.NewBudget(o.MaxBufferedBytes - clientShare)
	g.hard, g.cancelHard = context.WithCancel(context.Background())
	g.soft, g.cancelSoft = context.WithCancel(context.Background())
	g.member.init(g, o.SessionTimeout)
	if o.TransactionalID != "" {
		g.txn = newTxnState(o.TransactionalID)
		if g.o.TransactionTimeout <= 0 {
			g.o.TransactionTimeout = min(max(10*o.CommitInterval, 10*time.Second), 15*time.Minute) // the broker's default transaction.max.timeout.ms
		}
	}
	return g
}

// Opts returns the kgo options that make a client a member of the group,
// with fetch sizes derived from MaxBufferedBytes.
func (g *Group) Opts() []kgo.Opt {
	opts := []kgo.Opt{
		kgo.SessionTimeout(g.o.SessionTimeout),
		kgo.RebalanceTimeout(g.o.RebalanceTimeout),
		kgo.ConsumerGroup(g.o.Group),
		kgo.ConsumeTopics(g.o.Topics...),
		kgo.Balancers(kgo.CooperativeStickyBalancer()),
		kgo.DisableAutoCommit(),
		// Records of aborted transactions (ours after a crash, or an
		// upstream exactly-once producer's) are never processed.
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.BlockRebalanceOnPoll(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.MaxConcurrentFetches(2),
		// A resumed partition joins the next fetch only once the fetch in
		// flight returns, which waits up to FetchMaxWait when there is no
		// new data: kgo's 5s default would hold a partition leaving its
		// recovery (or a drained buffer) that long. The Java client's
		// default.
		kgo.FetchMaxWait(500 * time.Millisecond),
		kgo.FetchMaxBytes(g.fetch.maxBytes),
		kgo.FetchMaxPartitionBytes(g.fetch.partBytes),
		kgo.WithHooks(&g.fetch),
		kgo.OnPartitionsAssigned(g.onAssigned),
		kgo.OnPartitionsRevoked(g.onRevoked),
		kgo.OnPartitionsLost(g.onLost),
	}
	if g.o.InstanceID != "" {
		opts = append(opts, kgo.InstanceID(g.o.InstanceID))
	}
	if g.txn != nil {
		opts = append(opts, kgo.TransactionalID(g.o.TransactionalID), kgo.TransactionTimeout(g.o.TransactionTimeout))
	}
	return opts
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

// client returns the group's client.
func (g *Group) client() *kgo.Client { return g.cl.Load() }

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
	g.cl.Store(cl)
	stop := context.AfterFunc(ctx, g.cancelSoft)
	defer stop()

	go g.member.tick(g.hard)
	var bg sync.WaitGroup
	if g.txn == nil {
		bg.Go(g.commitLoop) // under exactly-once the poll loop ends transactions
	}
	bg.Go(g.hurryLoop)
	bg.Go(g.watchPauses)
	g.pollLoop()
	bg.Wait()
	g.shutdown()

	g.errMu.Lock()
	defer g.errMu.Unlock()
	return g.err
}

// pollLoop polls while the budget has room for a poll and pushes each
// partition's records into its buffer. It never waits on a partition:
// Push does not block, a full buffer pauses its own partition, and
// AllowRebalance follows every poll at once.
//
// Under exactly-once it also ends the transaction at every
// CommitInterval, after a poll and before AllowRebalance: no rebalance
// callback runs while it ends, and the offsets it rewinds after an abort
// are set where franz-go wants them set (txn.go).
func (g *Group) pollLoop() {
	if g.txn != nil {
		g.pollLoopTxn()
		return
	}
	for {
		if err := g.budget.WaitRoom(g.soft, g.pollCost); err != nil {
			return
		}
		fetches := g.client().PollRecords(g.soft, g.pollRecords)
		if g.soft.Err() != nil || fetches.IsClientClosed() {
			g.client().AllowRebalance()
			return
		}
		g.push(fetches)
		g.client().AllowRebalance()
		g.fetch.adjust(g.client())
	}
}

// pollLoopTxn is the poll loop of exactly-once: polls wait at most until
// the transaction is due to end.
func (g *Group) pollLoopTxn() {
	due := time.Now().Add(g.o.CommitInterval)
	for {
		ctx, cancel := context.WithDeadline(g.soft, due)
		if err := g.budget.WaitRoom(ctx, g.pollCost); err == nil {
			fetches := g.client().PollRecords(ctx, g.pollRecords)
			if fetches.IsClientClosed() {
				cancel()
				g.client().AllowRebalance()
				return
			}
			g.push(fetches)
		}
		cancel()
		if g.soft.Err() != nil {
			g.client().AllowRebalance()
			return
		}
		if !time.Now().Before(due) {
			// Not g.soft: a graceful stop arriving while the transaction
			// ends must not cancel its End half way (Flush would fail
			// with the transaction left open and the stop would report
			// the cancellation as an error); only a forced stop does.
			_ = g.endTxn(g.hard, true, false) // a failure stops the group
			due = time.Now().Add(g.o.CommitInterval)
		}
		g.client().AllowRebalance()
		g.fetch.adjust(g.client())
	}
}

// push hands each partition its fetched records.
func (g *Group) push(fetches kgo.Fetches) {
	fetches.EachError(func(topic string, partition int32, err error) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return
		}
		g.o.Logger.Error("fetch failed", "topic", topic, "partition", partition, "err", err)
	})
	fetches.EachPartition(func(fp kgo.FetchTopicPartition) {
		g.mu.Lock()
		p := g.partitions[topicPartition{fp.Topic, fp.Partition}]
		g.mu.Unlock()
		if p == nil {
			if len(fp.Records) > 0 {
				// Not possible while rebalances wait for
				// AllowRebalance; the records stay uncommitted.
				g.o.Logger.Warn("records for a partition not assigned", "topic", fp.Topic, "partition", fp.Partition)
			}
			return
		}
		p.highWater.Store(fp.HighWatermark)
		if len(fp.Records) == 0 {
			return
		}
		p.firstSeen.CompareAndSwap(-1, fp.Records[0].Offset)
		p.buf.Push(fp.Records)
	})
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
		if err := g.commit(g.soft, g.owned()); err != nil && g.soft.Err() == nil {
			g.o.Logger.Warn("commit failed; retrying at the next interval", "group", g.o.Group, "err", err)
		}
		last = time.Now()
		t.Reset(g.o.CommitInterval)
	}
}

func (g *Group) owned() []*Partition {
	g.mu.Lock()
	defer g.mu.Unlock()
	ps := make([]*Partition, 0, len(g.partitions))
	for _, p := range g.partitions {
		ps = append(ps, p)
	}
	return ps
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
			if err := g.client().Flush(g.soft); err != nil && g.soft.Err() == nil {
				g.o.Logger.Warn("flush failed", "err", err)
			}
		}
	}
}

func (g *Group) hurryUp() {
	select {
	case g.hurry <- struct{}{}:
	default:
	}
}

// LongPause is how long a partition stays paused before it is logged at
// warn level (once per pause).
const LongPause = time.Minute

// watchPauses warns about partitions paused for longer than LongPause.
func (g *Group) watchPauses() {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-g.soft.Done():
			return
		case <-t.C:
		}
		for _, p := range g.owned() {
			if why, lasted, ok := p.buf.LongPause(LongPause); ok {
				s := p.buf.Stats()
				g.o.Logger.Warn("partition paused for over a minute", "topic", p.Topic, "partition", p.Partition,
					"why", why, "paused", lasted.Round(time.Second), "state", p.State().String(),
					"buffered_records", s.Records, "buffered_bytes", s.Bytes)
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

// commit commits the committable offsets of ps that moved since their
// last commit, each after its PreCommit sends were acknowledged and its
// BeforeCommit hook accepted it. Lost partitions are skipped.
func (g *Group) commit(ctx context.Context, ps []*Partition) error {
	g.commitMu.Lock()
	defer g.commitMu.Unlock()
	if g.isAborted() {
		return nil
	}
	var errs []error
	type candidate struct {
		p    *Partition
		eo   kgo.EpochOffset
		wait func() error
	}
	var cands []candidate
	for _, p := range ps {
		if p.State() == Lost {
			continue
		}
		eo, ok := p.tracker.Committable()
		if !ok || p.committed.Load() >= eo.Offset {
			continue
		}
		cands = append(cands, candidate{p: p, eo: eo})
	}
	if h := g.o.Hooks.PreCommit; h != nil {
		for i := range cands {
			cands[i].wait = h(ctx, cands[i].p, cands[i].eo.Offset)
		}
	}
	offsets := map[string]map[int32]kgo.EpochOffset{}
	byTP := map[topicPartition]*Partition{}
	for _, c := range cands {
		p, eo := c.p, c.eo
		var err error
		if c.wait != nil {
			err = c.wait()
		}
		if h := g.o.Hooks.BeforeCommit; err == nil && h != nil {
			err = h(ctx, p, eo.Offset)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("before commit of %s[%d]@%d: %w", p.Topic, p.Partition, eo.Offset, err))
			continue
		}
		if offsets[p.Topic] == nil {
			offsets[p.Topic] = map[int32]kgo.EpochOffset{}
		}
		offsets[p.Topic][p.Partition] = eo
		byTP[topicPartition{p.Topic, p.Partition}] = p
	}
	if len(offsets) == 0 {
		return errors.Join(errs...)
	}
	defer func() {
		if isMembershipError(errors.Join(errs...)) {
			g.member.suspect.Store(true) // the next record confirms, or stops as expelled
		}
	}()
	g.client().CommitOffsetsSync(ctx, offsets, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			errs = append(errs, err)
			return
		}
		for _, t := range resp.Topics {
			for _, tp := range t.Partitions {
				if err := kerr.ErrorForCode(tp.ErrorCode); err != nil {
					errs = append(errs, fmt.Errorf("commit %s[%d]: %w", t.Topic, tp.Partition, err))
					continue
				}
				if p := byTP[topicPartition{t.Topic, tp.Partition}]; p != nil {
					p.committed.Store(offsets[t.Topic][tp.Partition].Offset)
				}
			}
		}
	})
	return errors.Join(errs...)
}

func (g *Group) onAssigned(_ context.Context, cl *kgo.Client, assigned map[string][]int32) {
	g.cl.CompareAndSwap(nil, cl)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return
	}
	for topic, partitions := range assigned {
		for _, n := range partitions {
			tp := topicPartition{topic, n}
			if old := g.partitions[tp]; old != nil {
				if old.State() != Lost {
					continue
				}
				// Stopped when the member was expelled, and assigned
				// again before kgo reported it lost: end it first.
				old.close()
			}
			g.partitions[tp] = g.newPartition(tp)
		}
	}
	g.o.Logger.Info("partitions assigned", "group", g.o.Group, "assigned", assigned)
}

// onRevoked finishes the record in progress on each revoked partition,
// drops what it had buffered, waits for what it produced, and commits
// before the partition is given up.
func (g *Group) onRevoked(ctx context.Context, _ *kgo.Client, revoked map[string][]int32) {
	ps := g.take(revoked)
	if len(ps) == 0 {
		return
	}
	// Within the rebalance timeout, or the group expels this member.
	dctx, cancel := context.WithTimeout(ctx, min(g.o.DrainTimeout, g.o.RebalanceTimeout/2))
	defer cancel()
	g.stopPartitions(dctx, ps, Revoking)
	if g.txn != nil {
		// Their work since the last commit is in the open transaction,
		// which cannot end here (franz-go's session holds its lock during
		// this callback): it aborts, and their next owner redoes it.
		for _, p := range ps {
			p.close()
		}
		g.o.Logger.Info("partitions revoked; the open transaction will abort", "group", g.o.Group, "revoked", revoked, "transactional_id", g.txn.id)
		return
	}
	if err := g.commit(dctx, ps); err != nil {
		g.o.Logger.Warn("commit on revoke failed; the next owner reprocesses from the last commit", "group", g.o.Group, "err", err)
	}
	for _, p := range ps {
		p.close()
	}
	g.o.Logger.Info("partitions revoked", "group", g.o.Group, "revoked", revoked)
}

// onLost stops lost partitions after their record in progress, without
// committing.
func (g *Group) onLost(ctx context.Context, _ *kgo.Client, lost map[string][]int32) {
	ps := g.take(lost)
	if len(ps) == 0 {
		return
	}
	dctx, cancel := context.WithTimeout(ctx, g.o.DrainTimeout)
	defer cancel()
	g.stopPartitions(dctx, ps, Lost)
	for _, p := range ps {
		p.close()
	}
	g.o.Logger.Warn("partitions lost; their uncommitted records will be processed again", "group", g.o.Group, "lost", lost)
}

// take removes the partitions tps names from the owned ones.
func (g *Group) take(tps map[string][]int32) []*Partition {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	var ps []*Partition
	for topic, partitions := range tps {
		for _, n := range partitions {
			tp := topicPartition{topic, n}
			if p := g.partitions[tp]; p != nil {
				ps = append(ps, p)
				delete(g.partitions, tp)
			}
		}
	}
	return ps
}

// stopPartitions moves ps to state to and waits until they have stopped.
func (g *Group) stopPartitions(ctx context.Context, ps []*Partition, to State) {
	for _, p := range ps {
		p.beginStop(to)
	}
	for _, p := range ps {
		p.awaitStopped(ctx)
	}
}

func (g *Group) shutdown() {
	g.mu.Lock()
	ps := make([]*Partition, 0, len(g.partitions))
	for tp, p := range g.partitions {
		ps = append(ps, p)
		delete(g.partitions, tp)
	}
	g.closed = true
	g.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), g.o.DrainTimeout)
	defer cancel()
	if g.isAborted() {
		cancel() // a crash waits for nothing
	}
	g.stopPartitions(ctx, ps, Revoking)
	if g.txn != nil {
		if !g.isAborted() {
			g.errMu.Lock()
			failed := g.err != nil
			g.errMu.Unlock()
			// A failure (the fail policy, a failed delivery) aborts.
			if err := g.endTxn(ctx, !failed, true); err != nil {
				g.o.Logger.Warn("final transaction failed; uncommitted records will be processed again", "group", g.o.Group, "err", err)
			}
		}
	} else if err := g.commit(ctx, ps); err != nil {
		g.o.Logger.Warn("final commit failed; uncommitted records will be processed again", "group", g.o.Group, "err", err)
	}
	for _, p := range ps {
		p.close()
	}
	g.cancelHard()
}

// GroupStats is a snapshot of a Group's flow control.
type GroupStats struct {
	// MaxBufferedBytes is the process's input budget; BufferedBytes what
	// the partitions hold of it (buffered and in progress, bookkeeping
	// included) and FetchBufferedBytes what the client's fetches hold
	// (keys, values, headers and per-record bookkeeping, as BufferedBytes).
	MaxBufferedBytes   int64
	BufferedBytes      int64
	FetchBufferedBytes int64
	// Partitions are the owned partitions.
	Partitions []PartitionStats
	// Transactions counts the transactions under exactly-once (nil
	// under at-least-once).
	Transactions *TxnStats
}

// Stats returns a snapshot of g.
func (g *Group) Stats() GroupStats {
	s := GroupStats{MaxBufferedBytes: g.o.MaxBufferedBytes, BufferedBytes: g.budget.Used()}
	if cl := g.client(); cl != nil {
		s.FetchBufferedBytes = cl.BufferedFetchBytes() + cl.BufferedFetchRecords()*flow.RecordOverhead
	}
	for _, p := range g.owned() {
		s.Partitions = append(s.Partitions, p.stats())
	}
	if t := g.txn; t != nil {
		s.Transactions = &TxnStats{TransactionalID: t.id, Committed: t.committed.Load(), Aborted: t.aborted.Load()}
	}
	return s
}

// fetchSizer sizes the client's fetches so that what they hold once
// decoded — decompressed keys, values and headers plus a kgo.Record per
// record — stays within the client's share of the budget. Brokers size
// fetches in wire bytes, which compression shrinks (ten times and more for
// repetitive values) and which do not count the records' bookkeeping, so
// it measures the expansion on every batch read (a kgo hook) and scales
// the fetch sizes by it. Until the first measurement it assumes 4.
type fetchSizer struct {
	share     int64 // the client's share of the budget, decoded bytes
	partMem   int64 // the most one partition's fetch should hold, decoded
	maxBytes  int32 // FetchMaxBytes now
	partBytes int32 // FetchMaxPartitionBytes now
	ratio     float64

	wire, mem atomic.Int64 // sums over batches read since the last adjust
}

const (
	initialExpansion = 4
	minFetchBytes    = 16 << 10
	maxFetchBytes    = 50 << 20 // kgo's default, within its BrokerMaxReadBytes
)

func (f *fetchSizer) init(share, partitionHigh int64) {
	f.share, f.partMem = share, min(partitionHigh/2, 1<<20)
	f.set(initialExpansion)
}

func (f *fetchSizer) set(ratio float64) {
	f.ratio = ratio
	f.maxBytes = int32(max(minFetchBytes, min(float64(f.share/2)/ratio, maxFetchBytes)))
	f.partBytes = min(f.maxBytes, int32(max(minFetchBytes, float64(f.partMem)/ratio)))
}

// OnFetchBatchRead is the kgo hook that measures the expansion.
func (f *fetchSizer) OnFetchBatchRead(_ kgo.BrokerMetadata, _ string, _ int32, m kgo.FetchBatchMetrics) {
	f.wire.Add(int64(max(m.CompressedBytes, 1)))
	f.mem.Add(int64(m.UncompressedBytes) + int64(m.NumRecords)*flow.RecordOverhead)
}

// adjust updates cl's fetch sizes once a fetch's worth of batches has been
// measured and the expansion moved by more than a fifth. Only the poll
// loop calls it.
func (f *fetchSizer) adjust(cl *kgo.Client) {
	wire := f.wire.Load()
	if wire < int64(f.maxBytes)/2 {
		return
	}
	mem := f.mem.Swap(0)
	f.wire.Add(-wire)
	ratio := max(1, float64(mem)/float64(wire))
	if ratio < f.ratio*1.2 && ratio > f.ratio/1.2 {
		return
	}
	f.set(ratio)
	cl.UpdateFetchMaxBytes(f.maxBytes, f.partBytes)
}
