// Package subject names the schema-registry subjects that a topic's key
// and value schemas are registered under, by the Confluent strategies. It
// is the one definition that the runtime (registering at start) and
// `faustgen check` (comparing against a registry) share, so that the
// command does not link the runtime; it registers nothing itself.
package subject

import "strings"

// Strategy is a Confluent subject naming strategy.
type Strategy int

const (
	// Topic names subjects "<topic>-key" and "<topic>-value".
	Topic Strategy = iota
	// Record names a subject after the Avro full name of the type
	// ("com.example.PageView"; a primitive's name, such as "string").
	Record
	// TopicRecord names subjects "<topic>-<full name>".
	TopicRecord
)

// Name returns the subject a schema of Avro type typ is registered under
// for the key (isKey) or value of topic. A union ("[a.B, a.C]", the Type
// of a generated union codec) has no name for the record strategies to
// use: it is registered under "<topic>-key" or "<topic>-value" whatever
// the strategy.
func (s Strategy) Name(topic, typ string, isKey bool) string {
	if strings.HasPrefix(typ, "[") {
		s = Topic
	}
	switch s {
	case Record:
		return typ
	case TopicRecord:
		return topic + "-" + typ
	}
	if isKey {
		return topic + "-key"
	}
	return topic + "-value"
}
