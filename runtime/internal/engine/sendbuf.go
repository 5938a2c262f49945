package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/faustgen/faustgen/runtime/internal/transport"
	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kgo"
)

// sendRecord is a record a Sink produces, with what its promise needs. It
// is its record's Context (set once: franz-go may still read the Context
// of a record it has completed), and is recycled once the broker has
// answered: into its partition's encoder when it came from one, else
// through its App's pool.
type sendRecord struct {
	context.Context // the App's processing context
	rec             kgo.Record
	app             *App
	home            *sendFree           // the free lists it returns to (nil: the App's pool)
	chunk           *sendChunk          // the chunk its key and value are cut from, if any
	track           *transport.Inflight // the input record's
	agent           *agentState         // the agent that sent it
	// srcTopic and srcPartition (with track's offset) name the input
	// record in errors; the record itself is not kept, so its fetch
	// buffer is not held alive until the output is acknowledged.
	srcTopic     string
	srcPartition int32
}

func (a *App) getSend(ctx context.Context) *sendRecord {
	sr, _ := a.sends.Get().(*sendRecord)
	if sr == nil || sr.Context != ctx {
		sr = &sendRecord{Context: ctx, app: a}
		sr.rec.Context = sr
	}
	return sr
}

// put clears sr, but for its Context and home, releases its chunk and
// returns it to its partition encoder or its App's pool. The record must
// no longer be in franz-go's hands.
func (sr *sendRecord) put() {
	r := &sr.rec
	r.Key, r.Value, r.Headers, r.Timestamp, r.Topic = nil, nil, nil, time.Time{}, ""
	r.Partition, r.Attrs, r.ProducerEpoch, r.ProducerID, r.LeaderEpoch, r.Offset = 0, kgo.RecordAttrs{}, 0, 0, 0, 0
	sr.track, sr.srcTopic, sr.agent = nil, "", nil
	if c := sr.chunk; c != nil {
		sr.chunk = nil
		c.release()
	}
	if h := sr.home; h != nil {
		h.mu.Lock()
		h.sends = append(h.sends, sr)
		h.mu.Unlock()
		return
	}
	sr.app.sends.Put(sr)
}

// sendEncoder encodes the records a partition's sinks send, straight into
// the buffer of the current chunk's writer: a record's key and value are
// slices of that buffer, handed to franz-go without a copy. A chunk is
// reused once it is full and every record cut from it has been
// acknowledged; so are the sendRecords. Only the holder of busy (the
// partition's goroutine, or one of a record's concurrent sends) touches
// chunk, pairs and sends; promises return what they release to free, which
// the App's partitions share (acknowledgements come back in bursts, so
// one partition's returns would sit idle while another allocates).
type sendEncoder struct {
	busy  atomic.Bool
	ctx   context.Context // the processing context the free sendRecords carry
	chunk *sendChunk
	// pairs holds a *pair[K, V] per sink topic, to encode from without an
	// allocation per send.
	pairs []sendPair
	sends []*sendRecord // free, taken without a lock
	free  *sendFree
}

// sendFree holds what acknowledged sends returned, for any partition of
// an App to reuse.
type sendFree struct {
	mu     sync.Mutex
	sends  []*sendRecord
	chunks []*sendChunk // full chunks whose records are all acknowledged
}

// sendTake is the most sendRecords a partition takes from the shared
// free list at once.
const sendTake = 64

// sendChunk is a writer whose buffer records are cut from. refs counts
// the records cut from it that are not acknowledged yet, plus one while it
// is its encoder's current chunk; whoever drops it to zero recycles it.
type sendChunk struct {
	w    *avro.Writer
	refs atomic.Int32
	home *sendFree
}

const (
	sendChunkSize = 16 << 10
	sendChunkMax  = sendChunkSize / 8 // less room than this left: start a new chunk
)

// release drops one reference of c, recycling it when it was the last.
func (c *sendChunk) release() {
	if c.refs.Add(-1) != 0 {
		return
	}
	if cap(c.w.Buffer()) > 2*sendChunkSize {
		return // grown by a large record: let it go
	}
	c.w.Error = nil
	c.w.Reset(nil)
	h := c.home
	h.mu.Lock()
	h.chunks = append(h.chunks, c)
	h.mu.Unlock()
}

// writer returns the current chunk's writer, starting a chunk if there
// is none. The caller holds busy.
func (e *sendEncoder) writer() *avro.Writer {
	if e.chunk == nil {
		h := e.free
		h.mu.Lock()
		if n := len(h.chunks); n > 0 {
			e.chunk = h.chunks[n-1]
			h.chunks[n-1] = nil
			h.chunks = h.chunks[:n-1]
		}
		h.mu.Unlock()
		if e.chunk == nil {
			e.chunk = &sendChunk{w: avro.NewWriter(nil, sendChunkSize), home: h}
		}
		e.chunk.refs.Store(1)
	}
	return e.chunk.w
}

// retire stops cutting records from the current chunk (full, or holding
// the bytes of a failed encoding); it is recycled once its records are
// acknowledged. The caller holds busy.
func (e *sendEncoder) retire() {
	if c := e.chunk; c != nil {
		e.chunk = nil
		c.release()
	}
}

// send returns a free sendRecord of e for ctx. The caller holds busy.
func (e *sendEncoder) send(a *App, ctx context.Context) *sendRecord {
	if e.ctx != ctx {
		e.ctx, e.sends = ctx, nil // records of another context: drop them
	}
	if len(e.sends) == 0 {
		h := e.free
		h.mu.Lock()
		n := len(h.sends)
		take := h.sends[max(0, n-sendTake):]
		e.sends = append(e.sends, take...)
		clear(take)
		h.sends = h.sends[:n-len(take)]
		h.mu.Unlock()
	}
	for n := len(e.sends); n > 0; n = len(e.sends) {
		sr := e.sends[n-1]
		e.sends[n-1] = nil
		e.sends = e.sends[:n-1]
		if sr.Context == ctx {
			return sr
		}
	}
	// Allocate sendRecords a slab at a time: the records in flight (up to
	// the producer's buffer, plus acknowledgements not yet delivered)
	// outnumber what has come back while a partition races ahead.
	slab := make([]sendRecord, sendSlab)
	for i := range slab {
		sr := &slab[i]
		sr.Context, sr.app, sr.home = ctx, a, e.free
		sr.rec.Context = sr
		if i > 0 {
			e.sends = append(e.sends, sr)
		}
	}
	return &slab[0]
}

const sendSlab = 32

// sendRecords allocated together

type sendPair struct {
	topic AnyTopic
	pair  any
}

// pairOf returns e's pair for topic, making it on first use.
func pairOf[K, V any](e *sendEncoder, topic *Topic[K, V]) *pair[K, V] {
	for _, p := range e.pairs {
		if p.topic == AnyTopic(topic) {
			return p.pair.(*pair[K, V])
		}
	}
	kv := new(pair[K, V])
	e.pairs = append(e.pairs, sendPair{topic, kv})
	return kv
}
