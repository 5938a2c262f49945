package engine

import (
	"fmt"

	"github.com/faustgen/faustgen/internal/subject"
	"github.com/faustgen/faustgen/runtime"
)

// TopicSpec describes one Kafka topic as the topology declares it. At start
// the App creates a missing topic with these settings and refuses to start
// when an existing one has a different partition count.
type TopicSpec struct {
	// Name is the Kafka topic name.
	Name string
	// Partitions is the declared partition count; it must be positive.
	Partitions int32
	// Replication is the replication factor; 0 uses the broker's default.
	Replication int16
	// Config holds topic configs (retention.ms, cleanup.policy, ...) applied
	// when the topic is created; an existing topic's configs are not changed.
	Config map[string]string
}

// Topic is a typed topic: its spec and the codecs of its keys and values.
// Generated code declares one per topology topic and passes its address to
// AppSpec, Agent, SinkOf and ProducerOf.
type Topic[K, V any] struct {
	TopicSpec
	// Key encodes and decodes record keys.
	Key runtime.Codec[K]
	// Value encodes and decodes record values.
	Value runtime.Codec[V]
}

// AnyTopic is any *Topic[K, V]; AppSpec and Agent list topics with it. Only
// *Topic[K, V] satisfies it.
type AnyTopic interface {
	spec() *TopicSpec
	keySchema() (typ, schema string)
	valueSchema() (typ, schema string)
}

func (t *Topic[K, V]) spec() *TopicSpec { return &t.TopicSpec }

func (t *Topic[K, V]) keySchema() (string, string) { return t.Key.Type, t.Key.FullSchema() }

func (t *Topic[K, V]) valueSchema() (string, string) { return t.Value.Type, t.Value.FullSchema() }

// ErrorPolicy says what an agent does with a record it cannot process: a
// decode failure, an error returned by Process, or a panic in it.
type ErrorPolicy int

const (
	// Fail stops the App; Run returns an error naming the agent and the
	// record's topic, partition and offset. The record's offset is not
	// committed, so a restart processes it again.
	Fail ErrorPolicy = iota
	// Skip logs the error (log/slog, level Error) with the record's
	// coordinates and moves on to the next record.
	Skip
	// DeadLetter sends the record's original key and value bytes to the
	// topic "<app>-<agent>-dlq" with headers naming the error and the
	// source topic, partition and offset, then moves on.
	DeadLetter
)

// String returns the topology spelling: "fail", "skip" or "dead_letter".
func (p ErrorPolicy) String() string {
	switch p {
	case Fail:
		return "fail"
	case Skip:
		return "skip"
	case DeadLetter:
		return "dead_letter"
	}
	return fmt.Sprintf("ErrorPolicy(%d)", int(p))
}

// Guarantee is the App's delivery guarantee.
type Guarantee int

const (
	// AtLeastOnce commits an input offset only after every record produced
	// while processing it (and every earlier record of its partition) is
	// acknowledged. A crash replays uncommitted records.
	AtLeastOnce Guarantee = iota
	// ExactlyOnce runs consume-process-produce in Kafka transactions: an
	// input's outputs, table changes and offset commit together.
	ExactlyOnce
)

// String returns the topology spelling: "at_least_once" or "exactly_once".
func (g Guarantee) String() string {
	switch g {
	case AtLeastOnce:
		return "at_least_once"
	case ExactlyOnce:
		return "exactly_once"
	}
	return fmt.Sprintf("Guarantee(%d)", int(g))
}

// SubjectStrategy names the schema-registry subjects that a topic's key and
// value schemas are registered under (the Confluent strategies). A union
// value or key (a generated union codec) has no name for the record
// strategies: it is registered under "<topic>-key" or "<topic>-value"
// whatever the strategy.
type SubjectStrategy int

const (
	// TopicSubjects registers under "<topic>-key" and "<topic>-value".
	TopicSubjects SubjectStrategy = SubjectStrategy(subject.Topic)
	// RecordSubjects registers under the Avro full name of the type
	// ("com.example.PageView"; a primitive's name, such as "string").
	RecordSubjects SubjectStrategy = SubjectStrategy(subject.Record)
	// TopicRecordSubjects registers under "<topic>-<full name>".
	TopicRecordSubjects SubjectStrategy = SubjectStrategy(subject.TopicRecord)
)

// String returns the topology spelling: "topic", "record" or "topic_record".
func (s SubjectStrategy) String() string {
	switch s {
	case TopicSubjects:
		return "topic"
	case RecordSubjects:
		return "record"
	case TopicRecordSubjects:
		return "topic_record"
	}
	return fmt.Sprintf("SubjectStrategy(%d)", int(s))
}

// subjectOf returns the subject of the key (isKey) or value schema, of
// Avro type typ, of topic.
func (s SubjectStrategy) subjectOf(topic, typ string, isKey bool) string {
	return subject.Strategy(s).Name(topic, typ, isKey)
}
