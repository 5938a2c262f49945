package genapi

import (
	"github.com/faustgen/faustgen/runtime"
	"github.com/faustgen/faustgen/runtime/internal/engine"
)

// The binding: how generated code declares its topology (Topic, TableDef,
// Agent, AppSpec) and builds the App and the handles of agents' contexts
// (NewApp, SinkOf, TableOf, ProducerOf, ...). They are the engine's own
// types (runtime/internal/engine, where their fields are documented),
// reached through these aliases.

// App is the engine that runs one topology; the generated App wraps one.
// It satisfies runtime.App.
type App = engine.App

// AppSpec is the topology of one App: its id, guarantee, subject strategy
// and compatibility, and its topics, tables and agents.
type AppSpec = engine.AppSpec

// Task is the engine's handle on the record an agent is processing; it is
// valid only during that processing.
type Task = engine.Task

// TopicSpec describes one Kafka topic as the topology declares it: name,
// partitions, replication and topic configs.
type TopicSpec = engine.TopicSpec

// Topic is a typed topic: its TopicSpec and the codecs of its keys and
// values. Generated code declares one per topology topic.
type Topic[K, V any] = engine.Topic[K, V]

// AnyTopic is any *Topic[K, V].
type AnyTopic = engine.AnyTopic

// TableSpec describes one table: name, partitions, window, global.
type TableSpec = engine.TableSpec

// WindowSpec is the window of a windowed table: tumbling, hopping or
// session, with its retention and grace.
type WindowSpec = engine.WindowSpec

// TableDef is a typed table: its TableSpec, codecs and source topic.
type TableDef[K, V any] = engine.TableDef[K, V]

// AnyTable is any *TableDef[K, V].
type AnyTable = engine.AnyTable

// Agent binds one typed processing function to its source topic, with the
// sinks and tables it may use and its error policy.
type Agent[K, V any] = engine.Agent[K, V]

// AnyAgent is any *Agent[K, V].
type AnyAgent = engine.AnyAgent

// WindowCloser is an agent's hook on the closing windows of one of its
// tables (OnWindowClose).
type WindowCloser = engine.WindowCloser

// ErrorPolicy says what an agent does with a record it cannot process.
type ErrorPolicy = engine.ErrorPolicy

// The error policies (the topology's on_error).
const (
	// Fail stops the App; the record is processed again after a restart.
	Fail = engine.Fail
	// Skip logs the error and moves on.
	Skip = engine.Skip
	// DeadLetter sends the record to the agent's dead-letter topic.
	DeadLetter = engine.DeadLetter
)

// Guarantee is an App's delivery guarantee.
type Guarantee = engine.Guarantee

// The delivery guarantees (the topology's app.guarantee).
const (
	// AtLeastOnce commits an input once everything it produced is
	// acknowledged.
	AtLeastOnce = engine.AtLeastOnce
	// ExactlyOnce runs consume-process-produce in Kafka transactions.
	ExactlyOnce = engine.ExactlyOnce
)

// SubjectStrategy names the registry subjects of a topic's schemas.
type SubjectStrategy = engine.SubjectStrategy

// The subject strategies (the topology's registry.subjects).
const (
	// TopicSubjects: "<topic>-key" and "<topic>-value".
	TopicSubjects = engine.TopicSubjects
	// RecordSubjects: the Avro full name of the type.
	RecordSubjects = engine.RecordSubjects
	// TopicRecordSubjects: "<topic>-<full name>".
	TopicRecordSubjects = engine.TopicRecordSubjects
)

// NewApp checks spec and returns the App that runs it with cfg; it
// connects to nothing until Run.
func NewApp(cfg runtime.Config, spec AppSpec) (*App, error) { return engine.NewApp(cfg, spec) }

// SinkOf returns the Sink of topic for the record t is processing. It
// allocates nothing past a partition's first record (see runtime.Sink).
func SinkOf[K, V any](t *Task, topic *Topic[K, V]) runtime.Sink[K, V] {
	return engine.SinkOf(t, topic)
}

// ProducerOf returns the Producer of topic for a. It allocates one per
// call: the generated App makes its producers once, in New.
func ProducerOf[K, V any](a *App, topic *Topic[K, V]) runtime.Producer[K, V] {
	return engine.ProducerOf(a, topic)
}

// TableOf returns the read-write table def for the record t is processing.
func TableOf[K, V any](t *Task, def *TableDef[K, V]) runtime.Table[K, V] {
	return engine.TableOf(t, def)
}

// ReadTableOf returns the read-only table def for the record t is
// processing.
func ReadTableOf[K, V any](t *Task, def *TableDef[K, V]) runtime.ReadTable[K, V] {
	return engine.ReadTableOf(t, def)
}

// WindowedTableOf returns the windowed table def for the record t is
// processing.
func WindowedTableOf[K, V any](t *Task, def *TableDef[K, V]) runtime.WindowedTable[K, V] {
	return engine.WindowedTableOf(t, def)
}

// SessionTableOf returns the session-windowed table def for the record t
// is processing.
func SessionTableOf[K, V any](t *Task, def *TableDef[K, V]) runtime.SessionTable[K, V] {
	return engine.SessionTableOf(t, def)
}

// OnWindowClose binds fn to the closing windows of def, a windowed table
// of the agent whose Closers it goes in: fn runs once per key of each
// window that closes, with the key's final value.
func OnWindowClose[K, V any](def *TableDef[K, V], fn func(t *Task, key K, w runtime.Window, value V) error) WindowCloser {
	return engine.OnWindowClose(def, fn)
}
