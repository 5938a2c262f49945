package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/faustgen/faustgen/runtime"
	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
)

// Confluent wire framing: a zero magic byte, the 4-byte big-endian schema
// id, then the Avro body.
const (
	frameMagic  = 0
	frameHeader = 5
)

// schemaIDs are the registry ids of one topic's key and value schemas.
type schemaIDs struct {
	key, value int
}

// registry registers schemas and looks up writer schemas by id, caching
// them.
type registry struct {
	url      string // the registry's URL without credentials
	cl       *sr.Client
	resolver runtime.Resolver // Config.Resolver; nil: the built-in plans
	mu       sync.Mutex
	byID     map[int]string               // schema text by id; "" caches an unknown id
	refs     map[int][]sr.SchemaReference // references of the schemas in byID
	notAvro  map[int]sr.SchemaType        // ids of schemas of another type
	plans    planCache
}

// newRegistry returns a registry client for rawURL. Credentials in the
// URL (https://user:secret@host/) are taken out of it and sent as HTTP
// basic auth instead (Config.RegistryUser/RegistryPassword win), so the
// client, and every error it returns, only knows the URL without them.
func newRegistry(cfg runtime.Config, rawURL string) (*registry, error) {
	clean, user, pass := splitURLCredentials(rawURL)
	if cfg.RegistryUser != "" {
		user, pass = cfg.RegistryUser, cfg.RegistryPassword
	}
	opts := []sr.ClientOpt{sr.URLs(clean)}
	if user != "" {
		opts = append(opts, sr.BasicAuth(user, pass))
	}
	cl, err := sr.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("schema registry client for %s: %w", clean, err)
	}
	return &registry{url: clean, cl: cl, resolver: cfg.Resolver, byID: map[int]string{}}, nil
}

// register registers schema under subject (setting the subject's
// compatibility level first when compat is not empty) and returns its id.
// A refusal names the subject and carries the registry's reason.
func (r *registry) register(ctx context.Context, subject, schema, compat string) (int, error) {
	if compat != "" {
		var level sr.CompatibilityLevel
		if err := level.UnmarshalText([]byte(compat)); err != nil {
			return 0, fmt.Errorf("subject %s: compatibility %q: %w", subject, compat, err)
		}
		for _, res := range r.cl.SetCompatibility(ctx, sr.SetCompatibility{Level: level}, subject) {
			if res.Err != nil {
				return 0, fmt.Errorf("set compatibility %s on subject %s: %w", compat, subject, res.Err)
			}
		}
	}
	ss, err := r.cl.CreateSchema(ctx, subject, sr.Schema{Schema: schema, Type: sr.TypeAvro})
	for try := 0; try < 5 && isCreateRace(err); try++ {
		// Instances starting together register the same new subject at
		// once; a registry that refuses the losers because the subject
		// now exists (Apicurio) answers the same request on a retry.
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(50*(try+1)) * time.Millisecond):
		}
		ss, err = r.cl.CreateSchema(ctx, subject, sr.Schema{Schema: schema, Type: sr.TypeAvro})
	}
	if err != nil {
		return 0, fmt.Errorf("register schema under subject %s: the registry refused it: %w", subject, err)
	}
	r.mu.Lock()
	r.byID[ss.ID] = schema
	r.mu.Unlock()
	return ss.ID, nil
}

// writerSchema returns the schema of id, or *UnknownSchemaIDError.
func (r *registry) writerSchema(ctx context.Context, id int) (string, error) {
	r.mu.Lock()
	s, ok := r.byID[id]
	r.mu.Unlock()
	if ok {
		if s == "" {
			return "", &runtime.UnknownSchemaIDError{ID: id}
		}
		return s, nil
	}
	sch, err := r.cl.SchemaByID(ctx, id)
	if err != nil {
		var re *sr.ResponseError
		if errors.As(err, &re) && re.StatusCode == 404 {
			r.mu.Lock()
			r.byID[id] = ""
			r.mu.Unlock()
			return "", &runtime.UnknownSchemaIDError{ID: id}
		}
		return "", fmt.Errorf("look up schema id %d: %w", id, err)
	}
	r.mu.Lock()
	r.byID[id] = sch.Schema
	if len(sch.References) > 0 {
		if r.refs == nil {
			r.refs = map[int][]sr.SchemaReference{}
		}
		r.refs[id] = sch.References
	}
	if sch.Type != sr.TypeAvro {
		if r.notAvro == nil {
			r.notAvro = map[int]sr.SchemaType{}
		}
		r.notAvro[id] = sch.Type
	}
	r.mu.Unlock()
	return sch.Schema, nil
}

var writerPool = sync.Pool{New: func() any { return avro.NewWriter(nil, 256) }}

// putFrameHeader writes the Confluent header of schema id into b[:5].
func putFrameHeader(b []byte, id int) {
	b[0] = 0
	binary.BigEndian.PutUint32(b[1:frameHeader], uint32(id))
}

// appendFrame appends the Confluent frame of v (schema id) to w's buffer.
// Its callers recover from a panicking encoder.
func appendFrame[T any](w *avro.Writer, c *runtime.Codec[T], id int, v *T) error {
	var hdr [frameHeader]byte
	putFrameHeader(hdr[:], id)
	_, _ = w.Write(hdr[:])
	c.Encode(w, v)
	return w.Error
}

// encodeFrame returns the Confluent frame of v (schema id).
func encodeFrame[T any](c *runtime.Codec[T], id int, v *T) (_ []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in %s encoder: %v", c.Type, p)
		}
	}()
	w := avro.NewWriter(nil, 64)
	if err := appendFrame(w, c, id, v); err != nil {
		return nil, err
	}
	return w.Buffer(), nil
}

var readerPool = sync.Pool{New: func() any { return avro.NewReader(nil, 0, avro.WithReaderConfig(readerConfig)) }}

// decodeFrame decodes a Confluent-framed Avro value of type T.
func decodeFrame[T any](ctx context.Context, reg *registry, c *runtime.Codec[T], want int, b []byte) (v T, err error) {
	err = decodeFrameInto(ctx, reg, nil, c, want, b, &v)
	return v, err
}

// decodeFrameInto decodes a Confluent-framed Avro value of type T into
// dst, with r (nil: one from a pool).
func decodeFrameInto[T any](ctx context.Context, reg *registry, r *avro.Reader, c *runtime.Codec[T], want int, b []byte, dst *T) error {
	if len(b) < frameHeader {
		return fmt.Errorf("%w (got %d)", runtime.ErrShortFrame, len(b))
	}
	if b[0] != frameMagic {
		return fmt.Errorf("%w 0x%02x, want 0x00 (not Confluent-framed Avro)", runtime.ErrBadMagic, b[0])
	}
	id := int(binary.BigEndian.Uint32(b[1:frameHeader]))
	body := b[frameHeader:]
	if id != want {
		if reg.resolver == nil {
			return decodeResolved(ctx, reg, r, c, id, want, body, dst)
		}
		writer, err := reg.writerSchema(ctx, id)
		if err != nil {
			return err
		}
		if schema := c.FullSchema(); writer != schema {
			body, err = reg.resolver.Resolve(ctx, id, writer, schema, body)
			if err != nil {
				return fmt.Errorf("resolve schema id %d to %s: %w", id, c.Type, err)
			}
		}
	}
	return decodeBody(r, c, body, dst)
}

func decodeBody[T any](r *avro.Reader, c *runtime.Codec[T], body []byte, dst *T) (err error) {
	if r == nil {
		r = readerPool.Get().(*avro.Reader)
		defer readerPool.Put(r)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %s: %v", runtime.ErrCorruptBody, c.Type, p)
		}
		r.Error = nil
		r.Reset(nil)
	}()
	r.Reset(body)
	c.Decode(r, dst)
	if r.Error != nil {
		return fmt.Errorf("%w: %s: %w", runtime.ErrCorruptBody, c.Type, r.Error)
	}
	return nil
}

func metaOf(rec *kgo.Record) runtime.RecordMeta {
	m := runtime.RecordMeta{Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset, Timestamp: rec.Timestamp}
	if len(rec.Headers) > 0 {
		m.Headers = make([]runtime.Header, len(rec.Headers))
		for i, h := range rec.Headers {
			m.Headers[i] = runtime.Header{Key: h.Key, Value: h.Value}
		}
	}
	return m
}

func decodeValue[K, V any](t *Task, topic *Topic[K, V], dst *V) error {
	ids := t.app.ids[topic.Name]
	if err := decodeFrameInto(t.ctx, t.app.reg, t.reader, &topic.Value, ids.value, t.rec.Value, dst); err != nil {
		return &runtime.DecodeError{Part: "value", Record: t.Record(), Err: err}
	}
	return nil
}

// recordPool recycles the records that sinks produce: franz-go does not
// touch a record after calling its promise, which puts it back.
var recordPool = sync.Pool{New: func() any { return new(kgo.Record) }}

func releaseRecord(r *kgo.Record) {
	*r = kgo.Record{}
	recordPool.Put(r)
}

// encodeRecord builds the Kafka record of key and value for topic.
// sharedWriter is a writer that one partition's sends use when no other
// send of the partition holds it (sends of one record may run
// concurrently; then the others take pooled writers).
type sharedWriter struct {
	busy atomic.Bool
	w    *avro.Writer
}

func encodeRecord[K, V any](a *App, topic *Topic[K, V], key *K, value *V, headers []runtime.Header) (*kgo.Record, error) {
	return encodeRecordWith(nil, a, topic, key, value, headers)
}

// encodeRecordWith is encodeRecord with sw's writer when it is free.
func encodeRecordWith[K, V any](sw *sharedWriter, a *App, topic *Topic[K, V], key *K, value *V, headers []runtime.Header) (_ *kgo.Record, err error) {
	ids, ok := a.ids[topic.Name]
	if !ok {
		return nil, fmt.Errorf("topic %s is not part of app %s", topic.Name, a.spec.ID)
	}
	// Both frames go into one pooled buffer, then one exact-size copy that
	// the record's key and value share.
	var w *avro.Writer
	own := sw != nil && sw.busy.CompareAndSwap(false, true)
	if own {
		w = sw.w
	} else {
		w = writerPool.Get().(*avro.Writer)
	}
	part := "key"
	defer func() {
		if p := recover(); p != nil {
			err = &runtime.EncodeError{Part: part, Topic: topic.Name, Err: fmt.Errorf("panic in %s encoder: %v", part, p)}
		}
		w.Error = nil
		w.Reset(nil)
		if own {
			sw.busy.Store(false)
		} else {
			writerPool.Put(w)
		}
	}()
	if err := appendFrame(w, &topic.Key, ids.key, key); err != nil {
		return nil, &runtime.EncodeError{Part: "key", Topic: topic.Name, Err: err}
	}
	kn := w.Buffered()
	part = "value"
	if err := appendFrame(w, &topic.Value, ids.value, value); err != nil {
		return nil, &runtime.EncodeError{Part: "value", Topic: topic.Name, Err: err}
	}
	buf := append([]byte(nil), w.Buffer()...)
	kb, vb := buf[:kn:kn], buf[kn:]
	rec := recordPool.Get().(*kgo.Record)
	rec.Topic, rec.Key, rec.Value = topic.Name, kb, vb
	if len(headers) > 0 {
		rec.Headers = make([]kgo.RecordHeader, len(headers))
		for i, h := range headers {
			rec.Headers[i] = kgo.RecordHeader{Key: h.Key, Value: h.Value}
		}
	}
	return rec, nil
}

// splitURLCredentials returns rawURL without its user info, and the user
// and password it held. A URL that does not parse is returned redacted as
// a whole when it seems to hold credentials ('@' before the host's end).
func splitURLCredentials(rawURL string) (clean, user, pass string) {
	u, err := url.Parse(rawURL)
	if err != nil {
		if strings.Contains(rawURL, "@") {
			return "(unparsable registry URL, redacted)", "", ""
		}
		return rawURL, "", ""
	}
	if u.User == nil {
		return rawURL, "", ""
	}
	user = u.User.Username()
	pass, _ = u.User.Password()
	u.User = nil
	return u.String(), user, pass
}

// isCreateRace says whether err is a registry's refusal of a schema
// because its subject was created concurrently ("already exists"), as
// opposed to an incompatibility.
func isCreateRace(err error) bool {
	var re *sr.ResponseError
	return errors.As(err, &re) && strings.Contains(strings.ToLower(re.Message), "already exists")
}
