//go:build integration

package tables

import (
	"context"
	"testing"

	"github.com/faustgen/faustgen/internal/itest"
	"github.com/twmb/franz-go/pkg/kgo"
)

// cluster creates a one-partition compacted changelog topic of its own on
// the real broker.
func cluster(t *testing.T) cenv {
	t.Helper()
	topic := itest.UniqueName(t, "cl")
	if _, err := itest.Admin(t).CreateTopic(context.Background(), 1, 1, map[string]*string{"cleanup.policy": ptr("compact,delete")}, topic); err != nil {
		t.Fatal(err)
	}
	return cenv{opts: []kgo.Opt{kgo.SeedBrokers(itest.Brokers(t)...)}, topic: topic}
}

func ptr(s string) *string { return &s }
