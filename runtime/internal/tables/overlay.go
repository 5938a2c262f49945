package tables

import (
	"fmt"
	"sync"
	"sync/atomic"
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
	mu      sync.Mutex
	entries map[string][]*Version // oldest first
	pending int                   // versions held
	// clean caches values stored by a flush (nil: deleted), so that
	// reading a key written a moment ago does not go to bbolt. It holds
	// at most cleanMax keys: a full cache starts over.
	clean map[string][]byte
}

const cleanMax = 1 << 16

// Version is one write in an overlay.
type Version struct {
	input int64  // the input offset of the record that wrote it
	value []byte // framed value; nil deletes
	cl    atomic.Int64
}

// Acked records the changelog offset Kafka gave the write.
func (v *Version) Acked(offset int64) { v.cl.Store(offset) }

// NewOverlay returns an empty overlay.
func NewOverlay() *Overlay {
	return &Overlay{entries: map[string][]*Version{}, clean: map[string][]byte{}}
}

// Put records that the record at input offset input wrote value (nil:
// deleted) for key, in v (a fresh *Version when nil: callers may embed
// one in what they allocate anyway). The overlay keeps key and value;
// the caller must not change them after.
func (o *Overlay) Put(key, value []byte, input int64, v *Version) *Version {
	if v == nil {
		v = new(Version)
	}
	v.input, v.value = input, value
	v.cl.Store(-1)
	o.mu.Lock()
	o.entries[string(key)] = append(o.entries[string(key)], v)
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
	vs := o.entries[string(key)]
	if len(vs) == 0 {
		v, ok := o.clean[string(key)]
		return v, ok
	}
	return vs[len(vs)-1].value, true
}

// Each calls fn with every key's newest write (value nil: deleted), in
// no particular order, until fn returns false.
func (o *Overlay) Each(fn func(key string, value []byte) bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for k, vs := range o.entries {
		if !fn(k, vs[len(vs)-1].value) {
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
// returns the newest of them per key, with the highest changelog offset
// among all of them (-1 when there are none). It fails, removing nothing,
// when one of them has no acknowledged changelog offset: storing it could
// run ahead of the changelog.
func (o *Overlay) Flush(before int64) ([]Change, int64, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	maxCL := int64(-1)
	var changes []Change
	for k, vs := range o.entries {
		n := 0
		for n < len(vs) && vs[n].input < before {
			cl := vs[n].cl.Load()
			if cl < 0 {
				return nil, -1, fmt.Errorf("write of the record at input offset %d has no acknowledged changelog offset yet", vs[n].input)
			}
			maxCL = max(maxCL, cl)
			n++
		}
		if n == 0 {
			continue
		}
		changes = append(changes, Change{Key: []byte(k), Value: vs[n-1].value})
	}
	if len(o.clean)+len(changes) > cleanMax {
		clear(o.clean)
	}
	for _, c := range changes {
		o.clean[string(c.Key)] = c.Value
	}
	// Nothing failed: drop what was handed out.
	for k, vs := range o.entries {
		n := 0
		for n < len(vs) && vs[n].input < before {
			n++
		}
		switch {
		case n == len(vs):
			delete(o.entries, k)
		case n > 0:
			o.entries[k] = append(vs[:0:0], vs[n:]...)
		}
		o.pending -= n
	}
	return changes, maxCL, nil
}

// Reset drops every write (a lost partition's).
func (o *Overlay) Reset() {
	o.mu.Lock()
	clear(o.entries)
	clear(o.clean)
	o.pending = 0
	o.mu.Unlock()
}
