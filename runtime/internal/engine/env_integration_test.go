//go:build integration

package engine

import (
	"testing"

	"github.com/faustgen/faustgen/internal/itest"
)

// newEnv connects to the real Kafka broker and schema registry named by
// FAUSTGEN_BROKERS and FAUSTGEN_REGISTRY (see internal/itest; under CI=true
// an unreachable service fails the test).
func newEnv(t testing.TB) *env {
	t.Helper()
	return &env{brokers: itest.Brokers(t), registry: itest.Registry(t), suffix: "-" + itest.UniqueName(t, "r")}
}
