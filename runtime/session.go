package runtime

import (
	"time"
)

// SessionTable reads and writes a session-windowed table partition: the
// one of the record being processed. Reads see the key's open sessions
// (those that may still grow); a closed session is final and is handed
// to the agent's window-close hook.
type SessionTable[K, V any] interface {
	// Update records key's activity at time at and returns its session
	// after it: the open session holding at or within the gap of it grows
	// to hold at (sessions within the gap on both sides are merged first,
	// their values folded with merge, oldest first), or a new session
	// starts; its value becomes fn of the current one (the zero value and
	// false for a new session). A time whose session would have closed
	// already is late: Update returns a *LateRecordError and writes
	// nothing.
	Update(key K, at time.Time, fn func(current V, ok bool) V, merge func(a, b V) V) (Window, error)
	// Get returns key's open session holding at and its value.
	Get(key K, at time.Time) (Window, V, bool, error)
	// Range calls fn with each open session of key that overlaps
	// [from, to), oldest first, until fn returns false.
	Range(key K, from, to time.Time, fn func(w Window, value V) bool) error
}
