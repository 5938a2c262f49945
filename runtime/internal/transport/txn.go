package transport

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Exactly-once: a Group whose GroupOptions name a TransactionalID runs
// consume → process → produce in Kafka transactions, through franz-go's
// GroupTransactSession (the client of RunTransactions). Everything the
// partitions produce between two ends of a transaction — sink records,
// changelog records, dead letters — and the input offsets of the records
// that produced it commit together (KIP-447: the offsets go to the group
// inside the transaction), or not at all.
//
// A transaction ends in the poll loop, between a poll and AllowRebalance
// (no rebalance callback runs meanwhile), at every CommitInterval and at
// the stop:
//
//  1. the gate closes: each partition finishes the record in progress
//     and waits before its next one, so nothing is produced while the
//     transaction ends;
//  2. the PreCommit hooks send what must commit with the partitions'
//     work (tables' coalesced changelog records), and the producer is
//     flushed: every record processed is then acknowledged (franz-go
//     runs promises before Flush returns), and its partition's tracker
//     watermark covers it;
//  3. the transaction commits, carrying the offsets of every partition
//     that processed in it — unless one of them is no longer owned here
//     (revoked, lost, or this member was expelled) or asked to abort,
//     which aborts it: its outputs would commit without their offsets;
//  4. after a commit, the Committed hook of each committed partition runs
//     (tables store their overlays to bbolt); after an abort, every owned
//     partition restarts (partition.go): a fresh Partition object
//     recovers its tables from what was stored and fetches again from the
//     first offset the aborted transaction held;
//  5. the next transaction begins and the gate opens.
//
// Invariants kept here:
//   - A transaction commits only with the offsets of every record whose
//     outputs it holds, each partition's up to its tracker's watermark.
//   - Local state (a table store) is written only after the transaction
//     holding its changelog records committed: a store is always a
//     committed prefix of its changelog.
//   - Nothing is produced while a transaction ends (the gate).
//
// Fencing: a member expelled from the group (a zombie) has its partitions
// stopped as lost (membership.go), so its open transaction aborts; a
// TxnOffsetCommit of a stale generation is refused by the coordinator,
// which aborts it too. An instance whose transactional id another live
// process took over is fenced by the broker: its End fails and the group
// stops with an error naming the transaction.
type txnState struct {
	id   string
	sess *kgo.GroupTransactSession

	mu      sync.Mutex
	cond    *sync.Cond
	closing bool
	active  int                  // partitions holding the gate
	touched map[*Partition]int64 // partitions that processed in the open transaction: the first offset they processed
	wake    chan struct{}        // closed when the gate opens

	closingFlag atomic.Bool // closing, read without the lock between records
	inTxn       bool        // a transaction began and has not ended (poll loop only)

	committed atomic.Int64
	aborted   atomic.Int64
}

func newTxnState(id string) *txnState {
	t := &txnState{id: id, touched: map[*Partition]int64{}, wake: make(chan struct{})}
	t.cond = sync.NewCond(&t.mu)
	return t
}

// enter lets p process the record at offset in the open transaction: it
// waits while a transaction ends, and returns false when p is told to
// stop meanwhile.
func (t *txnState) enter(p *Partition, offset int64) bool {
	t.mu.Lock()
	for t.closing {
		wake := t.wake
		t.mu.Unlock()
		select {
		case <-wake:
		case <-p.stop:
			return false
		}
		t.mu.Lock()
	}
	t.active++
	if _, ok := t.touched[p]; !ok {
		t.touched[p] = offset
	}
	t.mu.Unlock()
	return true
}

// exit ends what enter began.
func (t *txnState) exit() {
	t.mu.Lock()
	t.active--
	if t.active == 0 && t.closing {
		t.cond.Broadcast()
	}
	t.mu.Unlock()
}

// ending says whether a transaction is waiting to end: a partition
// holding the gate lets go after its record in progress.
func (t *txnState) ending() bool { return t.closingFlag.Load() }

// close shuts the gate and waits until no partition holds it; it returns
// the partitions that processed in the transaction, with the first
// offset each processed, and forgets them.
func (t *txnState) close() map[*Partition]int64 {
	t.mu.Lock()
	t.closing = true
	t.closingFlag.Store(true)
	for t.active > 0 {
		t.cond.Wait()
	}
	touched := t.touched
	t.touched = map[*Partition]int64{}
	t.mu.Unlock()
	return touched
}

// open opens the gate.
func (t *txnState) open() {
	t.mu.Lock()
	t.closing = false
	t.closingFlag.Store(false)
	close(t.wake)
	t.wake = make(chan struct{})
	t.mu.Unlock()
}

// RunTransactions is Run for a Group whose options name a
// TransactionalID: s must be made with NewTransactSession from the
// group's Opts. It begins the first transaction; every later one begins
// when the previous one ends.
func (g *Group) RunTransactions(ctx context.Context, s *kgo.GroupTransactSession) error {
	if g.txn == nil {
		return errors.New("RunTransactions on a group without a TransactionalID")
	}
	g.txn.sess = s
	g.cl.Store(s.Client())
	if err := s.Begin(); err != nil {
		return fmt.Errorf("transaction %s: begin: %w", g.txn.id, err)
	}
	g.txn.inTxn = true
	return g.Run(ctx, s.Client())
}

// endTxn ends the open transaction, committing it when commit is true
// and every partition that processed in it may commit; then, unless
// final, it begins the next one. Only the poll loop (and the shutdown
// after it) calls it.
func (g *Group) endTxn(ctx context.Context, commit, final bool) error {
	t := g.txn
	touched := t.close()
	defer t.open()
	if !t.inTxn {
		return nil
	}
	if len(touched) == 0 && !final {
		return nil // nothing happened in it: it stays open
	}
	cl := g.client()
	var why string
	if commit {
		// What the hooks send before a commit (tables' coalesced
		// changelog records) goes in this transaction too, flushed with
		// the rest.
		var waits []func() error
		if h := g.o.Hooks.PreCommit; h != nil {
			for p := range touched {
				if p.closed.Load() || p.State() == Lost {
					continue // the transaction aborts below
				}
				if w := h(ctx, p, math.MaxInt64); w != nil {
					waits = append(waits, w)
				}
			}
		}
		if err := cl.Flush(ctx); err != nil {
			commit, why = false, "flush: "+err.Error()
		}
		for _, w := range waits {
			if err := w(); err != nil && commit {
				commit, why = false, err.Error()
			}
		}
	} else {
		why = "asked to abort"
	}
	offsets := map[string]map[int32]kgo.EpochOffset{}
	committing := map[*Partition]int64{}
	for p := range touched {
		if !commit {
			break
		}
		switch {
		case p.closed.Load() || p.State() == Lost:
			commit, why = false, fmt.Sprintf("%s[%d] is no longer owned here (%s)", p.Topic, p.Partition, p.State())
			continue
		case p.tracker.Failed():
			commit, why = false, fmt.Sprintf("%s[%d] had a delivery fail", p.Topic, p.Partition)
			continue
		}
		// The gate is closed and the producer flushed: every record the
		// partition processed is acknowledged, so the watermark is the
		// offset after the last one (records taken but not processed
		// yet come after it).
		eo, ok := p.tracker.Committable()
		if !ok || eo.Offset <= p.committed.Load() {
			continue
		}
		if offsets[p.Topic] == nil {
			offsets[p.Topic] = map[int32]kgo.EpochOffset{}
		}
		offsets[p.Topic][p.Partition] = eo
		committing[p] = eo.Offset
	}
	if !commit {
		clear(offsets)
		clear(committing)
	}
	setOffsets := func(req *kmsg.TxnOffsetCommitRequest) error {
		ids := map[string][16]byte{}
		for _, rt := range req.Topics {
			ids[rt.Topic] = rt.TopicID
		}
		req.Topics = req.Topics[:0]
		for topic, ps := range offsets {
			rt := kmsg.NewTxnOffsetCommitRequestTopic()
			rt.Topic, rt.TopicID = topic, ids[topic]
			for n, eo := range ps {
				rp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
				rp.Partition, rp.Offset, rp.LeaderEpoch = n, eo.Offset, eo.Epoch
				rp.Metadata = &req.MemberID
				rt.Partitions = append(rt.Partitions, rp)
			}
			req.Topics = append(req.Topics, rt)
		}
		return nil
	}
	began := time.Now()
	g.o.Logger.Debug("ending transaction", "transactional_id", t.id, "commit", commit, "final", final, "partitions", describe(touched))
	committed, err := t.sess.End(kgo.PreTxnCommitFnContext(ctx, setOffsets), kgo.TransactionEndTry(commit))
	t.inTxn = false
	if err != nil {
		err = fmt.Errorf("transaction %s: end (commit %v) of %s: %w", t.id, commit, describe(touched), err)
		g.Fail(err)
		return err
	}
	if committed {
		t.committed.Add(1)
		for p, off := range committing {
			if h := g.o.Hooks.Committed; h != nil {
				if herr := h(ctx, p, off); herr != nil {
					herr = fmt.Errorf("after transaction %s committed %s[%d]@%d: %w", t.id, p.Topic, p.Partition, off, herr)
					g.Fail(herr)
					return herr
				}
			}
			p.committed.Store(off)
		}
		g.o.Logger.Debug("transaction committed", "transactional_id", t.id, "partitions", len(committing), "took", time.Since(began))
	} else {
		t.aborted.Add(1)
		if why == "" {
			why = "the group rebalanced or the coordinator refused the offsets"
		}
		if !final {
			g.o.Logger.Warn("transaction aborted; the partitions restart from the offsets it began at", "transactional_id", t.id, "why", why, "partitions", describe(touched))
			g.restartAll(ctx, touched)
		} else if len(touched) > 0 {
			g.o.Logger.Warn("transaction aborted at the stop; the next owners process its records again", "transactional_id", t.id, "why", why, "partitions", describe(touched))
		}
	}
	if final {
		return nil
	}
	if err := t.sess.Begin(); err != nil {
		err = fmt.Errorf("transaction %s: begin: %w", t.id, err)
		g.Fail(err)
		return err
	}
	t.inTxn = true
	return nil
}

// restartAll restarts every owned partition after an aborted
// transaction: each is stopped like a lost one (its tables drop their
// overlays, nothing is committed) and a fresh Partition takes its place,
// fetching again from the first offset the aborted transaction held for
// it (or its last commit). touched holds those first offsets.
func (g *Group) restartAll(ctx context.Context, touched map[*Partition]int64) {
	old := g.owned()
	dctx, cancel := context.WithTimeout(ctx, g.o.DrainTimeout)
	defer cancel()
	g.stopPartitions(dctx, old, Lost)
	rewind := map[string]map[int32]kgo.EpochOffset{}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, p := range old {
		p.close()
		tp := topicPartition{p.Topic, p.Partition}
		if g.partitions[tp] != p || g.closed {
			continue
		}
		at, ok := touched[p]
		if !ok {
			at = p.committed.Load()
			if at < 0 {
				at = p.firstSeen.Load()
			}
		}
		np := g.newPartition(tp)
		np.committed.Store(p.committed.Load())
		g.partitions[tp] = np
		if at >= 0 {
			if rewind[p.Topic] == nil {
				rewind[p.Topic] = map[int32]kgo.EpochOffset{}
			}
			rewind[p.Topic][p.Partition] = kgo.EpochOffset{Epoch: -1, Offset: at}
		}
	}
	g.client().SetOffsets(rewind)
}

// describe names partitions as "topic[0] topic[3]", sorted.
func describe(ps map[*Partition]int64) string {
	names := make([]string, 0, len(ps))
	for p := range ps {
		names = append(names, fmt.Sprintf("%s[%d]", p.Topic, p.Partition))
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "no partition"
	}
	return strings.Join(names, " ")
}

// TxnStats counts a transactional group's transactions.
type TxnStats struct {
	// TransactionalID is the producer's transactional id.
	TransactionalID string
	// Committed and Aborted count the transactions ended since the start.
	Committed, Aborted int64
}
