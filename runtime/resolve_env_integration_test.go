//go:build integration

package runtime_test

import (
	"testing"

	"github.com/faustgen/faustgen/internal/itest"
)

// newServices connects to the real Kafka broker and schema registry named by
// FAUSTGEN_BROKERS and FAUSTGEN_REGISTRY (under CI=true an unreachable
// service fails the test); names get a unique suffix.
func newServices(t testing.TB) services {
	t.Helper()
	return services{brokers: itest.Brokers(t), registry: itest.Registry(t), suffix: "-" + itest.UniqueName(t, "x")}
}
