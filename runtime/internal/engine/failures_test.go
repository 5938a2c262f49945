package engine

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faustgen/faustgen/runtime"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Instances of one App started at the same moment all start: the topic
// creation race (one creates, the others get TOPIC_ALREADY_EXISTS and may
// briefly see the topic without partitions) is waited out.
func TestInstancesStartedTogetherAllStart(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	in, out := viewTopic(c.name("together-in"), 6), countTopic(c.name("together-out"), 6)
	const n = 3
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			a, err := NewApp(cfg, AppSpec{ID: c.name("together"), Topics: []AnyTopic{in, out}, Agents: []AnyAgent{relay("relay", in, out, newSeen(), Fail)}})
			if err != nil {
				errs[i] = err
				return
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- a.Run(ctx) }()
			select {
			case <-a.Started():
				errs[i] = a.startErr
			case <-time.After(30 * time.Second):
				errs[i] = context.DeadlineExceeded
			}
			cancel()
			<-done
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("instance %d: %v", i, err)
		}
	}
}

// Credentials in the registry URL appear in no error and no log line:
// not when the registry cannot be reached, and they still authenticate
// (as basic auth) when it can.
func TestRegistryCredentialsNeverAppearInErrorsOrLogs(t *testing.T) {
	const secret = "s3cr3t-t0ken"
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := closed.Addr().String()
	closed.Close()
	c := newEnv(t)

	for _, tc := range []struct {
		name, url string
		ok        bool
	}{
		{"unreachable registry", "http://svc:" + secret + "@" + addr + "/apis/ccompat/v7", false},
		{"reachable registry", strings.Replace(c.RegistryURL(), "://", "://svc:"+secret+"@", 1), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			var mu sync.Mutex
			cfg := runtime.Config{
				Brokers: c.Brokers(), RegistryURL: tc.url, StartTimeout: 2 * time.Second,
				Logger: slog.New(slog.NewTextHandler(&lockedWriter{b: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug})),
			}
			in := viewTopic(c.name("secret-in-"+strings.ReplaceAll(tc.name, " ", "-")), 1)
			a, err := NewApp(cfg, AppSpec{ID: c.name("secret"), Topics: []AnyTopic{in}})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- a.Run(ctx) }()
			<-a.Started()
			startErr := a.startErr
			cancel()
			runErr := <-done
			if tc.ok && startErr != nil {
				t.Fatalf("start with credentials in the URL: %v", startErr)
			}
			if !tc.ok && startErr == nil {
				t.Fatal("start succeeded with an unreachable registry")
			}
			mu.Lock()
			defer mu.Unlock()
			for what, text := range map[string]string{"start error": errString(startErr), "Run's error": errString(runErr), "logs": logs.String()} {
				if strings.Contains(text, secret) {
					t.Errorf("the registry password appears in the %s: %s", what, text)
				}
			}
			if !tc.ok && !strings.Contains(startErr.Error(), addr) {
				t.Errorf("the start error does not name the registry: %v", startErr)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

type lockedWriter struct {
	b  *bytes.Buffer
	mu *sync.Mutex
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// Records of 1 MiB and 5 MiB on the input (the topic allows 8 MiB) are
// read; each is relayed when the output topic takes it (1,040,000 bytes
// under the default 1 MiB limit) and otherwise sent to the dead-letter
// topic as a reference (headers, no body); the App stays up and goes on
// with the records after them.
func TestBigRecordsAreRelayedOrDeadLetteredByReference(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	in := viewTopic(c.name("big-in"), 1)
	in.Config = map[string]string{"max.message.bytes": "8388608"}
	out := viewTopic(c.name("big-out"), 1)
	agent := &Agent[string, view]{
		Name: "copy", Source: in, Sinks: []AnyTopic{out}, OnError: DeadLetter,
		Process: func(t *Task, k string, v view) error { return SinkOf(t, out).Send(k, v) },
	}
	r := start(t, cfg, AppSpec{ID: c.name("big"), Topics: []AnyTopic{in, out}, Agents: []AnyAgent{agent}})
	ids := r.app.ids[in.Name]
	cl := rawClient(t, c, kgo.ProducerBatchMaxBytes(16<<20), kgo.MaxBufferedBytes(64<<20))
	sizes := []int{10, 1_040_000, 1 << 20, 5 << 20, 20}
	for i, n := range sizes {
		k := fmt.Sprintf("k%d", i)
		v := view{Page: strings.Repeat("p", n), Seq: int64(i)}
		key, err := encodeFrame(&in.Key, ids.key, &k)
		if err != nil {
			t.Fatal(err)
		}
		val, err := encodeFrame(&in.Value, ids.value, &v)
		if err != nil {
			t.Fatal(err)
		}
		if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: in.Name, Key: key, Value: val}).FirstErr(); err != nil {
			t.Fatalf("produce the %d-byte record: %v", n, err)
		}
	}
	relayed := readN(t, c, out.Name, 3)
	var got []int64
	for _, rec := range relayed {
		var v view
		if err := decodeFrameInto(context.Background(), r.app.reg, nil, &out.Value, r.app.ids[out.Name].value, rec.Value, &v); err != nil {
			t.Fatal(err)
		}
		got = append(got, v.Seq)
		if len(v.Page) != sizes[v.Seq] {
			t.Errorf("record %d relayed with a %d-byte page, want %d", v.Seq, len(v.Page), sizes[v.Seq])
		}
	}
	if fmt.Sprint(got) != "[0 1 4]" {
		t.Fatalf("relayed records %v, want [0 1 4] (the small ones and the 1,040,000-byte one)", got)
	}
	dead := readN(t, c, c.name("big")+"-copy-dlq", 2)
	for i, d := range dead {
		if len(d.Key) != 0 || len(d.Value) != 0 {
			t.Errorf("dead letter %d carries a body (%d+%d bytes); want a reference", i, len(d.Key), len(d.Value))
		}
		h := map[string]string{}
		for _, x := range d.Headers {
			h[x.Key] = string(x.Value)
		}
		if h[runtime.HeaderDLQRefusedTopic] != out.Name || h[runtime.HeaderDLQTopic] != in.Name || h[runtime.HeaderDLQOffset] != strconv.Itoa(2+i) || !strings.Contains(h[runtime.HeaderDLQError], "MESSAGE_TOO_LARGE") {
			t.Errorf("dead letter %d headers: %v", i, h)
		}
		if size, _ := strconv.Atoi(h[runtime.HeaderDLQRefusedSize]); size < sizes[2+i] {
			t.Errorf("dead letter %d: refused size %d, the record was over %d", i, size, sizes[2+i])
		}
	}
	select {
	case err := <-r.errc:
		t.Fatalf("the App stopped: %v", err)
	default:
	}
}
