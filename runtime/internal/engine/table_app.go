package engine

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/faustgen/faustgen/runtime"
	"github.com/faustgen/faustgen/runtime/internal/tables"
	"github.com/faustgen/faustgen/runtime/internal/transport"
	"github.com/twmb/franz-go/pkg/kgo"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// How an App runs its tables: each table partition follows the partition
// of the same number of its agents' source topic, through the partition
// lifecycle's hooks (runtime/internal/transport/partition.go):
//
//	Start         open the partition's store and restore it from the
//	              changelog (the source partition stays paused meanwhile)
//	PreCommit     send the newest write of each key the records the commit
//	              covers made, not sent yet, to the changelog, and wait
//	              for Kafka to acknowledge them (under exactly-once: in
//	              the transaction, before the producer is flushed)
//	BeforeCommit  store what the overlay holds for the records the commit
//	              covers, with the changelog offset they reached, in one
//	              bbolt transaction (at-least-once)
//	Committed     the same, under exactly-once, once the Kafka
//	              transaction holding those changelog records and the
//	              input offsets committed
//	Closed        close the store (a lost partition's overlay is dropped)
//
// so a store never holds a write whose changelog record Kafka has not
// acknowledged, and never a write of a record that is not being committed
// (under exactly-once: that is not committed). An aborted transaction
// restarts the partition (transport/txn.go): Closed drops the overlay,
// Start recovers from the store's offset, replaying only committed
// changelog records (read_committed), never a wipe.

type tablePartKey struct {
	table     int
	partition int32
}

// bindTables checks and records the tables the agent ag (source src) uses.
func (a *App) bindTables(ag AnyAgent, as *agentState, src *TopicSpec, addTopic func(AnyTopic, string)) []error {
	var errs []error
	where := "agent " + ag.agentName()
	rw, ro := ag.tables()
	use := func(tb AnyTable, write bool) {
		if tb == nil {
			errs = append(errs, fmt.Errorf("%s: nil table", where))
			return
		}
		spec := tb.tableSpec()
		switch {
		case spec.Window != nil && !write:
			errs = append(errs, fmt.Errorf("%s: the windowed table %s is in its lookups: a windowed table is read and written through the agent's tables", where, spec.Name))
			return
		case spec.Window != nil && windowProblem(spec.Window) != "":
			errs = append(errs, fmt.Errorf("%s: windowed table %s: %s", where, spec.Name, windowProblem(spec.Window)))
			return
		case spec.Name == "":
			errs = append(errs, fmt.Errorf("%s: table with an empty name", where))
			return
		case spec.Global && tb.sourceTopic() == nil:
			errs = append(errs, fmt.Errorf("%s: global table %s has no source topic: a global table is read from the topic named by its source (set source: in the topology)", where, spec.Name))
			return
		case tb.sourceTopic() != nil && write:
			errs = append(errs, fmt.Errorf("%s: table %s is sourced from topic %s and is read-only: list it in the agent's lookups and write it by sending to %s", where, spec.Name, tb.sourceTopic().spec().Name, tb.sourceTopic().spec().Name))
			return
		case spec.Global && spec.Window != nil:
			errs = append(errs, fmt.Errorf("%s: table %s is global and windowed: a global table cannot be windowed", where, spec.Name))
			return
		case spec.Global:
		case tb.sourceTopic() != nil && tb.sourceTopic().spec().Partitions != src.Partitions:
			errs = append(errs, fmt.Errorf("%s: table %s is sourced from topic %s, which has %d partitions, but the agent's source topic %s has %d: a table that is not global is partitioned like its agent's source (co-partitioning)", where, spec.Name, tb.sourceTopic().spec().Name, tb.sourceTopic().spec().Partitions, src.Name, src.Partitions))
			return
		case spec.Partitions != src.Partitions:
			errs = append(errs, fmt.Errorf("%s: table %s has %d partitions but its source topic %s has %d: a table is partitioned like its agent's source (co-partitioning)", where, spec.Name, spec.Partitions, src.Name, src.Partitions))
			return
		}
		st := a.tableByDef[tb]
		if st == nil {
			st = &tableState{index: len(a.tables), def: tb, spec: spec, changelog: tb.changelog(a.spec.ID), sourced: tb.sourceTopic() != nil}
			a.tables = append(a.tables, st)
			a.tableByDef[tb] = st
			addTopic(st.changelog, "table "+spec.Name)
			if spec.Window != nil {
				a.windowedBySource[src.Name] = append(a.windowedBySource[src.Name], st)
			}
			if spec.Global {
				a.globals = append(a.globals, st)
			}
		}
		switch {
		case spec.Global:
			// Not partitioned like any source: every instance holds it whole.
		case st.source == "":
			st.source = src.Name
			a.tablesBySource[src.Name] = append(a.tablesBySource[src.Name], st)
		case st.source != src.Name:
			errs = append(errs, fmt.Errorf("%s reads or writes table %s, which agents of topic %s use too: a table follows one source topic's partitions", where, spec.Name, st.source))
		}
	}
	for _, tb := range rw {
		use(tb, true)
	}
	for _, tb := range ro {
		use(tb, false)
	}
	for _, c := range ag.windowClosers() {
		if c == nil {
			errs = append(errs, fmt.Errorf("%s: nil window closer", where))
			continue
		}
		tb := c.closerTable()
		st := a.tableByDef[tb]
		if st == nil || !slices.Contains(rw, tb) || st.spec.Window == nil {
			errs = append(errs, fmt.Errorf("%s: a window closer of table %s, which is not a windowed table in the agent's tables", where, tb.tableSpec().Name))
			continue
		}
		st.closers = append(st.closers, closerBinding{agent: as, closer: c})
	}
	return errs
}

// windowProblem says what is wrong with w, "" when nothing.
func windowProblem(w *WindowSpec) string {
	kinds := 0
	for _, d := range []time.Duration{w.Tumbling, w.Hopping, w.Session} {
		if d > 0 {
			kinds++
		}
	}
	switch {
	case kinds > 1:
		return "a window is tumbling, hopping or session, one of them"
	case kinds == 0:
		return "a window needs a size (Tumbling, or Hopping with Step) or a Session gap"
	case w.Session%time.Millisecond != 0:
		return "a session gap is whole milliseconds"
	case w.Hopping > 0 && (w.Step <= 0 || w.Step > w.Hopping || w.Hopping%w.Step != 0):
		return fmt.Sprintf("hopping window %s needs a step that divides it evenly (step %s)", w.Hopping, w.Step)
	case w.Tumbling%time.Millisecond != 0 || w.Hopping%time.Millisecond != 0 || w.Step%time.Millisecond != 0:
		return "window sizes are whole milliseconds"
	case w.Grace < 0 || w.Expires < 0:
		return "grace and expires cannot be negative"
	case w.Expires < w.Grace:
		return fmt.Sprintf("expires %s is shorter than the grace %s: windows would be deleted before they close", w.Expires, w.Grace)
	}
	return ""
}

func (a *App) tableStateOf(def AnyTable) *tableState { return a.tableByDef[def] }

func (a *App) tablePartOf(st *tableState, partition int32) *tablePart {
	if st.spec.Global {
		return st.global
	}
	a.partsMu.Lock()
	defer a.partsMu.Unlock()
	return a.parts[tablePartKey{st.index, partition}]
}

// tableHooks are the partition lifecycle hooks of an App with tables.
// Under exactly-once the overlays are stored once the transaction holding
// their changelog records committed (Committed), not before the commit:
// a store then holds only committed changelog records, and a crash
// replays only the changelog tail written after the last store.
func (a *App) tableHooks() transport.Hooks {
	if len(a.tables) == 0 {
		return transport.Hooks{}
	}
	if a.spec.Guarantee == ExactlyOnce {
		return transport.Hooks{
			Start:     a.restoreTables,
			PreCommit: a.sendChangelogs,
			Committed: a.storeTables,
			Closed:    a.closeTables,
		}
	}
	return transport.Hooks{
		Start:        a.restoreTables,
		PreCommit:    a.sendChangelogs,
		BeforeCommit: a.storeTables,
		Closed:       a.closeTables,
	}
}

// sendChangelogs sends to the changelogs of partition p's tables the
// newest write of each key made by the records before offset that is not
// sent yet (one record per key per commit, however often the key was
// written), and returns a wait for their acknowledgement. A failed
// delivery fails the partition: its offset is not committed, and the
// group stops.
func (a *App) sendChangelogs(ctx context.Context, p *transport.Partition, offset int64) func() error {
	var b *changelogBatch
	var pctx context.Context
	for _, st := range a.tablesBySource[p.Topic] {
		if st.sourced {
			continue // written through its topic
		}
		part := a.tablePartOf(st, p.Partition)
		if part == nil {
			continue
		}
		vs := part.overlay.Unsent(offset, part.unsent[:0])
		if len(vs) == 0 {
			continue
		}
		if b == nil {
			b = &changelogBatch{p: p, offset: offset}
			pctx = context.WithoutCancel(ctx) // a stop lets the commit's records complete
		}
		topic := st.changelog.spec().Name
		recs := make([]changelogRecord, len(vs))
		b.wg.Add(len(vs))
		for i, v := range vs {
			r := &recs[i]
			r.Context, r.v, r.b, r.table = pctx, v, b, st.spec.Name
			r.rec = kgo.Record{Topic: topic, Partition: p.Partition, Key: v.ChangelogKey(), Value: v.Value(), Context: r}
			a.client.Produce(pctx, &r.rec, changelogPromise)
		}
		clear(vs)
		part.unsent = vs[:0]
	}
	if b == nil {
		return nil
	}
	return b.wait
}

// changelogBatch is what one commit of one partition sends to its
// tables' changelogs.
type changelogBatch struct {
	p      *transport.Partition
	offset int64 // the offset to commit
	wg     sync.WaitGroup
	mu     sync.Mutex
	err    error // the first delivery failure
}

// changelogRecord is one changelog record of a batch, and its record's
// Context.
type changelogRecord struct {
	context.Context
	rec   kgo.Record
	v     *tables.Version
	b     *changelogBatch
	table string
}

// changelogPromise completes a changelog record: the overlay learns its
// offset.
func changelogPromise(r *kgo.Record, err error) {
	c := r.Context.(*changelogRecord)
	if err != nil {
		c.b.mu.Lock()
		if c.b.err == nil {
			before := "every record processed"
			if c.b.offset != math.MaxInt64 {
				before = "the records before offset " + strconv.FormatInt(c.b.offset, 10)
			}
			c.b.err = fmt.Errorf("write table %s to its changelog %s[%d] (the change of %s[%d] at offset %d, for the commit of %s): %w",
				c.table, r.Topic, r.Partition, c.b.p.Topic, c.b.p.Partition, c.v.Input(), before, err)
		}
		c.b.mu.Unlock()
	} else {
		c.v.Acked(r.Offset)
	}
	c.b.wg.Done()
}

// wait waits for the batch's acknowledgements; a failure fails its
// partition.
func (b *changelogBatch) wait() error {
	b.wg.Wait()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		b.p.Fail(b.err)
	}
	return b.err
}

// lockStateDir takes the state dir of this App, refusing one another live
// process holds.
func (a *App) lockStateDir() error {
	if len(a.tables) == 0 && !(a.spec.Guarantee == ExactlyOnce && len(a.agents) > 0) {
		return nil // under exactly-once the lock also keeps the transactional id to one process
	}
	a.stateDir = filepath.Join(a.cfg.StateDir, a.spec.ID)
	if err := os.MkdirAll(a.stateDir, 0o755); err != nil {
		return fmt.Errorf("state dir %s: %w", a.stateDir, err)
	}
	lock := filepath.Join(a.stateDir, "LOCK")
	db, err := bolt.Open(lock, 0o644, &bolt.Options{Timeout: 2 * time.Second})
	if errors.Is(err, berrors.ErrTimeout) {
		return fmt.Errorf("state dir %s is in use by another live instance (it holds %s): give each instance its own Config.StateDir (%s)", a.stateDir, lock, runtime.EnvStateDir)
	}
	if err != nil {
		return fmt.Errorf("state dir %s: lock %s: %w", a.stateDir, lock, err)
	}
	a.stateLock = db
	return nil
}

// startGlobals opens the global tables' stores and catches each up with
// its source topic; they keep following it until the App stops.
func (a *App) startGlobals(ctx context.Context) error {
	for _, st := range a.globals {
		path := filepath.Join(a.stateDir, st.spec.Name, "global.db")
		store, err := tables.Open(path, 10*time.Second, a.log)
		if err != nil {
			return err
		}
		src := st.changelog.spec().Name
		f, err := tables.Follow(ctx, store, tables.FollowOptions{Client: a.connOpts, Table: st.spec.Name, Topic: src, Logger: a.log})
		if err != nil {
			store.Close()
			return fmt.Errorf("global table %s: read its source topic %s: %w", st.spec.Name, src, err)
		}
		a.log.Info("global table ready", "table", st.spec.Name, "source", src, "replayed", f.Replayed, "seconds", f.Took.Seconds())
		st.global = &tablePart{table: st, partition: -1, store: store, overlay: tables.NewOverlay(), ids: a.ids[src], follower: f}
	}
	return nil
}

// stopGlobals stops following the global tables and closes their stores.
func (a *App) stopGlobals() {
	for _, st := range a.globals {
		if g := st.global; g != nil {
			st.global = nil
			g.follower.Close()
			if err := g.store.Close(); err != nil {
				a.log.Warn("closing a global table store failed", "table", st.spec.Name, "err", err)
			}
		}
	}
}

// restoreTables opens and restores the tables of partition p.
func (a *App) restoreTables(ctx context.Context, p *transport.Partition) error {
	for _, st := range a.tablesBySource[p.Topic] {
		if st.spec.Global {
			continue
		}
		path := filepath.Join(a.stateDir, st.spec.Name, strconv.Itoa(int(p.Partition))+".db")
		store, err := tables.Open(path, 10*time.Second, a.log)
		if err != nil {
			return err
		}
		cl := st.changelog.spec().Name
		opts := tables.RestoreOptions{Client: a.connOpts, Table: st.spec.Name, Partition: p.Partition, Topic: cl, Logger: a.log}
		var win *windowState
		if st.spec.Window != nil {
			opts.StoreKey = windowStoreKey
			if st.spec.Window.Session > 0 {
				opts.StoreKey = sessionStoreKey
			}
			win = newWindowState(st.spec.Window)
		}
		part := &tablePart{table: st, partition: p.Partition, store: store, overlay: tables.NewOverlay(), ids: a.ids[cl], win: win}
		if st.sourced {
			f, err := tables.Follow(ctx, store, tables.FollowOptions{Client: a.connOpts, Table: st.spec.Name, Topic: cl, Partitions: []int32{p.Partition}, Logger: a.log})
			if err != nil {
				store.Close()
				return fmt.Errorf("table %s[%d]: read its source topic %s: %w", st.spec.Name, p.Partition, cl, err)
			}
			part.follower = f
			a.log.Info("table partition ready", "table", st.spec.Name, "partition", p.Partition, "replayed", f.Replayed, "seconds", f.Took.Seconds(), "source", cl)
		} else {
			res, err := tables.Restore(ctx, store, opts)
			if err == nil && win != nil {
				err = win.load(store, a.spec.Guarantee == ExactlyOnce)
			}
			if err == nil && win != nil && win.gap > 0 {
				err = win.loadSessions(store)
			}
			if err != nil {
				store.Close()
				return fmt.Errorf("restore table %s[%d] from %s: %w", st.spec.Name, p.Partition, cl, err)
			}
			a.log.Info("table partition ready", "table", st.spec.Name, "partition", p.Partition, "replayed", res.Replayed, "seconds", res.Took.Seconds(), "wiped", res.Wiped)
		}
		a.partsMu.Lock()
		a.parts[tablePartKey{st.index, p.Partition}] = part
		a.partsMu.Unlock()
	}
	return nil
}

// storeTables stores what partition p's overlays hold for the records
// before offset, which is about to be committed.
func (a *App) storeTables(_ context.Context, p *transport.Partition, offset int64) error {
	for _, st := range a.tablesBySource[p.Topic] {
		if st.sourced {
			continue // its store follows its topic
		}
		part := a.tablePartOf(st, p.Partition)
		if part == nil {
			continue
		}
		changes, cl, err := part.overlay.Flush(offset)
		if err != nil {
			return fmt.Errorf("table %s[%d]: %w", st.spec.Name, p.Partition, err)
		}
		var meta []tables.Change
		if part.win != nil {
			meta = part.win.flush(offset)
			part.win.stored(changes) // before they are: a read may go to bbolt early, never miss
		}
		if cl < 0 && meta == nil {
			continue
		}
		if err := part.store.ApplyMeta(changes, cl, meta); err != nil {
			return fmt.Errorf("table %s[%d]: %w", st.spec.Name, p.Partition, err)
		}
	}
	return nil
}

// closeTables closes partition p's stores once it is revoked or lost.
func (a *App) closeTables(p *transport.Partition) {
	for _, st := range a.tablesBySource[p.Topic] {
		if st.spec.Global {
			continue
		}
		k := tablePartKey{st.index, p.Partition}
		a.partsMu.Lock()
		part := a.parts[k]
		delete(a.parts, k)
		a.partsMu.Unlock()
		if part == nil {
			continue
		}
		part.overlay.Reset() // unstored writes: their records are not committed
		if part.follower != nil {
			part.follower.Close()
		}
		if err := part.store.Close(); err != nil {
			a.log.Warn("closing a table store failed", "table", st.spec.Name, "partition", p.Partition, "err", err)
		}
	}
}

// transactionalID is the transactional id of an exactly-once App's
// agents: "<app id>-<Config.InstanceID>" when the instance has an id,
// else "<app id>-" and a hash of the host name and the absolute state
// dir. A restarted instance (same id, or same host and state dir) gets
// the same id, which fences its previous incarnation's transaction at
// once instead of leaving it open until its timeout; two live instances
// never share one (the state dir is locked, and instance ids must
// differ).
func (a *App) transactionalID() string {
	if a.cfg.InstanceID != "" {
		return a.spec.ID + "-" + a.cfg.InstanceID
	}
	host, _ := os.Hostname()
	dir, err := filepath.Abs(a.stateDir)
	if err != nil {
		dir = a.stateDir
	}
	h := fnv.New64a()
	h.Write([]byte(host + "\x00" + dir))
	return fmt.Sprintf("%s-%016x", a.spec.ID, h.Sum64())
}
