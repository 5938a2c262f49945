package tables

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Overlay holds a table partition's writes that are not in its store yet,
// each tagged with the input offset of the record that made it, until a
// commit covers that record. Reads see the newest write first.
//
// The changelog is written in coalesced form (a write cache, as Kafka
// Streams' record cache): a commit that is to cover the input offset
// before first takes Unsent(before), the newest write per key among
// those of records before it that has not been sent, sends each to the
// changelog and waits for Kafka to acknowledge them (Acked); a key
// written a thousand times between two commits costs one changelog
// record. Writes a newer one of the same key superseded before the
// commit are never sent: the changelog holds every value a commit
// covered, not every intermediate one.
//
// Flush(before) then hands out what may be stored: the newest write per
// key among those of records before it, each of which must be
// acknowledged, and the highest changelog offset among them. Writes of
// later records stay, so the store never holds a write whose changelog
// record may still fail.
//
// The partition's goroutine writes and reads; the commit runs Unsent and
// Flush; the producer's promises call Acked.
type Overlay struct {
	mu sync.Mutex
	// index maps a key to its slot in slots. A key held already costs no
	// allocation to write again; a flush drops the slots it emptied.
	index   map[string]int32
	slots   []slot
	pending int // versions held
	// clean caches values stored by a flush (nil: deleted), so that
	// reading a key written a moment ago does not go to bbolt. It holds
	// at most cleanMax keys: a full cache starts over.
	clean map[string][]byte
}

// slot holds one key's writes, oldest first, linked through next.
type slot struct {
	key            string
	oldest, newest *Version
}

const cleanMax = 1 << 16

// Version is one write in an overlay.
type Version struct {
	input int64  // the input offset of the record that wrote it
	clKey []byte // the framed changelog key
	value []byte // framed value; nil deletes
	cl    atomic.Int64
	sent  bool     // handed out by Unsent (under the overlay's lock)
	next  *Version // the key's next write
}

// newestBefore returns the key's newest write of a record before input
// offset before (nil: none).
func (s *slot) newestBefore(before int64) *Version {
	var last *Version
	for v := s.oldest; v != nil && v.input < before; v = v.next {
		last = v
	}
	return last
}

// Acked records the changelog offset Kafka gave the write.
func (v *Version) Acked(offset int64) { v.cl.Store(offset) }

// ChangelogKey returns the framed changelog key of the write.
func (v *Version) ChangelogKey() []byte { return v.clKey }

// Value returns the framed value of the write (nil: a tombstone).
func (v *Version) Value() []byte { return v.value }

// Input returns the input offset of the record that made the write.
func (v *Version) Input() int64 { return v.input }

// NewOverlay returns an empty overlay.
func NewOverlay() *Overlay {
	return &Overlay{index: map[string]int32{}, clean: map[string][]byte{}}
}

// Put records that the record at input offset input wrote value (nil:
// deleted) for key, whose framed changelog key is clKey, in v (a fresh
// *Version when nil: callers may embed one in what they allocate
// anyway). The overlay keeps clKey and value; the caller must not change
// them after. key is copied when the overlay does not hold it already.
func (o *Overlay) Put(key, clKey, value []byte, input int64, v *Version) *Version {
	if v == nil {
		v = new(Version)
	}
	v.input, v.clKey, v.value, v.next, v.sent = input, clKey, value, nil, false
	v.cl.Store(-1)
	o.mu.Lock()
	if i, ok := o.index[string(key)]; ok {
		s := &o.slots[i]
		s.newest.next, s.newest = v, v
	} else {
		k := string(key)
		o.index[k] = int32(len(o.slots))
		o.slots = append(o.slots, slot{key: k, oldest: v, newest: v})
	}
	o.pending++
	o.mu.Unlock()
	return v
}

// Get returns the newest write of key, or its value as last stored by
// a flush when the cache still has it: its value (nil when deleted) and
// whether the overlay knows it.
func (o *Overlay) Get(key []byte) (value []byte, ok bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if i, ok := o.index[string(key)]; ok {
		return o.slots[i].newest.value, true
	}
	v, ok := o.clean[string(key)]
	return v, ok
}

// Each calls fn with every key's newest write (value nil: deleted), in
// no particular order, until fn returns false.
func (o *Overlay) Each(fn func(key string, value []byte) bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := range o.slots {
		if !fn(o.slots[i].key, o.slots[i].newest.value) {
			return
		}
	}
}

// Len returns how many writes the overlay holds.
func (o *Overlay) Len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.pending
}

// Unsent appends to dst, and marks sent, the newest write per key among
// those of records before input offset before, where that write has not
// been handed out already: what must reach the changelog before a commit
// covers before. Older writes of those keys are superseded and are never
// sent.
func (o *Overlay) Unsent(before int64, dst []*Version) []*Version {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := range o.slots {
		if last := o.slots[i].newestBefore(before); last != nil && !last.sent {
			last.sent = true
			dst = append(dst, last)
		}
	}
	return dst
}

// Flush removes the writes of records before input offset before and
// returns the newest of them per key, in key order (bbolt writes sorted
// keys fastest), with the highest changelog offset among them (-1 when
// there are none). It fails, removing nothing, when one of those newest
// writes has no acknowledged changelog offset: storing it could run
// ahead of the changelog. The changes' keys share the overlay's memory:
// read only.
func (o *Overlay) Flush(before int64) ([]Change, int64, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	maxCL := int64(-1)
	var changes []Change
	for i := range o.slots {
		s := &o.slots[i]
		if last := s.newestBefore(before); last != nil {
			cl := last.cl.Load()
			if cl < 0 {
				return nil, -1, fmt.Errorf("write of the record at input offset %d has no acknowledged changelog offset yet", last.input)
			}
			maxCL = max(maxCL, cl)
			changes = append(changes, Change{Key: unsafe.Slice(unsafe.StringData(s.key), len(s.key)), Value: last.value})
		}
	}
	if len(changes) == 0 {
		return nil, maxCL, nil
	}
	slices.SortFunc(changes, func(a, b Change) int { return bytes.Compare(a.Key, b.Key) })
	if len(o.clean)+len(changes) > cleanMax {
		clear(o.clean)
	}
	// Nothing failed: drop what was handed out, keeping the slots of keys
	// with later writes.
	kept := o.slots[:0]
	for _, s := range o.slots {
		v := s.oldest
		for v != nil && v.input < before {
			v = v.next
			o.pending--
		}
		if v == nil {
			o.clean[s.key] = s.newest.value
			continue
		}
		s.oldest = v
		kept = append(kept, s)
	}
	clear(o.slots[len(kept):])
	o.slots = kept
	clear(o.index)
	for i, s := range kept {
		o.index[s.key] = int32(i)
	}
	return changes, maxCL, nil
}

// Reset drops every write (a lost partition's).
func (o *Overlay) Reset() {
	o.mu.Lock()
	clear(o.index)
	clear(o.slots)
	o.slots = o.slots[:0]
	clear(o.clean)
	o.pending = 0
	o.mu.Unlock()
}
