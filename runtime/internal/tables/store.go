// Package tables holds faustgen's table state: one bbolt file per table
// partition (Store), the writes not yet safe to store (Overlay), and the
// replay of a changelog into a store (Restore). It deals in bytes: keys
// are Avro bodies, values Confluent-framed Avro exactly as the changelog
// holds them (so a value written with an older schema is read through its
// writer schema like any record). Typed tables, the changelog writes and
// the partition lifecycle hooks live in package runtime.
//
// The invariant kept here: a store never runs ahead of the changelog. A
// store's data and the changelog offset it reflects change together, in
// one bbolt transaction (Apply), and only with changes whose changelog
// records Kafka has acknowledged (Overlay.Flush hands out only those).
// A restore into an empty store (offset -1) builds a whole new file
// beside it, data and offset together, and renames it over the store
// only once complete (bulkLoad, Store.replaceWith): a crash in the
// middle leaves the empty store, restored again at the next start, and
// leftovers that Open removes.
package tables

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

var (
	dataBucket = []byte("data")
	metaBucket = []byte("meta")
	offsetKey  = []byte("changelog-offset") // last changelog offset applied, 8 bytes big-endian
)

// Store is one table partition's state in a bbolt file.
type Store struct {
	db          *bolt.DB
	path        string
	lockTimeout time.Duration
}

// Open opens (creating it if needed) the store file at path. A file bbolt
// cannot read (torn, truncated, not bbolt) is moved aside to
// path+".corrupt-<time>", named in a warning on log, and a fresh store is
// created: its state comes back from the changelog. A file locked by
// another live process fails after lockTimeout with an error naming it.
// Files an unfinished bulk restore left beside it (path + ".restore-*")
// are removed.
//
// Writes are not fsynced (bbolt NoSync): a process crash loses nothing
// (the page cache survives it); a machine crash may lose the last writes
// or tear the file, which recovery repairs from the changelog.
func Open(path string, lockTimeout time.Duration, log *slog.Logger) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("table store %s: %w", path, err)
	}
	s, err := open(path, lockTimeout)
	if err == nil {
		s.removeRestoreLeftovers(log)
		return s, nil
	}
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("table store %s is locked by another live process (another instance using the same state dir?): %w", path, err)
	}
	aside := fmt.Sprintf("%s.corrupt-%s", path, time.Now().UTC().Format("20060102T150405.000000000"))
	if rerr := os.Rename(path, aside); rerr != nil {
		return nil, fmt.Errorf("table store %s is unreadable (%v) and could not be moved aside: %w", path, err, rerr)
	}
	log.Warn("table store unreadable: moved aside, rebuilding it from the changelog", "path", path, "moved_to", aside, "err", err)
	s, err = open(path, lockTimeout)
	if err != nil {
		return nil, fmt.Errorf("table store %s: %w", path, err)
	}
	s.removeRestoreLeftovers(log)
	return s, nil
}

// removeRestoreLeftovers removes the files of a bulk restore that did
// not finish (the process stopped in the middle): they are never part
// of the store, which a bulk restore replaces only once whole. Called
// with the store's file lock held, so no live restore owns them.
func (s *Store) removeRestoreLeftovers(log *slog.Logger) {
	left, _ := filepath.Glob(s.path + ".restore-*")
	for _, f := range left {
		if err := os.Remove(f); err != nil {
			log.Warn("could not remove the leftover of an unfinished table restore", "path", f, "err", err)
			continue
		}
		log.Info("removed the leftover of an unfinished table restore", "path", f)
	}
}

// replaceWith replaces the store, which must be empty (offset -1), with
// the complete store file built: it closes the store's file, removes
// it, renames built to its path, and opens that. A crash before the
// removal leaves the empty store; between removal and rename, no store
// file, which Open creates empty; after, the new store: never a mix,
// and never a store ahead of its changelog. (The empty file is removed
// rather than renamed over: ext4 writes a file renamed over another
// back to disk before the rename returns, 10 ms for a million records,
// to no purpose here, the stores being unsynced anyway.)
func (s *Store) replaceWith(built string) error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close %s to replace it: %w", s.path, err)
	}
	reopen := func(err error) error {
		os.Remove(built)
		if n, oerr := open(s.path, s.lockTimeout); oerr == nil {
			s.db = n.db // an empty store again
		}
		return err
	}
	if err := os.Remove(s.path); err != nil {
		return reopen(fmt.Errorf("remove the empty %s to replace it: %w", s.path, err))
	}
	if err := os.Rename(built, s.path); err != nil {
		return reopen(fmt.Errorf("rename %s to %s: %w", built, s.path, err))
	}
	n, err := open(s.path, s.lockTimeout)
	if err != nil {
		return fmt.Errorf("open %s after a bulk restore: %w", s.path, err)
	}
	s.db = n.db
	return nil
}

func open(path string, lockTimeout time.Duration) (s *Store, err error) {
	defer func() {
		// bbolt panics on some damaged files instead of failing.
		if p := recover(); p != nil {
			s, err = nil, fmt.Errorf("bbolt: %v", p)
		}
	}()
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: lockTimeout, NoSync: true, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(dataBucket); err != nil {
			return err
		}
		_, err := tx.CreateBucketIfNotExists(metaBucket)
		return err
	})
	if err == nil {
		err = db.View(func(tx *bolt.Tx) error {
			if v := tx.Bucket(metaBucket).Get(offsetKey); v != nil && len(v) != 8 {
				return fmt.Errorf("changelog offset of %d bytes", len(v))
			}
			return nil
		})
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db, path: path, lockTimeout: lockTimeout}, nil
}

// Path returns the store's file.
func (s *Store) Path() string { return s.path }

// Offset returns the last changelog offset the store reflects, -1 when
// none.
func (s *Store) Offset() (int64, error) {
	off := int64(-1)
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(metaBucket).Get(offsetKey); v != nil {
			off = int64(binary.BigEndian.Uint64(v))
		}
		return nil
	})
	return off, err
}

// Get returns a copy of key's value and whether it is present.
func (s *Store) Get(key []byte) ([]byte, bool, error) {
	var out []byte
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(dataBucket).Get(key); v != nil {
			out, ok = append([]byte(nil), v...), true
		}
		return nil
	})
	return out, ok, err
}

// Each calls fn with every key and value in key byte order (the order of
// the keys' Avro encoding) until fn returns false. The slices are valid
// only during the call.
func (s *Store) Each(fn func(key, value []byte) bool) error { return s.Scan(nil, nil, fn) }

// Change is one write: Value nil deletes Key.
type Change struct {
	Key, Value []byte
}

// Apply writes changes and records offset as the last changelog offset
// the store reflects, in one transaction: both or neither.
func (s *Store) Apply(changes []Change, offset int64) error {
	return s.ApplyMeta(changes, offset, nil)
}

// ApplyMeta is Apply with meta values (the table's own bookkeeping, such
// as a windowed table's stream time) stored in the same transaction; a
// Change with a nil Value deletes its meta key. An offset below 0 keeps
// the stored changelog offset.
func (s *Store) ApplyMeta(changes []Change, offset int64, meta []Change) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(dataBucket)
		for _, c := range changes {
			var err error
			if c.Value == nil {
				err = b.Delete(c.Key)
			} else {
				err = b.Put(c.Key, c.Value)
			}
			if err != nil {
				return fmt.Errorf("table store %s: %w", s.path, err)
			}
		}
		mb := tx.Bucket(metaBucket)
		for _, c := range meta {
			if string(c.Key) == string(offsetKey) {
				return fmt.Errorf("table store %s: meta key %q is reserved", s.path, c.Key)
			}
			var err error
			if c.Value == nil {
				err = mb.Delete(c.Key)
			} else {
				err = mb.Put(c.Key, c.Value)
			}
			if err != nil {
				return fmt.Errorf("table store %s: %w", s.path, err)
			}
		}
		if offset < 0 {
			return nil
		}
		var v [8]byte
		binary.BigEndian.PutUint64(v[:], uint64(offset))
		return mb.Put(offsetKey, v[:])
	})
}

// Meta returns a copy of the meta value of key and whether it is set.
func (s *Store) Meta(key string) ([]byte, bool, error) {
	var out []byte
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(metaBucket).Get([]byte(key)); v != nil {
			out, ok = append([]byte(nil), v...), true
		}
		return nil
	})
	return out, ok, err
}

// Scan calls fn with every key in [from, to) and its value, in key byte
// order, until fn returns false; a nil to scans to the last key. The
// slices are valid only during the call.
func (s *Store) Scan(from, to []byte, fn func(key, value []byte) bool) error {
	return s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(dataBucket).Cursor()
		for k, v := c.Seek(from); k != nil && (to == nil || bytes.Compare(k, to) < 0); k, v = c.Next() {
			if !fn(k, v) {
				return nil
			}
		}
		return nil
	})
}

// Last returns a copy of the greatest key, nil when the store is empty.
func (s *Store) Last() ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		if k, _ := tx.Bucket(dataBucket).Cursor().Last(); k != nil {
			out = append([]byte(nil), k...)
		}
		return nil
	})
	return out, err
}

// Wipe empties the store and forgets its changelog offset.
func (s *Store) Wipe() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{dataBucket, metaBucket} {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		return nil
	})
}

// Close closes the store's file.
func (s *Store) Close() error { return s.db.Close() }
