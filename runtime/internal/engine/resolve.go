package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/faustgen/faustgen/compat"
	"github.com/faustgen/faustgen/internal/srref"
	"github.com/faustgen/faustgen/runtime"
	"github.com/faustgen/faustgen/runtime/internal/resolve"
	"github.com/hamba/avro/v2"
)

// The built-in resolver. A record whose schema id differs from the
// generated type's is read like this: the writer schema is fetched once by
// id (with its references), parsed by package compat, checked to resolve
// to the reader type (compat.Resolve, backward direction), and compiled
// into a runtime/internal/resolve.Plan, cached per (writer id, reader schema). The
// plan transcodes the body into the reader's encoding in a pooled buffer,
// and the generated decoder reads that. An unresolvable pair is cached too:
// every record of that writer id gets the same *UnresolvableSchemaError.

// planKey identifies a reader schema by its text's address and length
// (a generated Codec's Schema is a constant), so a lookup hashes no text.
type planKey struct {
	id     int
	reader *byte
	n      int
}

type planEntry struct {
	plan *resolve.Plan
	err  error // an *UnresolvableSchemaError or *UnknownSchemaIDError: final
}

// planCache maps planKey to planEntry: lock-free reads of an immutable map
// that writers copy.
type planCache struct {
	m  atomic.Pointer[map[planKey]*planEntry]
	mu sync.Mutex
}

func (pc *planCache) get(k planKey) *planEntry {
	if m := pc.m.Load(); m != nil {
		return (*m)[k]
	}
	return nil
}

func (pc *planCache) put(k planKey, e *planEntry) {
	old := pc.m.Load()
	n := make(map[planKey]*planEntry, 1)
	if old != nil {
		for k2, v := range *old {
			n[k2] = v
		}
	}
	n[k] = e
	pc.m.Store(&n)
}

// transcodePool holds the buffers bodies are transcoded into (the decoded
// value never points into them: hamba copies strings and bytes).
var transcodePool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// maxPooledTranscode is the largest buffer put back in the pool.
const maxPooledTranscode = 1 << 20

// decodeResolved decodes body, written with schema id, into dst of the
// reader type of c (schema id want) through the built-in plans.
func decodeResolved[T any](ctx context.Context, reg *registry, r *avro.Reader, c *runtime.Codec[T], id, want int, body []byte, dst *T) error {
	schema := c.FullSchema()
	key := planKey{id: id, reader: unsafe.StringData(schema), n: len(schema)}
	e := reg.plans.get(key)
	if e == nil {
		var err error
		if e, err = reg.compilePlan(ctx, key, c.Type, schema, want); err != nil {
			return err
		}
	}
	if e.err != nil {
		return e.err
	}
	if e.plan.Identity() {
		return decodeBody(r, c, body, dst)
	}
	bp := transcodePool.Get().(*[]byte)
	out, err := e.plan.Transcode((*bp)[:0], body)
	if err != nil {
		transcodePool.Put(bp)
		return fmt.Errorf("%w: %s from schema id %d: %w", runtime.ErrCorruptBody, c.Type, id, err)
	}
	err = decodeBody(r, c, out, dst)
	if cap(out) <= maxPooledTranscode {
		*bp = out[:0]
		transcodePool.Put(bp)
	}
	return err
}

// compilePlan fetches, checks and compiles the plan of key, caching the
// outcome unless it is a transient registry failure (then only the error
// is returned).
func (reg *registry) compilePlan(ctx context.Context, key planKey, typ, readerSchema string, want int) (*planEntry, error) {
	reg.plans.mu.Lock()
	defer reg.plans.mu.Unlock()
	if e := reg.plans.get(key); e != nil {
		return e, nil
	}
	e, err := reg.newPlan(ctx, key.id, typ, readerSchema, want)
	if err != nil {
		return nil, err
	}
	reg.plans.put(key, e)
	return e, nil
}

func (reg *registry) newPlan(ctx context.Context, id int, typ, readerSchema string, want int) (*planEntry, error) {
	unresolvable := func(fs []compat.Finding, err error) *planEntry {
		return &planEntry{err: &runtime.UnresolvableSchemaError{ID: id, Want: want, Type: typ, Findings: fs, Err: err}}
	}
	writer, err := reg.writerSchema(ctx, id)
	if err != nil {
		var unknown *runtime.UnknownSchemaIDError
		if errors.As(err, &unknown) {
			return &planEntry{err: err}, nil
		}
		return nil, err
	}
	reg.mu.Lock()
	refs := reg.refs[id]
	kind, other := reg.notAvro[id]
	reg.mu.Unlock()
	if other {
		return unresolvable(nil, fmt.Errorf("schema id %d is a %s schema, not Avro", id, kind)), nil
	}
	label := fmt.Sprintf("schema id %d", id)
	sources, err := srref.Sources(ctx, reg.cl, refs)
	if err != nil {
		return nil, fmt.Errorf("fetch the references of schema id %d: %w", id, err)
	}
	ws, err := compat.Parse(label, append(sources, compat.Source{Name: label, Data: []byte(writer)})...)
	if err != nil {
		return unresolvable(nil, fmt.Errorf("parse writer schema: %w", err)), nil
	}
	rlabel := "this build's " + typ
	rs, err := compat.Parse(rlabel, compat.Source{Name: rlabel, Data: []byte(readerSchema)})
	if err != nil {
		return unresolvable(nil, fmt.Errorf("parse reader schema: %w", err)), nil
	}
	plan, err := resolve.Compile(ws, rs)
	if err != nil {
		var ue *resolve.UnresolvableError
		if errors.As(err, &ue) {
			return unresolvable(ue.Findings, nil), nil
		}
		return unresolvable(nil, err), nil
	}
	return &planEntry{plan: plan}, nil
}
