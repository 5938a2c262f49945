// Package itest is what the integration tests share: the addresses of the
// real Apache Kafka broker and Apicurio Registry that scripts/services starts
// (`make test-integration`, `make services-up`), clients bound to them, and
// unique names so tests never collide.
//
// Integration tests carry the build tag `integration` and start with
// itest.Brokers(t) or itest.Registry(t). Those read FAUSTGEN_BROKERS (a
// comma-separated host:port list) and FAUSTGEN_REGISTRY (the registry's
// Confluent-compatible base URL, e.g. http://127.0.0.1:18081/apis/ccompat/v7)
// and check that the service answers. When a service is not configured or not
// reachable, the test fails if CI is true and is skipped with a message saying
// how to start the services otherwise — a CI run can never pass by skipping.
//
// It is not for unit or embedded tests: those use kfake and the embedded
// registry and need no services.
package itest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sr"
)

// Environment variables naming the services.
const (
	EnvBrokers  = "FAUSTGEN_BROKERS"  // comma-separated seed brokers
	EnvRegistry = "FAUSTGEN_REGISTRY" // Confluent-compatible registry base URL
)

// probeTimeout bounds the one reachability check made per process and service.
const probeTimeout = 10 * time.Second

// probes caches the reachability verdict per configured address, so a
// package of tests checks each service once.
var probes sync.Map // string -> *probe

type probe struct {
	once sync.Once
	err  error
}

func probeOnce(key string, check func(context.Context) error) error {
	p, _ := probes.LoadOrStore(key, &probe{})
	pr := p.(*probe)
	pr.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
		defer cancel()
		pr.err = check(ctx)
	})
	return pr.err
}

// InCI reports whether the CI environment variable is set to a true value
// ("true", "1"): then a missing service is a failure, not a skip.
func InCI() bool {
	ci, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && ci
}

// unavailable fails the test under CI and skips it otherwise.
func unavailable(t testing.TB, what string) {
	t.Helper()
	msg := what + " — start the real services with `make services-up` (then export the variables it prints) or run `make test-integration`"
	if InCI() {
		t.Fatalf("CI=true and %s", msg)
	}
	t.Skipf("skipped: %s", msg)
}

// Brokers returns the seed brokers named by FAUSTGEN_BROKERS once one of
// them has answered a metadata request.
func Brokers(t testing.TB) []string {
	t.Helper()
	raw := strings.TrimSpace(os.Getenv(EnvBrokers))
	if raw == "" {
		unavailable(t, EnvBrokers+" is not set")
		return nil
	}
	var seeds []string
	for _, s := range strings.Split(raw, ",") {
		if s = strings.TrimSpace(s); s != "" {
			seeds = append(seeds, s)
		}
	}
	if len(seeds) == 0 {
		unavailable(t, fmt.Sprintf("%s=%q names no broker", EnvBrokers, raw))
		return nil
	}
	if err := probeOnce("kafka "+raw, func(ctx context.Context) error { return pingKafka(ctx, seeds) }); err != nil {
		unavailable(t, fmt.Sprintf("Kafka at %s=%s is unreachable: %v", EnvBrokers, raw, err))
		return nil
	}
	return seeds
}

func pingKafka(ctx context.Context, seeds []string) error {
	// A plain connect first: a refused port fails at once instead of
	// leaving the client to retry until the probe times out.
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", seeds[0])
	if err != nil {
		return err
	}
	conn.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...))
	if err != nil {
		return err
	}
	defer cl.Close()
	resp, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("metadata request: %w", err)
	}
	if len(resp.Brokers) == 0 {
		return fmt.Errorf("metadata lists no broker")
	}
	return nil
}

// Registry returns the registry base URL named by FAUSTGEN_REGISTRY once it
// has answered GET /subjects with 200.
func Registry(t testing.TB) string {
	t.Helper()
	url := strings.TrimRight(strings.TrimSpace(os.Getenv(EnvRegistry)), "/")
	if url == "" {
		unavailable(t, EnvRegistry+" is not set")
		return ""
	}
	if err := probeOnce("registry "+url, func(ctx context.Context) error { return pingRegistry(ctx, url) }); err != nil {
		unavailable(t, fmt.Sprintf("the registry at %s=%s is unreachable: %v", EnvRegistry, url, err))
		return ""
	}
	return url
}

func pingRegistry(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/subjects", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s/subjects: status %d", url, resp.StatusCode)
	}
	return nil
}

// Client returns a franz-go client for the real broker, closed when the test
// ends. opts come after the seed brokers, so they may add to them.
func Client(t testing.TB, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	seeds := Brokers(t)
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(seeds...)}, opts...)...)
	if err != nil {
		t.Fatalf("new kafka client for %v: %v", seeds, err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// Admin returns an admin client for the real broker, closed when the test ends.
func Admin(t testing.TB) *kadm.Client {
	t.Helper()
	return kadm.NewClient(Client(t))
}

// RegistryClient returns a franz-go schema-registry client for the real registry.
func RegistryClient(t testing.TB) *sr.Client {
	t.Helper()
	url := Registry(t)
	cl, err := sr.NewClient(sr.URLs(url))
	if err != nil {
		t.Fatalf("new registry client for %s: %v", url, err)
	}
	return cl
}

// Context returns a context cancelled when the test ends or after limit,
// whichever comes first, so a hung service cannot hang the test run.
func Context(t testing.TB, limit time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	t.Cleanup(cancel)
	return ctx
}

var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9._-]+`)

// UniqueName returns a topic or subject name unique to this test and run:
// prefix, the test's name and a random suffix, using only characters Kafka
// topic names allow. The services outlive a test, so names must not repeat.
func UniqueName(t testing.TB, prefix string) string {
	t.Helper()
	name := unsafeName.ReplaceAllString(prefix+"-"+t.Name(), "_")
	if len(name) > 200 {
		name = name[:200]
	}
	return fmt.Sprintf("%s-%08x", name, rand.Uint32())
}
