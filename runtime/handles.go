package runtime

import "context"

// App is what every generated App offers a program besides its typed
// producers: running it and watching it. A program that runs several
// generated apps, or a helper that runs any of them, can hold them as
// App.
type App interface {
	// Run creates missing topics, registers the schemas, recovers the
	// tables and runs the agents until ctx is cancelled (then it stops
	// gracefully) or an agent fails.
	Run(ctx context.Context) error
	// Stats returns a snapshot of the App's flow control and partitions;
	// the zero Stats (but for MaxBufferedBytes) before it is running.
	Stats() Stats
}

// Sink sends records to one topic from inside an agent: the generated
// context of an agent holds one per topic the topology lets it send to.
// The input record is committed only after every record sent while
// processing it is acknowledged by the broker.
//
// A Sink belongs to the processing of one record. So that handing sinks
// to agents allocates nothing, the runtime keeps one Sink per partition,
// agent and topic and hands that same Sink out again for each record of
// the partition, when it fills the record's context (before Process). A
// Sink kept past its record therefore refuses to send (an error) until
// the partition's next record's context is filled, and for good once the
// partition is revoked; used after that, while the next record is being
// processed, it is that record's Sink and sends as part of it (committed
// with it). Keep none: use the Sink of the context at hand.
//
// It is an interface so that an agent can be unit-tested: fill its
// generated context with a fake Sink (and fake tables) and call Process.
type Sink[K, V any] interface {
	// Send encodes key and value and produces them asynchronously to the
	// Sink's topic, with headers. It returns an error when encoding fails
	// or the record is no longer being processed; a failed delivery stops
	// the App (the input record is not committed, so it is processed
	// again on restart). Send blocks while the producer's buffer is full.
	Send(key K, value V, headers ...Header) error
}

// Producer sends typed records to one topic from outside agents (the
// generated App has one per topic). Keys are placed on partitions as the
// Java client's default partitioner does (murmur2 of the framed key
// bytes), so other clients agree on placement. Sends wait until the App
// has started. A Producer is safe for concurrent use.
type Producer[K, V any] interface {
	// Send encodes key and value and produces them asynchronously with
	// headers; done (which may be nil) is called once with the record's
	// coordinates or the error. Send blocks while the App is starting and
	// while the producer's buffer is full, until ctx ends.
	Send(ctx context.Context, key K, value V, done func(RecordMeta, error), headers ...Header)
	// SendSync is Send that waits for the broker's acknowledgement and
	// returns where the record was written.
	SendSync(ctx context.Context, key K, value V, headers ...Header) (RecordMeta, error)
}
