package runtime

import (
	"errors"
	"fmt"
	"time"
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

// RecordError is an error processing one record: a decode failure, an
// error returned by Process, or a recovered panic. Under on_error: fail, Run
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

// PanicError is a panic recovered from an agent's Process function; it is
// handled by the agent's on_error policy like any other error.
type PanicError struct {
	// Value is what was passed to panic.
	Value any
}

// Error says what the agent panicked with.
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Dead-letter record headers.
const (
	HeaderDLQError     = "faustgen.error"            // the error message
	HeaderDLQAgent     = "faustgen.agent"            // the agent's topology name
	HeaderDLQTopic     = "faustgen.source.topic"     // source topic
	HeaderDLQPartition = "faustgen.source.partition" // source partition, decimal
	HeaderDLQOffset    = "faustgen.source.offset"    // source offset, decimal
	HeaderDLQTimestamp = "faustgen.source.timestamp" // source timestamp, RFC 3339 with nanoseconds
)

// Headers of a dead letter sent by reference (no key, no value).
const (
	HeaderDLQRefusedTopic = "faustgen.refused.topic" // the topic that refused the record, empty for the dead-letter topic itself
	HeaderDLQRefusedSize  = "faustgen.refused.size"  // the refused record's key and value bytes, decimal
)
