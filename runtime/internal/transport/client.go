// Package transport is faustgen's franz-go driver: it builds kgo clients
// from connection settings, creates and checks topics, and runs a consumer
// group that processes each assigned partition in order on its own
// goroutine and commits offsets at-least-once.
//
// It deals in raw *kgo.Record values only; typed topics, codecs, agents
// and error policies live in package runtime, which is what applications
// and generated code use. Under exactly-once the group runs in Kafka
// transactions (txn.go).
package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// ClientOptions are the connection settings of a kgo client.
type ClientOptions struct {
	// Brokers are the seed brokers, "host:port". Required.
	Brokers []string
	// ClientID is sent to the brokers with every request; empty keeps
	// kgo's default ("kgo").
	ClientID string
	// TLS, when non-nil, dials the brokers with TLS.
	TLS *tls.Config
	// SASLMechanism is "", "PLAIN", "SCRAM-SHA-256" or "SCRAM-SHA-512".
	SASLMechanism string
	// SASLUser and SASLPassword are the SASL credentials.
	SASLUser, SASLPassword string
	// MaxBufferedRecords caps the records buffered by the producer; a full
	// buffer makes produce calls block. Default 10000 (kgo's).
	MaxBufferedRecords int
	// MaxBufferedBytes caps the bytes (keys, values, headers) buffered by
	// the producer; a full buffer makes produce calls block, and a record
	// larger than it fails with MESSAGE_TOO_LARGE. Default 0: no byte cap
	// (runtime.Config sets 32 MiB).
	MaxBufferedBytes int64
	// Linger is how long the producer waits for more records before
	// sending a partial batch. Default 5ms, as runtime.Config (the Java
	// client's default since Kafka 4.0; kgo's own is 10ms).
	Linger time.Duration
	// Logger receives the client's warnings and errors; nil discards them.
	Logger *slog.Logger
	// ManualTopics are topics whose records go to the partition their
	// Partition field names, keyed or not (changelogs: a table
	// partition's changelog partition is its source partition's number).
	ManualTopics map[string]bool
}

// ConnOpts returns the kgo options that reach the cluster o names (seed
// brokers, client id, TLS, SASL, logger), for clients of one purpose such
// as a table restore.
func (o ClientOptions) ConnOpts() ([]kgo.Opt, error) {
	if len(o.Brokers) == 0 {
		return nil, errors.New("no brokers configured")
	}
	opts := []kgo.Opt{kgo.SeedBrokers(o.Brokers...)}
	if o.ClientID != "" {
		opts = append(opts, kgo.ClientID(o.ClientID))
	}
	if o.TLS != nil {
		opts = append(opts, kgo.DialTLSConfig(o.TLS))
	}
	mech, err := o.SASL()
	if err != nil {
		return nil, err
	}
	if mech != nil {
		opts = append(opts, kgo.SASL(mech))
	}
	if o.Logger != nil {
		opts = append(opts, kgo.WithLogger(slogLogger{o.Logger}))
	}
	return opts, nil
}

// SASL returns the kgo SASL mechanism the options name, nil for none.
func (o ClientOptions) SASL() (sasl.Mechanism, error) {
	switch strings.ToUpper(o.SASLMechanism) {
	case "":
		return nil, nil
	case "PLAIN":
		return plain.Auth{User: o.SASLUser, Pass: o.SASLPassword}.AsMechanism(), nil
	case "SCRAM-SHA-256":
		return scram.Auth{User: o.SASLUser, Pass: o.SASLPassword}.AsSha256Mechanism(), nil
	case "SCRAM-SHA-512":
		return scram.Auth{User: o.SASLUser, Pass: o.SASLPassword}.AsSha512Mechanism(), nil
	}
	return nil, fmt.Errorf("unknown SASL mechanism %q: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", o.SASLMechanism)
}

// NewClient builds a kgo client from o and extra options. Keyed records are
// placed on partitions exactly as the Java client's default partitioner
// does: murmur2 of the key bytes, sign bit cleared, modulo the partition
// count. A record without a key goes to the partition its Partition field
// names (modulo the count): the runtime keeps a dead letter on its
// source's partition that way.
func NewClient(o ClientOptions, extra ...kgo.Opt) (*kgo.Client, error) {
	opts, err := o.clientOpts()
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append(opts, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("create kafka client: %w", err)
	}
	return cl, nil
}

// NewTransactSession is NewClient for an exactly-once group: extra must
// hold the Opts of a Group with a TransactionalID.
func NewTransactSession(o ClientOptions, extra ...kgo.Opt) (*kgo.GroupTransactSession, error) {
	opts, err := o.clientOpts()
	if err != nil {
		return nil, err
	}
	s, err := kgo.NewGroupTransactSession(append(opts, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("create transactional kafka client: %w", err)
	}
	return s, nil
}

// clientOpts returns the options of NewClient before its extra ones.
func (o ClientOptions) clientOpts() ([]kgo.Opt, error) {
	opts, err := o.ConnOpts()
	if err != nil {
		return nil, err
	}
	opts = append(opts,
		kgo.RecordPartitioner(javaPartitioner{manual: o.ManualTopics}),
		// Kafka's default message.max.bytes (kgo's own default is the
		// older 1000012): a record the broker accepts on input can be
		// relayed to a topic with the default limit.
		kgo.ProducerBatchMaxBytes(1048588),
	)
	if o.MaxBufferedRecords <= 0 {
		o.MaxBufferedRecords = 10000
	}
	opts = append(opts, kgo.MaxBufferedRecords(o.MaxBufferedRecords))
	if o.MaxBufferedBytes > 0 {
		opts = append(opts, kgo.MaxBufferedBytes(int(o.MaxBufferedBytes)))
	}
	if o.Linger <= 0 {
		o.Linger = 5 * time.Millisecond
	}
	opts = append(opts, kgo.ProducerLinger(o.Linger))
	return opts, nil
}

// Murmur2 is the 32-bit murmur2 hash of Kafka's Java client
// (org.apache.kafka.common.utils.Utils.murmur2), seed 0x9747b28c.
func Murmur2(data []byte) uint32 {
	const (
		seed = 0x9747b28c
		m    = 0x5bd1e995
		r    = 24
	)
	n := len(data)
	h := uint32(seed) ^ uint32(n)
	for len(data) >= 4 {
		k := uint32(data[0]) | uint32(data[1])<<8 | uint32(data[2])<<16 | uint32(data[3])<<24
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
		data = data[4:]
	}
	switch len(data) {
	case 3:
		h ^= uint32(data[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(data[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(data[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return h
}

// PartitionForKey returns the partition the Java client's default
// partitioner picks for key among partitions partitions.
func PartitionForKey(key []byte, partitions int32) int32 {
	return int32(Murmur2(key)&0x7fffffff) % partitions
}

// javaPartitioner is the partitioner of NewClient. Unlike kgo's sticky
// partitioners it keeps no per-batch state, so franz-go does not hold the
// topic's lock while buffering: agents producing to one topic from many
// partitions do not queue behind each other.
type javaPartitioner struct {
	manual map[string]bool // topics placed by the record's Partition field
}

func (j javaPartitioner) ForTopic(topic string) kgo.TopicPartitioner {
	if j.manual[topic] {
		return manualPartitioner{}
	}
	return javaPartitioner{}
}

func (javaPartitioner) RequiresConsistency(*kgo.Record) bool { return true }

func (javaPartitioner) Partition(r *kgo.Record, n int) int {
	if r.Key != nil {
		return int(Murmur2(r.Key)&0x7fffffff) % n
	}
	p := int(r.Partition) % n
	if p < 0 {
		p += n
	}
	return p
}

// slogLogger adapts a *slog.Logger to kgo.Logger, passing warnings and
// errors through (kgo's info and debug logs are too chatty for services).
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Level() kgo.LogLevel {
	if s.l.Enabled(context.Background(), slog.LevelDebug) {
		return kgo.LogLevelDebug
	}
	return kgo.LogLevelWarn
}

func (s slogLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	var l slog.Level
	switch level {
	case kgo.LogLevelError:
		l = slog.LevelError
	case kgo.LogLevelWarn:
		l = slog.LevelWarn
	case kgo.LogLevelInfo:
		l = slog.LevelInfo
	default:
		l = slog.LevelDebug
	}
	s.l.Log(context.Background(), l, "kafka: "+msg, keyvals...)
}

// manualPartitioner places every record on the partition its Partition
// field names (modulo the count).
type manualPartitioner struct{}

func (manualPartitioner) RequiresConsistency(*kgo.Record) bool { return true }

func (manualPartitioner) Partition(r *kgo.Record, n int) int {
	p := int(r.Partition) % n
	if p < 0 {
		p += n
	}
	return p
}
