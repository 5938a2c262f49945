package tables

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A bulk load keeps the newest write of every key and drops keys whose
// newest write is a tombstone, whether its runs stay in memory or are
// spilled to several files, and removes those files.
func TestBulkLoadKeepsTheNewestWritePerKey(t *testing.T) {
	for _, tc := range []struct {
		name      string
		limit     int64
		minSpills int
	}{
		{"runs in memory", 0, 0},
		{"spilled to several runs", 256 << 10, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			// Keys of many shapes: shorter than 8 bytes, a long shared
			// prefix (equal 8-byte prefixes that differ later), one
			// zero byte longer than another key.
			shapes := []func(i int) string{
				func(i int) string { return fmt.Sprint(i) },
				func(i int) string { return strings.Repeat("p", 30) + fmt.Sprint(i) },
				func(i int) string { return fmt.Sprintf("user-%06d", i) },
				func(i int) string { return fmt.Sprint(i) + "\x00" },
			}
			dir := t.TempDir()
			s := openStore(t, filepath.Join(dir, "0.db"))
			l := newBulkLoad(s.Path(), tc.limit)
			want := map[string][]byte{}
			for i := range 60_000 {
				key := shapes[rng.IntN(len(shapes))](rng.IntN(3000))
				var value []byte
				if rng.IntN(5) > 0 {
					value = fmt.Appendf(nil, "v%d", i)
					if i%1000 == 0 {
						value = []byte{} // empty, not a tombstone
					}
					want[key] = value
				} else {
					delete(want, key)
				}
				if err := l.add([]byte(key), value); err != nil {
					t.Fatal(err)
				}
			}
			if err := l.wait(); err != nil {
				t.Fatal(err)
			}
			if len(l.runs) < tc.minSpills {
				t.Fatalf("%d runs spilled, want at least %d", len(l.runs), tc.minSpills)
			}
			if tc.limit > 0 && l.peak > tc.limit {
				t.Fatalf("held %d bytes, above the bound of %d", l.peak, tc.limit)
			}
			built, keys, err := l.write(59_999, 4096)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.replaceWith(built); err != nil {
				t.Fatal(err)
			}
			l.removeTemp()
			if keys != int64(len(want)) {
				t.Fatalf("wrote %d keys, want %d", keys, len(want))
			}
			checkBolt(t, s)
			storeEquals(t, s, want)
			if off, _ := s.Offset(); off != 59_999 {
				t.Fatalf("offset %d", off)
			}
			left, _ := filepath.Glob(filepath.Join(dir, "*.restore-*"))
			if len(left) != 0 {
				t.Fatalf("files left: %v", left)
			}
		})
	}
}

// Files of a bulk restore that a crash interrupted are not part of the
// store: opening it removes them and keeps the store as it was.
func TestOpenRemovesTheLeftoversOfAnUnfinishedRestore(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "0.db")
	s, err := Open(path, 0, quiet())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	other := filepath.Join(dir, "1.db.restore-new")
	for _, f := range []string{path + ".restore-new", path + ".restore-run-0", path + ".restore-run-1", other} {
		if err := os.WriteFile(f, []byte("half a file"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s = openStore(t, path)
	if off, _ := s.Offset(); off != -1 {
		t.Fatalf("offset %d after the leftovers, want -1 (the next restore bulk-loads)", off)
	}
	left, _ := filepath.Glob(path + ".restore-*")
	if len(left) != 0 {
		t.Fatalf("leftovers not removed: %v", left)
	}
	if _, err := os.Stat(other); err != nil {
		t.Fatalf("another store's file was removed: %v", err)
	}
}

// prefixAt orders keys that share their first at bytes as their bytes
// from at do.
func TestPrefixAtIsTheEightBytesAfterTheSharedPrefix(t *testing.T) {
	for _, tc := range []struct {
		key  string
		at   int
		want uint64
	}{
		{"", 0, 0},
		{"a", 0, 0x61 << 56},
		{"abcdefgh", 0, 0x6162636465666768},
		{"abcdefghij", 0, 0x6162636465666768},
		{"abcdefghij", 2, 0x636465666768696a},
		{"abcdefghij", 4, 0x65666768696a0000},
		{"abcdefghij", 10, 0},
		{"abc", 1, 0x6263 << 48},
	} {
		if got := prefixAt([]byte(tc.key), tc.at); got != tc.want {
			t.Errorf("prefixAt(%q, %d) = %#x, want %#x", tc.key, tc.at, got, tc.want)
		}
	}
}
