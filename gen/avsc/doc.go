// Package avsc loads Avro schema files (.avsc) into a resolved model of
// named types and emits their Go code with jennifer: one Go type per named
// Avro type, a constructor applying the schema's defaults, a runtime.Codec
// that encodes and decodes with hamba/avro's Reader and Writer primitives
// (no reflection), and the union types the records need.
//
// The Avro model under it (parsing, names, logical types, default
// values, schema JSON) is internal/avroschema's, shared with compat; this
// package adds the Go names and the code. Load is pure: it takes file
// paths and contents and reads nothing from disk. Every problem in the
// input is reported at once as a diag.List of "file:line:col: message"
// entries. Ref, Types, Idents and Render are what
// the rest of the generator (gen and gen/topology) uses.
//
// It is not for runtime schema work (registering, resolving writer
// schemas): that is the runtime's and compat's.
//
// # The Go of each Avro construct
//
//   - record → struct (fields tagged avro:"name"), New<Type>() with defaults
//   - enum → int32 type with one constant per symbol and String()
//   - fixed → [N]byte; decimal on fixed → alias of runtime.Decimal;
//     duration → alias of runtime.Duration
//   - bytes → []byte: nil and empty encode alike, and an empty value
//     decodes as nil (never []byte{}), so a zero value round-trips exactly
//   - array → slice; map → map[string]T (encoded with sorted keys); an
//     array whose items encode to nothing (null, an empty record, a fixed
//     of size 0) holds at most genapi.MaxEmptyItems items (encoding more
//     fails), since a corrupt block count of such items would not run
//     out of input
//   - ["null", T] in either order → *T, or a nil slice/map for arrays and
//     maps (an empty one decodes as non-nil)
//   - any other union → a struct with a Kind discriminator (the branch
//     index) and one field per non-null branch
//   - date, timestamp-*, local-timestamp-* → time.Time (UTC); encoding
//     a timestamp-nanos or local-timestamp-nanos outside what an int64 of
//     nanoseconds holds (1677-09-21 to 2262-04-11 UTC) fails, never wraps
//     (so does the zero time.Time, year 1: set such fields);
//     time-millis, time-micros → time.Duration; decimal on bytes →
//     runtime.Decimal; uuid → string
//
// A type of the null namespace may not be used inside a record that has a
// namespace: the specification reads a bare name there in the record's
// namespace and offers no way to write a reference to the null one, and
// hamba and Apache Avro for Python read even an inline definition with
// "namespace": "" into the enclosing namespace, so readers would disagree
// on its full name. Load reports it; give the type a namespace.
//
// Records that would contain themselves by value (through required fields
// or general unions) are held by pointer on the cycle. Unknown logical
// types are ignored, as the Avro specification requires, and kept in the
// schema JSON, with one exception: a near miss of a known one (the same
// name but for case, '-', '_' and spaces, or, for names of 7 characters or
// more, at most 2 edits away, as in "timestamp-milis") is an error with a
// "did you mean" hint, because ignoring it would silently give the base
// type. Short custom names such as "ulid" stay allowed.
package avsc
