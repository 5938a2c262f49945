package tables

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// checkBolt runs bbolt's own consistency check over the store's file.
func checkBolt(t *testing.T, s *Store) {
	t.Helper()
	if err := s.db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	}); err != nil {
		t.Fatalf("bbolt check of %s: %v", s.Path(), err)
	}
}

// storeEquals asserts that s holds exactly want, in key order.
func storeEquals(t *testing.T, s *Store, want map[string][]byte) {
	t.Helper()
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	i := 0
	if err := s.Each(func(k, v []byte) bool {
		if i >= len(keys) || string(k) != keys[i] || !bytes.Equal(v, want[keys[i]]) {
			t.Errorf("entry %d: %q (%d bytes), want %q", i, k, len(v), keys[min(i, len(keys)-1)])
			return false
		}
		i++
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if i != len(keys) {
		t.Fatalf("store holds %d keys, want %d", i, len(keys))
	}
	for _, k := range keys[:min(len(keys), 100)] {
		if v, ok, err := s.Get([]byte(k)); err != nil || !ok || !bytes.Equal(v, want[k]) {
			t.Fatalf("Get(%q) = %d bytes, %v, %v", k, len(v), ok, err)
		}
	}
}

// A file written page by page is a bbolt file that bbolt checks clean,
// reads back whole, and keeps changing with random puts and deletes;
// from no keys to trees of several levels, with values that span pages.
func TestBoltFileWrittenPageByPageIsAValidStore(t *testing.T) {
	for _, tc := range []struct {
		name   string
		keys   int
		valLen func(i int) int
	}{
		{"empty", 0, nil},
		{"one key", 1, nil},
		{"two keys", 2, nil},
		{"one page", 50, nil},
		{"two levels", 5_000, nil},
		{"three levels", 300_000, nil},
		{"values spanning pages", 300, func(i int) int { return []int{3, 5000, 100_000, 4080, 4096}[i%5] }},
		{"one value spanning pages", 1, func(int) int { return 70_000 }},
		{"long keys", 2_000, func(int) int { return 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tc.keys), 7))
			want := map[string][]byte{}
			for i := range tc.keys {
				k := fmt.Sprintf("k%08d", rng.IntN(1<<30))
				if tc.name == "long keys" {
					k += string(bytes.Repeat([]byte{byte('a' + i%26)}, 100+rng.IntN(3000)))
				}
				n := 6
				if tc.valLen != nil {
					n = tc.valLen(i)
				}
				v := make([]byte, n)
				for j := range v {
					v[j] = byte(rng.IntN(256))
				}
				want[k] = v
			}
			keys := make([]string, 0, len(want))
			for k := range want {
				keys = append(keys, k)
			}
			slices.Sort(keys)

			path := filepath.Join(t.TempDir(), "0.db")
			bf, err := createBoltFile(path, 4096)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range keys {
				if err := bf.Add([]byte(k), want[k]); err != nil {
					t.Fatal(err)
				}
			}
			if err := bf.Finish(int64(tc.keys) + 41); err != nil {
				t.Fatal(err)
			}
			s := openStore(t, path)
			checkBolt(t, s)
			if off, err := s.Offset(); err != nil || off != int64(tc.keys)+41 {
				t.Fatalf("offset %d, %v; want %d", off, err, tc.keys+41)
			}
			storeEquals(t, s, want)

			// Random changes after: bbolt splits, merges and frees
			// the written pages.
			var changes []Change
			for i := range 2000 + tc.keys/10 {
				if len(keys) > 0 && i%3 == 0 {
					k := keys[rng.IntN(len(keys))]
					changes = append(changes, Change{Key: []byte(k)})
					delete(want, k)
					continue
				}
				k := fmt.Sprintf("k%08d", rng.IntN(1<<30))
				v := bytes.Repeat([]byte{byte(i)}, 1+rng.IntN(50))
				changes = append(changes, Change{Key: []byte(k), Value: v})
				want[k] = v
			}
			for len(changes) > 0 {
				n := min(len(changes), 500)
				if err := s.Apply(changes[:n], 99); err != nil {
					t.Fatal(err)
				}
				changes = changes[n:]
			}
			checkBolt(t, s)
			storeEquals(t, s, want)
			// And the file still opens after those changes.
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s2 := openStore(t, path)
			checkBolt(t, s2)
			storeEquals(t, s2, want)
		})
	}
}

func TestBoltFileRefusesKeysOutOfOrder(t *testing.T) {
	bf, err := createBoltFile(filepath.Join(t.TempDir(), "0.db"), 4096)
	if err != nil {
		t.Fatal(err)
	}
	defer bf.Abort()
	if err := bf.Add([]byte("b"), nil); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a", "b", ""} {
		if err := bf.Add([]byte(k), nil); err == nil {
			t.Fatalf("key %q after b was taken", k)
		}
	}
}
