package runtime

import (
	"errors"
	"fmt"
	"time"
)

// TableSpec declares one table of the topology. Tables are not implemented
// yet: NewApp refuses an AppSpec that has any.
type TableSpec struct {
	// Name is the topology key; the changelog topic is
	// "<app>-<name>-changelog".
	Name string
	// Partitions is the partition count, equal to the source topics'.
	Partitions int32
	// Global tables are held whole by every instance and are read-only in
	// agents.
	Global bool
	// Window is nil for a plain table.
	Window *WindowSpec
	// KeyType and ValueType are the Avro type names of keys and values,
	// for the changelog schemas.
	KeyType, ValueType string
}

// WindowSpec is a table's windowing: tumbling (Tumbling set) or hopping
// (Hopping and Step set), kept for Expires.
type WindowSpec struct {
	Tumbling time.Duration
	Hopping  time.Duration
	Step     time.Duration
	Expires  time.Duration
}

// ReadTable reads a table.
type ReadTable[K, V any] interface {
	// Get returns the value of key and whether it is present.
	Get(key K) (V, bool, error)
}

// Table reads and writes a table.
type Table[K, V any] interface {
	ReadTable[K, V]
	// Put sets the value of key.
	Put(key K, value V) error
	// Delete removes key.
	Delete(key K) error
}

// WindowedTable reads and writes a windowed table.
type WindowedTable[K, V any] interface {
	// Get returns the value of key in the window holding at.
	Get(key K, at time.Time) (V, bool, error)
	// Put sets the value of key in the window holding at.
	Put(key K, at time.Time, value V) error
}

// ErrTablesNotImplemented is returned by every table operation until the
// tables work lands; NewApp refuses topologies with tables before any
// agent can reach one.
var ErrTablesNotImplemented = errors.New("tables are not implemented yet")

// TableOf returns the read-write table name for the record t is
// processing. Until tables are implemented its operations fail with
// ErrTablesNotImplemented.
func TableOf[K, V any](t *Task, name string, key Codec[K], value Codec[V]) Table[K, V] {
	return missingTable[K, V]{name: name}
}

// ReadTableOf returns the read-only table name for the record t is
// processing. Until tables are implemented its operations fail with
// ErrTablesNotImplemented.
func ReadTableOf[K, V any](t *Task, name string, key Codec[K], value Codec[V]) ReadTable[K, V] {
	return missingTable[K, V]{name: name}
}

// WindowedTableOf returns the windowed table name for the record t is
// processing. Until tables are implemented its operations fail with
// ErrTablesNotImplemented.
func WindowedTableOf[K, V any](t *Task, name string, key Codec[K], value Codec[V]) WindowedTable[K, V] {
	return missingWindowedTable[K, V]{name: name}
}

type missingTable[K, V any] struct{ name string }

func (m missingTable[K, V]) Get(K) (V, bool, error) {
	var zero V
	return zero, false, fmt.Errorf("table %s: %w", m.name, ErrTablesNotImplemented)
}

func (m missingTable[K, V]) Put(K, V) error {
	return fmt.Errorf("table %s: %w", m.name, ErrTablesNotImplemented)
}

func (m missingTable[K, V]) Delete(K) error {
	return fmt.Errorf("table %s: %w", m.name, ErrTablesNotImplemented)
}

type missingWindowedTable[K, V any] struct{ name string }

func (m missingWindowedTable[K, V]) Get(K, time.Time) (V, bool, error) {
	var zero V
	return zero, false, fmt.Errorf("table %s: %w", m.name, ErrTablesNotImplemented)
}

func (m missingWindowedTable[K, V]) Put(K, time.Time, V) error {
	return fmt.Errorf("table %s: %w", m.name, ErrTablesNotImplemented)
}
