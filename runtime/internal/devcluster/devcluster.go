// Package devcluster is the seam between package runtime and the
// in-process development cluster of runtime/embedded: runtime reads Start,
// and runtime/embedded sets it when a program imports it. A program that
// does not import runtime/embedded therefore links neither kfake nor the
// embedded registry, and Config.Embedded fails with an error naming the
// import (Import) instead.
package devcluster

import "context"

// Import is the import that links the embedded dev cluster.
const Import = `import _ "github.com/faustgen/faustgen/runtime/embedded"`

// Start starts an in-process Kafka cluster and schema registry on
// loopback and returns their addresses and a function that stops both.
// It is nil unless runtime/embedded is linked.
var Start func(ctx context.Context) (brokers []string, registryURL string, stop func(), err error)
