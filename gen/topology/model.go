// Package topology parses and validates faustgen.yaml, the topology file
// (version 1): the app, its topics, tables and agents. Every value keeps its
// position so that each problem is reported as "file:line:col: message",
// all of them at once.
//
// It is not for Avro schemas (gen/avsc loads those) nor for emitting Go
// (package gen does that); it resolves type names only through the
// callback given to (*Topology).CheckTypes.
package topology

import "time"

// Pos is a 1-based position in the topology file.
type Pos struct {
	Line int
	Col  int
}

// Guarantee is the delivery guarantee of the app.
type Guarantee string

// The guarantees an app may ask for.
const (
	AtLeastOnce Guarantee = "at_least_once"
	ExactlyOnce Guarantee = "exactly_once"
)

// SubjectStrategy is how schema-registry subjects are named.
type SubjectStrategy string

// The Confluent subject-name strategies.
const (
	TopicSubjects       SubjectStrategy = "topic"
	RecordSubjects      SubjectStrategy = "record"
	TopicRecordSubjects SubjectStrategy = "topic_record"
)

// ErrorPolicy is what an agent does with a record it cannot decode or
// process.
type ErrorPolicy string

// The error policies of an agent.
const (
	Fail       ErrorPolicy = "fail"
	Skip       ErrorPolicy = "skip"
	DeadLetter ErrorPolicy = "dead_letter"
)

// Topology is a parsed faustgen.yaml. Topics, Tables and Agents keep the
// order of the file.
type Topology struct {
	// File is the path used in diagnostics (relative to the topology's
	// folder, normally just its base name).
	File     string
	Version  int
	App      App
	Schemas  []SchemaSource
	Registry Registry
	Topics   []*Topic
	Tables   []*Table
	Agents   []*Agent
}

// App is the app: section.
type App struct {
	// ID is the consumer group id and the prefix of internal topics.
	ID    string
	IDPos Pos
	// Package is the Go package name of the generated code.
	Package    string
	PackagePos Pos
	// Output is the folder of the generated code, relative to the
	// topology file, slash-separated and cleaned; "." by default.
	Output    string
	OutputPos Pos
	Guarantee Guarantee
}

// SchemaSource is one entry of schemas: an .avsc file or a folder,
// relative to the topology file, slash-separated and cleaned.
type SchemaSource struct {
	Path string
	Pos  Pos
}

// Registry is the registry: section.
type Registry struct {
	Subjects SubjectStrategy
	// Compatibility is the registry compatibility level, upper case
	// ("BACKWARD", "FULL_TRANSITIVE", ...).
	Compatibility string
}

// TypeRef names an Avro type: a primitive ("string", "long", ...), the
// full name of a named type ("com.example.PageView"), or, for a topic's
// key or value, a union of those (a YAML list: Branches are set and Name
// spells the union "[com.example.Created, com.example.Deleted]").
type TypeRef struct {
	Name     string
	Pos      Pos
	Branches []TypeRef
}

// Primitive reports whether the reference names an Avro primitive type.
func (t TypeRef) Primitive() bool { return IsPrimitive(t.Name) }

// IsUnion reports whether the reference is a union (a YAML list).
func (t TypeRef) IsUnion() bool { return t.Branches != nil }

// BranchNames returns the type names of a union's branches, in order.
func (t TypeRef) BranchNames() []string {
	names := make([]string, len(t.Branches))
	for i, b := range t.Branches {
		names[i] = b.Name
	}
	return names
}

// IsPrimitive reports whether name is an Avro primitive type name.
func IsPrimitive(name string) bool {
	switch name {
	case "null", "boolean", "int", "long", "float", "double", "bytes", "string":
		return true
	}
	return false
}

// Topic is one entry of topics:.
type Topic struct {
	// Key is the topology key, e.g. "page_views"; GoName is derived from it.
	Key    string
	GoName string
	Pos    Pos
	// Name is the Kafka topic name (the key by default).
	Name        string
	NamePos     Pos
	KeyType     TypeRef
	ValueType   TypeRef
	Partitions  int32
	Replication int16
	// Config is the topic configuration; ConfigKeys lists its keys sorted.
	Config     map[string]string
	ConfigKeys []string
}

// Table is one entry of tables:.
type Table struct {
	Key        string
	GoName     string
	Pos        Pos
	KeyType    TypeRef
	ValueType  TypeRef
	Partitions int32
	Global     bool
	Window     *Window
	// SourceKey is the topology key of the topic the table is read from
	// (source:), "" when the table has its own changelog; Source is that
	// topic once resolved.
	SourceKey string
	SourcePos Pos
	Source    *Topic
}

// Changelog returns the Kafka name of the table's changelog topic: its
// source topic's, for a sourced table.
func (t *Table) Changelog(appID string) string {
	if t.Source != nil {
		return t.Source.Name
	}
	return appID + "-" + t.Key + "-changelog"
}

// Window is a table's window; exactly one of Tumbling, Hopping and
// Session (the inactivity gap of session windows) is set.
type Window struct {
	Tumbling time.Duration
	Hopping  time.Duration
	Step     time.Duration
	Session  time.Duration
	Expires  time.Duration // how long a window is kept after it ends
	Grace    time.Duration // how late a write may still update a window after it ends
	Pos      Pos
}

// Size returns the length of one window.
func (w *Window) Size() time.Duration {
	if w.Hopping > 0 {
		return w.Hopping
	}
	return w.Tumbling
}

// Agent is one entry of agents:.
type Agent struct {
	Key    string
	GoName string
	Pos    Pos
	// Source is the topic the agent consumes.
	Source *Topic
	// Tables are read-write, Lookups read-only, Sinks the topics the agent
	// may send to; each in the order of the file.
	Tables  []*Table
	Lookups []*Table
	Sinks   []*Topic
	OnError ErrorPolicy
}

// DeadLetterTopic returns the Kafka name of the topic that receives the
// agent's failed records under on_error: dead_letter (the runtime's
// naming: "<app>-<agent>-dlq").
func (a *Agent) DeadLetterTopic(appID string) string {
	return appID + "-" + a.Key + "-dlq"
}
