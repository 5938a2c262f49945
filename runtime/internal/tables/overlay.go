package tables

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Overlay holds a table partition's writes that are not in its store yet:
// every write is sent to the changelog at once and kept here, tagged with
// the input offset of the record that made it, until a commit covers that
// record. Reads see the newest write first.
//
// Flush(before) hands out what may be stored once the input offset before
// is to be committed: the newest write per key among those of records
// before it — each of which Kafka acknowledged, since a record's offset is
// committable only when its changelog records are — and the highest
// changelog offset among them. Writes of later records stay, so the store
// never holds a write whose changelog record may still fail.
//
// The partition's goroutine writes and reads; the commit runs Flush; the
// producer's promises call Acked.
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
	value []byte // framed value; nil deletes
	cl    atomic.Int64
	next  *Version // the key's next write
}

// Acked records the changelog offset Kafka gave the write.
func (v *Version) Acked(offset int64) { v.cl.Store(offset) }

// NewOverlay returns an empty overlay.
func NewOverlay() *Overlay {
	return &Overlay{index: map[string]int32{}, clean: map[string][]byte{}}
}

// Put records that the record at input offset input wrote value (nil:
// deleted) for key, in v (a fresh *Version when nil: callers may embed
// one in what they allocate anyway). The overlay keeps value; the caller
// must not change it after. key is copied when the overlay does not hold
// it already.
func (o *Overlay) Put(key, value []byte, input int64, v *Version) *Version {
	if v == nil {
		v = new(Version)
	}
	v.input, v.value, v.next = input, value, nil
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

// Flush removes the writes of records before input offset before and
// returns the newest of them per key, in key order (bbolt writes sorted
// keys fastest), with the highest changelog offset among all of them (-1
// when there are none). It fails, removing nothing, when one of them has
// no acknowledged changelog offset: storing it could run ahead of the
// changelog. The changes' keys share the overlay's memory: read only.
func (o *Overlay) Flush(before int64) ([]Change, int64, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	maxCL := int64(-1)
	var changes []Change
	for i := range o.slots {
		s := &o.slots[i]
		var last *Version
		for v := s.oldest; v != nil && v.input < before; v = v.next {
			cl := v.cl.Load()
			if cl < 0 {
				return nil, -1, fmt.Errorf("write of the record at input offset %d has no acknowledged changelog offset yet", v.input)
			}
			maxCL = max(maxCL, cl)
			last = v
		}
		if last != nil {
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
