package runtime

// ReadTable reads a table.
type ReadTable[K, V any] interface {
	// Get returns the value of key and whether it is present.
	Get(key K) (V, bool, error)
}

// Table reads and writes a table partition: the one of the record being
// processed (a table is partitioned like its agents' source topic).
type Table[K, V any] interface {
	ReadTable[K, V]
	// Put sets the value of key.
	Put(key K, value V) error
	// Delete removes key.
	Delete(key K) error
	// All calls fn with every key and value of the partition, in the
	// byte order of the keys' Avro encoding (for strings: shorter keys
	// first, then bytewise; for longs: zigzag varint order — not numeric),
	// until fn returns false. Writes made while processing the current
	// record are included.
	All(fn func(key K, value V) bool) error
	// Range is All for the keys from (included) to to (excluded), in the
	// same order: by the bytes of the keys' Avro encoding, which is not
	// their natural order (a range of strings holds the keys of the same
	// length in bytewise order between from and to, and every key whose
	// length lies between theirs).
	Range(from, to K, fn func(key K, value V) bool) error
}
