package engine

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/faustgen/faustgen/runtime"
	"github.com/faustgen/faustgen/runtime/internal/tables"
	"github.com/hamba/avro/v2"
)

// Session windows (WindowSpec.Session, the inactivity gap): a key's
// session holds its writes from its first time to its last, and grows as
// long as each next time is within the gap of it; a time within the gap of
// two sessions merges them. A session closes once stream time passes its
// last time plus the gap plus the grace (then it is final: a later time
// within its gap starts a new session), and expires once stream time
// passes its last time plus the gap plus Expires.
//
// The store keys a session by its last time (8 bytes, as windows.go
// orders starts), the key's Avro body and its first time, so closing and
// expiry walk it in time order like fixed windows. The open sessions of
// each key (those that may still grow) are indexed in memory, rebuilt from
// the store when the partition is assigned: only they can take a write.

// span is one open session of a key: its first and last times (ms).
type span struct{ first, last int64 }

// sessionKey returns the store key of key body kb's session [first, last].
func sessionKey(buf []byte, first, last int64, kb []byte) []byte {
	buf = windowKey(buf, last, kb)
	return windowKey(buf, first, nil)
}

// sessionStoreKey turns a session changelog key's Avro body (window_start,
// window_end exclusive, key) into the store key (Restore's StoreKey).
func sessionStoreKey(body []byte) ([]byte, error) {
	sk, err := windowStoreKey(body) // start, key
	if err != nil {
		return nil, err
	}
	_, n := readZigzag(body)
	end, _ := readZigzag(body[n:])
	return sessionKey(make([]byte, 0, len(sk)+8), windowStart(sk), end-1, sk[8:]), nil
}

// loadSessions indexes the sessions of s that are still open.
func (ws *windowState) loadSessions(s *tables.Store) error {
	lo := []byte(nil)
	if ws.closed != noTime {
		lo = windowKey(nil, ws.closed+1, nil)
	}
	return s.Scan(lo, nil, func(k, _ []byte) bool {
		first, end, kb := ws.bounds(k)
		ws.sessions[string(kb)] = append(ws.sessions[string(kb)], span{first, end - 1})
		return true
	})
}

// pruneSessions drops closed sessions from the index: those of entries
// that closedTo covers.
func (ws *windowState) pruneSessions(entries []windowEntry, closedTo int64) {
	for _, e := range entries {
		_, _, kb := ws.bounds(e.key)
		spans := slices.DeleteFunc(ws.sessions[string(kb)], func(s span) bool { return s.last <= closedTo })
		if len(spans) == 0 {
			delete(ws.sessions, string(kb))
		} else {
			ws.sessions[string(kb)] = spans
		}
	}
}

// sessionTable is the handle an agent's context gets for a session table.
type sessionTable[K, V any] struct {
	table[K, V]
	sk, ck []byte
}

// SessionTableOf returns the session table def for the record t is
// processing, partitioned like t's source.
func SessionTableOf[K, V any](t *Task, def *TableDef[K, V]) runtime.SessionTable[K, V] {
	st := t.app.tableStateOf(def)
	if st == nil {
		return &sessionTable[K, V]{table: table[K, V]{task: t, def: def}}
	}
	slot := t.tableSlot(st)
	h, _ := (*slot).(*sessionTable[K, V])
	if h == nil || h.task != t {
		h = &sessionTable[K, V]{table: table[K, V]{task: t, def: def, w: avro.NewWriter(nil, 64)}}
		*slot = h
	}
	if h.part == nil || h.part.partition != t.rec.Partition {
		h.part = t.app.tablePartOf(st, t.rec.Partition)
	}
	return h
}

func (h *sessionTable[K, V]) usable() error {
	if err := h.table.usable(); err != nil {
		return err
	}
	if h.part.win == nil || h.part.win.gap == 0 {
		return fmt.Errorf("table %s is not a session table", h.def.Name)
	}
	return nil
}

func sessionWindow(s span) runtime.Window {
	return runtime.Window{Start: time.UnixMilli(s.first).UTC(), End: time.UnixMilli(s.last + 1).UTC()}
}

// value returns the value of key body kb's session s.
func (h *sessionTable[K, V]) value(kb []byte, s span) (V, bool, error) {
	h.sk = sessionKey(h.sk[:0], s.first, s.last, kb)
	return h.getStored(h.sk)
}

// Get returns key's open session holding at.
func (h *sessionTable[K, V]) Get(key K, at time.Time) (runtime.Window, V, bool, error) {
	var zero V
	if err := h.usable(); err != nil {
		return runtime.Window{}, zero, false, err
	}
	kb, err := h.keyBody(key)
	if err != nil {
		return runtime.Window{}, zero, false, err
	}
	ms := at.UnixMilli()
	for _, s := range h.part.win.sessions[string(kb)] {
		if s.first <= ms && ms <= s.last {
			v, ok, err := h.value(kb, s)
			return sessionWindow(s), v, ok, err
		}
	}
	return runtime.Window{}, zero, false, nil
}

// Range calls fn with each open session of key overlapping [from, to).
func (h *sessionTable[K, V]) Range(key K, from, to time.Time, fn func(runtime.Window, V) bool) error {
	if err := h.usable(); err != nil {
		return err
	}
	kb, err := h.keyBody(key)
	if err != nil {
		return err
	}
	spans := slices.Clone(h.part.win.sessions[string(kb)])
	for _, s := range spans {
		if s.last < from.UnixMilli() || s.first >= to.UnixMilli() {
			continue
		}
		v, ok, err := h.value(kb, s)
		if err != nil {
			return err
		}
		if ok && !fn(sessionWindow(s), v) {
			return nil
		}
	}
	return nil
}

// Update records key's activity at at.
func (h *sessionTable[K, V]) Update(key K, at time.Time, fn func(V, bool) V, merge func(a, b V) V) (runtime.Window, error) {
	if err := h.usable(); err != nil {
		return runtime.Window{}, err
	}
	if err := h.writable(); err != nil {
		return runtime.Window{}, err
	}
	kb, err := h.keyBody(key)
	if err != nil {
		return runtime.Window{}, err
	}
	t, ws, ms := h.task, h.part.win, at.UnixMilli()
	ws.mu.Lock()
	closed, stream := max(ws.closed, ws.closeLine()), ws.stream
	ws.mu.Unlock()
	if ms <= closed {
		t.app.late.Add(1)
		lerr := &runtime.LateRecordError{Table: h.def.Name, Partition: h.part.partition, At: at, StreamTime: time.UnixMilli(stream).UTC(), Grace: time.Duration(ws.grace) * time.Millisecond}
		t.app.log.Warn("late record: its session closed already", "table", h.def.Name, "partition", h.part.partition, "source", t.Record().String(), "at", at, "stream_time", lerr.StreamTime, "grace", lerr.Grace)
		return runtime.Window{}, lerr
	}
	spans := ws.sessions[string(kb)]
	grown := span{ms, ms}
	var cur V
	ok := false
	var keep, merged []span
	for _, s := range spans { // oldest first
		if s.last <= closed || s.last < ms-ws.gap || s.first > ms+ws.gap {
			if s.last > closed {
				keep = append(keep, s)
			}
			continue
		}
		v, found, err := h.value(kb, s)
		if err != nil {
			return runtime.Window{}, err
		}
		if found {
			if ok {
				cur = merge(cur, v)
			} else {
				cur, ok = v, true
			}
		}
		grown.first, grown.last = min(grown.first, s.first), max(grown.last, s.last)
		merged = append(merged, s)
	}
	for _, s := range merged {
		if s != grown {
			// Merged away, or grown: its old key goes.
			h.sk = sessionKey(h.sk[:0], s.first, s.last, kb)
			h.ck = ws.changelogKey(h.ck[:0], h.sk)
			t.app.writeChange(t, h.part, h.sk, h.ck, nil, true)
		}
	}
	vb, err := h.valueBody(fn(cur, ok))
	if err != nil {
		return runtime.Window{}, err
	}
	h.sk = sessionKey(h.sk[:0], grown.first, grown.last, kb)
	h.ck = ws.changelogKey(h.ck[:0], h.sk)
	t.app.writeChange(t, h.part, h.sk, h.ck, vb, false)
	keep = append(keep, grown)
	slices.SortFunc(keep, func(a, b span) int { return cmp.Compare(a.first, b.first) })
	ws.sessions[string(kb)] = keep
	ws.mu.Lock()
	if ms > ws.stream {
		ws.stream = ms
		ws.mark(t.track.Offset())
	}
	ws.mu.Unlock()
	return sessionWindow(grown), nil
}
