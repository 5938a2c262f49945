package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/faustgen/faustgen/runtime"
	"github.com/faustgen/faustgen/runtime/internal/transport"
	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

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

func (a *Agent[K, V]) agentName() string { return a.Name }

func (a *Agent[K, V]) sinkTopics() []AnyTopic { return a.Sinks }

func (a *Agent[K, V]) policy() ErrorPolicy { return a.OnError }

func (a *Agent[K, V]) isNil() bool { return a == nil }

func (a *Agent[K, V]) hasProcess() bool { return a.Process != nil }

func (a *Agent[K, V]) source() AnyTopic {
	if a.Source == nil {
		return nil
	}
	return a.Source
}

func (a *Agent[K, V]) tables() (readWrite, readOnly []AnyTable) { return a.Tables, a.Lookups }

func (a *Agent[K, V]) windowClosers() []WindowCloser { return a.Closers }

// handle runs every agent of rec's topic on rec and applies their error
// policies. It returns an error only under the Fail policy.
func (a *App) handle(ctx context.Context, rec *kgo.Record, f *transport.Inflight) error {
	var agents []*agentState
	var sc *partitionScratch
	if f != nil {
		sc = a.partitionScratch(rec, f)
		agents = sc.agents
	} else {
		agents = a.byTopic[rec.Topic]
	}
	for _, st := range agents {
		t := newTask(ctx, a, st, rec, f, sc)
		err := st.agent.handle(t)
		t.finish()
		if err == nil {
			continue
		}
		if errors.Is(err, transport.ErrPartitionLost) {
			// Not the record's fault: this instance no longer owns its
			// partition. It stays uncommitted for the next owner.
			return err
		}
		if err := a.onRecordError(ctx, st, rec, f, err); err != nil {
			return err
		}
	}
	if sc != nil && sc.hasWindows {
		return a.windowsAfter(ctx, rec, f, sc)
	}
	return nil
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
	// sinks holds, per sink topic of the agent (by index in
	// agentState.sinks), the *sink[K, V] of this Task: reused for every
	// record.
	sinks []any
	// gen tells the uses of a Task apart (a partition reuses its Task for
	// every record): odd while a record is being processed, even once
	// processing returned. A sink remembers the gen SinkOf last handed it
	// out in, so one kept past its processing refuses to send until
	// SinkOf hands it out again for a later record (see runtime.Sink).
	gen atomic.Uint64
}

// Context returns the context of the processing. It is canceled only
// when a stop is forced (the App's ShutdownTimeout passed with the record
// still in progress): a graceful stop or a revoke lets the record finish
// and its sends complete.
func (t *Task) Context() context.Context { return t.ctx }

// Record returns the metadata of the record being processed.
func (t *Task) Record() runtime.RecordMeta { return metaOf(t.rec) }

// finish ends the processing of t: its sinks refuse from now on.
func (t *Task) finish() { t.gen.Add(1) }

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
		return &runtime.DecodeError{Part: "key", Record: t.Record(), Err: err}
	}
	if err := decodeFrameInto(t.ctx, t.app.reg, r, &a.Source.Value, ids.value, t.rec.Value, &kv.value); err != nil {
		return &runtime.DecodeError{Part: "value", Record: t.Record(), Err: err}
	}
	defer func() {
		if p := recover(); p != nil {
			err = &runtime.PanicError{Value: p}
		}
	}()
	return a.Process(t, kv.key, kv.value)
}

type pair[K, V any] struct {
	key   K
	value V
}

// onRecordError applies st's error policy to err, an error processing
// rec. It returns an error only under the Fail policy.
func (a *App) onRecordError(ctx context.Context, st *agentState, rec *kgo.Record, f *transport.Inflight, err error) error {
	meta := metaOf(rec)
	rerr := &runtime.RecordError{Agent: st.name, Record: meta, Err: err}
	switch st.policy {
	case Skip:
		a.log.Error("record skipped", "agent", st.name, "topic", meta.Topic, "partition", meta.Partition, "offset", meta.Offset, "err", err)
	case DeadLetter:
		a.deadLetter(ctx, st, rec, rerr, f)
	default:
		return rerr
	}
	return nil
}

// deadLetter sends rec's original bytes and headers to the agent's DLQ,
// with headers naming the error and the source coordinates; the input
// offset is committed only after the broker acknowledges it.
func (a *App) deadLetter(ctx context.Context, st *agentState, rec *kgo.Record, rerr *runtime.RecordError, f *transport.Inflight) {
	// A keyed record lands where its key hashes (the source partition, if
	// its producer used the Java partitioner); an unkeyed one on the source
	// partition.
	out := &kgo.Record{Topic: st.dlq, Key: rec.Key, Value: rec.Value, Partition: rec.Partition}
	out.Headers = append(out.Headers, rec.Headers...)
	out.Headers = append(out.Headers,
		kgo.RecordHeader{Key: runtime.HeaderDLQError, Value: []byte(rerr.Err.Error())},
		kgo.RecordHeader{Key: runtime.HeaderDLQAgent, Value: []byte(st.name)},
		kgo.RecordHeader{Key: runtime.HeaderDLQTopic, Value: []byte(rec.Topic)},
		kgo.RecordHeader{Key: runtime.HeaderDLQPartition, Value: []byte(strconv.FormatInt(int64(rec.Partition), 10))},
		kgo.RecordHeader{Key: runtime.HeaderDLQOffset, Value: []byte(strconv.FormatInt(rec.Offset, 10))},
		kgo.RecordHeader{Key: runtime.HeaderDLQTimestamp, Value: []byte(rec.Timestamp.Format(time.RFC3339Nano))},
	)
	a.log.Warn("record sent to the dead-letter topic", "agent", st.name, "dlq", st.dlq, "topic", rec.Topic, "partition", rec.Partition, "offset", rec.Offset, "err", rerr.Err)
	f.Add()
	coords := rerr.Record
	a.client.Produce(ctx, out, func(r *kgo.Record, err error) {
		if errors.Is(err, kerr.MessageTooLarge) {
			// Too large for the dead-letter topic too: send a reference.
			a.deadLetterReference(ctx, st, coords, "", len(r.Key)+len(r.Value), rerr.Err, err, f)
			return
		}
		if err != nil {
			err = fmt.Errorf("dead-letter %s to %s: %w", coords, st.dlq, err)
		}
		f.Done(err)
	})
}

// tooLarge handles an output of st that the producer or the broker
// refused as too large (MESSAGE_TOO_LARGE) by st's error policy: under
// dead_letter a reference to it goes to the dead-letter topic, under skip
// it is logged and dropped, under fail the App stops. f holds one
// reference for the refused output, which this settles.
func (a *App) tooLarge(ctx context.Context, st *agentState, src runtime.RecordMeta, topic string, size int, err error, f *transport.Inflight) {
	switch st.policy {
	case DeadLetter:
		a.deadLetterReference(ctx, st, src, topic, size, nil, err, f)
	case Skip:
		a.log.Error("output too large; skipped", "agent", st.name, "topic", topic, "size", size, "source", src.String(), "err", err)
		f.Done(nil)
	default:
		f.Done(err)
	}
}

// deadLetterReference sends to st's dead-letter topic a record with no key
// and no value that names what was refused and why, so that a record too
// large for Kafka never crash-loops the App. cause is the processing
// error that sent the record to the dead-letter topic (nil when an output
// was refused); err the refusal. It settles one reference of f.
func (a *App) deadLetterReference(ctx context.Context, st *agentState, src runtime.RecordMeta, refusedTopic string, size int, cause, err error, f *transport.Inflight) {
	msg := err.Error()
	if cause != nil {
		msg = cause.Error() + "; then the dead letter itself: " + msg
	}
	out := &kgo.Record{Topic: st.dlq, Partition: src.Partition, Headers: []kgo.RecordHeader{
		{Key: runtime.HeaderDLQError, Value: []byte(msg)},
		{Key: runtime.HeaderDLQAgent, Value: []byte(st.name)},
		{Key: runtime.HeaderDLQTopic, Value: []byte(src.Topic)},
		{Key: runtime.HeaderDLQPartition, Value: []byte(strconv.FormatInt(int64(src.Partition), 10))},
		{Key: runtime.HeaderDLQOffset, Value: []byte(strconv.FormatInt(src.Offset, 10))},
		{Key: runtime.HeaderDLQRefusedTopic, Value: []byte(refusedTopic)},
		{Key: runtime.HeaderDLQRefusedSize, Value: []byte(strconv.Itoa(size))},
	}}
	a.log.Warn("record too large for Kafka; a reference to it sent to the dead-letter topic", "agent", st.name, "dlq", st.dlq, "source", src.String(), "refused_topic", refusedTopic, "size", size, "err", err)
	a.client.Produce(ctx, out, func(_ *kgo.Record, err error) {
		if err != nil {
			err = fmt.Errorf("dead-letter reference to %s for %s: %w", st.dlq, src, err)
		}
		f.Done(err)
	})
}
