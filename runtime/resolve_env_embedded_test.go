//go:build !integration

package runtime_test

import (
	"context"
	"testing"

	"github.com/faustgen/faustgen/runtime/embedded"
)

// newServices starts an embedded cluster (kfake and the embedded registry,
// both real TCP on loopback) for one test of this external test package.
// With the integration build tag the tests use the real services instead
// (resolve_env_integration_test.go).
func newServices(t testing.TB) services {
	t.Helper()
	c, err := embedded.Start(context.Background(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return services{brokers: c.Brokers(), registry: c.RegistryURL()}
}
