package runtime

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/faustgen/faustgen/runtime/transport"
	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Header is one Kafka record header.
type Header struct {
	Key   string
	Value []byte
}

// RecordMeta is where a record lives in Kafka and what came with it.
type RecordMeta struct {
	Topic     string
	Partition int32
	Offset    int64
	Timestamp time.Time
	Headers   []Header
}

// String renders the record's coordinates as "topic[partition]@offset".
func (m RecordMeta) String() string {
	return fmt.Sprintf("%s[%d]@%d", m.Topic, m.Partition, m.Offset)
}

// Task is the runtime's handle on the record an agent is processing. It is
// valid only until the agent's Process function returns.
type Task struct {
	ctx     context.Context
	app     *App
	agent   *agentState
	rec     *kgo.Record
	track   *transport.Inflight
	scratch *partitionScratch // the partition's (nil outside a partition)
	reader  *avro.Reader      // the partition's decode reader (nil: pooled)
	// tables holds, per table (by tableState.index), the *table[K, V]
	// handle of this partition's agent: reused for every record.
	tables []any
	// gen tells the uses of a Task apart (a partition reuses its Task for
	// every record): odd while a record is being processed, even once
	// processing returned. A Sink remembers the gen it was made in, so one
	// kept past its processing refuses to send.
	gen atomic.Uint64
}

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

// partitionScratch is what the runtime reuses across the records of one
// partition (kept in its tracker's Scratch; one goroutine uses it, except
// enc, which concurrent sends of one record share through its busy flag).
type partitionScratch struct {
	agents []*agentState // the agents of the partition's topic
	reader *avro.Reader
	enc    sendEncoder
	// tasks holds, per agent (by agentState.index), the Task its records
	// are processed with: reused, since a Task is valid only during
	// Process.
	tasks []*Task
	// decoded holds, per agent (by agentState.index), the *pair[K, V] its
	// records are decoded into; Process gets copies, so it is reused.
	decoded []any
	// hasWindows says whether the partition's topic feeds windowed
	// tables; windowed are their partitions (found on its first record).
	hasWindows bool
	windowed   []*tablePart
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

const sendSlab = 32 // sendRecords allocated together

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

func (a *App) partitionScratch(rec *kgo.Record, f *transport.Inflight) *partitionScratch {
	tr := f.Tracker()
	sc, _ := tr.Scratch.(*partitionScratch)
	if sc == nil {
		sc = &partitionScratch{
			agents:     a.byTopic[rec.Topic],
			reader:     avro.NewReader(nil, 0, avro.WithReaderConfig(a.readerAPI)),
			decoded:    make([]any, len(a.agents)),
			tasks:      make([]*Task, len(a.agents)),
			enc:        sendEncoder{free: &a.free},
			hasWindows: len(a.windowedBySource[rec.Topic]) > 0,
		}
		tr.Scratch = sc
	}
	return sc
}

func newTask(ctx context.Context, a *App, st *agentState, rec *kgo.Record, f *transport.Inflight, sc *partitionScratch) *Task {
	var t *Task
	if sc != nil {
		t = sc.tasks[st.index]
		if t == nil || t.ctx != ctx {
			t = &Task{ctx: ctx, app: a, agent: st, scratch: sc, reader: sc.reader}
			sc.tasks[st.index] = t
		}
	} else {
		t = &Task{ctx: ctx, app: a, agent: st}
	}
	t.rec, t.track = rec, f // a partition's Task keeps its App, agent and context
	t.gen.Add(1)            // odd: processing
	return t
}

// finish ends the processing of t: its sinks refuse from now on.
func (t *Task) finish() { t.gen.Add(1) }

// sinkPromise completes a record sent by a Sink. A record refused as too
// large is not a delivery failure of the App: it goes to the agent's
// error policy (tooLarge).
func sinkPromise(r *kgo.Record, err error) {
	sr := r.Context.(*sendRecord)
	f := sr.track
	if err != nil {
		src := RecordMeta{Topic: sr.srcTopic, Partition: sr.srcPartition, Offset: f.Offset()}
		err = fmt.Errorf("produce to %s while processing %s: %w", r.Topic, src, err)
		if errors.Is(err, kerr.MessageTooLarge) && sr.agent != nil {
			app, st, size, topic := sr.app, sr.agent, len(r.Key)+len(r.Value), r.Topic
			sr.put()
			app.tooLarge(sr.Context, st, src, topic, size, err, f)
			return
		}
	}
	sr.put()
	f.Done(err)
}

// Context returns the context of the processing. It is canceled only
// when a stop is forced (the App's ShutdownTimeout passed with the record
// still in progress): a graceful stop or a revoke lets the record finish
// and its sends complete.
func (t *Task) Context() context.Context { return t.ctx }

// Record returns the metadata of the record being processed.
func (t *Task) Record() RecordMeta { return metaOf(t.rec) }

// Sink sends records to one topic from inside an agent. The input offset is
// committed only after every record sent while processing it is
// acknowledged by the broker. A Sink is valid only while the Task it was
// made from is being processed.
type Sink[K, V any] struct {
	task  *Task
	gen   uint64 // the task's gen when the Sink was made
	topic *Topic[K, V]
	ids   schemaIDs
	err   error
}

// SinkOf returns the Sink of topic for the record t is processing. Sending
// fails when the topology does not grant the agent that topic.
func SinkOf[K, V any](t *Task, topic *Topic[K, V]) Sink[K, V] {
	s := Sink[K, V]{task: t, topic: topic}
	switch {
	case t == nil || t.agent == nil:
		s.err = errors.New("sink used without a task")
	case topic == nil:
		s.err = fmt.Errorf("agent %s: sink of a nil topic", t.agent.name)
	default:
		ids, ok := t.agent.sinkIDsOf(topic)
		if !ok {
			s.err = fmt.Errorf("agent %s may not send to topic %s: the topology does not list it in the agent's sinks", t.agent.name, topic.Name)
		}
		s.ids = ids
		s.gen = t.gen.Load()
	}
	return s
}

// sinkIDsOf returns the schema ids of topic, a sink of st's agent.
func (st *agentState) sinkIDsOf(topic AnyTopic) (schemaIDs, bool) {
	for _, s := range st.sinks {
		if s.topic == topic {
			return s.ids, true
		}
	}
	ids, ok := st.sinkIDs[topic.spec().Name]
	return ids, ok
}

// Send encodes key and value and produces them asynchronously to the
// Sink's topic, with headers. It returns an error when encoding fails or
// the Task is no longer being processed; a failed delivery stops the App
// (the input record is not committed, so it is processed again on restart).
// Send blocks while the producer's buffer is full.
func (s Sink[K, V]) Send(key K, value V, headers ...Header) error {
	if s.err != nil {
		return s.err
	}
	t := s.task
	if g := t.gen.Load(); g != s.gen || g&1 == 0 {
		return fmt.Errorf("sink to %s used after the processing it was made for returned", s.topic.Name)
	}
	if t.track != nil {
		if err := t.track.Alive(); err != nil {
			return fmt.Errorf("send to %s: %w", s.topic.Name, err)
		}
	}
	var sr *sendRecord
	var err error
	if sc := t.scratch; sc != nil && sc.enc.busy.CompareAndSwap(false, true) {
		e := &sc.enc
		sr = e.send(t.app, t.ctx)
		kv := pairOf(e, s.topic)
		kv.key, kv.value = key, value
		err = encodeSend(e, s.topic, s.ids, kv, sr, headers)
		*kv = pair[K, V]{}
		e.busy.Store(false)
	} else {
		// Another send of this record holds the partition's encoder.
		sr = t.app.getSend(t.ctx)
		kv := &pair[K, V]{key, value} // one allocation for both
		var rec *kgo.Record
		if rec, err = encodeRecord(t.app, s.topic, &kv.key, &kv.value, headers); err == nil {
			sr.rec.Topic, sr.rec.Key, sr.rec.Value, sr.rec.Headers = rec.Topic, rec.Key, rec.Value, rec.Headers
			releaseRecord(rec)
		}
	}
	if err != nil {
		sr.put()
		return err
	}
	sr.track, sr.srcTopic, sr.srcPartition, sr.agent = t.track, t.rec.Topic, t.rec.Partition, t.agent
	t.track.Add()
	t.app.client.Produce(t.ctx, &sr.rec, sinkPromise)
	return nil
}

// encodeSend encodes kv into sr's record, cutting its key and value from
// e's current chunk; the caller holds e's busy flag.
func encodeSend[K, V any](e *sendEncoder, topic *Topic[K, V], ids schemaIDs, kv *pair[K, V], sr *sendRecord, headers []Header) (err error) {
	w := e.writer()
	start := w.Buffered()
	part := "key"
	defer func() {
		if p := recover(); p != nil {
			err = &EncodeError{Part: part, Topic: topic.Name, Err: fmt.Errorf("panic in %s encoder: %v", part, p)}
		}
		if err != nil {
			// The chunk holds a partial record it cannot take back:
			// start another one.
			e.retire()
		}
	}()
	if err := appendFrame(w, &topic.Key, ids.key, &kv.key); err != nil {
		return &EncodeError{Part: "key", Topic: topic.Name, Err: err}
	}
	kn := w.Buffered()
	part = "value"
	if err := appendFrame(w, &topic.Value, ids.value, &kv.value); err != nil {
		return &EncodeError{Part: "value", Topic: topic.Name, Err: err}
	}
	buf := w.Buffer()
	end := len(buf)
	rec := &sr.rec
	rec.Topic, rec.Key, rec.Value = topic.Name, buf[start:kn:kn], buf[kn:end:end]
	if len(headers) > 0 {
		rec.Headers = make([]kgo.RecordHeader, len(headers))
		for i, h := range headers {
			rec.Headers[i] = kgo.RecordHeader{Key: h.Key, Value: h.Value}
		}
	}
	c := e.chunk
	c.refs.Add(1)
	sr.chunk = c
	if cap(buf)-end < sendChunkMax {
		e.retire()
	}
	return nil
}

// Agent binds one typed processing function to its source topic. Generated
// code builds one per topology agent.
type Agent[K, V any] struct {
	// Name is the topology key, such as "count_views".
	Name string
	// Source is the topic the agent consumes.
	Source *Topic[K, V]
	// Sinks are the topics the agent may send to.
	Sinks []AnyTopic
	// Tables are the read-write tables of the agent.
	Tables []AnyTable
	// Lookups are the read-only tables of the agent.
	Lookups []AnyTable
	// OnError says what happens to a record that fails.
	OnError ErrorPolicy
	// Closers act on the windows of the agent's windowed tables as they
	// close (OnWindowClose); each must be of a table in Tables.
	Closers []WindowCloser
	// Process handles one record. Records of one partition are processed in
	// order; partitions run in parallel.
	Process func(t *Task, key K, value V) error
}

// AnyAgent is any *Agent[K, V]; AppSpec lists agents with it. Only
// *Agent[K, V] satisfies it.
type AnyAgent interface {
	agentName() string
	source() AnyTopic
	sinkTopics() []AnyTopic
	tables() (readWrite, readOnly []AnyTable)
	windowClosers() []WindowCloser
	policy() ErrorPolicy
	isNil() bool
	hasProcess() bool
	handle(t *Task) error
}

func (a *Agent[K, V]) agentName() string      { return a.Name }
func (a *Agent[K, V]) sinkTopics() []AnyTopic { return a.Sinks }
func (a *Agent[K, V]) policy() ErrorPolicy    { return a.OnError }
func (a *Agent[K, V]) isNil() bool            { return a == nil }
func (a *Agent[K, V]) hasProcess() bool       { return a.Process != nil }

func (a *Agent[K, V]) source() AnyTopic {
	if a.Source == nil {
		return nil
	}
	return a.Source
}

func (a *Agent[K, V]) tables() (readWrite, readOnly []AnyTable) { return a.Tables, a.Lookups }
func (a *Agent[K, V]) windowClosers() []WindowCloser            { return a.Closers }

// handle decodes the task's record and runs Process, turning a panic into
// an error.
func (a *Agent[K, V]) handle(t *Task) (err error) {
	var kv *pair[K, V]
	r := t.reader
	if sc := t.scratch; sc != nil {
		kv, _ = sc.decoded[t.agent.index].(*pair[K, V])
		if kv == nil {
			kv = new(pair[K, V])
			sc.decoded[t.agent.index] = kv
		}
		*kv = pair[K, V]{} // decoders may reuse what they find: start empty
	} else {
		kv = new(pair[K, V])
	}
	ids := t.agent.sourceIDs
	if err := decodeFrameInto(t.ctx, t.app.reg, r, &a.Source.Key, ids.key, t.rec.Key, &kv.key); err != nil {
		return &DecodeError{Part: "key", Record: t.Record(), Err: err}
	}
	if err := decodeFrameInto(t.ctx, t.app.reg, r, &a.Source.Value, ids.value, t.rec.Value, &kv.value); err != nil {
		return &DecodeError{Part: "value", Record: t.Record(), Err: err}
	}
	defer func() {
		if p := recover(); p != nil {
			err = &PanicError{Value: p}
		}
	}()
	return a.Process(t, kv.key, kv.value)
}

type pair[K, V any] struct {
	key   K
	value V
}

// PanicError is a panic recovered from an agent's Process function; it is
// handled by the agent's ErrorPolicy like any other error.
type PanicError struct {
	// Value is what was passed to panic.
	Value any
}

// Error says what the agent panicked with.
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// RecordError is an error processing one record: a decode failure, an
// error returned by Process, or a recovered panic. Under the Fail policy Run
// returns it.
type RecordError struct {
	// Agent is the topology name of the agent.
	Agent string
	// Record is where the record lives.
	Record RecordMeta
	// Err is what went wrong.
	Err error
}

// Error names the agent, the record and what went wrong.
func (e *RecordError) Error() string {
	var de *DecodeError
	if errors.As(e.Err, &de) {
		return fmt.Sprintf("agent %s: %v", e.Agent, e.Err) // it names the record
	}
	return fmt.Sprintf("agent %s: %s: %v", e.Agent, e.Record, e.Err)
}

// Unwrap returns Err.
func (e *RecordError) Unwrap() error { return e.Err }
