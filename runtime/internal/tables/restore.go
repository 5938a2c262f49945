package tables

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// RestoreOptions configure Restore.
type RestoreOptions struct {
	// Client options reaching the cluster (seed brokers, TLS, SASL); the
	// restore builds its own client from them, apart from the group's, so
	// full source buffers never starve it.
	Client []kgo.Opt
	// Table and Partition name what is restored, for logs.
	Table     string
	Partition int32
	// Topic is the changelog topic.
	Topic string
	// Logger receives progress (every ProgressEvery) and warnings.
	Logger *slog.Logger
	// ProgressEvery is how often a long restore logs its progress.
	// Default 5s.
	ProgressEvery time.Duration
	// StoreKey, when set, turns a changelog key's Avro body into the
	// store's key (a windowed table's changelog key holds the window and
	// the key, its store key orders them by time); nil keeps the body.
	StoreKey func(body []byte) ([]byte, error)
	// MemoryBytes bounds the records a restore into an empty store holds
	// while it sorts them (keys, values and a few bytes a record once
	// sorted); past it, sorted runs are spilled to files beside the
	// store and merged at the end. It does not count the client's
	// fetches (up to 32 MiB) nor the records it decodes, garbage once
	// copied.
	// Default: DefaultRestoreMemoryBytes (32 MiB).
	MemoryBytes int64
}

// RestoreResult says what a restore did.
type RestoreResult struct {
	Replayed  int64 // changelog records read
	From, End int64
	Wiped     bool // the store was ahead of the changelog (the topic was recreated) and was rebuilt
	Bulk      bool // the store was empty: built whole from the changelog (see bulkLoad)
	Spilled   int  // sorted runs a bulk restore spilled to files
	// Read is how long reading the changelog took (within Took); a bulk
	// restore then merges its sorted runs and writes the store.
	Read time.Duration
	Took time.Duration
}

// Restore brings s up to the end of its changelog partition: it reads
// the store's offset, lists the partition's start and end (the last stable
// offset: only committed records count), and replays from
// max(stored+1, start) to the end straight into s, in large batches, each
// applied with the offset it reached. A store that reflects the whole
// changelog (a clean restart) replays nothing. A stored offset past the
// end means the changelog was recreated: the store is wiped and rebuilt,
// with a warning. Gaps (compaction) and transaction markers are normal.
//
// An empty store (a new instance, a partition that moved here, a wiped
// or corrupt store) is not filled key by key: the changelog is sorted
// as it arrives, within o.MemoryBytes (spilling sorted runs to files
// beside the store past it), and written in key order into a new bbolt
// file, which replaces the store's once complete (see bulkLoad).
func Restore(ctx context.Context, s *Store, o RestoreOptions) (RestoreResult, error) {
	began := time.Now()
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 5 * time.Second
	}
	res := RestoreResult{}
	stored, err := s.Offset()
	if err != nil {
		return res, fmt.Errorf("read the offset of %s: %w", s.Path(), err)
	}
	// Transaction markers are kept (and skipped below) so that a
	// changelog ending in a marker is seen to end.
	cl, err := kgo.NewClient(append(append([]kgo.Opt(nil), o.Client...),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.KeepControlRecords(),
		kgo.FetchMaxPartitionBytes(8<<20), kgo.FetchMaxBytes(32<<20))...)
	if err != nil {
		return res, err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	starts, err := listOffsets(ctx, adm.ListStartOffsets, o.Topic)
	if err != nil {
		return res, fmt.Errorf("list the start of %s[%d]: %w", o.Topic, o.Partition, err)
	}
	ends, err := listOffsets(ctx, adm.ListCommittedOffsets, o.Topic) // the last stable offset
	if err != nil {
		return res, fmt.Errorf("list the end of %s[%d]: %w", o.Topic, o.Partition, err)
	}
	start, ok1 := starts.Lookup(o.Topic, o.Partition)
	end, ok2 := ends.Lookup(o.Topic, o.Partition)
	if !ok1 || !ok2 {
		return res, fmt.Errorf("changelog %s has no partition %d", o.Topic, o.Partition)
	}
	res.End = end.Offset
	if stored+1 > end.Offset {
		o.Logger.Warn("table store is ahead of its changelog (the changelog was recreated?): wiping it and restoring from the changelog",
			"table", o.Table, "partition", o.Partition, "stored_offset", stored, "changelog_end", end.Offset, "path", s.Path())
		if err := s.Wipe(); err != nil {
			return res, err
		}
		stored, res.Wiped = -1, true
	}
	from := max(stored+1, start.Offset)
	res.From = from
	if from >= end.Offset {
		res.Took = time.Since(began)
		return res, nil
	}

	cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{o.Topic: {o.Partition: kgo.NewOffset().At(from)}})
	if res.Bulk = stored < 0; res.Bulk {
		return bulkRestore(ctx, s, cl, o, res, began)
	}

	// A tail into a store that has state: fetching and storing overlap,
	// this goroutine polls and cuts batches, an applier writes them to
	// bbolt (sorted by key: a B+tree takes sorted inserts faster), each
	// with the offset it reached.
	type applyBatch struct {
		changes []Change
		last    int64
	}
	work := make(chan applyBatch, 2)
	applied := make(chan error, 1)
	var replayed atomic.Int64
	go func() {
		var err error
		for b := range work {
			if err != nil {
				continue // drain
			}
			slices.SortStableFunc(b.changes, func(x, y Change) int { return bytes.Compare(x.Key, y.Key) })
			if err = s.Apply(b.changes, b.last); err == nil {
				replayed.Add(int64(len(b.changes)))
			}
		}
		applied <- err
	}()
	var batch []Change
	err = replay(ctx, cl, o, from, res.End, began, replayed.Load, func(key, value []byte) error {
		batch = append(batch, Change{Key: key, Value: value})
		return nil
	}, func(last int64) error {
		select {
		case work <- applyBatch{batch, last}:
			batch = nil
			return nil
		case err := <-applied:
			applied <- err
			return errStop
		}
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	close(work)
	if aerr := <-applied; err == nil {
		err = aerr
	}
	res.Replayed = replayed.Load()
	res.Took = time.Since(began)
	res.Read = res.Took
	return res, err
}

var errStop = errors.New("stop")

// bulkRestore restores the whole changelog into the empty store s
// through a bulkLoad (see there): records are sorted as they arrive,
// merged in key order into a new file, and that file, whole and with the
// offset it reached, replaces the store's.
func bulkRestore(ctx context.Context, s *Store, cl *kgo.Client, o RestoreOptions, res RestoreResult, began time.Time) (RestoreResult, error) {
	l := newBulkLoad(s.Path(), o.MemoryBytes)
	defer l.removeTemp()
	var replayed int64
	last := int64(-1)
	err := replay(ctx, cl, o, res.From, res.End, began, func() int64 { return replayed }, func(key, value []byte) error {
		replayed++
		if len(key) == 0 || len(key) > maxBoltKeySize {
			return fmt.Errorf("key of %d bytes: a table store takes keys of 1 to %d bytes", len(key), maxBoltKeySize)
		}
		return l.add(key, value)
	}, func(reached int64) error {
		last = reached
		return nil
	})
	if werr := l.wait(); err == nil {
		err = werr
	}
	res.Replayed, res.Spilled, res.Read = replayed, len(l.runs), time.Since(began)
	if err == nil && last >= 0 && time.Since(began) >= o.ProgressEvery {
		o.Logger.Info("restoring table: changelog read, writing the store in key order", "table", o.Table, "partition", o.Partition,
			"records", replayed, "spilled_runs", len(l.runs), "path", s.Path())
	}
	if err == nil && last >= 0 {
		var built string
		built, _, err = l.write(last, s.db.Info().PageSize)
		if err == nil {
			err = s.replaceWith(built)
		}
	}
	res.Took = time.Since(began)
	if err != nil {
		return res, fmt.Errorf("restore %s[%d] into %s: %w", o.Topic, o.Partition, s.Path(), err)
	}
	return res, nil
}

// replay polls cl from offset from to end, calling record with the key
// (its Avro body) and value (nil: a tombstone) of every record below
// end, in order, and reached after each poll with the last offset it
// reached (transaction markers included). Markers and the records of
// aborted transactions take offsets without records: a poll that brings
// nothing below the end three times in a row ends the replay.
func replay(ctx context.Context, cl *kgo.Client, o RestoreOptions, from, end int64, began time.Time, replayed func() int64,
	record func(key, value []byte) error, reached func(last int64) error) error {
	lastLog := time.Now()
	next := from // the next offset wanted
	idle := 0
	for next < end {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		fs := cl.PollRecords(pctx, 50000)
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ferr error
		fs.EachError(func(_ string, _ int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				ferr = err
			}
		})
		if ferr != nil {
			return fmt.Errorf("read %s[%d] at %d: %w", o.Topic, o.Partition, next, ferr)
		}
		last := int64(-1)
		var rerr error
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset >= end || rerr != nil {
				return
			}
			last = r.Offset
			if r.Attrs.IsControl() {
				return
			}
			key := r.Key
			if len(key) >= 5 && key[0] == 0 {
				key = key[5:] // the store keys by the Avro body
			}
			if o.StoreKey != nil {
				var err error
				if key, err = o.StoreKey(key); err != nil {
					rerr = fmt.Errorf("read %s[%d]@%d: key: %w", o.Topic, o.Partition, r.Offset, err)
					return
				}
			}
			if rerr = record(key, r.Value); rerr != nil {
				rerr = fmt.Errorf("record %s[%d]@%d: %w", o.Topic, o.Partition, r.Offset, rerr)
			}
		})
		if rerr != nil {
			return rerr
		}
		if last < 0 {
			if idle++; idle >= 3 {
				return nil
			}
			continue
		}
		idle = 0
		if err := reached(last); err != nil {
			return err
		}
		next = last + 1
		if time.Since(lastLog) >= o.ProgressEvery {
			lastLog = time.Now()
			elapsed := time.Since(began).Seconds()
			rate := float64(next-from) / elapsed
			eta := time.Duration(float64(end-next) / max(rate, 1) * float64(time.Second))
			o.Logger.Info("restoring table", "table", o.Table, "partition", o.Partition, "records", replayed(),
				"offset", next, "end", end, "rate", int64(rate), "eta", eta.Round(time.Second))
		}
	}
	return nil
}

// listOffsets lists topic's offsets with list (kadm's ListStartOffsets or
// ListCommittedOffsets), retrying for up to 15s while the brokers answer
// with a retriable error: a topic created a moment ago (by this App's
// start, or by another instance) may not be known to every broker yet.
func listOffsets(ctx context.Context, list func(context.Context, ...string) (kadm.ListedOffsets, error), topic string) (kadm.ListedOffsets, error) {
	deadline := time.Now().Add(15 * time.Second)
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		offs, err := list(ctx, topic)
		if err == nil {
			err = offs.Error()
		}
		if err == nil || !kerr.IsRetriable(err) || time.Now().After(deadline) {
			return offs, err
		}
		select {
		case <-ctx.Done():
			return offs, ctx.Err()
		case <-time.After(wait):
		}
	}
}
