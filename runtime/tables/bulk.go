package tables

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"slices"
)

// DefaultRestoreMemoryBytes is the default RestoreOptions.MemoryBytes.
const DefaultRestoreMemoryBytes = 32 << 20

// bulkLoad builds an empty store's file from its whole changelog, which
// is in the order of writes, not of keys, as compaction leaves it: an
// external sort. The poller copies records into chunks (keys and values
// back to back in an arena, plus a small entry per record); a sorter
// goroutine sorts each full chunk by key as the next one fills, keeping
// the newest write of each key (a tombstone too: it removes the key).
// Sorted chunks stay in memory while they fit in the bound; past it,
// they are merged into one run spilled to a file beside the store. At
// the end, a k-way merge of the runs and the chunks left (the newest
// wins a key; tombstones are dropped) writes the keys in order into a
// new bbolt file, page by page (boltFile), with the changelog offset
// reached, and that file is renamed over the store.
//
// Memory: sorted chunks, the chunk being filled and the two being
// handed over or sorted stay within limit (chunks are limit/16, between
// 64 KiB and 4 MiB); the merge adds one 256 KiB read buffer per run and
// the file writer 1 MiB. Records hold an entry of 24 bytes beside their
// key and value.
//
// Crash safety: nothing touches the store until the new file is whole,
// so a crash leaves the store as it was (empty, offset -1) plus files
// named after it (path + ".restore-*"), which Open removes; the next
// start bulk-loads again.
type bulkLoad struct {
	path       string
	limit      int64
	chunkBytes int

	cur    *chunk        // being filled by the poller
	work   chan *chunk   // to the sorter
	failed chan struct{} // closed when the sorter fails (err)
	done   chan struct{} // closed when the sorter has ended
	err    error

	// Owned by the sorter until done.
	sorted      []*chunk // oldest first, newer than every run
	sortedBytes int64
	runs        []string // spilled runs, oldest first
	peak        int64
}

type chunk struct {
	arena []byte
	ents  []entry
}

// entry is one record of a chunk: its key at arena[off:off+klen], its
// value right after, vlen -1 for a tombstone. prefix holds the key's
// first 8 bytes, big-endian, for fast comparisons.
type entry struct {
	prefix uint64
	off    uint32
	klen   uint32
	vlen   int32
}

const entrySize = 24

func (c *chunk) bytes() int64 { return int64(cap(c.arena)) + int64(cap(c.ents))*entrySize }

func newBulkLoad(path string, limit int64) *bulkLoad {
	if limit <= 0 {
		limit = DefaultRestoreMemoryBytes
	}
	cb := int(min(max(limit/16, 64<<10), 4<<20))
	l := &bulkLoad{path: path, limit: limit, chunkBytes: cb, work: make(chan *chunk, 1), failed: make(chan struct{}), done: make(chan struct{})}
	l.cur = l.newChunk(nil)
	go l.sortChunks()
	return l
}

// newChunk sizes a chunk like the last one filled (prev), or evenly.
func (l *bulkLoad) newChunk(prev *chunk) *chunk {
	arena, ents := l.chunkBytes/2, l.chunkBytes/2/entrySize
	if prev != nil {
		arena, ents = len(prev.arena)+len(prev.arena)/8, len(prev.ents)+len(prev.ents)/8
	}
	return &chunk{arena: make([]byte, 0, arena), ents: make([]entry, 0, ents)}
}

// add copies one record (value nil: a tombstone) into the load. It
// fails when the sorter has failed.
func (l *bulkLoad) add(key, value []byte) error {
	c := l.cur
	var p [8]byte
	copy(p[:], key)
	vlen := int32(len(value))
	if value == nil {
		vlen = -1
	}
	c.ents = append(c.ents, entry{prefix: binary.BigEndian.Uint64(p[:]), off: uint32(len(c.arena)), klen: uint32(len(key)), vlen: vlen})
	c.arena = append(append(c.arena, key...), value...)
	if len(c.arena)+len(c.ents)*entrySize < l.chunkBytes {
		return nil
	}
	return l.handOver(l.newChunk(c))
}

// handOver gives the chunk filled to the sorter and starts next.
func (l *bulkLoad) handOver(next *chunk) error {
	select {
	case l.work <- l.cur:
		l.cur = next
		return nil
	case <-l.failed:
		return l.err
	}
}

// sortChunks is the sorter: it sorts each chunk handed over and spills
// when the sorted chunks pass the bound.
func (l *bulkLoad) sortChunks() {
	defer close(l.done)
	for c := range l.work {
		if l.err != nil {
			continue // drain
		}
		c.sortNewestPerKey()
		l.sorted = append(l.sorted, c)
		l.sortedBytes += c.bytes()
		held := l.sortedBytes + 3*int64(l.chunkBytes) // + filling, handed over, sorting
		l.peak = max(l.peak, held)
		if held > l.limit {
			if l.err = l.spill(); l.err != nil {
				close(l.failed)
			}
		}
	}
}

// sortNewestPerKey sorts c's entries by key and keeps the newest (the
// last added) of each key.
func (c *chunk) sortNewestPerKey() {
	a := c.arena
	slices.SortFunc(c.ents, func(x, y entry) int {
		if x.prefix != y.prefix {
			return cmp.Compare(x.prefix, y.prefix)
		}
		if r := bytes.Compare(a[x.off:x.off+x.klen], a[y.off:y.off+y.klen]); r != 0 {
			return r
		}
		return cmp.Compare(x.off, y.off) // the order added
	})
	out := c.ents[:0]
	for i, e := range c.ents {
		if i+1 < len(c.ents) {
			n := c.ents[i+1]
			if n.prefix == e.prefix && bytes.Equal(a[e.off:e.off+e.klen], a[n.off:n.off+n.klen]) {
				continue
			}
		}
		out = append(out, e)
	}
	c.ents = out
}

// spill merges the sorted chunks into one run file, tombstones kept.
func (l *bulkLoad) spill() (err error) {
	path := fmt.Sprintf("%s.restore-run-%d", l.path, len(l.runs))
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	l.runs = append(l.runs, path)
	w := bufio.NewWriterSize(f, 1<<20)
	var hdr [2 * binary.MaxVarintLen64]byte
	err = merge(l.cursors(nil), true, func(key, value []byte) error {
		n := binary.PutUvarint(hdr[:], uint64(len(key)))
		vl := uint64(0) // a tombstone
		if value != nil {
			vl = uint64(len(value)) + 1
		}
		n += binary.PutUvarint(hdr[n:], vl)
		w.Write(hdr[:n])
		w.Write(key)
		_, err := w.Write(value)
		return err
	})
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("spill a sorted run of the restore to %s: %w", path, err)
	}
	l.sorted, l.sortedBytes = nil, 0
	return nil
}

// wait ends the input and waits for the sorter.
func (l *bulkLoad) wait() error {
	var err error
	if len(l.cur.ents) > 0 {
		err = l.handOver(&chunk{})
	}
	close(l.work)
	<-l.done
	return cmp.Or(err, l.err)
}

// write merges everything into a new bbolt file at l.path +
// ".restore-new" holding offset as its changelog offset, and returns
// its path and the number of keys written.
func (l *bulkLoad) write(offset int64, pageSize int) (string, int64, error) {
	path := l.path + ".restore-new"
	bf, err := createBoltFile(path, pageSize)
	if err != nil {
		return "", 0, err
	}
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	var cs []*cursor
	for i, run := range l.runs {
		f, err := os.Open(run)
		if err != nil {
			bf.Abort()
			return "", 0, err
		}
		files = append(files, f)
		cs = append(cs, &cursor{age: i, r: bufio.NewReaderSize(f, 256<<10), name: run})
	}
	cs = l.cursors(cs)
	if err := merge(cs, false, bf.Add); err != nil {
		bf.Abort()
		return "", 0, fmt.Errorf("write %s: %w", path, err)
	}
	if err := bf.Finish(offset); err != nil {
		bf.Abort()
		return "", 0, fmt.Errorf("write %s: %w", path, err)
	}
	return path, bf.keys, nil
}

// cursors appends a cursor over each sorted chunk, newer than those in
// cs.
func (l *bulkLoad) cursors(cs []*cursor) []*cursor {
	for _, c := range l.sorted {
		cs = append(cs, &cursor{age: len(cs), c: c, i: -1})
	}
	return cs
}

// removeTemp removes the load's run files.
func (l *bulkLoad) removeTemp() {
	for _, r := range l.runs {
		os.Remove(r)
	}
}

// cursor walks one sorted run: a chunk in memory or a spilled file.
type cursor struct {
	key, value []byte // value nil: a tombstone
	age        int    // higher is newer

	c *chunk
	i int

	r    *bufio.Reader
	buf  []byte
	name string
}

// next moves to the next key; false at the end.
func (k *cursor) next() (bool, error) {
	if k.c != nil {
		k.i++
		if k.i >= len(k.c.ents) {
			return false, nil
		}
		e := k.c.ents[k.i]
		k.key = k.c.arena[e.off : e.off+e.klen : e.off+e.klen]
		k.value = nil
		if e.vlen >= 0 {
			v := e.off + e.klen
			k.value = k.c.arena[v : v+uint32(e.vlen) : v+uint32(e.vlen)]
		}
		return true, nil
	}
	kl, err := binary.ReadUvarint(k.r)
	if err == io.EOF {
		return false, nil
	}
	vl, err2 := binary.ReadUvarint(k.r)
	if err != nil || err2 != nil {
		return false, fmt.Errorf("read spilled run %s: %w", k.name, cmp.Or(err, err2, io.ErrUnexpectedEOF))
	}
	n := int(kl) + max(int(vl)-1, 0)
	if cap(k.buf) < n {
		k.buf = make([]byte, n)
	}
	k.buf = k.buf[:n]
	if _, err := io.ReadFull(k.r, k.buf); err != nil {
		return false, fmt.Errorf("read spilled run %s: %w", k.name, err)
	}
	k.key, k.value = k.buf[:kl], nil
	if vl > 0 {
		k.value = k.buf[kl:]
	}
	return true, nil
}

// merge emits every key of the cursors once, in ascending order, with
// its value in the newest cursor that has it; a key whose newest value
// is a tombstone is emitted (value nil) only when keepTombstones.
func merge(cs []*cursor, keepTombstones bool, emit func(key, value []byte) error) error {
	h := cs[:0]
	for _, c := range cs {
		ok, err := c.next()
		if err != nil {
			return err
		}
		if ok {
			h = append(h, c)
		}
	}
	less := func(a, b *cursor) bool {
		if r := bytes.Compare(a.key, b.key); r != 0 {
			return r < 0
		}
		return a.age > b.age
	}
	down := func(i int) {
		for {
			l := 2*i + 1
			if l >= len(h) {
				return
			}
			m := l
			if r := l + 1; r < len(h) && less(h[r], h[l]) {
				m = r
			}
			if !less(h[m], h[i]) {
				return
			}
			h[i], h[m] = h[m], h[i]
			i = m
		}
	}
	for i := len(h)/2 - 1; i >= 0; i-- {
		down(i)
	}
	var last []byte
	first := true
	for len(h) > 0 {
		top := h[0]
		if first || !bytes.Equal(top.key, last) {
			first = false
			last = append(last[:0], top.key...)
			if top.value != nil || keepTombstones {
				if err := emit(top.key, top.value); err != nil {
					return err
				}
			}
		}
		ok, err := top.next()
		if err != nil {
			return err
		}
		if !ok {
			h[0] = h[len(h)-1]
			h = h[:len(h)-1]
		}
		down(0)
	}
	return nil
}
