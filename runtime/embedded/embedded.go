// Package embedded starts an in-process development cluster: a Kafka
// cluster (franz-go's kfake, speaking the real protocol over loopback TCP)
// and a schema registry (a Confluent-compatible HTTP API on loopback).
//
// It is for demos, examples and tests. Nothing persists, and it is never
// used unless asked for: a runtime.Config with Embedded set (or
// FAUSTGEN_EMBEDDED=true), or a direct call to Start. Config.Embedded works
// only in a program that imports this package, as a direct call does or
// with a blank import:
//
//	import _ "github.com/faustgen/faustgen/runtime/embedded"
//
// so that a production binary, which does not, links no test broker.
//
// The registry is runtime/srembed, which really enforces compatibility
// levels (package compat), unless Options.Registry supplies another.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/faustgen/faustgen/runtime/internal/devcluster"
	"github.com/faustgen/faustgen/runtime/srembed"
	"github.com/twmb/franz-go/pkg/kfake"
)

// init lets package runtime start a cluster for Config.Embedded.
func init() {
	devcluster.Start = func(ctx context.Context) ([]string, string, func(), error) {
		c, err := Start(ctx, Options{})
		if err != nil {
			return nil, "", nil, err
		}
		return c.Brokers(), c.RegistryURL(), c.Close, nil
	}
}

// Cluster is a running in-process Kafka cluster and schema registry.
type Cluster struct {
	kafka    *kfake.Cluster
	registry registry
}

// registry is a running schema registry.
type registry interface {
	URL() string
	Close() error
}

// Options tune Start.
type Options struct {
	// Brokers is the number of Kafka brokers. Default: 1.
	Brokers int
	// KafkaOpts are extra kfake options (for tests: fault injection, ...).
	KafkaOpts []kfake.Opt
	// Registry, when set, serves the schema registry API instead of a
	// fresh runtime/srembed registry (for tests of registry failures).
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
	var reg registry
	if o.Registry != nil {
		reg, err = serve(ctx, o.Registry)
	} else {
		reg, err = srembed.Start(context.WithoutCancel(ctx))
	}
	if err != nil {
		k.Close()
		return nil, fmt.Errorf("start embedded schema registry: %w", err)
	}
	return &Cluster{kafka: k, registry: reg}, nil
}

// handlerServer serves an http.Handler on loopback.
type handlerServer struct {
	listener net.Listener
	server   *http.Server
	served   chan struct{}
}

func serve(ctx context.Context, h http.Handler) (*handlerServer, error) {
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &handlerServer{listener: l, server: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}, served: make(chan struct{})}
	go func() {
		defer close(s.served)
		_ = s.server.Serve(l) // http.ErrServerClosed after Close
	}()
	return s, nil
}

func (s *handlerServer) URL() string { return "http://" + s.listener.Addr().String() }

func (s *handlerServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.server.Shutdown(ctx)
	<-s.served
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Brokers returns the seed brokers of the Kafka cluster.
func (c *Cluster) Brokers() []string { return c.kafka.ListenAddrs() }

// RegistryURL returns the schema registry's base URL.
func (c *Cluster) RegistryURL() string { return c.registry.URL() }

// Kafka returns the kfake cluster, for tests that inject faults.
func (c *Cluster) Kafka() *kfake.Cluster { return c.kafka }

// Close stops the registry and the Kafka cluster.
func (c *Cluster) Close() {
	_ = c.registry.Close() // an in-memory registry: nothing to lose
	c.kafka.Close()
}
