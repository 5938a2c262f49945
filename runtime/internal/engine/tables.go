package engine

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/faustgen/faustgen/runtime"
	"github.com/faustgen/faustgen/runtime/internal/tables"
	"github.com/hamba/avro/v2"
)

// TableSpec declares one table of the topology.
type TableSpec struct {
	// Name is the topology key; the changelog topic is
	// "<app>-<name>-changelog".
	Name string
	// Partitions is the partition count, equal to the source topics'.
	Partitions int32
	// Global tables are held whole (every partition) by every instance,
	// kept current with their Source topic, and read-only in agents
	// (lookups). An instance processes nothing until its global tables
	// have caught up with the end offsets it saw at start.
	Global bool
	// Window is nil for a plain table.
	Window *WindowSpec
	// KeyType and ValueType are the Avro type names of keys and values.
	KeyType, ValueType string
}

// WindowSpec is a table's windowing: tumbling (Tumbling set), hopping
// (Hopping and Step set) or session windows (Session, the inactivity gap,
// set: see SessionTable). A window closes once stream time (the highest
// time written to the table partition) passes its end plus Grace: later
// writes to it are late. It is deleted (and tombstoned in the changelog)
// once stream time passes its end plus Expires.
type WindowSpec struct {
	Tumbling time.Duration
	Hopping  time.Duration
	Step     time.Duration
	Session  time.Duration
	Expires  time.Duration
	Grace    time.Duration
}

// TableDef is a typed table of the topology: generated code declares one
// per table and agents reach it through TableOf.
type TableDef[K, V any] struct {
	TableSpec
	Key   runtime.Codec[K]
	Value runtime.Codec[V]
	// Source, when set, is the topic the table is read from: the topic is
	// its changelog (there is no second copy), and it is written by
	// sending to that topic (a sink or a producer), not through the
	// table. A sourced table is read-only in agents; one that is not
	// global is partitioned like its agents' source topic. A global table
	// needs a Source.
	Source *Topic[K, V]
}

// AnyTable is any *TableDef[K, V]; AppSpec and Agent list tables with it.
// Only *TableDef[K, V] satisfies it.
type AnyTable interface {
	tableSpec() *TableSpec
	changelog(appID string) AnyTopic
	sourceTopic() AnyTopic
}

func (d *TableDef[K, V]) tableSpec() *TableSpec { return &d.TableSpec }

func (d *TableDef[K, V]) sourceTopic() AnyTopic {
	if d.Source == nil {
		return nil
	}
	return d.Source
}

// changelog returns the table's changelog as a topic: compacted, with the
// table's partitions, keys and values framed with the table's types. A
// windowed table's keys are its window key records (windows.go), and its
// changelog also deletes records older than its windows live.
func (d *TableDef[K, V]) changelog(appID string) AnyTopic {
	if d.Source != nil {
		return d.Source
	}
	spec := TopicSpec{Name: changelogName(appID, d.Name), Partitions: d.Partitions, Config: map[string]string{"cleanup.policy": "compact"}}
	if w := d.Window; w != nil {
		size := max(w.Tumbling, w.Hopping, w.Session)
		keep := size + max(w.Expires, w.Grace) + 24*time.Hour
		spec.Config = map[string]string{"cleanup.policy": "compact,delete", "retention.ms": strconv.FormatInt(keep.Milliseconds(), 10)}
		return &Topic[windowed[K], V]{TopicSpec: spec, Key: windowKeyCodec(d.Name, d.Key), Value: d.Value}
	}
	return &Topic[K, V]{TopicSpec: spec, Key: d.Key, Value: d.Value}
}

func changelogName(appID, table string) string { return appID + "-" + table + "-changelog" }

// tableState is a table as the App runs it.
type tableState struct {
	index     int
	def       AnyTable
	spec      *TableSpec
	changelog AnyTopic
	source    string // the source topic of the agents that write it
	// closers are the agents' hooks on the table's closing windows.
	closers []closerBinding
	// sourced tables follow their source topic (changelog is it);
	// global holds a global table's one store of every partition.
	sourced bool
	global  *tablePart
}

type closerBinding struct {
	agent  *agentState
	closer WindowCloser
}

// tablePart is one table partition owned by this instance: its store and
// the writes not stored yet.
type tablePart struct {
	table     *tableState
	partition int32
	store     *tables.Store
	overlay   *tables.Overlay
	ids       schemaIDs        // the changelog's
	win       *windowState     // a windowed table's clock; nil for a plain table
	follower  *tables.Follower // a sourced table's reader of its topic

	// writes are overlay versions allocated together and handed out one
	// per write (a slab lives until its last write is stored).
	writesMu sync.Mutex
	writes   []tables.Version
	// unsent is the commit's scratch of what it sends to the changelog
	// (the commit loop, or the poll loop under exactly-once, only).
	unsent []*tables.Version
}

// changelogSlab is how many versions a table partition allocates at once.
const changelogSlab = 64

// newWrite returns a version of p to put in its overlay.
func (p *tablePart) newWrite() *tables.Version {
	p.writesMu.Lock()
	if len(p.writes) == 0 {
		p.writes = make([]tables.Version, changelogSlab)
	}
	w := &p.writes[0]
	p.writes = p.writes[1:]
	p.writesMu.Unlock()
	return w
}

// table is the handle an agent's context gets: one per (partition,
// agent, table), reused for every record.
type table[K, V any] struct {
	task *Task
	def  *TableDef[K, V]
	part *tablePart
	w    *avro.Writer // key encoding scratch
	vw   *avro.Writer // value encoding scratch
	// k and v hold the key and value being encoded: the codecs take
	// pointers, and a pointer to an argument would move it to the heap
	// on every call.
	k      K
	v, got V
}

// TableOf returns the read-write table def for the record t is
// processing, partitioned like t's source.
func TableOf[K, V any](t *Task, def *TableDef[K, V]) runtime.Table[K, V] {
	return tableHandle(t, def)
}

// ReadTableOf returns the read-only table def for the record t is
// processing.
func ReadTableOf[K, V any](t *Task, def *TableDef[K, V]) runtime.ReadTable[K, V] {
	return tableHandle(t, def)
}

func tableHandle[K, V any](t *Task, def *TableDef[K, V]) *table[K, V] {
	st := t.app.tableStateOf(def)
	if st == nil {
		return &table[K, V]{task: t, def: def}
	}
	slot := t.tableSlot(st)
	h, _ := (*slot).(*table[K, V])
	if h == nil || h.task != t {
		h = &table[K, V]{task: t, def: def, w: avro.NewWriter(nil, 64)}
		*slot = h
	}
	if h.part == nil || h.part.partition != t.rec.Partition {
		h.part = t.app.tablePartOf(st, t.rec.Partition)
	}
	return h
}

// tableSlot returns where t keeps its handle of table st.
func (t *Task) tableSlot(st *tableState) *any { return handleSlot(&t.tables, st.index) }

// handleSlot returns entry i of a Task's handles, growing them to hold it.
func handleSlot(handles *[]any, i int) *any {
	for len(*handles) <= i {
		*handles = append(*handles, nil)
	}
	return &(*handles)[i]
}

func (h *table[K, V]) usable() error {
	switch {
	case h.def == nil:
		return errors.New("table of a nil definition")
	case h.part == nil:
		return fmt.Errorf("table %s: not available to agent %s on %s[%d] (not in the topology's tables of the agent, or its partition is not owned here)",
			h.def.Name, h.task.agent.name, h.task.rec.Topic, h.task.rec.Partition)
	}
	return nil
}

// keyBody returns the Avro body of key, in h's scratch (valid until the
// next call).
func (h *table[K, V]) keyBody(key K) (b []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &runtime.EncodeError{Part: "key", Topic: h.def.Name, Err: fmt.Errorf("panic in key encoder: %v", p)}
		}
	}()
	h.w.Reset(nil)
	h.w.Error = nil
	h.k = key
	h.def.Key.Encode(h.w, &h.k)
	if h.w.Error != nil {
		return nil, &runtime.EncodeError{Part: "key", Topic: h.def.Name, Err: h.w.Error}
	}
	return h.w.Buffer(), nil
}

// Get returns the value of key: the newest write made here if any, else
// the store's.
func (h *table[K, V]) Get(key K) (V, bool, error) {
	var zero V
	if err := h.usable(); err != nil {
		return zero, false, err
	}
	kb, err := h.keyBody(key)
	if err != nil {
		return zero, false, err
	}
	return h.getStored(kb)
}

// getStored returns the value of store key sk: the newest write made here
// if any, else the store's.
func (h *table[K, V]) getStored(sk []byte) (V, bool, error) {
	return h.getFrom(sk, true)
}

// getFrom is getStored that reads the store only when inStore (the caller
// knows when the store cannot hold sk).
func (h *table[K, V]) getFrom(sk []byte, inStore bool) (V, bool, error) {
	var zero V
	framed, ok := h.part.overlay.Get(sk)
	if !ok && inStore {
		var err error
		framed, ok, err = h.part.store.Get(sk)
		if err != nil {
			return zero, false, fmt.Errorf("table %s[%d]: %w", h.def.Name, h.part.partition, err)
		}
	}
	if !ok || framed == nil {
		return zero, false, nil
	}
	h.got = zero // decoded into from zero: nothing of the last value is reused
	if err := h.decode(framed, &h.got); err != nil {
		return zero, false, err
	}
	v := h.got
	h.got = zero
	return v, true, nil
}

func (h *table[K, V]) decode(framed []byte, v *V) error {
	t := h.task
	if err := decodeFrameInto(t.ctx, t.app.reg, nil, &h.def.Value, h.part.ids.value, framed, v); err != nil {
		return fmt.Errorf("table %s[%d]: decode value: %w", h.def.Name, h.part.partition, err)
	}
	return nil
}

// Put sets key to value: the write is kept in the partition's overlay,
// sent to the changelog before the next commit (the newest write of each
// key only) and stored once that commit covers the record being
// processed.
func (h *table[K, V]) Put(key K, value V) error { return h.write(key, value, false) }

// Delete removes key: a tombstone goes to the changelog.
func (h *table[K, V]) Delete(key K) error {
	var zero V
	return h.write(key, zero, true)
}

func (h *table[K, V]) write(key K, value V, del bool) error {
	if err := h.usable(); err != nil {
		return err
	}
	if err := h.writable(); err != nil {
		return err
	}
	kb, err := h.keyBody(key)
	if err != nil {
		return err
	}
	var vb []byte
	if !del {
		if vb, err = h.valueBody(value); err != nil {
			return err
		}
	}
	h.task.app.writeChange(h.task, h.part, kb, kb, vb, del)
	return nil
}

// writable says whether h may write now: while its task processes a
// record whose partition this instance still owns.
func (h *table[K, V]) writable() error {
	t := h.task
	if g := t.gen.Load(); g&1 == 0 {
		return fmt.Errorf("table %s used after the processing it was made for returned", h.def.Name)
	}
	if t.track == nil {
		return fmt.Errorf("table %s: no record being processed", h.def.Name)
	}
	if err := t.track.Alive(); err != nil {
		return fmt.Errorf("table %s: %w", h.def.Name, err)
	}
	return nil
}

// writeChange writes one change of table partition part for the record t
// processes into the overlay, under storeKey, with the changelog key body
// clKey and the value body vb (a tombstone when del). The commit that
// covers the record first sends the newest change of each key to the
// changelog (sendChangelogs) and waits for Kafka to acknowledge it.
func (a *App) writeChange(t *Task, part *tablePart, storeKey, clKey, vb []byte, del bool) {
	// The framed key and value, and the store key the overlay keeps, in
	// one buffer.
	n := frameHeader + len(clKey)
	buf := make([]byte, n+len(storeKey), n+len(storeKey)+frameHeader+len(vb))
	putFrameHeader(buf, part.ids.key)
	copy(buf[frameHeader:], clKey)
	body := buf[n:]
	copy(body, storeKey)
	framedKey := buf[:n:n]
	var framedValue []byte
	if !del {
		framedValue = buf[len(buf) : len(buf)+frameHeader+len(vb)]
		putFrameHeader(framedValue, part.ids.value)
		copy(framedValue[frameHeader:], vb)
	}
	part.overlay.Put(body, framedKey, framedValue, t.track.Offset(), part.newWrite())
}

// valueBody returns the Avro body of value, in h's scratch.
func (h *table[K, V]) valueBody(value V) (b []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &runtime.EncodeError{Part: "value", Topic: h.def.Name, Err: fmt.Errorf("panic in value encoder: %v", p)}
		}
	}()
	if h.vw == nil {
		h.vw = avro.NewWriter(nil, 64)
	}
	h.vw.Reset(nil)
	h.vw.Error = nil
	h.v = value
	h.def.Value.Encode(h.vw, &h.v)
	if h.vw.Error != nil {
		return nil, &runtime.EncodeError{Part: "value", Topic: h.def.Name, Err: h.vw.Error}
	}
	return h.vw.Buffer(), nil
}

// All calls fn with every key and value of the partition in the keys'
// encoded byte order, newest writes first.
func (h *table[K, V]) All(fn func(K, V) bool) error {
	if err := h.usable(); err != nil {
		return err
	}
	return h.scan(nil, nil, fn)
}

// Range calls fn with every key in [from, to) and its value, in the keys'
// encoded byte order, newest writes first.
func (h *table[K, V]) Range(from, to K, fn func(K, V) bool) error {
	if err := h.usable(); err != nil {
		return err
	}
	lo, err := h.keyBody(from)
	if err != nil {
		return err
	}
	lo = append([]byte(nil), lo...)
	hi, err := h.keyBody(to)
	if err != nil {
		return err
	}
	return h.scan(lo, append([]byte(nil), hi...), fn)
}

// scan calls fn with every key in [lo, hi) (nil: unbounded) of the store
// and the overlay, the overlay's newer writes winning.
func (h *table[K, V]) scan(lo, hi []byte, fn func(K, V) bool) error {
	type kv struct {
		key   string
		value []byte
	}
	var pending []kv
	h.part.overlay.Each(func(k string, v []byte) bool {
		if k >= string(lo) && (hi == nil || k < string(hi)) {
			pending = append(pending, kv{key: k, value: v})
		}
		return true
	})
	slices.SortFunc(pending, func(a, b kv) int { return strings.Compare(a.key, b.key) })
	var ferr error
	stop := false
	r := avro.NewReader(nil, 0, avro.WithReaderConfig(h.task.app.readerAPI))
	emit := func(kb, framed []byte) bool {
		if framed == nil {
			return true // deleted
		}
		var k K
		r.Reset(kb)
		h.def.Key.Decode(r, &k)
		if r.Error != nil {
			ferr = fmt.Errorf("table %s[%d]: decode key: %w", h.def.Name, h.part.partition, r.Error)
			return false
		}
		var v V
		if ferr = h.decode(framed, &v); ferr != nil {
			return false
		}
		if !fn(k, v) {
			stop = true
			return false
		}
		return true
	}
	i := 0
	if hi != nil && bytes.Compare(lo, hi) >= 0 {
		return nil
	}
	err := h.part.store.Scan(lo, hi, func(kb, framed []byte) bool {
		for i < len(pending) && pending[i].key < string(kb) {
			if !emit([]byte(pending[i].key), pending[i].value) {
				return false
			}
			i++
		}
		if i < len(pending) && pending[i].key == string(kb) {
			framed = pending[i].value // the newer write
			i++
		}
		return emit(kb, framed)
	})
	if err != nil {
		return fmt.Errorf("table %s[%d]: %w", h.def.Name, h.part.partition, err)
	}
	for ; ferr == nil && !stop && i < len(pending); i++ {
		if !emit([]byte(pending[i].key), pending[i].value) {
			break
		}
	}
	return ferr
}
