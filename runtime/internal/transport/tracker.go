package transport

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Inflight is one input record being processed: it counts the records
// produced on its behalf that the broker has not acknowledged yet. Its
// offset becomes committable once processing has finished, its count is
// zero, and every earlier record of the partition is committable too.
type Inflight struct {
	tracker *OffsetTracker
	offset  int64
	epoch   int32
	// refs counts what the record still waits for: one for its processing
	// (until Finish) plus one per produced record not yet acknowledged.
	// Whoever brings it to zero advances the watermark, under the
	// tracker's lock; the other changes take no lock.
	refs atomic.Int32
}

// Offset returns the offset of f's record.
func (f *Inflight) Offset() int64 { return f.offset }

// Tracker returns the tracker of f's partition.
func (f *Inflight) Tracker() *OffsetTracker { return f.tracker }

// Alive returns nil while f's record may still produce: its partition is
// owned, and the member's membership is not in doubt (after a freeze of
// the process it waits for a confirmation). It returns an error wrapping
// ErrPartitionLost once the partition was taken away.
func (f *Inflight) Alive() error {
	p := f.tracker.owner
	if p == nil {
		return nil
	}
	if p.State() == Lost {
		return fmt.Errorf("%s[%d]: %w", p.Topic, p.Partition, ErrPartitionLost)
	}
	if err := p.g.member.check(p.g.hard); err != nil {
		return fmt.Errorf("%s[%d]: %w", p.Topic, p.Partition, err)
	}
	return nil
}

// Add counts one more produced record awaiting acknowledgement.
func (f *Inflight) Add() { f.refs.Add(1) }

// Done records the acknowledgement of one produced record; a non-nil err
// (a failed delivery) is reported to the tracker's failure function and
// the offset never becomes committable.
func (f *Inflight) Done(err error) {
	t := f.tracker
	if err != nil {
		t.fail(err)
		return
	}
	t.release(f)
}

// release drops one reference of f and advances the watermark when it
// was the last.
func (t *OffsetTracker) release(f *Inflight) {
	if f.refs.Add(-1) != 0 {
		return
	}
	t.mu.Lock()
	t.advanceLocked()
	t.mu.Unlock()
}

// OffsetTracker keeps the at-least-once watermark of one partition: the
// offset after the last record whose processing and produced records are
// all complete, with every record before it complete as well.
type OffsetTracker struct {
	mu          sync.Mutex
	idle        *sync.Cond
	queue       []*Inflight // in offset order, oldest first: a window of qbase
	qbase       []*Inflight // queue's backing array, reused from its start
	committable kgo.EpochOffset
	failed      bool
	fail        func(error)
	onIdle      func()
	slab        []Inflight // Begin hands out entries of it: one allocation per 256 records
	owner       *Partition // the partition it tracks (nil outside a Group)

	// Scratch is for the record handler's own per-partition state (reusable
	// buffers, say). Only the partition's goroutine touches it.
	Scratch any
}

// NewOffsetTracker returns a tracker with nothing committable yet; fail is
// called (possibly concurrently) with every delivery failure, and onIdle
// (if not nil) whenever the watermark advances to cover every record
// begun; it must not block.
func NewOffsetTracker(fail func(error), onIdle func()) *OffsetTracker {
	t := &OffsetTracker{committable: kgo.EpochOffset{Epoch: -1, Offset: -1}, onIdle: onIdle}
	t.fail = func(err error) {
		t.mu.Lock()
		t.failed = true
		t.idle.Broadcast()
		t.mu.Unlock()
		fail(err)
	}
	t.idle = sync.NewCond(&t.mu)
	return t
}

// Begin starts tracking the record at offset (leader epoch epoch), which
// must follow every offset begun before.
func (t *OffsetTracker) Begin(offset int64, epoch int32) *Inflight {
	t.mu.Lock()
	if len(t.slab) == 0 {
		t.slab = make([]Inflight, 256)
	}
	f := &t.slab[0]
	t.slab = t.slab[1:]
	f.tracker, f.offset, f.epoch = t, offset, epoch
	f.refs.Store(1) // the processing
	t.pushLocked(f)
	t.mu.Unlock()
	return f
}

// BeginBatch starts tracking recs, which must be in offset order and
// follow every offset begun before, under one lock, and returns their
// Inflights appended to dst. A record of them that will not be processed
// must be given to Abandon.
func (t *OffsetTracker) BeginBatch(recs []*kgo.Record, dst []*Inflight) []*Inflight {
	t.mu.Lock()
	for _, r := range recs {
		if len(t.slab) == 0 {
			t.slab = make([]Inflight, 256)
		}
		f := &t.slab[0]
		t.slab = t.slab[1:]
		f.tracker, f.offset, f.epoch = t, r.Offset, r.LeaderEpoch
		f.refs.Store(1) // the processing
		t.pushLocked(f)
		dst = append(dst, f)
	}
	t.mu.Unlock()
	return dst
}

// pushLocked appends f to the queue. The queue advances from its front,
// so when it reaches the end of its backing array it moves back to the
// start (or into a larger array when more than half full) instead of
// reallocating on every append.
func (t *OffsetTracker) pushLocked(f *Inflight) {
	if len(t.queue) == cap(t.queue) {
		if cap(t.qbase) > 0 && len(t.queue) <= cap(t.qbase)/2 {
			n := copy(t.qbase, t.queue)
			clear(t.qbase[n:])
			t.queue = t.qbase[:n]
		} else {
			nb := make([]*Inflight, len(t.queue), 2*cap(t.qbase)+256)
			copy(nb, t.queue)
			t.qbase, t.queue = nb[:cap(nb)], nb
		}
	}
	t.queue = append(t.queue, f)
}

// Finish marks f's processing as finished; its offset becomes committable
// once its produced records are acknowledged.
func (t *OffsetTracker) Finish(f *Inflight) { t.release(f) }

// Abandon drops f and every record begun after it: their offsets never
// become committable, while the records before f still can. Used when a
// record fails and the partition stops.
func (t *OffsetTracker) Abandon(f *Inflight) {
	t.mu.Lock()
	for i, q := range t.queue {
		if q == f {
			clear(t.queue[i:])
			t.queue = t.queue[:i]
			break
		}
	}
	t.advanceLocked()
	t.mu.Unlock()
}

func (t *OffsetTracker) advanceLocked() {
	if t.failed {
		return
	}
	n := 0
	for _, f := range t.queue {
		if f.refs.Load() != 0 {
			break
		}
		t.committable = kgo.EpochOffset{Epoch: f.epoch, Offset: f.offset + 1}
		n++
	}
	if n > 0 {
		clear(t.queue[:n])
		t.queue = t.queue[n:]
		if len(t.queue) == 0 {
			t.queue = t.qbase[:0] // start again at the front
		}
	}
	if len(t.queue) == 0 {
		t.idle.Broadcast()
		if n > 0 && t.onIdle != nil {
			t.onIdle()
		}
	}
}

// Committable returns the offset to commit (the next record to process)
// and whether there is one.
func (t *OffsetTracker) Committable() (kgo.EpochOffset, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.committable, t.committable.Offset >= 0
}

// Failed reports whether a delivery failed: the watermark stopped.
func (t *OffsetTracker) Failed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed
}

// WaitIdle waits until every begun record is committable (or the tracker
// failed, or ctx ends) and reports whether the tracker is idle and healthy.
func (t *OffsetTracker) WaitIdle(ctx context.Context) bool {
	stop := context.AfterFunc(ctx, func() {
		t.mu.Lock()
		t.idle.Broadcast()
		t.mu.Unlock()
	})
	defer stop()
	t.mu.Lock()
	defer t.mu.Unlock()
	for len(t.queue) > 0 && !t.failed && ctx.Err() == nil {
		t.idle.Wait()
	}
	return len(t.queue) == 0 && !t.failed
}
