// Package runtime is what a program built on a faustgen-generated package
// uses.
//
// A program fills a Config (ConfigFromEnv reads the FAUSTGEN_* variables),
// passes it to the generated New and runs the App it returns until a
// signal (SignalContext); every generated App is a runtime.App (Run and
// Stats, a snapshot of flow control and partition states). Its agents get
// typed handles in their generated context: Sink to send, Table,
// ReadTable, WindowedTable and SessionTable for state, RecordMeta for the
// record's coordinates, Window for the windows of windowed tables; a
// Producer sends from outside agents. Failures are values to match:
// DecodeError, EncodeError, RecordError, PanicError, LateRecordError,
// UnknownSchemaIDError, UnresolvableSchemaError and the Err variables; a
// dead letter carries the HeaderDLQ headers. Decimal and Duration are the
// Go values of Avro's logical types; a Codec (the generated package has
// one per named type, StringCodec and its siblings cover the primitives)
// encodes and decodes Avro bodies.
//
// The handles are interfaces, implemented by the engine. So an agent can
// be unit-tested without Kafka: fill its generated context with fakes (a
// Sink that records what it is sent, a map-backed Table) and call its
// Process method.
//
// Nothing else is needed to use a generated package. How generated code
// declares its topology and builds those handles (Topic, TableDef, Agent,
// AppSpec, NewApp, SinkOf, TableOf, ...) and what its encoders and
// decoders call is in runtime/genapi, which is not a stable API; the
// engine that runs a topology (the franz-go driver, consumer group, table
// stores, flow control) lives under runtime/internal. It is not a
// general-purpose Kafka client. The in-process development cluster is
// runtime/embedded, linked only into programs that import it
// (Config.Embedded needs that import).
package runtime
