package tables

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
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
// back to back in an arena, plus a 24-byte entry per record); a sorter
// goroutine sorts each full chunk by key as the next one fills, keeps
// the newest write of each key (a tombstone too: it removes the key),
// and encodes it as a sorted run: the records back to back in key order
// (see spilledRun), the chunk's buffers going back to the poller. Runs
// stay in memory up to the bound; then a spill in the background merges
// the older half into one run in a file beside the store while the next
// ones fill that half. At the end a k-way merge of all the runs
// (the newest wins a key; tombstones are dropped) writes the keys in
// order into a new bbolt file, page by page (boltFile), with the
// changelog offset reached, and that file replaces the empty store
// (Store.replaceWith).
//
// Memory: the runs in memory (and those being spilled, in the
// background) and the chunks being
// filled, handed over and sorted stay within limit (a chunk is
// limit/16, between 64 KiB and 4 MiB); the spill and the merge at the
// end add 1 MiB write buffers, the merge a 256 KiB read buffer per
// spilled run and 1 MiB of blocks. A record takes its key and value
// plus 48 bytes while in a chunk (its entry and the radix sort's copy),
// plus 2 to 10 bytes once in a run. A record bigger than a chunk makes
// its chunk as big.
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
	free   chan *chunk   // emptied chunks, back to the poller
	failed chan struct{} // closed when the sorter fails (err)
	done   chan struct{} // closed when the sorter has ended
	err    error

	// Owned by the sorter until done; runs also by the one spill
	// in the background, until spilled says it ended.
	mem           []*memRun // oldest first, newer than every spilled run
	memBytes      int64
	runs          []spilledRun // oldest first
	spilled       chan error   // the spill in the background, nil when none
	spillingBytes int64
	spills        int // spills started
	peak          int64
}

// spilledRun is a file of sorted records in run encoding: each is
// uvarint key length, uvarint value length + 1 (0: a tombstone), key,
// value. Its keys all begin with first[:cp].
type spilledRun struct {
	path  string
	cp    int
	first []byte
}

// memRun is a sorted run in memory, in run encoding: one a chunk.
//
// Runs are not merged with each other while records arrive (as an LSM
// tree would): on two cores shared with the broker, merging 4 runs of a
// level into one slowed the fetching more than it saved at the end
// (1M records: 0.24-0.40 s against 0.21-0.28 s).
type memRun struct {
	data  []byte
	cp    int
	first []byte
}

type chunk struct {
	arena   []byte
	ents    []entry
	scratch []entry // for the radix sort
}

// entry is one record of a chunk: its key at arena[off:off+klen], its
// value right after, vlen -1 for a tombstone. prefix holds the 8 bytes
// of the key after those all the chunk's keys share (zero-padded),
// big-endian, so that most comparisons compare two integers.
type entry struct {
	prefix uint64
	off    uint32
	klen   uint32
	vlen   int32
}

const entrySize = 24

// chunkRecordBytes is what a chunk holds per record beside its key and
// value: its entry and the radix sort's copy of it.
const chunkRecordBytes = 2 * entrySize

func newBulkLoad(path string, limit int64) *bulkLoad {
	if limit <= 0 {
		limit = DefaultRestoreMemoryBytes
	}
	cb := int(min(max(limit/16, 64<<10), 4<<20))
	l := &bulkLoad{path: path, limit: limit, chunkBytes: cb, work: make(chan *chunk, 1), free: make(chan *chunk, 2),
		failed: make(chan struct{}), done: make(chan struct{})}
	l.cur = l.newChunk()
	go l.sortChunks()
	return l
}

// newChunk returns an emptied chunk, or a new one.
func (l *bulkLoad) newChunk() *chunk {
	select {
	case c := <-l.free:
		return c
	default:
		return &chunk{arena: make([]byte, 0, l.chunkBytes/2), ents: make([]entry, 0, l.chunkBytes/2/chunkRecordBytes)}
	}
}

// add copies one record (value nil: a tombstone) into the load. It
// fails when the sorter has failed.
func (l *bulkLoad) add(key, value []byte) error {
	c := l.cur
	vlen := int32(len(value))
	if value == nil {
		vlen = -1
	}
	c.ents = append(c.ents, entry{off: uint32(len(c.arena)), klen: uint32(len(key)), vlen: vlen})
	c.arena = append(append(c.arena, key...), value...)
	if len(c.arena)+len(c.ents)*chunkRecordBytes < l.chunkBytes {
		return nil
	}
	return l.handOver()
}

// handOver gives the chunk filled to the sorter and starts the next.
func (l *bulkLoad) handOver() error {
	select {
	case l.work <- l.cur:
		l.cur = l.newChunk()
		return nil
	case <-l.failed:
		return l.err
	}
}

// sortChunks is the sorter: it turns each chunk handed over into a run
// in memory and spills runs as they fill the bound.
func (l *bulkLoad) sortChunks() {
	defer close(l.done)
	for c := range l.work {
		if l.err != nil {
			continue // drain
		}
		r := c.sortedRun()
		c.arena, c.ents = c.arena[:0], c.ents[:0]
		select {
		case l.free <- c:
		default:
		}
		l.mem = append(l.mem, r)
		l.memBytes += int64(cap(r.data))
		// Held: the runs (in memory and being spilled), and the chunks
		// being filled, handed over and sorted. When the next run would
		// pass the bound, older runs go to a spill in the background,
		// so that sorting, and fetching, go on meanwhile in the room
		// left (filling it waits for the spill).
		held := l.memBytes + l.spillingBytes + 3*int64(l.chunkBytes)
		l.peak = max(l.peak, held)
		if held+int64(l.chunkBytes) > l.limit {
			// The first spill takes the older half of a full room;
			// the next, all the runs but the newest, once the one
			// before has ended: they alternate halves.
			keep := int64(0)
			if l.spills == 0 {
				keep = (l.limit - 4*int64(l.chunkBytes)) / 2
			}
			if l.err = l.waitSpill(); l.err == nil {
				l.startSpill(keep)
			}
			if l.err != nil {
				close(l.failed)
			}
		}
	}
	if l.err == nil {
		l.err = l.waitSpill()
	}
}

// startSpill hands the oldest runs in memory to a spill in the
// background, keeping at most keep bytes of the newest (and always the
// newest run).
func (l *bulkLoad) startSpill(keep int64) {
	n, bytes := 0, int64(0)
	for n < len(l.mem)-1 && l.memBytes-bytes > keep {
		bytes += int64(cap(l.mem[n].data))
		n++
	}
	if n == 0 {
		return
	}
	l.spills++
	runs := l.mem[:n:n]
	l.mem = append([]*memRun(nil), l.mem[n:]...)
	l.memBytes -= bytes
	l.spillingBytes = bytes
	l.spilled = make(chan error, 1)
	go func() { l.spilled <- l.spill(runs) }()
}

// waitSpill waits for the spill in the background, if any.
func (l *bulkLoad) waitSpill() error {
	if l.spilled == nil {
		return nil
	}
	err := <-l.spilled
	l.spilled, l.spillingBytes = nil, 0
	return err
}

// appendRecord appends key and value (nil: a tombstone) in run
// encoding.
func appendRecord(out, key, value []byte) []byte {
	out = binary.AppendUvarint(out, uint64(len(key)))
	vl := uint64(0)
	if value != nil {
		vl = uint64(len(value)) + 1
	}
	out = binary.AppendUvarint(out, vl)
	return append(append(out, key...), value...)
}

// sortedRun sorts c's entries by key, keeps the newest (the last added)
// of each key, and encodes them as a run.
func (c *chunk) sortedRun() *memRun {
	a := c.arena
	r := &memRun{}
	if len(c.ents) == 0 {
		return r
	}
	e0 := c.ents[0]
	first := a[e0.off : e0.off+e0.klen]
	cp := len(first)
	for _, e := range c.ents[1:] {
		cp = lcp(first[:cp], a[e.off:e.off+e.klen])
	}
	r.cp, r.first = cp, append([]byte(nil), first[:cp]...)
	for i := range c.ents {
		e := &c.ents[i]
		e.prefix = prefixAt(a[e.off:e.off+e.klen], cp)
	}
	c.radixSortByPrefix()
	// Keys of one prefix (they differ further on, or are equal) are in
	// the order added; sort them by the whole key, keeping that order
	// among equal keys.
	for i := 0; i < len(c.ents); {
		j := i + 1
		for j < len(c.ents) && c.ents[j].prefix == c.ents[i].prefix {
			j++
		}
		if j-i > 1 {
			slices.SortStableFunc(c.ents[i:j], func(x, y entry) int {
				return bytes.Compare(a[x.off:x.off+x.klen], a[y.off:y.off+y.klen])
			})
		}
		i = j
	}
	kept := c.ents[:0]
	size := 0
	for i, e := range c.ents {
		if i+1 < len(c.ents) {
			n := c.ents[i+1]
			if n.prefix == e.prefix && bytes.Equal(a[e.off:e.off+e.klen], a[n.off:n.off+n.klen]) {
				continue // an older write of the next key
			}
		}
		kept = append(kept, e)
		size += uvarintLen(uint64(e.klen)) + uvarintLen(uint64(e.vlen+1)) + int(e.klen) + max(int(e.vlen), 0)
	}
	out := make([]byte, 0, size)
	for _, e := range kept {
		out = binary.AppendUvarint(out, uint64(e.klen))
		out = binary.AppendUvarint(out, uint64(e.vlen+1))
		out = append(out, a[e.off:e.off+e.klen+uint32(max(e.vlen, 0))]...)
	}
	r.data = out
	return r
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// radixSortByPrefix sorts c.ents by prefix, keeping the order added
// among equal prefixes: a least-significant-digit radix sort of bytes,
// skipping the bytes all prefixes share.
func (c *chunk) radixSortByPrefix() {
	var counts [8][256]int
	for _, e := range c.ents {
		for d := range 8 {
			counts[d][byte(e.prefix>>(8*d))]++
		}
	}
	if cap(c.scratch) < len(c.ents) {
		c.scratch = make([]entry, len(c.ents))
	}
	src, dst := c.ents, c.scratch[:len(c.ents)]
	for d := range 8 {
		cnt := &counts[d]
		if cnt[byte(src[0].prefix>>(8*d))] == len(src) {
			continue // every prefix has this byte
		}
		at := 0
		for i, n := range cnt {
			cnt[i] = at
			at += n
		}
		shift := 8 * d
		for _, e := range src {
			b := byte(e.prefix >> shift)
			dst[cnt[b]] = e
			cnt[b]++
		}
		src, dst = dst, src
	}
	if &src[0] != &c.ents[0] {
		copy(c.ents, src)
	}
}

// lcp returns the length of the longest common prefix of a and b.
func lcp(a, b []byte) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// prefixAt returns key's 8 bytes from at (zero-padded) as a big-endian
// integer: keys sharing their first at bytes compare as these do, or
// are equal here and need a full comparison.
func prefixAt(key []byte, at int) uint64 {
	if len(key) >= at+8 {
		return binary.BigEndian.Uint64(key[at:])
	}
	if len(key) >= 8 {
		// The last 8 bytes, those before at shifted out.
		return binary.BigEndian.Uint64(key[len(key)-8:]) << (8 * (at + 8 - len(key)))
	}
	var v uint64
	for i, c := range key[at:] {
		v |= uint64(c) << (56 - 8*i)
	}
	return v
}

// spill merges runs into one run file, tombstones kept.
func (l *bulkLoad) spill(runs []*memRun) (err error) {
	path := fmt.Sprintf("%s.restore-run-%d", l.path, len(l.runs))
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	cs := memCursors(nil, runs)
	cp, first := commonPrefix(cs)
	l.runs = append(l.runs, spilledRun{path: path, cp: cp, first: append([]byte(nil), first[:cp]...)})
	w := bufio.NewWriterSize(f, 1<<20)
	var rec []byte
	err = merge(cs, true, func(key, value []byte) error {
		rec = appendRecord(rec[:0], key, value)
		_, err := w.Write(rec)
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
	return nil
}

// wait ends the input and waits for the sorter.
func (l *bulkLoad) wait() error {
	var err error
	if len(l.cur.ents) > 0 {
		err = l.handOver()
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
		f, err := os.Open(run.path)
		if err != nil {
			bf.Abort()
			return "", 0, err
		}
		files = append(files, f)
		cs = append(cs, &cursor{age: i, r: bufio.NewReaderSize(f, 256<<10), name: run.path, cp: run.cp, first: run.first})
	}
	cs = memCursors(cs, l.mem)
	if err := mergeInto(cs, bf); err != nil {
		bf.Abort()
		return "", 0, fmt.Errorf("write %s: %w", path, err)
	}
	if err := bf.Finish(offset); err != nil {
		bf.Abort()
		return "", 0, fmt.Errorf("write %s: %w", path, err)
	}
	return path, bf.keys, nil
}

// mergeInto merges the cursors' keys (dropping tombstones) into bf,
// the merge and the building of pages in two goroutines: the merge
// hands over blocks of records in run encoding.
func mergeInto(cs []*cursor, bf *boltFile) error {
	const blockBytes = 256 << 10
	blocks, free := make(chan []byte, 3), make(chan []byte, 4)
	for range 4 {
		free <- make([]byte, 0, blockBytes)
	}
	failed, built := make(chan struct{}), make(chan error, 1)
	go func() {
		var err error
		for blk := range blocks {
			for rest := blk; err == nil && len(rest) > 0; {
				k := cursor{data: rest}
				k.next()
				rest = k.data
				if err = bf.Add(k.key, k.value); err != nil {
					close(failed)
				}
			}
			free <- blk[:0]
		}
		built <- err
	}()
	cur := <-free
	err := merge(cs, false, func(key, value []byte) error {
		if len(cur)+2*binary.MaxVarintLen32+len(key)+len(value) > cap(cur) && len(cur) > 0 {
			select {
			case blocks <- cur:
			case <-failed:
				return errStopMerge
			}
			cur = <-free
		}
		cur = appendRecord(cur, key, value)
		return nil
	})
	if err == nil && len(cur) > 0 {
		blocks <- cur
	}
	close(blocks)
	if berr := <-built; berr != nil {
		return berr
	}
	return err
}

var errStopMerge = errors.New("stop the merge")

// memCursors appends a cursor over each of runs, newer than those in
// cs.
func memCursors(cs []*cursor, runs []*memRun) []*cursor {
	for _, r := range runs {
		cs = append(cs, &cursor{age: len(cs), data: r.data, cp: r.cp, first: r.first})
	}
	return cs
}

// commonPrefix returns how many first bytes all the cursors' keys
// share, and a key that has them.
func commonPrefix(cs []*cursor) (int, []byte) {
	if len(cs) == 0 {
		return 0, nil
	}
	cp, first := cs[0].cp, cs[0].first
	for _, c := range cs[1:] {
		cp = min(cp, c.cp, lcp(first, c.first))
	}
	return cp, first
}

// removeTemp removes the load's run files.
func (l *bulkLoad) removeTemp() {
	for _, r := range l.runs {
		os.Remove(r.path)
	}
}

// cursor walks one sorted run: in memory (data) or a spilled file (r).
type cursor struct {
	key, value []byte // value nil: a tombstone
	age        int    // higher is newer
	prefix     uint64 // prefixAt(key, the merge's common prefix)
	cp         int    // every key begins with first[:cp]
	first      []byte

	data []byte

	r    *bufio.Reader
	buf  []byte
	name string
}

// next moves to the next key; false at the end.
func (k *cursor) next() (bool, error) {
	if k.r == nil {
		if len(k.data) == 0 {
			return false, nil
		}
		kl, n1 := binary.Uvarint(k.data)
		vl, n2 := binary.Uvarint(k.data[n1:])
		d := k.data[n1+n2:]
		k.key, k.value = d[:kl:kl], nil
		if vl > 0 {
			k.value = d[kl : kl+vl-1 : kl+vl-1]
		}
		k.data = d[kl+max(vl, 1)-1:]
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
	cp, _ := commonPrefix(cs)
	t := tournament{n: 1}
	for t.n < len(cs) {
		t.n *= 2
	}
	t.cs, t.tree = make([]*cursor, t.n), make([]int32, 2*t.n)
	for i, c := range cs {
		ok, err := c.next()
		if err != nil {
			return err
		}
		if ok {
			c.prefix = prefixAt(c.key, cp)
			t.cs[i] = c
		}
	}
	for i := range t.n {
		t.tree[t.n+i] = int32(i)
	}
	for p := t.n - 1; p >= 1; p-- {
		t.play(p)
	}
	var last []byte
	first := true
	for {
		w := t.tree[1]
		top := t.cs[w]
		if top == nil {
			return nil // every cursor is at its end
		}
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
		if ok {
			top.prefix = prefixAt(top.key, cp)
		} else {
			t.cs[w] = nil
		}
		for p := (t.n + int(w)) / 2; p >= 1; p /= 2 {
			t.play(p)
		}
	}
}

// tournament is a winner tree over cursors: leaf i (node n+i) is
// cursor i, nil once at its end; node p holds the winner of its two
// children (the smaller key; of equal keys, the newer cursor), node 1
// the winner of all. Moving the winner on replays its path to the root:
// one comparison a level.
type tournament struct {
	cs   []*cursor
	tree []int32
	n    int // leaves, a power of two
}

// play sets node p to the winner of its children.
func (t *tournament) play(p int) {
	a, b := t.tree[2*p], t.tree[2*p+1]
	x, y := t.cs[a], t.cs[b]
	switch {
	case y == nil:
	case x == nil:
		a = b
	case x.prefix != y.prefix:
		if y.prefix < x.prefix {
			a = b
		}
	default:
		if r := bytes.Compare(x.key, y.key); r > 0 || r == 0 && y.age > x.age {
			a = b
		}
	}
	t.tree[p] = a
}
