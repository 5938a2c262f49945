package runtime

import (
	"fmt"
	"time"
)

// How windowed tables work.
//
// A window holds the writes whose time falls in [Start, End). Tumbling
// windows of size S start at multiples of S; hopping windows of size S and
// step P start at multiples of P, so a time falls in S/P of them. Times
// are the ones the agent passes (an event's own time, usually a field of
// the value), in milliseconds.
//
// A table partition's stream time is the highest time passed to its
// writes. A window closes once stream time reaches its end plus the grace:
// from then on a write to it is late (a *LateRecordError, counted in
// Stats), and the agents' WindowClosed hooks fire for it once. It expires
// once stream time reaches its end plus Expires: it is deleted from the
// store and tombstoned in the changelog.
//
// The store keys a window by its start (8 bytes, big-endian, sign bit
// flipped so that they sort by time) followed by the key's Avro body, so
// closing and expiry walk a prefix of the store in time order. The
// changelog key is the Avro record
//
//	{"type": "record", "name": "faustgen_window_key_<table>", "fields": [
//	  {"name": "window_start", "type": {"type": "long", "logicalType": "timestamp-millis"}},
//	  {"name": "window_end", "type": {"type": "long", "logicalType": "timestamp-millis"}},
//	  {"name": "key", "type": <the table's key type>}]}
//
// registered like every changelog schema, so other tools read it.
//
// Stream time and the close and expiry progress are stored in the store's
// meta with the commit that covers the record that moved them, like the
// table's data (never ahead of what is committed). A store restored from
// its changelog alone (a new instance) takes its stream time from the
// newest window it holds; windows that closed on the old owner between
// that and the real stream time close once more (at least once).

// Window is one window's bounds: from Start (included) to End (excluded).
type Window struct {
	Start, End time.Time
}

// String renders the window as "[start, end)" in RFC 3339.
func (w Window) String() string {
	return "[" + w.Start.Format(time.RFC3339Nano) + ", " + w.End.Format(time.RFC3339Nano) + ")"
}

// WindowedTable reads and writes a windowed table partition: the one of
// the record being processed. A time selects the windows that hold it:
// one for tumbling windows, Size/Step of them for hopping ones.
type WindowedTable[K, V any] interface {
	// Get returns key's value in the window holding at; for hopping
	// windows, in the newest window holding at (GetWindow reads another).
	Get(key K, at time.Time) (V, bool, error)
	// Put sets key's value in the window holding at (in each window
	// holding at, for hopping windows). Windows that closed already are
	// left alone; when every window holding at has closed, Put returns a
	// *LateRecordError and writes nothing.
	Put(key K, at time.Time, value V) error
	// Update sets key's value in each window holding at to fn of its
	// current value (the zero value and false when the window has none):
	// the way to count or sum in hopping windows. Closed windows are left
	// alone, as with Put.
	Update(key K, at time.Time, fn func(current V, ok bool) V) error
	// Delete removes key from each open window holding at.
	Delete(key K, at time.Time) error
	// GetWindow returns key's value in window w (one of Windows(at)).
	GetWindow(key K, w Window) (V, bool, error)
	// Windows returns the windows holding at, oldest first.
	Windows(at time.Time) []Window
	// Range calls fn with key's value in each window starting in
	// [from, to) that holds one, oldest first, until fn returns false.
	Range(key K, from, to time.Time, fn func(w Window, value V) bool) error
}

// LateRecordError is a write to windows that all closed already: stream
// time passed their end plus the table's grace. The write is dropped; the
// agent's error policy decides what happens to the record.
type LateRecordError struct {
	Table      string
	Partition  int32
	At         time.Time // the time written
	StreamTime time.Time // the table partition's stream time
	Grace      time.Duration
}

// Error names the table, the times and the grace.
func (e *LateRecordError) Error() string {
	return fmt.Sprintf("late record for windowed table %s[%d]: time %s is in windows that closed already (stream time %s, grace %s)",
		e.Table, e.Partition, e.At.UTC().Format(time.RFC3339Nano), e.StreamTime.UTC().Format(time.RFC3339Nano), e.Grace)
}
