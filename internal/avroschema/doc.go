// Package avroschema is faustgen's one model of Avro schemas: the parser
// (with file:line:col positions, names, namespaces and aliases resolved
// across files), the logical-type table, the default-value checks, the
// finite-value check, the schema's JSON forms (full schema, Parsing
// Canonical Form, the registry form) and the CRC-64-AVRO fingerprint.
// Every problem is a Diagnostic.
//
// compat checks compatibility over its Types; gen/avsc adds Go names and
// emits code on top of them; runtime/codec.go fingerprints with it. So
// `faustgen generate`, `faustgen compat`, `faustgen check` and the
// embedded registry accept and refuse the same schemas for the same
// reasons, with the same messages. It imports nothing of this module but
// internal/posjson, and it is not a codec: it neither encodes nor decodes
// data.
//
// # Errors and strict problems
//
// Parse reports what makes a schema invalid Avro as a Diagnostic, and
// what is valid Avro but would silently not mean what its author meant
// as a Strict one: a misspelt logical type ("timestamp-milis", which a
// reader ignores), a known logical type where it does not apply (a
// decimal whose precision a fixed cannot hold, which a reader also
// ignores), a "doc" that is not a string, an alias that is another
// type's name, a type of the null namespace used inside a namespaced
// record, a record default with a key that is no field, a float default
// out of the float's range. compat (and so the registry) accepts a schema
// with Strict problems, since every Avro reader does; the generator
// refuses it.
//
// # Decisions where readers disagreed
//
// Until this package, compat and the generator parsed Avro separately and
// disagreed on these; each is now decided once, by the Avro specification
// and, where it is silent, by Apache Avro for Java (Schema.isValidDefault,
// with default validation on, as since 1.9):
//
//   - A float or double default must be a JSON number. The strings "NaN",
//     "Infinity" and "-Infinity" are not: the specification maps float and
//     double defaults to JSON numbers, JSON has no NaN or infinity, and
//     Java refuses a textual default for them (isValidDefault asks
//     isNumber()). compat used to accept them; now both refuse them.
//   - A bytes or fixed default is a string whose characters are the bytes,
//     \u0000 to \u00ff each (the specification's table of defaults says
//     so). A character above \u00ff is an error everywhere; compat used
//     to accept it (Java only checks that the default is text, but no
//     byte string corresponds to such a default).
//   - A decimal default whose unscaled value has more digits than the
//     decimal's precision is an error everywhere. The specification
//     defines precision as the maximum number of digits, and Java's
//     DecimalConversion refuses to write such a value, so a record filled
//     with that default could not be written with its own schema.
//   - An int or long default is an integer literal within range: 1.0 and
//     1e2 are not (Java's isIntegralNumber is false for them); compat used
//     to accept any number with an integer value.
//   - timestamp-nanos and local-timestamp-nanos (Avro 1.12) are logical
//     types of long, like the millis and micros ones: compat compares them
//     as logical types (timestamp-micros → timestamp-nanos is
//     logical-type-changed) and the generator maps them to time.Time, whose
//     nanoseconds cover them exactly. An int64 of nanoseconds since the
//     epoch spans 1677-09-21 to 2262-04-11 UTC; generated code refuses to
//     encode a time outside it (UnixNano would wrap) instead of writing
//     another time.
//
// Other rules that both tools now share: a definition of a full name may
// be repeated when it is identical (as in two schema files of one
// project), a reference may name a type by a full alias, and a
// "namespace" of null is no namespace attribute (the enclosing namespace
// applies, as in Java).
package avroschema
