package engine

import (
	"context"
	"fmt"

	"github.com/faustgen/faustgen/runtime"
	"github.com/twmb/franz-go/pkg/kgo"
)

// producer is the runtime.Producer of one topic of an App.
type producer[K, V any] struct {
	app   *App
	topic *Topic[K, V]
}

// ProducerOf returns the Producer of topic for a. Sends wait until a has
// started (see App.Started). Each call allocates one: the generated App
// makes its producers once, in New.
func ProducerOf[K, V any](a *App, topic *Topic[K, V]) runtime.Producer[K, V] {
	return &producer[K, V]{app: a, topic: topic}
}

// Send encodes key and value and produces them asynchronously with
// headers; done (which may be nil) is called once with the record's
// coordinates or the error. Send blocks while the App is starting and
// while the producer's buffer is full, until ctx ends.
func (p *producer[K, V]) Send(ctx context.Context, key K, value V, done func(runtime.RecordMeta, error), headers ...runtime.Header) {
	if done == nil {
		done = func(runtime.RecordMeta, error) {}
	}
	rec, err := p.record(ctx, &key, &value, headers)
	if err != nil {
		done(runtime.RecordMeta{Topic: p.topicName()}, err)
		return
	}
	p.app.producer.Produce(ctx, rec, func(r *kgo.Record, err error) {
		meta := metaOf(r)
		releaseRecord(r)
		if err != nil {
			done(runtime.RecordMeta{Topic: meta.Topic}, fmt.Errorf("produce to %s: %w", meta.Topic, err))
			return
		}
		done(meta, nil)
	})
}

// SendSync is Send that waits for the broker's acknowledgement and returns
// where the record was written.
func (p *producer[K, V]) SendSync(ctx context.Context, key K, value V, headers ...runtime.Header) (runtime.RecordMeta, error) {
	rec, err := p.record(ctx, &key, &value, headers)
	if err != nil {
		return runtime.RecordMeta{Topic: p.topicName()}, err
	}
	r, err := p.app.producer.ProduceSync(ctx, rec).First()
	meta := metaOf(r)
	releaseRecord(r)
	if err != nil {
		return runtime.RecordMeta{Topic: meta.Topic}, fmt.Errorf("produce to %s: %w", meta.Topic, err)
	}
	return meta, nil
}

func (p *producer[K, V]) topicName() string {
	if p.topic == nil {
		return ""
	}
	return p.topic.Name
}

func (p *producer[K, V]) record(ctx context.Context, key *K, value *V, headers []runtime.Header) (*kgo.Record, error) {
	if p.app == nil || p.topic == nil {
		return nil, fmt.Errorf("producer without an app or a topic")
	}
	select {
	case <-p.app.started:
	case <-ctx.Done():
		return nil, fmt.Errorf("produce to %s: waiting for app %s to start: %w", p.topic.Name, p.app.spec.ID, ctx.Err())
	}
	if p.app.startErr != nil {
		return nil, fmt.Errorf("produce to %s: %w", p.topic.Name, p.app.startErr)
	}
	select {
	case <-p.app.closed:
		return nil, fmt.Errorf("produce to %s: app %s has stopped", p.topic.Name, p.app.spec.ID)
	default:
	}
	return encodeRecord(p.app, p.topic, key, value, headers)
}
