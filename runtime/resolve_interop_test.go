package runtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faustgen/faustgen/examples/generated/pageviews"
	"github.com/faustgen/faustgen/runtime"
	"github.com/faustgen/faustgen/runtime/genapi"
)

// interopPython installs (once per test binary) Python's confluent-kafka
// with its Avro serializer into a venv under ~/.cache/faustgen, by
// scripts/interop/install.sh, and returns the venv's python. When it
// cannot be installed the test fails under CI=true and is skipped
// otherwise.
func interopPython(t testing.TB) string {
	t.Helper()
	pythonOnce.Do(func() {
		cmd := exec.Command("bash", filepath.Join("..", "scripts", "interop", "install.sh"))
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			pythonErr = err.Error() + ": " + errb.String()
			return
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		pythonPath = lines[len(lines)-1]
	})
	if pythonPath == "" {
		msg := "scripts/interop/install.sh could not install confluent-kafka: " + pythonErr
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatal("CI=true and " + msg)
		}
		t.Skip("skipped: " + msg)
	}
	return pythonPath
}

var (
	pythonOnce sync.Once
	pythonPath string
	pythonErr  string
)

// runPython runs scripts/interop/confluent_interop.py with args and stdin.
func runPython(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	py := interopPython(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, append([]string{filepath.Join("..", "scripts", "interop", "confluent_interop.py")}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("confluent_interop.py %s: %v\n%s%s", args[0], err, out.String(), errb.String())
	}
	return out.String()
}

// TestInteropWithConfluentKafkaPython: records that Python's confluent-kafka
// AvroSerializer writes (with the generated schema, and with an older
// one) are read by an agent as the generated type; records the runtime's
// producer writes are read by confluent-kafka's AvroDeserializer.
func TestInteropWithConfluentKafkaPython(t *testing.T) {
	interopPython(t) // install (or fail/skip) before starting anything
	s := newServices(t)
	topic := &genapi.Topic[string, pageviews.PageView]{TopicSpec: genapi.TopicSpec{Name: s.name("interop-views"), Partitions: 3}, Key: runtime.StringCodec, Value: pageviews.PageViewCodec}
	out := &genapi.Topic[string, pageviews.PageView]{TopicSpec: genapi.TopicSpec{Name: s.name("interop-out"), Partitions: 1}, Key: runtime.StringCodec, Value: pageviews.PageViewCodec}
	var got collector[pageviews.PageView]
	app, _ := runApp(t, s.config(), genapi.AppSpec{
		ID: s.name("interop"), Subjects: genapi.TopicSubjects, Compatibility: "BACKWARD",
		Topics: []genapi.AnyTopic{topic, out},
		Agents: []genapi.AnyAgent{&genapi.Agent[string, pageviews.PageView]{Name: "read", Source: topic, OnError: genapi.DeadLetter,
			Process: func(_ *genapi.Task, k string, v pageviews.PageView) error { got.add(k, v); return nil }}},
	})
	bootstrap := strings.Join(s.brokers, ",")
	dir := t.TempDir()

	// Python → agent, with the generated schema (the same registry id) and
	// with an older version (another id, resolved).
	current := filepath.Join(dir, "current.avsc")
	older := filepath.Join(dir, "older.avsc")
	if err := os.WriteFile(current, []byte(pageviews.PageViewCodec.FullSchema()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(older, []byte(pageViewWith(strings.Join([]string{fPage, fUser, fViewedAt, `{"name":"referrer","type":["string","null"]}`, `{"name":"duration_ms","type":"int"}`}, ","))), 0o644); err != nil {
		t.Fatal(err)
	}
	const at = 1_700_000_000_123
	res := runPython(t, `{"key":"py-current","value":{"page":"/py","user_id":"snake","viewed_at":1700000000123,"referrer":"https://python.org/","duration_ms":42,"device":"TABLET"}}`+"\n",
		"produce", bootstrap, s.registry, topic.Name, topic.Name+"-value", current)
	var produced struct {
		Produced int `json:"produced"`
		ID       int `json:"value_schema_id"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(res)), &produced); err != nil || produced.Produced != 1 {
		t.Fatalf("python produce: %q, %v", res, err)
	}
	res = runPython(t, `{"key":"py-older","value":{"page":"/old","user_id":"snake","viewed_at":1700000000123,"referrer":null,"duration_ms":-5}}`+"\n",
		"produce", bootstrap, s.registry, topic.Name, s.name("interop-py-older"), older)
	var producedOld struct {
		ID int `json:"value_schema_id"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(res)), &producedOld); err != nil || producedOld.ID == produced.ID {
		t.Fatalf("python produce (older): %q, %v; want another schema id than %d", res, err, produced.ID)
	}
	waitFor(t, "both python records", func() bool {
		_, a := got.get("py-current")
		_, b := got.get("py-older")
		return a && b
	})
	ref := "https://python.org/"
	want := map[string]pageviews.PageView{
		"py-current": {Page: "/py", UserID: "snake", ViewedAt: time.UnixMilli(at).UTC(), Referrer: &ref, DurationMs: 42, Device: pageviews.DeviceTablet},
		"py-older":   {Page: "/old", UserID: "snake", ViewedAt: time.UnixMilli(at).UTC(), DurationMs: -5, Device: pageviews.DeviceUnknown},
	}
	for k, w := range want {
		g, _ := got.get(k)
		if g.Page != w.Page || g.UserID != w.UserID || !g.ViewedAt.Equal(w.ViewedAt) || !ptrEq(g.Referrer, w.Referrer) || g.DurationMs != w.DurationMs || g.Device != w.Device {
			t.Errorf("%s: agent got %+v, want %+v", k, g, w)
		}
	}

	// The runtime's producer → Python's AvroDeserializer.
	p := genapi.ProducerOf(app, out)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sent := pageviews.PageView{Page: "/go", UserID: "gopher", ViewedAt: time.UnixMilli(at).UTC(), DurationMs: 1 << 40, Device: pageviews.DeviceMobile}
	meta, err := p.SendSync(ctx, "go-key", sent)
	if err != nil {
		t.Fatal(err)
	}
	res = runPython(t, "", "consume", bootstrap, s.registry, out.Name, "1")
	var read struct {
		Key   string         `json:"key"`
		Value map[string]any `json:"value"`
		ID    int            `json:"value_schema_id"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(res)), &read); err != nil {
		t.Fatalf("python consume: %q: %v", res, err)
	}
	wantValue := map[string]any{"page": "/go", "user_id": "gopher", "viewed_at": float64(at), "referrer": nil, "duration_ms": float64(1 << 40), "device": "MOBILE"}
	if read.Key != "go-key" || len(read.Value) != len(wantValue) {
		t.Fatalf("python read %+v from %s, want key go-key and %v", read, meta, wantValue)
	}
	for k, w := range wantValue {
		if read.Value[k] != w {
			t.Errorf("python read %s = %#v, want %#v", k, read.Value[k], w)
		}
	}
}
