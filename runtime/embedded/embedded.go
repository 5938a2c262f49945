// Package embedded starts an in-process development cluster: a Kafka
// cluster (franz-go's kfake, speaking the real protocol over loopback TCP)
// and a schema registry (a Confluent-compatible HTTP API on loopback).
//
// It is for demos, examples and tests. Nothing persists, and it is never
// used unless asked for: a runtime.Config with Embedded set, or a direct
// call to Start.
//
// The registry is franz-go's srfake until runtime/srembed (which really
// checks compatibility) lands; srfake answers every compatibility check
// with "compatible", so do not rely on it for compatibility.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// Cluster is a running in-process Kafka cluster and schema registry.
type Cluster struct {
	kafka    *kfake.Cluster
	server   *http.Server
	listener net.Listener
	served   chan struct{}
}

// Options tune Start.
type Options struct {
	// Brokers is the number of Kafka brokers. Default: 1.
	Brokers int
	// KafkaOpts are extra kfake options (for tests: fault injection, ...).
	KafkaOpts []kfake.Opt
	// Registry serves the schema registry API. Default: a fresh in-memory
	// registry.
	Registry http.Handler
}

// Start starts a cluster on loopback; Close stops it.
func Start(ctx context.Context, o Options) (*Cluster, error) {
	if o.Brokers <= 0 {
		o.Brokers = 1
	}
	kopts := append([]kfake.Opt{kfake.NumBrokers(o.Brokers)}, o.KafkaOpts...)
	k, err := kfake.NewCluster(kopts...)
	if err != nil {
		return nil, fmt.Errorf("start embedded kafka: %w", err)
	}
	handler := o.Registry
	if handler == nil {
		handler = newRegistry()
	}
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		k.Close()
		return nil, fmt.Errorf("start embedded schema registry: %w", err)
	}
	c := &Cluster{
		kafka:    k,
		listener: l,
		server:   &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second},
		served:   make(chan struct{}),
	}
	go func() {
		defer close(c.served)
		if err := c.server.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err // the registry stops with the cluster; requests then fail clearly
		}
	}()
	return c, nil
}

// newRegistry returns the in-memory registry handler.
func newRegistry() http.Handler {
	return srfake.NewRegistry().Handler()
}

// Brokers returns the seed brokers of the Kafka cluster.
func (c *Cluster) Brokers() []string { return c.kafka.ListenAddrs() }

// RegistryURL returns the schema registry's base URL.
func (c *Cluster) RegistryURL() string { return "http://" + c.listener.Addr().String() }

// Kafka returns the kfake cluster, for tests that inject faults.
func (c *Cluster) Kafka() *kfake.Cluster { return c.kafka }

// Close stops the registry and the Kafka cluster.
func (c *Cluster) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.server.Shutdown(ctx)
	<-c.served
	c.kafka.Close()
}
