package engine

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"

	"github.com/faustgen/faustgen/runtime"
	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
)

// refusingRegistry refuses every schema as incompatible.
type refusingRegistry struct{}

func (refusingRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/subjects/") {
		w.WriteHeader(http.StatusConflict)
		_ = json.NewEncoder(w).Encode(map[string]any{"error_code": 409, "message": "Schema being registered is incompatible with an earlier schema"})
		return
	}
	w.WriteHeader(http.StatusNotFound)
	_ = json.NewEncoder(w).Encode(map[string]any{"error_code": 40403, "message": "Schema not found"})
}

func syscallKill() error { return syscall.Kill(syscall.Getpid(), syscall.SIGTERM) }

func TestDecodeErrorsAreTypedAndNameTheRecord(t *testing.T) {
	srv := httptest.NewServer(refusingRegistry{}) // knows no schema id
	defer srv.Close()
	cl, err := sr.NewClient(sr.URLs(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	app := &App{reg: &registry{cl: cl, byID: map[int]string{}}, ids: map[string]schemaIDs{"page-views": {key: 1, value: 3}}}
	topic := viewTopic("page-views", 4)
	good, err := encodeFrame(&tView, 3, &view{Page: "/a", User: "u", Seq: 9})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		value []byte
		is    error
		as    any
		msg   string
	}{
		{"short frame", []byte{0, 0, 0}, runtime.ErrShortFrame, nil, "decode value of page-views[3]@1042: short frame"},
		{"bad magic", []byte("{\"json\":1}"), runtime.ErrBadMagic, nil, "decode value of page-views[3]@1042: bad magic byte 0x7b"},
		{"unknown id", append([]byte{0, 0, 0, 0, 7}, good[5:]...), nil, new(*runtime.UnknownSchemaIDError), "decode value of page-views[3]@1042: unknown schema id 7"},
		{"corrupt body", append(append([]byte(nil), good[:5]...), 0x7f), runtime.ErrCorruptBody, nil, "decode value of page-views[3]@1042: corrupt Avro body: test.View"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			task := &Task{ctx: context.Background(), app: app, rec: recWith(tc.value)}
			var v view
			err := decodeValue(task, topic, &v)
			var de *runtime.DecodeError
			if !errors.As(err, &de) || de.Part != "value" || de.Record.Offset != 1042 {
				t.Fatalf("got %v, want a *DecodeError for the value at offset 1042", err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("%v is not %v", err, tc.is)
			}
			if tc.as != nil && !errors.As(err, tc.as.(**runtime.UnknownSchemaIDError)) {
				t.Fatalf("%v is not an *UnknownSchemaIDError", err)
			}
			if !strings.HasPrefix(err.Error(), tc.msg) {
				t.Fatalf("message %q, want it to start with %q", err, tc.msg)
			}
		})
	}
	task := &Task{ctx: context.Background(), app: app, rec: recWith(good)}
	var v view
	err = decodeValue(task, topic, &v)
	if err != nil || v != (view{Page: "/a", User: "u", Seq: 9}) {
		t.Fatalf("round trip: %+v, %v", v, err)
	}
}

func TestAnotherSchemaIDIsResolvedByDefaultAndByAConfiguredResolver(t *testing.T) {
	// Schema id 5 is an older View: only "page", and "seq" as an int.
	writer := `{"type":"record","name":"View","namespace":"test","fields":[{"name":"seq","type":"int"},{"name":"page","type":"string"}]}`
	reg := &registry{byID: map[int]string{5: writer}}
	body := []byte{0, 0, 0, 0, 5, 0x54, 4, '/', 'x'} // seq 42, page "/x"
	v, err := decodeFrame(context.Background(), reg, &tView, 3, body)
	if err == nil || !strings.Contains(err.Error(), `field-added-no-default: View.user`) {
		t.Fatalf("got %+v, %v; want an unresolvable schema: user has no default", v, err)
	}
	var ue *runtime.UnresolvableSchemaError
	if !errors.As(err, &ue) || ue.ID != 5 || ue.Want != 3 || ue.Type != "test.View" || len(ue.Findings) != 1 {
		t.Fatalf("got %#v, want an *UnresolvableSchemaError 5 vs 3 with one finding", err)
	}

	// A reader whose new field has a default reads it.
	withDefault := tView
	withDefault.Schema = strings.Replace(tView.Schema, `"type":"string"},{"name":"seq"`, `"type":"string","default":"anon"},{"name":"seq"`, 1)
	v, err = decodeFrame(context.Background(), reg, &withDefault, 3, body)
	if err != nil || v != (view{Page: "/x", User: "anon", Seq: 42}) {
		t.Fatalf("resolved: %+v, %v", v, err)
	}
	// The plan is cached: a second record does not parse again (the
	// registry cache is emptied to show the schema is not looked up).
	reg.mu.Lock()
	delete(reg.byID, 5)
	reg.mu.Unlock()
	v, err = decodeFrame(context.Background(), reg, &withDefault, 3, []byte{0, 0, 0, 0, 5, 2, 2, 'y'})
	if err != nil || v != (view{Page: "y", User: "anon", Seq: 1}) {
		t.Fatalf("cached plan: %+v, %v", v, err)
	}

	// A configured Resolver replaces the built-in one.
	reg = &registry{byID: map[int]string{5: writer}, resolver: appendingResolver{}}
	v, err = decodeFrame(context.Background(), reg, &tView, 3, []byte{0, 0, 0, 0, 5, 4, '/', 'x'})
	if err != nil || v.Page != "/x" || v.User != "" || v.Seq != 0 {
		t.Fatalf("configured resolver: %+v, %v", v, err)
	}
}

// appendingResolver fills the fields the writer lacks with their zero
// values: enough to show the seam is called with the right schemas.
type appendingResolver struct{}

func (appendingResolver) Resolve(_ context.Context, id int, writer, reader string, body []byte) ([]byte, error) {
	if id != 5 || !strings.Contains(writer, `"page"`) || !strings.Contains(reader, `"user"`) {
		return nil, errors.New("unexpected schemas")
	}
	return append(append([]byte(nil), body...), 0, 0), nil
}

func recWith(value []byte) *kgo.Record {
	return &kgo.Record{Topic: "page-views", Partition: 3, Offset: 1042, Value: value}
}

func TestAPanickingEncoderIsAnEncodeError(t *testing.T) {
	bad := runtime.Codec[view]{Type: "test.View", Schema: tView.Schema, Encode: func(*avro.Writer, *view) { panic("no symbol") }}
	topic := &Topic[string, view]{TopicSpec: TopicSpec{Name: "out", Partitions: 1}, Key: tString, Value: bad}
	app := &App{ids: map[string]schemaIDs{"out": {key: 1, value: 2}}}
	k, v := "k", view{}
	_, err := encodeRecord(app, topic, &k, &v, nil)
	var ee *runtime.EncodeError
	if !errors.As(err, &ee) || ee.Part != "value" || !strings.Contains(err.Error(), "encode value for out: panic in value encoder: no symbol") {
		t.Fatalf("got %v, want an EncodeError for the value", err)
	}
	// The pooled writer is clean for the next record.
	rec, err := encodeRecord(app, topic.withValue(tView), &k, &v, nil)
	if err != nil || len(rec.Key) != 7 || rec.Value[4] != 2 {
		t.Fatalf("next encode: %v %v", rec, err)
	}
}

func (t *Topic[K, V]) withValue(c runtime.Codec[V]) *Topic[K, V] {
	u := *t
	u.Value = c
	return &u
}
