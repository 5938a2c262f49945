package runtime

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/faustgen/faustgen/compat"
)

// Errors a DecodeError wraps; match them with errors.Is.
var (
	// ErrShortFrame: fewer bytes than the 5-byte Confluent header (a
	// missing key or a tombstone value too).
	ErrShortFrame = errors.New("short frame: fewer than the 5 bytes of the Confluent header")
	// ErrBadMagic: the first byte is not the Confluent magic byte 0.
	ErrBadMagic = errors.New("bad magic byte")
	// ErrCorruptBody: the Avro body does not decode with the schema.
	ErrCorruptBody = errors.New("corrupt Avro body")
)

// UnknownSchemaIDError: the frame names a schema id the registry does not
// know.
type UnknownSchemaIDError struct{ ID int }

// Error names the id.
func (e *UnknownSchemaIDError) Error() string { return fmt.Sprintf("unknown schema id %d", e.ID) }

// UnresolvableSchemaError: the frame names a writer schema that the
// generated reader type cannot read by the Avro resolution rules (or that
// is not an Avro schema faustgen can parse). Findings lists every reason,
// as `faustgen compat` would report them; the DecodeError around it names
// the topic, partition and offset.
type UnresolvableSchemaError struct {
	// ID is the writer's schema id; Want is the generated type's.
	ID, Want int
	// Type is the Avro type of the generated reader.
	Type string
	// Findings are compat's resolution findings (backward direction: this
	// build's type reading the writer's data).
	Findings []compat.Finding
	// Err is why the writer schema could not be used at all (not Avro,
	// malformed, a reference that cannot be fetched), when Findings is
	// empty.
	Err error
}

// Error names both ids, the reader type and every finding.
func (e *UnresolvableSchemaError) Error() string {
	head := fmt.Sprintf("written with schema id %d, which this build's %s (schema id %d) cannot read", e.ID, e.Type, e.Want)
	if e.Err != nil {
		return head + ": " + e.Err.Error()
	}
	parts := make([]string, len(e.Findings))
	for i, f := range e.Findings {
		parts[i] = f.Rule + ": " + f.Path + ": " + f.Message
	}
	return fmt.Sprintf("%s: %d finding(s): %s", head, len(e.Findings), strings.Join(parts, "; "))
}

// Unwrap returns Err.
func (e *UnresolvableSchemaError) Unwrap() error { return e.Err }

// DecodeError is a record key or value that could not be decoded. It
// wraps ErrShortFrame, ErrBadMagic, ErrCorruptBody, *UnknownSchemaIDError,
// *UnresolvableSchemaError or a registry failure. It is routed to the agent's
// on_error policy.
type DecodeError struct {
	// Part is "key" or "value".
	Part string
	// Record is where the record lives.
	Record RecordMeta
	// Err says what is wrong.
	Err error
}

// Error reads "decode value of page-views[3]@1042: unknown schema id 7".
func (e *DecodeError) Error() string {
	return fmt.Sprintf("decode %s of %s: %v", e.Part, e.Record, e.Err)
}

// Unwrap returns Err.
func (e *DecodeError) Unwrap() error { return e.Err }

// EncodeError is a key or value that could not be encoded (an enum value
// without a symbol, a union value of no branch, ...).
type EncodeError struct {
	// Part is "key" or "value"; Topic is where it was to be sent.
	Part, Topic string
	// Err says what is wrong.
	Err error
}

// Error names the part, the topic and what went wrong.
func (e *EncodeError) Error() string {
	return fmt.Sprintf("encode %s for %s: %v", e.Part, e.Topic, e.Err)
}

// Unwrap returns Err.
func (e *EncodeError) Unwrap() error { return e.Err }

// Resolver decodes bodies written with a schema other than the generated
// reader type's: it re-encodes the body from the writer schema into the
// reader schema, resolving fields as the Avro specification says. The
// runtime has a built-in one (see resolve.go), used unless Config.Resolver
// sets another; it must be safe for concurrent use.
type Resolver interface {
	// Resolve returns body, written with writerSchema (registry id
	// writerID), re-encoded with readerSchema.
	Resolve(ctx context.Context, writerID int, writerSchema, readerSchema string, body []byte) ([]byte, error)
}
