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
}

// RestoreResult says what a restore did.
type RestoreResult struct {
	Replayed  int64 // changelog records read
	From, End int64
	Wiped     bool // the store was ahead of the changelog (the topic was recreated) and was rebuilt
	Took      time.Duration
}

// Restore brings s up to the end of its changelog partition: it reads
// the store's offset, lists the partition's start and end (the last stable
// offset: only committed records count), and replays from
// max(stored+1, start) to the end straight into s, in large batches, each
// applied with the offset it reached. A store that reflects the whole
// changelog (a clean restart) replays nothing. A stored offset past the
// end means the changelog was recreated: the store is wiped and rebuilt,
// with a warning. Gaps (compaction) and transaction markers are normal.
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
	starts, err := adm.ListStartOffsets(ctx, o.Topic)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return res, fmt.Errorf("list the start of %s[%d]: %w", o.Topic, o.Partition, err)
	}
	ends, err := adm.ListCommittedOffsets(ctx, o.Topic) // the last stable offset
	if err == nil {
		err = ends.Error()
	}
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

	// Fetching and storing overlap: this goroutine polls and cuts
	// batches, an applier writes them to bbolt (sorted by key: a B+tree
	// takes sorted inserts faster), each with the offset it reached.
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
	finish := func(err error) (RestoreResult, error) {
		close(work)
		if aerr := <-applied; err == nil {
			err = aerr
		}
		res.Replayed = replayed.Load()
		res.Took = time.Since(began)
		return res, err
	}

	lastLog := time.Now()
	next := from // the next offset wanted
	idle := 0
	for next < end.Offset {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		fs := cl.PollRecords(pctx, 50000)
		cancel()
		if ctx.Err() != nil {
			return finish(ctx.Err())
		}
		var ferr error
		fs.EachError(func(_ string, _ int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				ferr = err
			}
		})
		if ferr != nil {
			return finish(fmt.Errorf("read %s[%d] at %d: %w", o.Topic, o.Partition, next, ferr))
		}
		batch := make([]Change, 0, fs.NumRecords())
		last := int64(-1)
		var kerr error
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset >= end.Offset || kerr != nil {
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
					kerr = fmt.Errorf("read %s[%d]@%d: key: %w", o.Topic, o.Partition, r.Offset, err)
					return
				}
			}
			batch = append(batch, Change{Key: key, Value: r.Value})
		})
		if kerr != nil {
			return finish(kerr)
		}
		if last < 0 {
			// Nothing below the end: what is left are transaction
			// markers or records of aborted transactions.
			if idle++; idle >= 3 {
				break
			}
			continue
		}
		idle = 0
		select {
		case work <- applyBatch{batch, last}:
		case err := <-applied:
			applied <- err
			return finish(nil)
		}
		next = last + 1
		if time.Since(lastLog) >= o.ProgressEvery {
			lastLog = time.Now()
			elapsed := time.Since(began).Seconds()
			rate := float64(next-from) / elapsed
			eta := time.Duration(float64(end.Offset-next) / max(rate, 1) * float64(time.Second))
			o.Logger.Info("restoring table", "table", o.Table, "partition", o.Partition, "records", replayed.Load(),
				"offset", next, "end", end.Offset, "rate", int64(rate), "eta", eta.Round(time.Second))
		}
	}
	return finish(nil)
}
