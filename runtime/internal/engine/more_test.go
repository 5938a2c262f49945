package engine

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/faustgen/faustgen/runtime"
	"github.com/hamba/avro/v2"
)

// viewV2 adds a field without a default: readers of it cannot read views
// written before, so BACKWARD compatibility refuses it.
var tViewV2 = runtime.Codec[view]{
	Type:   "test.View",
	Schema: `{"type":"record","name":"View","namespace":"test","fields":[{"name":"page","type":"string"},{"name":"user","type":"string"},{"name":"seq","type":"long"},{"name":"country","type":"string"}]}`,
	Encode: func(w *avro.Writer, v *view) {},
	Decode: func(r *avro.Reader, v *view) {},
}

func TestAnIncompatibleSchemaStopsTheStartWithTheRegistrysReason(t *testing.T) {
	c := newEnv(t)
	cfg := testConfig(t, c)
	in := viewTopic(c.name("evolving"), 1)
	start(t, cfg, AppSpec{ID: c.name("v1"), Compatibility: "BACKWARD", Topics: []AnyTopic{in}}).stop(t)

	v2 := &Topic[string, view]{TopicSpec: in.TopicSpec, Key: tString, Value: tViewV2}
	a, err := NewApp(cfg, AppSpec{ID: c.name("v2"), Compatibility: "BACKWARD", Topics: []AnyTopic{v2}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = a.Run(ctx)
	if err == nil {
		t.Fatal("Run accepted a schema that breaks BACKWARD compatibility")
	}
	if !strings.Contains(err.Error(), "subject "+in.Name+"-value: the registry refused it") {
		t.Fatalf("Run: %v, want the subject %s-value named", err, in.Name)
	}
	t.Log(err)
	if strings.Contains(err.Error(), in.Name+"-key") {
		t.Fatalf("Run: %v: the unchanged key schema was refused too", err)
	}
}

func TestEmbeddedConfigRunsOnTheDevCluster(t *testing.T) {
	in, out := viewTopic("emb-in", 2), countTopic("emb-out", 2)
	s := newSeen()
	r := start(t, runtime.Config{Embedded: true, Logger: testLogger(t), CommitInterval: 50 * time.Millisecond},
		AppSpec{ID: "emb", Topics: []AnyTopic{in, out}, Agents: []AnyAgent{relay("relay", in, out, s, Fail)}})
	if r.app.stopDev == nil {
		t.Fatal("Embedded set but no embedded cluster started")
	}
	produceViews(t, r, in, keysN(3), 12)
	eventually(t, "records processed on the embedded cluster", func() bool { return s.n.Load() == 12 })
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv(runtime.EnvBrokers, " a:9092, b:9092 ,")
	t.Setenv(runtime.EnvRegistry, "http://r:8081")
	t.Setenv(runtime.EnvSASLMechanism, "SCRAM-SHA-512")
	t.Setenv(runtime.EnvSASLUser, "u")
	t.Setenv(runtime.EnvSASLPassword, "p")
	t.Setenv(runtime.EnvTLS, "true")
	t.Setenv(runtime.EnvCommitInterval, "250ms")
	t.Setenv(runtime.EnvEmbedded, "false")
	c, err := runtime.ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Brokers, "|") != "a:9092|b:9092" || c.RegistryURL != "http://r:8081" || c.SASLMechanism != "SCRAM-SHA-512" ||
		c.SASLUser != "u" || c.SASLPassword != "p" || c.TLS == nil || c.CommitInterval != 250*time.Millisecond || c.Embedded {
		t.Fatalf("ConfigFromEnv: %+v", c)
	}
	t.Setenv(runtime.EnvCommitInterval, "soon")
	if _, err := runtime.ConfigFromEnv(); err == nil || !strings.Contains(err.Error(), runtime.EnvCommitInterval) {
		t.Fatalf("bad duration: %v, want an error naming %s", err, runtime.EnvCommitInterval)
	}
	t.Setenv(runtime.EnvCommitInterval, "")
	t.Setenv(runtime.EnvSASLMechanism, "GSSAPI")
	c, _ = runtime.ConfigFromEnv()
	if _, err := NewApp(c, AppSpec{ID: "x"}); err != nil {
		t.Fatal(err) // the mechanism is checked when the client is built
	}
	a, _ := NewApp(c, AppSpec{ID: "x"})
	if err := a.Run(context.Background()); err == nil || !strings.Contains(err.Error(), `unknown SASL mechanism "GSSAPI"`) {
		t.Fatalf("Run with SASL GSSAPI: %v", err)
	}
}

// TestStartTimeoutNamesUnreachableBrokers starts Apps whose only broker
// is a closed loopback port, or a port that accepts connections and never
// answers: Run must give up (at the latest after StartTimeout) with an
// error naming the broker, instead of retrying forever.
func TestStartTimeoutNamesUnreachableBrokers(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		var conns []net.Conn // held open, never answered
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	for _, tc := range []struct {
		name, addr string
		want       []string
		deadline   bool // the start must have run into StartTimeout
	}{
		{"closed port", closedAddr, []string{"start app unreachable", "brokers " + closedAddr}, false},
		{"silent broker", silent.Addr().String(), []string{"start app unreachable", "not started within StartTimeout (300ms)", "brokers " + silent.Addr().String()}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := viewTopic("unreachable-in", 1)
			a, err := NewApp(runtime.Config{
				Brokers:      []string{tc.addr},
				RegistryURL:  "http://" + tc.addr,
				StartTimeout: 300 * time.Millisecond,
				Logger:       testLogger(t),
			}, AppSpec{ID: "unreachable", Topics: []AnyTopic{in}})
			if err != nil {
				t.Fatal(err)
			}
			errc := make(chan error, 1)
			go func() { errc <- a.Run(context.Background()) }()
			select {
			case err = <-errc:
			case <-time.After(time.Minute): // a hang guard, not a timing assertion
				t.Fatal("Run still starting after a minute with StartTimeout 300ms")
			}
			if err == nil {
				t.Fatal("Run succeeded with no broker")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Run: %v\nwant it to contain %q", err, want)
				}
			}
			if tc.deadline && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Run: %v, want it to wrap context.DeadlineExceeded", err)
			}
			// Producers waiting for the start get the error too.
			if _, perr := ProducerOf(a, in).SendSync(context.Background(), "k", view{}); perr == nil || !strings.Contains(perr.Error(), tc.addr) {
				t.Errorf("SendSync after a failed start: %v, want the start error", perr)
			}
		})
	}
}

func TestConfigFromEnvStartTimeout(t *testing.T) {
	t.Setenv(runtime.EnvStartTimeout, "7s")
	c, err := runtime.ConfigFromEnv()
	if err != nil || c.StartTimeout != 7*time.Second {
		t.Fatalf("ConfigFromEnv: %v, %v; want StartTimeout 7s", c.StartTimeout, err)
	}
	if d := configWithDefaults((runtime.Config{}), "x").StartTimeout; d != 30*time.Second {
		t.Errorf("default StartTimeout %v, want 30s", d)
	}
	t.Setenv(runtime.EnvStartTimeout, "soon")
	if _, err := runtime.ConfigFromEnv(); err == nil || !strings.Contains(err.Error(), runtime.EnvStartTimeout) {
		t.Fatalf("ConfigFromEnv with a bad duration: %v, want an error naming %s", err, runtime.EnvStartTimeout)
	}
}
