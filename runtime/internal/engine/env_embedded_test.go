//go:build !integration

package engine

import (
	"context"
	"testing"

	"github.com/faustgen/faustgen/runtime/embedded"
)

// newEnv starts an embedded cluster (kfake and the embedded registry) for
// one test. With the integration build tag the same tests run against the
// real services instead (env_integration_test.go).
func newEnv(t testing.TB) *env {
	t.Helper()
	c, err := embedded.Start(context.Background(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return &env{brokers: c.Brokers(), registry: c.RegistryURL(), kafka: c.Kafka()}
}
