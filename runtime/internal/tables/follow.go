package tables

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// A table sourced from a topic has no changelog of its own: the topic is
// its changelog, written by whoever sends to it. Follow keeps a store
// current with partitions of such a topic: it catches up to the end
// offsets it sees when it starts, then keeps reading until closed. The
// store holds one offset per partition (meta "changelog-offset/<p>"),
// stored with the data of each batch in one transaction, so after a
// restart it goes on where it stopped.

// FollowOptions configure Follow.
type FollowOptions struct {
	// Client options reaching the cluster; Follow builds its own client.
	Client []kgo.Opt
	// Table names the table in logs.
	Table string
	// Topic is the source topic; Partitions the partitions to follow
	// (nil: all of them).
	Topic      string
	Partitions []int32
	// Logger receives progress and warnings.
	Logger *slog.Logger
	// ProgressEvery is how often a long catch-up logs its progress.
	// Default 5s.
	ProgressEvery time.Duration
}

// Follower keeps a store current with a topic (see Follow).
type Follower struct {
	store   *Store
	o       FollowOptions
	cl      *kgo.Client
	cancel  context.CancelFunc
	done    chan struct{}
	started bool // run is going
	mu      sync.Mutex
	err     error
	// Replayed counts the records read to catch up.
	Replayed int64
	// Took is how long catching up took.
	Took time.Duration
}

func partOffsetKey(p int32) string { return string(offsetKey) + "/" + strconv.Itoa(int(p)) }

// PartitionOffset returns the last offset of partition p of its source
// the store reflects, -1 when none.
func (s *Store) PartitionOffset(p int32) (int64, error) {
	v, ok, err := s.Meta(partOffsetKey(p))
	if err != nil || !ok {
		return -1, err
	}
	if len(v) != 8 {
		return -1, fmt.Errorf("table store %s: offset of partition %d has %d bytes", s.path, p, len(v))
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}

// Follow catches store up with the partitions of o.Topic, reading (with
// read_committed) from each partition's stored offset to the end offset
// listed when it starts, then keeps reading in the background until ctx
// ends or Close. A stored offset past a partition's end means the topic
// was recreated: the store is wiped and rebuilt, with a warning. Records
// keyed without a value delete their key.
func Follow(ctx context.Context, store *Store, o FollowOptions) (*Follower, error) {
	began := time.Now()
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 5 * time.Second
	}
	boot, err := kgo.NewClient(o.Client...)
	if err != nil {
		return nil, err
	}
	adm := kadm.NewClient(boot)
	ends, err := listOffsets(ctx, adm.ListCommittedOffsets, o.Topic) // the last stable offsets
	boot.Close()
	if err != nil {
		return nil, fmt.Errorf("list the end of %s: %w", o.Topic, err)
	}
	parts := o.Partitions
	if parts == nil {
		for p := range ends[o.Topic] {
			parts = append(parts, p)
		}
	}
	end := map[int32]int64{}
	from := map[int32]kgo.Offset{}
	next := map[int32]int64{}
	wipe := false
	for _, p := range parts {
		e, ok := ends.Lookup(o.Topic, p)
		if !ok {
			return nil, fmt.Errorf("topic %s has no partition %d", o.Topic, p)
		}
		stored, err := store.PartitionOffset(p)
		if err != nil {
			return nil, err
		}
		if stored+1 > e.Offset {
			o.Logger.Warn("table store is ahead of its source topic (the topic was recreated?): wiping it and reading the topic again",
				"table", o.Table, "topic", o.Topic, "partition", p, "stored_offset", stored, "end", e.Offset, "path", store.Path())
			wipe = true
		}
		end[p], next[p] = e.Offset, stored+1
	}
	if wipe {
		if err := store.Wipe(); err != nil {
			return nil, err
		}
		for p := range next {
			next[p] = 0
		}
	}
	for p, n := range next {
		from[p] = kgo.NewOffset().At(n)
	}
	cl, err := kgo.NewClient(append(append([]kgo.Opt(nil), o.Client...),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.KeepControlRecords(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), // an offset compacted or deleted away: from the start
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{o.Topic: from}),
		kgo.FetchMaxPartitionBytes(8<<20), kgo.FetchMaxBytes(32<<20), kgo.FetchMaxWait(500*time.Millisecond))...)
	if err != nil {
		return nil, err
	}
	fctx, cancel := context.WithCancel(context.Background())
	f := &Follower{store: store, o: o, cl: cl, cancel: cancel, done: make(chan struct{})}
	behind := func() bool {
		for p, e := range end {
			if next[p] < e {
				return true
			}
		}
		return false
	}
	lastLog := time.Now()
	var total int64
	for _, p := range parts {
		total += end[p] - next[p]
	}
	for behind() {
		if err := f.poll(ctx, next); err != nil {
			f.Close()
			return nil, err
		}
		if time.Since(lastLog) >= o.ProgressEvery {
			lastLog = time.Now()
			rate := float64(f.Replayed) / time.Since(began).Seconds()
			eta := time.Duration(float64(max(total-f.Replayed, 0)) / max(rate, 1) * float64(time.Second))
			o.Logger.Info("catching up table", "table", o.Table, "topic", o.Topic, "records", f.Replayed, "rate", int64(rate), "eta", eta.Round(time.Second))
		}
	}
	f.Took = time.Since(began)
	f.started = true
	go f.run(fctx, next)
	return f, nil
}

// poll reads one batch and stores it with the offsets it reached. A poll
// that finds nothing within a second returns nil.
func (f *Follower) poll(ctx context.Context, next map[int32]int64) error {
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	fs := f.cl.PollRecords(pctx, 50000)
	cancel()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ferr error
	fs.EachError(func(t string, p int32, err error) {
		if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) && ferr == nil {
			ferr = fmt.Errorf("read %s[%d] at %d: %w", t, p, next[p], err)
		}
	})
	if ferr != nil {
		return ferr
	}
	if fs.NumRecords() == 0 {
		return nil
	}
	changes := make([]Change, 0, fs.NumRecords())
	reached := map[int32]int64{}
	n := 0
	fs.EachRecord(func(r *kgo.Record) {
		reached[r.Partition] = r.Offset
		if r.Attrs.IsControl() {
			return // kept so that a partition ending in a marker is seen to end
		}
		n++
		key := r.Key
		if len(key) >= 5 && key[0] == 0 {
			key = key[5:] // the store keys by the Avro body
		}
		changes = append(changes, Change{Key: key, Value: r.Value})
	})
	meta := make([]Change, 0, len(reached))
	for p, off := range reached {
		meta = append(meta, Change{Key: []byte(partOffsetKey(p)), Value: binary.BigEndian.AppendUint64(nil, uint64(off))})
		next[p] = max(next[p], off+1)
	}
	if err := f.store.ApplyMeta(dedupe(changes), -1, meta); err != nil {
		return err
	}
	f.Replayed += int64(n)
	return nil
}

// dedupe keeps the last change per key, in order of first appearance.
func dedupe(cs []Change) []Change {
	last := make(map[string]int, len(cs))
	for i, c := range cs {
		last[string(c.Key)] = i
	}
	if len(last) == len(cs) {
		return cs
	}
	out := cs[:0]
	for i, c := range cs {
		if last[string(c.Key)] == i {
			out = append(out, c)
		}
	}
	return out
}

func (f *Follower) run(ctx context.Context, next map[int32]int64) {
	defer close(f.done)
	for ctx.Err() == nil {
		if err := f.poll(ctx, next); err != nil && ctx.Err() == nil {
			f.mu.Lock()
			f.err = err
			f.mu.Unlock()
			f.o.Logger.Error("following a table's source topic failed; retrying", "table", f.o.Table, "topic", f.o.Topic, "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

// Err returns the last error following hit, nil when none.
func (f *Follower) Err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// Close stops following. The store stays open.
func (f *Follower) Close() {
	f.cancel()
	if f.started {
		<-f.done
	}
	f.cl.Close()
}
