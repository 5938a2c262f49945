// Package flow is faustgen's flow control: a process-wide byte budget for
// buffered input and, per partition, a bounded input buffer that asks for
// its partition's fetching to be paused when it fills and resumed when it
// drains.
//
// It decides when to pause and resume; it does not talk to Kafka. The
// owner of a Buffer (the partition lifecycle in runtime/transport) gives it
// the functions that pause and resume the partition's fetch. Nothing here
// blocks the goroutine that fills the buffers: Push never waits, so one
// slow partition holds back neither the others nor a rebalance.
//
// What is counted: a record costs its key, value and header bytes plus
// RecordOverhead for the bookkeeping that holds it (the *kgo.Record). A
// record is counted from the moment it is pushed until the partition
// releases it after processing: buffered and in-progress records both
// occupy memory.
package flow

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/twmb/franz-go/pkg/kgo"
)

// RecordOverhead is what a record costs beyond its key, value and header
// bytes: the kgo.Record that carries it and the pointer that lists it.
const RecordOverhead = int64(unsafe.Sizeof(kgo.Record{})) + 8

// Cost is what rec counts against a Buffer and a Budget.
func Cost(rec *kgo.Record) int64 {
	n := int64(len(rec.Key)+len(rec.Value)) + RecordOverhead
	for _, h := range rec.Headers {
		n += int64(len(h.Key) + len(h.Value))
	}
	return n
}

// Budget caps the bytes of input the process holds in Buffers. Its
// invariant, kept by the poller: a poll starts only when Used()+the most a
// poll can return is at most Max(), so Used() never exceeds Max() as long
// as polls keep to that bound (see WaitRoom).
type Budget struct {
	max  int64
	used atomic.Int64

	mu   sync.Mutex
	want int64         // what a waiter needs free, 0 when none waits
	room chan struct{} // closed when want is free
}

// NewBudget returns a Budget of max bytes.
func NewBudget(max int64) *Budget { return &Budget{max: max} }

// Max returns the budget's size in bytes.
func (b *Budget) Max() int64 { return b.max }

// Used returns the bytes counted against the budget now.
func (b *Budget) Used() int64 { return b.used.Load() }

func (b *Budget) add(n int64) { b.used.Add(n) }

func (b *Budget) release(n int64) {
	used := b.used.Add(-n)
	b.mu.Lock()
	if b.room != nil && b.max-used >= b.want {
		close(b.room)
		b.room, b.want = nil, 0
	}
	b.mu.Unlock()
}

// WaitRoom waits until need bytes are free (or ctx ends: it returns
// ctx's error). The poller calls it before each poll with the most a poll
// can return. One goroutine waits at a time.
func (b *Budget) WaitRoom(ctx context.Context, need int64) error {
	for {
		b.mu.Lock()
		if b.max-b.used.Load() >= need {
			b.mu.Unlock()
			return nil
		}
		room := make(chan struct{})
		b.room, b.want = room, need
		b.mu.Unlock()
		select {
		case <-room:
		case <-ctx.Done():
			b.mu.Lock()
			if b.room == room {
				b.room, b.want = nil, 0
			}
			b.mu.Unlock()
			return ctx.Err()
		}
	}
}

// Limits bound one partition's Buffer. Reaching either high watermark
// pauses the partition's fetching; it resumes once both are below their
// low watermark. A poll that lands on an almost full buffer may carry it
// past a high watermark by one fetch: these are watermarks, while the
// Budget is the process's cap.
type Limits struct {
	// HighRecords and HighBytes pause fetching when reached.
	HighRecords int
	HighBytes   int64
	// LowRecords and LowBytes resume fetching when both are below.
	// Default: half of the high ones.
	LowRecords int
	LowBytes   int64
}

func (l Limits) withDefaults() Limits {
	if l.HighRecords <= 0 {
		l.HighRecords = 10000
	}
	if l.HighBytes <= 0 {
		l.HighBytes = 8 << 20
	}
	if l.LowRecords <= 0 || l.LowRecords > l.HighRecords {
		l.LowRecords = l.HighRecords / 2
	}
	if l.LowBytes <= 0 || l.LowBytes > l.HighBytes {
		l.LowBytes = l.HighBytes / 2
	}
	return l
}

// Valve is how a Buffer pauses and resumes its partition's fetching. The
// Buffer calls it under its lock, only on a change; the functions must not
// call back into the Buffer.
type Valve struct {
	Pause  func(reason string)
	Resume func()
}

// Buffer is one partition's input: records pushed by the poller and taken,
// in order, by the partition's goroutine. It is paused while it is full or
// held (Hold), and resumed when neither holds.
type Buffer struct {
	limits Limits
	budget *Budget
	valve  Valve

	mu       sync.Mutex
	queue    []*kgo.Record // pushed, not taken
	qhead    int           // queue[qhead:] is what waits
	records  int           // pushed and not released (queued + taken)
	bytes    int64         // their cost
	full     bool          // a high watermark was reached, no low one since
	holds    int           // Hold calls not released
	paused   bool          // full || holds > 0, as the valve was last told
	since    time.Time     // when the current pause began
	total    time.Duration // paused time before the current pause
	pauses   int64         // how many times the valve was paused
	closed   bool
	ready    chan struct{} // signaled when records are queued or the buffer closes
	reason   string        // why the current pause began
	warnedAt time.Time     // the pause (its since) last warned about
}

// NewBuffer returns an empty, unpaused Buffer counting against budget.
func NewBuffer(limits Limits, budget *Budget, valve Valve) *Buffer {
	return &Buffer{limits: limits.withDefaults(), budget: budget, valve: valve, ready: make(chan struct{}, 1)}
}

// Push queues recs, which follow every record pushed before. It never
// blocks; it pauses the partition when a high watermark is reached. On a
// closed Buffer it does nothing (the records stay uncommitted).
func (b *Buffer) Push(recs []*kgo.Record) {
	var cost int64
	for _, r := range recs {
		cost += Cost(r)
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	if b.qhead > 0 && b.qhead == len(b.queue) {
		clear(b.queue)
		b.queue, b.qhead = b.queue[:0], 0
	}
	b.queue = append(b.queue, recs...)
	b.records += len(recs)
	b.bytes += cost
	b.budget.add(cost)
	if !b.full && (b.records >= b.limits.HighRecords || b.bytes >= b.limits.HighBytes) {
		b.full = true
		b.updateLocked("input buffer full")
	}
	b.mu.Unlock()
	select {
	case b.ready <- struct{}{}:
	default:
	}
}

// Take waits for queued records (or for stop to close, or the Buffer to
// close) and appends up to max of them to dst, oldest first. It returns
// dst unchanged and false when stopped or closed. Taken records stay
// counted until Release.
func (b *Buffer) Take(stop <-chan struct{}, dst []*kgo.Record, max int) ([]*kgo.Record, bool) {
	for {
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			return dst, false
		}
		if n := len(b.queue) - b.qhead; n > 0 {
			n = min(n, max)
			dst = append(dst, b.queue[b.qhead:b.qhead+n]...)
			clear(b.queue[b.qhead : b.qhead+n])
			b.qhead += n
			if b.qhead == len(b.queue) {
				b.queue, b.qhead = b.queue[:0], 0
			}
			b.mu.Unlock()
			return dst, true
		}
		b.mu.Unlock()
		select {
		case <-stop:
			return dst, false
		case <-b.ready:
		}
	}
}

// Queued returns how many records wait to be taken.
func (b *Buffer) Queued() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.queue) - b.qhead
}

// Release uncounts taken records, which are processed (or abandoned), and
// resumes the partition once it is below its low watermarks.
func (b *Buffer) Release(recs []*kgo.Record) {
	var cost int64
	for _, r := range recs {
		cost += Cost(r)
	}
	b.mu.Lock()
	b.records -= len(recs)
	b.bytes -= cost
	if b.full && b.records < b.limits.LowRecords && b.bytes < b.limits.LowBytes {
		b.full = false
		b.updateLocked("")
	}
	b.mu.Unlock()
	b.budget.release(cost)
}

// Hold pauses the partition until the returned function is called (once),
// whatever the buffer holds: the lifecycle holds a partition while its
// state recovers.
func (b *Buffer) Hold(reason string) (release func()) {
	b.mu.Lock()
	b.holds++
	b.updateLocked(reason)
	b.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			b.holds--
			b.updateLocked("")
			b.mu.Unlock()
		})
	}
}

// Close drops the queued records (they were never started: they stay
// uncommitted), uncounts them, and wakes Take. Records already taken are
// uncounted by their Release. It does not touch the valve: the owner
// clears the partition's pause itself when it gives the partition up.
func (b *Buffer) Close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	var cost int64
	for _, r := range b.queue[b.qhead:] {
		cost += Cost(r)
	}
	b.records -= len(b.queue) - b.qhead
	b.bytes -= cost
	clear(b.queue)
	b.queue, b.qhead = nil, 0
	if b.paused {
		b.total += time.Since(b.since)
		b.paused = false
	}
	b.mu.Unlock()
	b.budget.release(cost)
	close(b.ready)
}

// updateLocked tells the valve when the pause state changes.
func (b *Buffer) updateLocked(reason string) {
	if b.closed {
		return
	}
	want := b.full || b.holds > 0
	if want == b.paused {
		return
	}
	b.paused = want
	if want {
		b.since, b.reason = time.Now(), reason
		b.pauses++
		if b.valve.Pause != nil {
			b.valve.Pause(reason)
		}
		return
	}
	b.total += time.Since(b.since)
	if b.valve.Resume != nil {
		b.valve.Resume()
	}
}

// Stats is a snapshot of a Buffer.
type Stats struct {
	// Records and Bytes are what the partition holds: queued plus in
	// progress.
	Records int
	Bytes   int64
	// Paused says whether fetching is paused now, PausedFor the total
	// time it has been paused, Pauses how many times it was paused, and
	// Reason why the current pause began ("" when not paused).
	Paused    bool
	PausedFor time.Duration
	Pauses    int64
	Reason    string
}

// Stats returns a snapshot of b.
func (b *Buffer) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := Stats{Records: b.records, Bytes: b.bytes, Paused: b.paused, PausedFor: b.total, Pauses: b.pauses}
	if b.paused {
		s.PausedFor += time.Since(b.since)
		s.Reason = b.reason
	}
	return s
}

// LongPause reports the current pause when it has lasted at least d and
// was not reported before, for a warning log.
func (b *Buffer) LongPause(d time.Duration) (reason string, lasted time.Duration, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.paused || time.Since(b.since) < d || b.warnedAt.Equal(b.since) {
		return "", 0, false
	}
	b.warnedAt = b.since
	return b.reason, time.Since(b.since), true
}
