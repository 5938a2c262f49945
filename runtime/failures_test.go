package runtime

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
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
			cfg := Config{
				Brokers: c.Brokers(), RegistryURL: tc.url, StartTimeout: 2 * time.Second,
				Logger: slog.New(slog.NewTextHandler(&lockedWriter{&logs, &mu}, &slog.HandlerOptions{Level: slog.LevelDebug})),
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
