package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/faustgen/faustgen/runtime"
	"github.com/hamba/avro/v2"
)

// sendAll encodes n views with e, as a partition's sinks do, and returns
// the sendRecords, still "in flight" (not put).
func sendAll(t *testing.T, e *sendEncoder, app *App, topic *Topic[string, view], from, n int) []*sendRecord {
	t.Helper()
	ctx := context.Background()
	srs := make([]*sendRecord, 0, n)
	for i := from; i < from+n; i++ {
		sr := e.send(app, ctx)
		kv := pairOf(e, topic)
		kv.key, kv.value = fmt.Sprint("k", i), view{Page: "/p/" + strings.Repeat("x", i%97), User: fmt.Sprint("u", i), Seq: int64(i)}
		if err := encodeSend(e, topic, app.ids[topic.Name], kv, sr, nil); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		srs = append(srs, sr)
	}
	return srs
}

// checkSent decodes every record of srs and compares it with what
// sendAll encoded for it.
func checkSent(t *testing.T, app *App, topic *Topic[string, view], srs []*sendRecord, from int) {
	t.Helper()
	ids := app.ids[topic.Name]
	for j, sr := range srs {
		i := from + j
		k, err := decodeFrame(context.Background(), nil, &tString, ids.key, sr.rec.Key)
		if err != nil {
			t.Fatalf("record %d key: %v", i, err)
		}
		v, err := decodeFrame(context.Background(), nil, &tView, ids.value, sr.rec.Value)
		if err != nil {
			t.Fatalf("record %d value: %v", i, err)
		}
		want := view{Page: "/p/" + strings.Repeat("x", i%97), User: fmt.Sprint("u", i), Seq: int64(i)}
		if k != fmt.Sprint("k", i) || v != want {
			t.Fatalf("record %d reads back as %q %+v, want %q %+v: its bytes were overwritten", i, k, v, fmt.Sprint("k", i), want)
		}
	}
}

// Records are cut from shared chunks without a copy: a chunk may be
// written again only once every record cut from it is acknowledged.
func TestSinkChunksAreReusedOnlyOnceTheirRecordsAreAcknowledged(t *testing.T) {
	app := &App{ids: map[string]schemaIDs{"out": {key: 3, value: 4}}}
	topic := viewTopic("out", 1)
	e := &sendEncoder{free: new(sendFree)}
	const n = 2000 // many chunks
	first := sendAll(t, e, app, topic, 0, n)
	checkSent(t, app, topic, first, 0)
	chunks := map[*sendChunk]bool{}
	for _, sr := range first {
		chunks[sr.chunk] = true
	}
	if len(chunks) < 4 {
		t.Fatalf("%d records used %d chunks; the test needs several", n, len(chunks))
	}
	// Acknowledge the first half: their chunks (but the one shared with
	// the second half) become free.
	for _, sr := range first[:n/2] {
		sr.put()
	}
	second := sendAll(t, e, app, topic, n, n)
	checkSent(t, app, topic, first[n/2:], n/2) // still in flight: intact
	checkSent(t, app, topic, second, n)
	reused := 0
	for _, sr := range second {
		if chunks[sr.chunk] {
			reused++
		}
	}
	if reused == 0 {
		t.Fatalf("no chunk of the acknowledged records was reused")
	}
	for _, sr := range first[n/2:] {
		if sr.chunk == nil || !chunks[sr.chunk] {
			t.Fatalf("an in-flight record lost its chunk")
		}
	}
}

// An encoder that fails half-way leaves a partial record in its chunk:
// the send fails with an EncodeError, and neither the records cut before
// it nor those after it are damaged.
func TestAFailedEncodingLeavesTheChunksRecordsIntact(t *testing.T) {
	app := &App{ids: map[string]schemaIDs{"out": {key: 3, value: 4}}}
	topic := viewTopic("out", 1)
	failing := *topic
	failing.Value.Encode = func(w *avro.Writer, v *view) {
		w.WriteString(strings.Repeat("partial", 10))
		panic("no symbol")
	}
	e := &sendEncoder{free: new(sendFree)}
	before := sendAll(t, e, app, topic, 0, 50)
	sr := e.send(app, context.Background())
	kv := pairOf(e, &failing)
	kv.key, kv.value = "bad", view{}
	err := encodeSend(e, &failing, app.ids["out"], kv, sr, nil)
	var ee *runtime.EncodeError
	if !errors.As(err, &ee) || ee.Part != "value" || !strings.Contains(err.Error(), "panic in value encoder: no symbol") {
		t.Fatalf("got %v, want an EncodeError for the value", err)
	}
	sr.put()
	after := sendAll(t, e, app, topic, 50, 50)
	checkSent(t, app, topic, before, 0)
	checkSent(t, app, topic, after, 50)
	if before[len(before)-1].chunk == after[0].chunk {
		t.Fatalf("records after a failed encoding were cut from the chunk holding its partial bytes")
	}
}
