package engine

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/faustgen/faustgen/runtime"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// sink is the runtime.Sink of one topic for one agent's Task: a partition
// reuses its Task, and the Task its sinks (Task.sinks), for every record,
// so that handing one to the agent's context allocates nothing.
type sink[K, V any] struct {
	task  *Task
	topic *Topic[K, V]
	ids   schemaIDs
	err   error
	// gen is the task's gen when SinkOf last handed the sink out: it sends
	// only while that record is being processed.
	gen atomic.Uint64
}

// SinkOf returns the Sink of topic for the record t is processing. Sending
// fails when the topology does not grant the agent that topic, or when
// t's record is no longer being processed (see runtime.Sink).
func SinkOf[K, V any](t *Task, topic *Topic[K, V]) runtime.Sink[K, V] {
	switch {
	case t == nil || t.agent == nil:
		return &sink[K, V]{task: t, topic: topic, err: errors.New("sink used without a task")}
	case topic == nil:
		return &sink[K, V]{task: t, err: fmt.Errorf("agent %s: sink of a nil topic", t.agent.name)}
	}
	for i, s := range t.agent.sinks {
		if s.topic == topic {
			slot := handleSlot(&t.sinks, i)
			h, _ := (*slot).(*sink[K, V])
			if h == nil {
				h = &sink[K, V]{task: t, topic: topic, ids: s.ids}
				*slot = h
			}
			h.gen.Store(t.gen.Load())
			return h
		}
	}
	// Not a declared *Topic: another one of the same name, or none.
	h := &sink[K, V]{task: t, topic: topic}
	ids, ok := t.agent.sinkIDs[topic.Name]
	if !ok {
		h.err = fmt.Errorf("agent %s may not send to topic %s: the topology does not list it in the agent's sinks", t.agent.name, topic.Name)
	}
	h.ids = ids
	h.gen.Store(t.gen.Load())
	return h
}

// Send encodes key and value and produces them asynchronously to the
// Sink's topic, with headers. It returns an error when encoding fails or
// the Task is no longer being processed; a failed delivery stops the App
// (the input record is not committed, so it is processed again on restart).
// Send blocks while the producer's buffer is full.
func (s *sink[K, V]) Send(key K, value V, headers ...runtime.Header) error {
	if s.err != nil {
		return s.err
	}
	t := s.task
	if g := t.gen.Load(); g != s.gen.Load() || g&1 == 0 {
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
func encodeSend[K, V any](e *sendEncoder, topic *Topic[K, V], ids schemaIDs, kv *pair[K, V], sr *sendRecord, headers []runtime.Header) (err error) {
	w := e.writer()
	start := w.Buffered()
	part := "key"
	defer func() {
		if p := recover(); p != nil {
			err = &runtime.EncodeError{Part: part, Topic: topic.Name, Err: fmt.Errorf("panic in %s encoder: %v", part, p)}
		}
		if err != nil {
			// The chunk holds a partial record it cannot take back:
			// start another one.
			e.retire()
		}
	}()
	if err := appendFrame(w, &topic.Key, ids.key, &kv.key); err != nil {
		return &runtime.EncodeError{Part: "key", Topic: topic.Name, Err: err}
	}
	kn := w.Buffered()
	part = "value"
	if err := appendFrame(w, &topic.Value, ids.value, &kv.value); err != nil {
		return &runtime.EncodeError{Part: "value", Topic: topic.Name, Err: err}
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

// sinkPromise completes a record sent by a Sink. A record refused as too
// large is not a delivery failure of the App: it goes to the agent's
// error policy (tooLarge).
func sinkPromise(r *kgo.Record, err error) {
	sr := r.Context.(*sendRecord)
	f := sr.track
	if err != nil {
		src := runtime.RecordMeta{Topic: sr.srcTopic, Partition: sr.srcPartition, Offset: f.Offset()}
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
