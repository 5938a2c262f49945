package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/faustgen/faustgen/runtime"
	"github.com/faustgen/faustgen/runtime/internal/tables"
	"github.com/faustgen/faustgen/runtime/internal/transport"
	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kgo"
)

// noTime is a stream time before any.
const noTime = math.MinInt64

// windowState is a windowed table partition's clock: its stream time and
// how far windows have closed and expired, all in milliseconds, with the
// changes not yet stored.
type windowState struct {
	size, step, grace, expires int64
	gap                        int64 // a session table's inactivity gap; 0 for fixed windows
	mu                         sync.Mutex
	stream                     int64 // the highest time written; noTime: none yet
	committed                  int64 // stream as of the last stored commit
	closed                     int64 // every window starting at or before this has closed
	expired                    int64 // every window starting at or before this is deleted
	marks                      []windowMark
	// sessions indexes a session table's open sessions by key body (the
	// partition's goroutine alone uses it).
	sessions map[string][]span
	// storedMax is the start of the newest window in the store (noTime:
	// none), raised by each flush.
	storedMax atomic.Int64
}

// windowMark is the clock after the record at input offset input: stored
// by the commit that covers that record.
type windowMark struct {
	input                   int64
	stream, closed, expired int64
}

var (
	metaStreamTime = "window-stream-time"
	metaClosed     = "window-closed-through"
	metaExpired    = "window-expired-through"
)

func newWindowState(w *WindowSpec) *windowState {
	ws := &windowState{stream: noTime, committed: noTime, closed: noTime, expired: noTime}
	ws.storedMax.Store(noTime)
	ws.size = w.Tumbling.Milliseconds()
	ws.step = ws.size
	if w.Hopping > 0 {
		ws.size, ws.step = w.Hopping.Milliseconds(), w.Step.Milliseconds()
	}
	ws.grace, ws.expires = w.Grace.Milliseconds(), w.Expires.Milliseconds()
	if w.Session > 0 {
		// Closes are checked in steps of an eighth of the gap (at least
		// 1 ms): a session closes at most that much later than it could.
		ws.gap, ws.size, ws.step = w.Session.Milliseconds(), 0, max(w.Session.Milliseconds()/8, 1)
		ws.sessions = map[string][]span{}
	}
	return ws
}

// bounds returns the window of a store key: its start and end (exclusive)
// in milliseconds, and the key's Avro body.
func (ws *windowState) bounds(sk []byte) (start, end int64, kb []byte) {
	if ws.gap > 0 {
		// A session: last event time, key, first event time.
		last := windowStart(sk)
		return windowStart(sk[len(sk)-8:]), last + 1, sk[8 : len(sk)-8]
	}
	start = windowStart(sk)
	return start, start + ws.size, sk[8:]
}

// changelogKey returns the Avro body of the changelog key of store key
// sk: window_start, window_end, key.
func (ws *windowState) changelogKey(buf, sk []byte) []byte {
	start, end, kb := ws.bounds(sk)
	buf = appendZigzag(buf, start)
	buf = appendZigzag(buf, end)
	return append(buf, kb...)
}

// load reads the clock stored with s, after its restore.
//
// committedOnly says the changelog holds only committed writes (exactly-
// once: restores read only committed transactions, and a record's writes
// commit with its offset). Then the newest window in s (the restored tail
// included) was written by a committed record, and the stream time can
// be taken from it: from the store's newest window when no clock is
// stored (a store restored from the changelog alone), the windows that
// would have closed and expired by then counted as closed and expired —
// exact when the grace is a whole number of steps, else a window may
// close once more. At-least-once, the changelog's tail may hold writes of
// records that were not committed and will be processed again: the stream
// time is the stored one (what committed records moved it to), and a
// store without a clock starts with none — every window it holds may
// close (again) as the replayed records move the stream time on: at least
// once, never lost.
func (ws *windowState) load(s *tables.Store, committedOnly bool) error {
	get := func(key string) (int64, bool, error) {
		v, ok, err := s.Meta(key)
		if err != nil || !ok {
			return 0, false, err
		}
		if len(v) != 8 {
			return 0, false, fmt.Errorf("table store %s: meta %s of %d bytes", s.Path(), key, len(v))
		}
		return int64(binary.BigEndian.Uint64(v)), true, nil
	}
	last, err := s.Last()
	if err != nil {
		return err
	}
	newest := int64(noTime)
	if len(last) >= 8 {
		newest = windowStart(last)
		ws.storedMax.Store(newest)
	}
	st, stored, err := get(metaStreamTime)
	if err != nil {
		return err
	}
	switch {
	case stored && committedOnly:
		ws.stream = max(st, newest)
	case stored:
		ws.stream = st
	case committedOnly:
		ws.stream = newest
	}
	ws.committed = ws.stream
	ws.closed, ws.expired = noTime, noTime
	if committedOnly {
		ws.closed, ws.expired = ws.closeLine(), ws.expiryLine()
	}
	if c, ok, err := get(metaClosed); err != nil {
		return err
	} else if ok {
		ws.closed = c
	}
	if e, ok, err := get(metaExpired); err != nil {
		return err
	} else if ok {
		ws.expired = e
	}
	return nil
}

// floorStep returns the greatest window start at or before t.
func (ws *windowState) floorStep(t int64) int64 {
	q := t / ws.step
	if t%ws.step != 0 && t < 0 {
		q--
	}
	return q * ws.step
}

// closeLine returns the start (for a session: the last time) of the
// newest window closed at the current stream time: every window starting
// at or before it has closed (a session ending at or before it can no
// longer grow).
func (ws *windowState) closeLine() int64 { return ws.line(ws.stream, ws.grace) }

// expiryLine is closeLine for expiry. It runs on the stream time of the
// last stored commit, not the newest: a tombstone written for records
// that are not committed yet would, after a crash, delete a window that
// the records processed again still add to (a lost update, at-least-
// once). A record processed again cannot belong to a window expired by
// committed records: it was late then too.
func (ws *windowState) expiryLine() int64 { return ws.line(ws.committed, ws.expires) }

// line returns the start of the newest window that ended (for a
// session: whose gap passed) more than after before stream time at.
func (ws *windowState) line(at, after int64) int64 {
	if at == noTime {
		return noTime
	}
	if ws.gap > 0 {
		return ws.floorStep(at - ws.gap - after)
	}
	return ws.floorStep(at - ws.size - after)
}

// starts returns the starts of the windows holding t, oldest first.
func (ws *windowState) starts(t int64, buf []int64) []int64 {
	buf = buf[:0]
	last := ws.floorStep(t)
	for s := last - ws.size + ws.step; s <= last; s += ws.step {
		if s > t-ws.size {
			buf = append(buf, s)
		}
	}
	return buf
}

// mark records the clock after the record at input.
func (ws *windowState) mark(input int64) {
	m := windowMark{input, ws.stream, ws.closed, ws.expired}
	if n := len(ws.marks); n > 0 && ws.marks[n-1].input == input {
		ws.marks[n-1] = m
		return
	}
	ws.marks = append(ws.marks, m)
}

// stored raises storedMax to the newest window among changes, which are
// being stored.
func (ws *windowState) stored(changes []tables.Change) {
	m := ws.storedMax.Load()
	for _, c := range changes {
		if c.Value != nil && len(c.Key) >= 8 {
			m = max(m, windowStart(c.Key))
		}
	}
	ws.storedMax.Store(m)
}

// flush removes and returns, as meta changes, the newest mark of a record
// before input offset before; nil when there is none.
func (ws *windowState) flush(before int64) []tables.Change {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	n := 0
	for n < len(ws.marks) && ws.marks[n].input < before {
		n++
	}
	if n == 0 {
		return nil
	}
	m := ws.marks[n-1]
	ws.marks = append(ws.marks[:0], ws.marks[n:]...)
	ws.committed = max(ws.committed, m.stream)
	return []tables.Change{{Key: []byte(metaStreamTime), Value: be64(m.stream)}, {Key: []byte(metaClosed), Value: be64(m.closed)}, {Key: []byte(metaExpired), Value: be64(m.expired)}}
}

func be64(v int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }

// windowKey returns the store key of key body kb in the window starting
// at start, appended to buf.
func windowKey(buf []byte, start int64, kb []byte) []byte {
	buf = binary.BigEndian.AppendUint64(buf, uint64(start)^(1<<63))
	return append(buf, kb...)
}

// windowStart returns the window start of a store key.
func windowStart(storeKey []byte) int64 {
	return int64(binary.BigEndian.Uint64(storeKey) ^ (1 << 63))
}

// windowStoreKey turns a windowed changelog key's Avro body back into the
// store key (the restore's StoreKey).
func windowStoreKey(body []byte) ([]byte, error) {
	start, n := readZigzag(body)
	if n <= 0 {
		return nil, errors.New("windowed changelog key: bad window_start")
	}
	_, m := readZigzag(body[n:])
	if m <= 0 {
		return nil, errors.New("windowed changelog key: bad window_end")
	}
	return windowKey(make([]byte, 0, 8+len(body)-n-m), start, body[n+m:]), nil
}

func appendZigzag(buf []byte, v int64) []byte {
	return binary.AppendUvarint(buf, uint64(v<<1)^uint64(v>>63))
}

func readZigzag(b []byte) (int64, int) {
	u, n := binary.Uvarint(b)
	return int64(u>>1) ^ -int64(u&1), n
}

// windowKeyCodec returns the codec of a windowed table's changelog keys
// (see above). Encode and Decode are not used by the runtime, which
// writes the bytes itself, but keep the codec whole.
func windowKeyCodec[K any](table string, key runtime.Codec[K]) runtime.Codec[windowed[K]] {
	ts := `{"type":"long","logicalType":"timestamp-millis"}`
	name := "faustgen_window_key_" + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, table)
	schema := `{"type":"record","name":"` + name + `","fields":[{"name":"window_start","type":` + ts + `},{"name":"window_end","type":` + ts + `},{"name":"key","type":` + key.FullSchema() + `}]}`
	return runtime.Codec[windowed[K]]{
		Type:   name,
		Schema: schema,
		Encode: func(w *avro.Writer, v *windowed[K]) {
			w.WriteLong(v.start)
			w.WriteLong(v.end)
			key.Encode(w, &v.key)
		},
		Decode: func(r *avro.Reader, v *windowed[K]) {
			v.start = r.ReadLong()
			v.end = r.ReadLong()
			key.Decode(r, &v.key)
		},
	}
}

// windowed is a windowed changelog key.
type windowed[K any] struct {
	start, end int64
	key        K
}

// windowTable is the handle an agent's context gets for a windowed table.
type windowTable[K, V any] struct {
	table[K, V]
	starts []int64
	sk, ck []byte // store and changelog key scratch
}

// WindowedTableOf returns the windowed table def for the record t is
// processing, partitioned like t's source.
func WindowedTableOf[K, V any](t *Task, def *TableDef[K, V]) runtime.WindowedTable[K, V] {
	st := t.app.tableStateOf(def)
	if st == nil {
		return &windowTable[K, V]{table: table[K, V]{task: t, def: def}}
	}
	slot := t.tableSlot(st)
	h, _ := (*slot).(*windowTable[K, V])
	if h == nil || h.task != t {
		h = &windowTable[K, V]{table: table[K, V]{task: t, def: def, w: avro.NewWriter(nil, 64)}}
		*slot = h
	}
	if h.part == nil || h.part.partition != t.rec.Partition {
		h.part = t.app.tablePartOf(st, t.rec.Partition)
	}
	return h
}

func (h *windowTable[K, V]) usable() error {
	if err := h.table.usable(); err != nil {
		return err
	}
	if h.part.win == nil || h.part.win.gap > 0 {
		return fmt.Errorf("table %s is not a tumbling or hopping windowed table", h.def.Name)
	}
	return nil
}

func (h *windowTable[K, V]) getStart(kb []byte, start int64) (V, bool, error) {
	var zero V
	ws := h.part.win
	ws.mu.Lock()
	expired := start <= ws.expired || (ws.stream != noTime && start+ws.size+ws.expires <= ws.stream)
	ws.mu.Unlock()
	if expired {
		return zero, false, nil
	}
	h.sk = windowKey(h.sk[:0], start, kb)
	// A window newer than every one stored is only in the overlay: the
	// newest windows, which take most writes, skip bbolt.
	return h.getFrom(h.sk, start <= ws.storedMax.Load())
}

// Get returns key's value in the newest window holding at.
func (h *windowTable[K, V]) Get(key K, at time.Time) (V, bool, error) {
	var zero V
	if err := h.usable(); err != nil {
		return zero, false, err
	}
	kb, err := h.keyBody(key)
	if err != nil {
		return zero, false, err
	}
	return h.getStart(kb, h.part.win.floorStep(at.UnixMilli()))
}

// GetWindow returns key's value in window w.
func (h *windowTable[K, V]) GetWindow(key K, w runtime.Window) (V, bool, error) {
	var zero V
	if err := h.usable(); err != nil {
		return zero, false, err
	}
	ws := h.part.win
	start := w.Start.UnixMilli()
	if ws.floorStep(start) != start || w.End.UnixMilli()-start != ws.size {
		return zero, false, fmt.Errorf("table %s: %s is not one of its windows (size %s, step %s)", h.def.Name, w, time.Duration(ws.size)*time.Millisecond, time.Duration(ws.step)*time.Millisecond)
	}
	kb, err := h.keyBody(key)
	if err != nil {
		return zero, false, err
	}
	return h.getStart(kb, start)
}

// Windows returns the windows holding at.
func (h *windowTable[K, V]) Windows(at time.Time) []runtime.Window {
	if h.usable() != nil {
		return nil
	}
	ws := h.part.win
	var out []runtime.Window
	for _, s := range ws.starts(at.UnixMilli(), nil) {
		out = append(out, runtime.Window{Start: time.UnixMilli(s).UTC(), End: time.UnixMilli(s + ws.size).UTC()})
	}
	return out
}

// Range calls fn with key's value in each window starting in [from, to).
func (h *windowTable[K, V]) Range(key K, from, to time.Time, fn func(runtime.Window, V) bool) error {
	if err := h.usable(); err != nil {
		return err
	}
	kb, err := h.keyBody(key)
	if err != nil {
		return err
	}
	ws := h.part.win // kb stays valid: h.w is not used again below
	lo := ws.floorStep(from.UnixMilli())
	if lo < from.UnixMilli() {
		lo += ws.step
	}
	for s := lo; s < to.UnixMilli(); s += ws.step {
		v, ok, err := h.getStart(kb, s)
		if err != nil {
			return err
		}
		if ok && !fn(runtime.Window{Start: time.UnixMilli(s).UTC(), End: time.UnixMilli(s + ws.size).UTC()}, v) {
			return nil
		}
	}
	return nil
}

// Put sets key's value in each open window holding at.
func (h *windowTable[K, V]) Put(key K, at time.Time, value V) error {
	return h.update(key, at, func(V, bool) (V, bool, error) { return value, true, nil })
}

// Update sets key's value in each open window holding at to fn of its
// current value.
func (h *windowTable[K, V]) Update(key K, at time.Time, fn func(V, bool) V) error {
	return h.update(key, at, func(cur V, ok bool) (V, bool, error) { return fn(cur, ok), true, nil })
}

// Delete removes key from each open window holding at.
func (h *windowTable[K, V]) Delete(key K, at time.Time) error {
	return h.update(key, at, func(V, bool) (v V, keep bool, err error) { return v, false, nil })
}

// update writes fn's value (keep false: a delete) to each open window of
// key holding at, then moves the stream time to at.
func (h *windowTable[K, V]) update(key K, at time.Time, fn func(V, bool) (v V, keep bool, err error)) error {
	if err := h.usable(); err != nil {
		return err
	}
	t := h.task
	if err := h.writable(); err != nil {
		return err
	}
	kb, err := h.keyBody(key)
	if err != nil {
		return err
	}
	// kb stays valid: h.w is not used again before the writes are made.
	ws := h.part.win
	ms := at.UnixMilli()
	ws.mu.Lock()
	closed, stream := max(ws.closed, ws.closeLine()), ws.stream
	ws.mu.Unlock()
	h.starts = ws.starts(ms, h.starts)
	open := 0
	for _, s := range h.starts {
		if s <= closed {
			continue
		}
		open++
		cur, ok, err := h.getStart(kb, s)
		if err != nil {
			return err
		}
		v, keep, err := fn(cur, ok)
		if err != nil {
			return err
		}
		var vb []byte
		if keep {
			if vb, err = h.valueBody(v); err != nil {
				return err
			}
		}
		h.sk = windowKey(h.sk[:0], s, kb)
		h.ck = ws.changelogKey(h.ck[:0], h.sk)
		t.app.writeChange(t, h.part, h.sk, h.ck, vb, !keep) // copies both
	}
	if open == 0 {
		t.app.late.Add(1)
		lerr := &runtime.LateRecordError{Table: h.def.Name, Partition: h.part.partition, At: at, StreamTime: time.UnixMilli(stream).UTC(), Grace: time.Duration(ws.grace) * time.Millisecond}
		t.app.log.Warn("late record: its windows closed already", "table", h.def.Name, "partition", h.part.partition, "source", t.Record().String(), "at", at, "stream_time", lerr.StreamTime, "grace", lerr.Grace)
		return lerr
	}
	ws.mu.Lock()
	if ms > ws.stream {
		ws.stream = ms
		ws.mark(t.track.Offset())
	}
	ws.mu.Unlock()
	return nil
}

// WindowCloser acts on the windows of one windowed table as they close:
// made by OnWindowClose and listed in an Agent's Closers.
type WindowCloser interface {
	closerTable() AnyTable
	fire(t *Task, storeKey, framed []byte, w runtime.Window) error
}

type windowCloser[K, V any] struct {
	def *TableDef[K, V]
	fn  func(t *Task, key K, w runtime.Window, value V) error
}

// OnWindowClose returns a WindowCloser that calls fn once for each key of
// each window of def that closes (stream time reached its end plus the
// grace), with its final value, oldest window first. fn runs like
// Process, on the partition's goroutine, right after the record that
// moved the stream time: its sends and table writes are committed with
// that record, and an error goes to the agent's error policy with it.
// A window closes once; a crash before the commit that covers it closes
// it once more after the restart (at least once).
func OnWindowClose[K, V any](def *TableDef[K, V], fn func(t *Task, key K, w runtime.Window, value V) error) WindowCloser {
	return &windowCloser[K, V]{def: def, fn: fn}
}

func (c *windowCloser[K, V]) closerTable() AnyTable { return c.def }

func (c *windowCloser[K, V]) fire(t *Task, storeKey, framed []byte, w runtime.Window) (err error) {
	var k K
	r := t.reader
	if r == nil {
		r = avro.NewReader(nil, 0, avro.WithReaderConfig(t.app.readerAPI))
	}
	st := t.app.tableStateOf(c.def)
	part := t.app.tablePartOf(st, t.rec.Partition)
	_, _, kb := part.win.bounds(storeKey)
	r.Reset(kb)
	r.Error = nil
	c.def.Key.Decode(r, &k)
	if r.Error != nil {
		return fmt.Errorf("table %s: decode key of window %s: %w", c.def.Name, w, r.Error)
	}
	var v V
	if err := decodeFrameInto(t.ctx, t.app.reg, nil, &c.def.Value, part.ids.value, framed, &v); err != nil {
		return fmt.Errorf("table %s: decode value of window %s: %w", c.def.Name, w, err)
	}
	defer func() {
		if p := recover(); p != nil {
			err = &runtime.PanicError{Value: p}
		}
	}()
	return c.fn(t, k, w, v)
}

// windowsAfter runs after every agent of rec's topic processed rec: for
// each windowed table of the partition whose stream time moved, it fires
// the closers of the windows that closed and deletes (tombstones) the
// windows that expired. It returns an error only under the Fail policy.
func (a *App) windowsAfter(ctx context.Context, rec *kgo.Record, f *transport.Inflight, sc *partitionScratch) error {
	if sc.windowed == nil {
		// The partition's windowed tables: opened before its first
		// record, kept until it is closed, like sc.
		for _, st := range a.windowedBySource[rec.Topic] {
			if part := a.tablePartOf(st, rec.Partition); part != nil {
				sc.windowed = append(sc.windowed, part)
			}
		}
	}
	for _, part := range sc.windowed {
		st := part.table
		ws := part.win
		ws.mu.Lock()
		closeTo, expireTo, closed, expired := ws.closeLine(), ws.expiryLine(), ws.closed, ws.expired
		ws.mu.Unlock()
		if closeTo > closed && (len(st.closers) > 0 || ws.gap > 0) {
			var windows []windowEntry
			if err := part.windowsIn(closed, closeTo, func(e windowEntry) { windows = append(windows, e) }); err != nil {
				return err
			}
			if ws.gap > 0 {
				ws.pruneSessions(windows, closeTo)
			}
			for _, e := range windows {
				start, end, _ := ws.bounds(e.key)
				w := runtime.Window{Start: time.UnixMilli(start).UTC(), End: time.UnixMilli(end).UTC()}
				for _, c := range st.closers {
					t := newTask(ctx, a, c.agent, rec, f, sc)
					err := c.closer.fire(t, e.key, e.value, w)
					t.finish()
					if err != nil {
						if rerr := a.onRecordError(ctx, c.agent, rec, f, fmt.Errorf("window %s of table %s closed: %w", w, st.spec.Name, err)); rerr != nil {
							return rerr
						}
					}
				}
			}
		}
		if expireTo > expired {
			var gone [][]byte
			if err := part.windowsIn(expired, expireTo, func(e windowEntry) { gone = append(gone, e.key) }); err != nil {
				return err
			}
			t := newTask(ctx, a, a.byTopic[rec.Topic][0], rec, f, sc)
			for _, k := range gone {
				a.writeChange(t, part, k, ws.changelogKey(nil, k), nil, true)
			}
			t.finish()
		}
		if closeTo > closed || expireTo > expired {
			ws.mu.Lock()
			ws.closed, ws.expired = max(ws.closed, closeTo), max(ws.expired, expireTo)
			ws.mark(f.Offset())
			ws.mu.Unlock()
		}
	}
	return nil
}

// windowEntry is one key's value in one window: its store key and framed
// value.
type windowEntry struct {
	key, value []byte
}

// windowsIn calls fn with every key of every window starting in (after,
// upTo], from the store and the overlay (the newest write wins; deleted
// entries are left out), in store key order: by window start, then key.
func (p *tablePart) windowsIn(after, upTo int64, fn func(windowEntry)) error {
	lo := windowKey(nil, after, nil)
	if after == noTime {
		lo = nil
	} else {
		lo = windowKey(nil, after+1, nil)
	}
	hi := windowKey(nil, upTo+1, nil)
	if upTo == math.MaxInt64 {
		hi = nil
	}
	var pending []windowEntry
	p.overlay.Each(func(k string, v []byte) bool {
		if k >= string(lo) && (hi == nil || k < string(hi)) {
			pending = append(pending, windowEntry{[]byte(k), v})
		}
		return true
	})
	slices.SortFunc(pending, func(x, y windowEntry) int { return strings.Compare(string(x.key), string(y.key)) })
	i := 0
	emit := func(e windowEntry) {
		if e.value != nil {
			fn(e)
		}
	}
	err := p.store.Scan(lo, hi, func(k, v []byte) bool {
		for i < len(pending) && string(pending[i].key) < string(k) {
			emit(pending[i])
			i++
		}
		if i < len(pending) && string(pending[i].key) == string(k) {
			emit(pending[i])
			i++
			return true
		}
		emit(windowEntry{append([]byte(nil), k...), append([]byte(nil), v...)})
		return true
	})
	if err != nil {
		return fmt.Errorf("table %s[%d]: %w", p.table.spec.Name, p.partition, err)
	}
	for ; i < len(pending); i++ {
		emit(pending[i])
	}
	return nil
}
