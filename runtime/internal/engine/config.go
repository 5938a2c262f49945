package engine

import (
	"log/slog"
	"time"

	"github.com/faustgen/faustgen/runtime"
	"github.com/faustgen/faustgen/runtime/internal/transport"
)

// configWithDefaults returns c with the defaults the engine itself uses;
// those only the consumer group uses (SessionTimeout, RebalanceTimeout,
// PartitionBufferBytes) are filled by transport.NewGroup.
func configWithDefaults(c runtime.Config, appID string) runtime.Config {
	if c.ClientID == "" {
		c.ClientID = appID
	}
	if c.CommitInterval <= 0 {
		c.CommitInterval = time.Second
	}
	if c.MaxPollRecords <= 0 {
		c.MaxPollRecords = 10000
	}
	if c.MaxBufferedBytes <= 0 {
		c.MaxBufferedBytes = transport.DefaultMaxBufferedBytes
	}
	if c.StateDir == "" {
		c.StateDir = "faustgen-state"
	}
	if c.PartitionBufferRecords <= 0 {
		c.PartitionBufferRecords = 4 * c.MaxPollRecords
	}
	if c.MaxBufferedRecords <= 0 {
		c.MaxBufferedRecords = 10000
	}
	if c.ProducerBufferBytes <= 0 {
		c.ProducerBufferBytes = 32 << 20
	}
	if c.Linger <= 0 {
		c.Linger = 5 * time.Millisecond
	}
	if c.StartTimeout <= 0 {
		c.StartTimeout = 30 * time.Second
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
