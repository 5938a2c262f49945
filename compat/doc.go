// Package compat is faustgen's schema-evolution engine: it parses Avro
// schemas (with file:line:col positions and cross-file named types), applies
// every rule of the Avro specification's "Schema Resolution" section, and
// checks a candidate schema against a history of versions at a registry
// compatibility level (NONE, BACKWARD, FORWARD, FULL and their _TRANSITIVE
// forms). It reports every violation as a Finding with a stable rule id, a
// path such as "Order.lines[].qty", both versions, a position and a hint.
//
// It is used by `faustgen compat`, `faustgen check` and the embedded
// schema registry (runtime/srembed). It parses with internal/avroschema,
// the schema model it shares with the generator (so both accept and
// refuse the same schemas, and its Type is avroschema's), depends on
// nothing else of this module and imports neither gen/ nor runtime/.
// Problems avroschema marks Strict (valid Avro that code generation
// refuses) are not errors here: every Avro reader accepts such a schema.
//
// It is not a codec: it does not encode or decode data.
//
// Where it is stricter than registries: decimals must keep precision and
// scale (the specification's rule; Java's SchemaCompatibility, and so the
// Confluent and Apicurio registries, ignore logical types), and a change
// between two logical types on the same underlying type (timestamp-millis
// to timestamp-micros) or adding/removing a decimal annotation is reported
// as logical-type-changed.
package compat
