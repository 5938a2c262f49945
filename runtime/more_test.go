package runtime

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hamba/avro/v2"
)

// viewV2 adds a field without a default: readers of it cannot read views
// written before, so BACKWARD compatibility refuses it.
var tViewV2 = Codec[view]{
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
	r := start(t, Config{Embedded: true, Logger: testLogger(t), CommitInterval: 50 * time.Millisecond},
		AppSpec{ID: "emb", Topics: []AnyTopic{in, out}, Agents: []AnyAgent{relay("relay", in, out, s, Fail)}})
	if r.app.cluster == nil {
		t.Fatal("Embedded set but no embedded cluster started")
	}
	produceViews(t, r, in, keysN(3), 12)
	eventually(t, "records processed on the embedded cluster", func() bool { return s.n.Load() == 12 })
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv(EnvBrokers, " a:9092, b:9092 ,")
	t.Setenv(EnvRegistry, "http://r:8081")
	t.Setenv(EnvSASLMechanism, "SCRAM-SHA-512")
	t.Setenv(EnvSASLUser, "u")
	t.Setenv(EnvSASLPassword, "p")
	t.Setenv(EnvTLS, "true")
	t.Setenv(EnvCommitInterval, "250ms")
	t.Setenv(EnvEmbedded, "false")
	c, err := ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Brokers, "|") != "a:9092|b:9092" || c.RegistryURL != "http://r:8081" || c.SASLMechanism != "SCRAM-SHA-512" ||
		c.SASLUser != "u" || c.SASLPassword != "p" || c.TLS == nil || c.CommitInterval != 250*time.Millisecond || c.Embedded {
		t.Fatalf("ConfigFromEnv: %+v", c)
	}
	t.Setenv(EnvCommitInterval, "soon")
	if _, err := ConfigFromEnv(); err == nil || !strings.Contains(err.Error(), EnvCommitInterval) {
		t.Fatalf("bad duration: %v, want an error naming %s", err, EnvCommitInterval)
	}
	t.Setenv(EnvCommitInterval, "")
	t.Setenv(EnvSASLMechanism, "GSSAPI")
	c, _ = ConfigFromEnv()
	if _, err := NewApp(c, AppSpec{ID: "x"}); err != nil {
		t.Fatal(err) // the mechanism is checked when the client is built
	}
	a, _ := NewApp(c, AppSpec{ID: "x"})
	if err := a.Run(context.Background()); err == nil || !strings.Contains(err.Error(), `unknown SASL mechanism "GSSAPI"`) {
		t.Fatalf("Run with SASL GSSAPI: %v", err)
	}
}
