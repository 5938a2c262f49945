//go:build !integration

package tables

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// cluster starts kfake with a one-partition changelog topic.
func cluster(t *testing.T) cenv {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "cl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return cenv{opts: []kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)}, topic: "cl"}
}
