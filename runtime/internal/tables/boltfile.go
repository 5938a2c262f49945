package tables

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
)

// boltFile writes a new bbolt file holding the store's two buckets from
// keys handed in ascending order, page by page, without bbolt: a bulk
// restore into an empty store writes every leaf once, sequentially,
// instead of inserting keys one by one into a B+tree (which, for keys in
// changelog order, costs a random page split per few keys).
//
// The layout is bbolt's file format version 2, as go.etcd.io/bbolt
// v1.4 reads it (internal/common: page.go, meta.go, bucket.go):
//
//   - every page starts with a 16-byte header: id uint64, flags uint16
//     (branch 0x01, leaf 0x02, meta 0x04), count uint16 (elements),
//     overflow uint32 (pages after this one that it spans);
//   - pages 0 and 1 are meta pages: magic 0xED0CDAED, version 2, page
//     size, flags 0, the root bucket {root page, sequence}, the freelist
//     page (none here: all ones, as bbolt writes with NoFreelistSync and
//     then rebuilds the freelist at open by walking the tree), the high
//     water mark (pages in the file), the transaction id (0 and 1), and
//     an FNV-64a checksum of the fields before it;
//   - a leaf page holds count 16-byte elements {flags, pos, ksize, vsize}
//     (flags 0x01 marks a bucket) and then the keys and values, pos
//     counted from the element to its key, the value right after it;
//   - a branch page holds count 16-byte elements {pos, ksize, child page}
//     and then the keys, each its child's first key;
//   - a bucket is a value of 16 bytes {root page, sequence};
//   - a freelist page (flags 0x10) lists free pages: count 0 here.
//
// Numbers are in the machine's byte order, as bbolt maps them. The file
// written holds: pages 0 and 1 (meta), the leaves of bucket data in key
// order, the branch levels above them, one leaf page for bucket meta
// (the changelog offset), the root bucket's leaf page naming both, and
// an empty freelist page: with it, bbolt opening the file reads the
// freelist instead of walking the whole tree to find free pages (a
// store opened with NoFreelistSync frees that page at its first commit
// and keeps no freelist after, as for any file written without it).
// Leaves are filled whole: bbolt splits a full page on its next insert.
type boltFile struct {
	f        *os.File
	w        *pageWriter
	path     string
	pageSize int
	next     uint64 // the next page id to write

	// The leaf being filled: its keys and values back to back, and
	// each element's key and value sizes.
	kv    []byte
	sizes []uint32 // ksize, vsize pairs
	// The first key and the page of every page of the level being
	// built (the leaves, then each branch level).
	firstKeys []byte
	children  []childRef
	lastKey   []byte
	keys      int64
}

type childRef struct {
	keyEnd uint32 // firstKeys[previous keyEnd:keyEnd] is its first key
	id     uint64
}

const (
	pageHeaderSize   = 16
	pageElementSize  = 16
	branchPageFlag   = 0x01
	leafPageFlag     = 0x02
	metaPageFlag     = 0x04
	freelistPageFlag = 0x10
	bucketLeafFlag   = 0x01
	boltMagic        = 0xED0CDAED
	boltVersion      = 2
	maxBoltKeySize   = 32768
	maxBoltValueSize = 1<<31 - 2
)

// createBoltFile creates path (replacing what is there) for writing.
func createBoltFile(path string, pageSize int) (*boltFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	b := &boltFile{f: f, w: newPageWriter(f), path: path, pageSize: pageSize, next: 2}
	// Pages 0 and 1 (meta) are written last, in place.
	b.w.alloc(2 * pageSize)
	return b, nil
}

// Add appends key and value to bucket data; keys must come in strictly
// ascending byte order. It does not keep key or value.
func (b *boltFile) Add(key, value []byte) error {
	switch {
	case len(key) == 0:
		return errors.New("empty key")
	case len(key) > maxBoltKeySize:
		return fmt.Errorf("key of %d bytes: bbolt takes at most %d", len(key), maxBoltKeySize)
	case len(value) > maxBoltValueSize:
		return fmt.Errorf("value of %d bytes: bbolt takes at most %d", len(value), maxBoltValueSize)
	case b.keys > 0 && string(key) <= string(b.lastKey):
		return fmt.Errorf("keys out of order: %x after %x", key, b.lastKey)
	}
	n := len(b.sizes) / 2
	if n > 0 && pageHeaderSize+(n+1)*pageElementSize+len(b.kv)+len(key)+len(value) > b.pageSize {
		if err := b.flushLeaf(); err != nil {
			return err
		}
	}
	if len(b.sizes) == 0 {
		b.firstKeys = append(b.firstKeys, key...)
	}
	b.kv = append(append(b.kv, key...), value...)
	b.sizes = append(b.sizes, uint32(len(key)), uint32(len(value)))
	b.lastKey = append(b.lastKey[:0], key...)
	b.keys++
	return nil
}

// flushLeaf writes the leaf being filled.
func (b *boltFile) flushLeaf() error {
	id, err := b.writePage(leafPageFlag, b.sizes, b.kv, nil)
	if err != nil {
		return err
	}
	b.children = append(b.children, childRef{keyEnd: uint32(len(b.firstKeys)), id: id})
	b.kv, b.sizes = b.kv[:0], b.sizes[:0]
	return nil
}

// writePage writes one leaf (sizes: ksize, vsize pairs; flags per
// element in elemFlags, or none) or branch page (sizes: ksize, child id
// pairs, the id split in two) at the next page id and returns that id.
func (b *boltFile) writePage(flags uint16, sizes []uint32, data []byte, elemFlags []uint32) (uint64, error) {
	per := 2
	if flags == branchPageFlag {
		per = 3
	}
	count := len(sizes) / per
	if count > 0xFFFF {
		return 0, fmt.Errorf("%d elements in one page", count)
	}
	size := pageHeaderSize + count*pageElementSize + len(data)
	pages := (size + b.pageSize - 1) / b.pageSize
	p := b.w.alloc(pages * b.pageSize)
	id := b.next
	ne := binary.NativeEndian
	ne.PutUint64(p[0:], id)
	ne.PutUint16(p[8:], flags)
	ne.PutUint16(p[10:], uint16(count))
	ne.PutUint32(p[12:], uint32(pages-1))
	dataAt := pageHeaderSize + count*pageElementSize
	copy(p[dataAt:], data)
	at := dataAt
	for i := range count {
		e := p[pageHeaderSize+i*pageElementSize:]
		pos := uint32(at - (pageHeaderSize + i*pageElementSize))
		if flags == leafPageFlag {
			ks, vs := sizes[2*i], sizes[2*i+1]
			if elemFlags != nil {
				ne.PutUint32(e[0:], elemFlags[i])
			}
			ne.PutUint32(e[4:], pos)
			ne.PutUint32(e[8:], ks)
			ne.PutUint32(e[12:], vs)
			at += int(ks + vs)
		} else {
			ks := sizes[3*i]
			ne.PutUint32(e[0:], pos)
			ne.PutUint32(e[4:], ks)
			ne.PutUint64(e[8:], uint64(sizes[3*i+1])|uint64(sizes[3*i+2])<<32)
			at += int(ks)
		}
	}
	b.next += uint64(pages)
	return id, nil
}

// Finish writes the branch levels, bucket meta with offset as the
// changelog offset, the root bucket and the meta pages, and closes the
// file. The file is complete only when Finish returns nil.
func (b *boltFile) Finish(offset int64) (err error) {
	defer func() {
		if cerr := b.f.Close(); err == nil {
			err = cerr
		}
	}()
	if len(b.sizes) > 0 || len(b.children) == 0 {
		if err := b.flushLeaf(); err != nil { // an empty bucket has one empty leaf
			return err
		}
	}
	// Branch levels until one page is the root.
	var sizes []uint32
	var keys []byte
	for len(b.children) > 1 {
		level, levelKeys := b.children, b.firstKeys
		b.children, b.firstKeys = nil, nil
		keyOf := func(i int) []byte {
			start := uint32(0)
			if i > 0 {
				start = level[i-1].keyEnd
			}
			return levelKeys[start:level[i].keyEnd]
		}
		// Cut the level into pages: full ones, each of at least two
		// children (bbolt merges a branch with fewer), so every level
		// has fewer pages than the one below. A last page of one child
		// joins the page before, which then spans two pages.
		var cuts []int // the first child of each page
		size := 0
		for i := range level {
			add := pageElementSize + len(keyOf(i))
			if len(cuts) == 0 || (i-cuts[len(cuts)-1] >= 2 && size+add > b.pageSize) {
				cuts = append(cuts, i)
				size = pageHeaderSize
			}
			size += add
		}
		if len(cuts) > 1 && len(level)-cuts[len(cuts)-1] == 1 {
			cuts = cuts[:len(cuts)-1]
		}
		for j, from := range cuts {
			to := len(level)
			if j+1 < len(cuts) {
				to = cuts[j+1]
			}
			sizes, keys = sizes[:0], keys[:0]
			for i := from; i < to; i++ {
				key := keyOf(i)
				keys = append(keys, key...)
				sizes = append(sizes, uint32(len(key)), uint32(level[i].id), uint32(level[i].id>>32))
			}
			b.firstKeys = append(b.firstKeys, keyOf(from)...)
			id, err := b.writePage(branchPageFlag, sizes, keys, nil)
			if err != nil {
				return err
			}
			b.children = append(b.children, childRef{keyEnd: uint32(len(b.firstKeys)), id: id})
		}
	}
	dataRoot := b.children[0].id

	var off [8]byte
	binary.BigEndian.PutUint64(off[:], uint64(offset))
	metaRoot, err := b.writePage(leafPageFlag, []uint32{uint32(len(offsetKey)), 8}, append(append([]byte(nil), offsetKey...), off[:]...), nil)
	if err != nil {
		return err
	}
	bucketValue := func(root uint64) []byte {
		v := make([]byte, 16) // {root, sequence 0}
		binary.NativeEndian.PutUint64(v, root)
		return v
	}
	var rootData []byte
	rootData = append(append(rootData, dataBucket...), bucketValue(dataRoot)...)
	rootData = append(append(rootData, metaBucket...), bucketValue(metaRoot)...)
	root, err := b.writePage(leafPageFlag, []uint32{uint32(len(dataBucket)), 16, uint32(len(metaBucket)), 16}, rootData, []uint32{bucketLeafFlag, bucketLeafFlag})
	if err != nil {
		return err
	}
	freelist := b.next
	p := b.w.alloc(b.pageSize)
	binary.NativeEndian.PutUint64(p[0:], freelist)
	binary.NativeEndian.PutUint16(p[8:], freelistPageFlag)
	b.next++
	if err := b.w.close(); err != nil {
		return err
	}
	metas := make([]byte, 2*b.pageSize)
	for txid := range uint64(2) {
		p := metas[int(txid)*b.pageSize:]
		ne := binary.NativeEndian
		ne.PutUint64(p[0:], txid)
		ne.PutUint16(p[8:], metaPageFlag)
		m := p[pageHeaderSize:]
		ne.PutUint32(m[0:], boltMagic)
		ne.PutUint32(m[4:], boltVersion)
		ne.PutUint32(m[8:], uint32(b.pageSize))
		ne.PutUint32(m[12:], 0)
		ne.PutUint64(m[16:], root)
		ne.PutUint64(m[24:], 0) // the root bucket's sequence
		ne.PutUint64(m[32:], freelist)
		ne.PutUint64(m[40:], b.next) // high water mark
		ne.PutUint64(m[48:], txid)
		h := fnv.New64a()
		h.Write(m[:56])
		ne.PutUint64(m[56:], h.Sum64())
	}
	if _, err := b.f.WriteAt(metas, 0); err != nil {
		return err
	}
	return nil
}

// Abort closes and removes the unfinished file.
func (b *boltFile) Abort() {
	b.w.close()
	b.f.Close()
	os.Remove(b.path)
}

// pageWriter writes pages to a file from a goroutine of its own, so that
// building the next pages overlaps the write system calls (which copy
// into the page cache, a good part of the time of a bulk load).
type pageWriter struct {
	cur    []byte
	free   chan []byte
	full   chan []byte
	done   chan error
	err    error
	closed bool
}

const pageWriterBuffer = 1 << 20

func newPageWriter(f *os.File) *pageWriter {
	w := &pageWriter{free: make(chan []byte, 3), full: make(chan []byte, 2), done: make(chan error, 1)}
	for range 2 {
		w.free <- make([]byte, 0, pageWriterBuffer)
	}
	w.cur = make([]byte, 0, pageWriterBuffer)
	go func() {
		var err error
		for buf := range w.full {
			if err == nil {
				_, err = f.Write(buf)
			}
			w.free <- buf[:0]
		}
		w.done <- err
	}()
	return w
}

// alloc returns the next n bytes of the file, zeroed, to fill before the
// next call.
func (w *pageWriter) alloc(n int) []byte {
	if len(w.cur)+n > cap(w.cur) {
		if len(w.cur) > 0 {
			w.full <- w.cur
			w.cur = <-w.free
		}
		if n > cap(w.cur) {
			w.cur = make([]byte, 0, n)
		}
	}
	at := len(w.cur)
	w.cur = w.cur[:at+n]
	p := w.cur[at:]
	clear(p)
	return p
}

// close writes what is left and ends the writer.
func (w *pageWriter) close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if len(w.cur) > 0 {
		w.full <- w.cur
	}
	close(w.full)
	w.err = <-w.done
	return w.err
}
