// Package engine runs a faustgen topology: the App (topics, schemas,
// consumer group, producers), the Tasks records are processed with, the
// agents' sinks and table handles, windows and sessions, dead letters,
// exactly-once transactions and the Stats it reports.
//
// Generated code reaches it only through runtime/genapi, whose binding
// names alias its types (Topic, TableDef, Agent, AppSpec, Task, App) and
// wrap its constructors (NewApp, SinkOf, TableOf, ProducerOf, ...). Users
// see only package runtime: the handles the engine hands out implement
// runtime's interfaces (Sink, Producer, Table, ReadTable, WindowedTable,
// SessionTable, App), and its errors, records and settings are runtime's
// types. The engine imports runtime; runtime never imports it.
//
// Below it are the driver (internal/transport), the table stores
// (internal/tables), flow control (internal/flow), schema resolution
// (internal/resolve) and the development cluster (internal/devcluster,
// linked only through runtime/embedded).
package engine

import "github.com/faustgen/faustgen/runtime"

// The engine's App is what generated Apps wrap: it offers what
// runtime.App promises.
var _ runtime.App = (*App)(nil)
