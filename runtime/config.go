package runtime

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config holds the connection and tuning settings of an App. The zero
// value plus Brokers and RegistryURL (or Embedded) is a working
// configuration; every other field has the default its doc states.
type Config struct {
	// Brokers are the Kafka seed brokers, "host:port". Required unless
	// Embedded is set.
	Brokers []string
	// ClientID is sent to the brokers with every request. Default: the
	// App's id.
	ClientID string
	// TLS, when non-nil, dials the brokers with TLS. Default: plaintext.
	TLS *tls.Config
	// SASLMechanism is "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", or empty
	// for no SASL. Default: empty.
	SASLMechanism string
	// SASLUser and SASLPassword are the SASL credentials.
	SASLUser, SASLPassword string

	// RegistryURL is the schema registry's base URL (a Confluent-compatible
	// API). Required unless Embedded is set.
	RegistryURL string
	// RegistryUser and RegistryPassword, when set, authenticate to the
	// registry with HTTP basic auth. Default: no authentication.
	RegistryUser, RegistryPassword string
	// Resolver decodes records written with a schema other than the
	// generated type's. Default: nil, the built-in resolver (the writer
	// schema is fetched once by id, checked and compiled into a cached
	// transcoding plan; an unresolvable one is an *UnresolvableSchemaError
	// routed to the agent's on_error policy).
	Resolver Resolver

	// CommitInterval is how often processed offsets are committed. Under
	// at-least-once a commit also runs as soon as a partition has
	// processed everything it was given and the last commit is an
	// interval old. Under exactly-once it bounds a transaction: each
	// transaction ends (commits its outputs, changelog records and
	// offsets together) an interval after it began, so read_committed
	// consumers see outputs up to an interval late, and an abort redoes
	// up to an interval of work. Default: 1s.
	CommitInterval time.Duration
	// MaxPollRecords caps the records taken from the consumer per poll.
	// Default: 10000 (fewer when MaxBufferedBytes is small: a poll's
	// bookkeeping stays within a sixteenth of it).
	MaxPollRecords int
	// MaxBufferedBytes caps the input records the process holds at once:
	// fetched by the Kafka client, waiting in partition buffers, or being
	// processed (keys, values, headers and per-record bookkeeping). A
	// quarter goes to the client's fetches (the fetch sizes are derived
	// from it); three quarters to the partition buffers. When they are
	// full, polling waits; no partition waits for another. A single
	// record batch larger than an eighth of it is still fetched (so big
	// records always get through), and exceeds it by that batch. Read by
	// ConfigFromEnv from FAUSTGEN_MAX_BUFFERED_BYTES. Default: 64 MiB;
	// at least 1 MiB.
	MaxBufferedBytes int64
	// PartitionBufferRecords and PartitionBufferBytes bound one
	// partition's input buffer: reaching either pauses that partition's
	// fetching, and it resumes once both are below half. A slow partition
	// thus holds at most about this much, and the others keep flowing.
	// Default: 4 × MaxPollRecords (40000) and an eighth of MaxBufferedBytes.
	PartitionBufferRecords int
	PartitionBufferBytes   int64
	// MaxBufferedRecords caps the records the producer buffers; a full
	// buffer makes Send block. Default: 10000.
	MaxBufferedRecords int
	// ProducerBufferBytes caps the bytes the producer buffers; a full
	// buffer makes Send (and an agent's sends) block, so a slow broker
	// pushes back on agents instead of growing memory. A single record
	// larger than it fails with MESSAGE_TOO_LARGE. Read by ConfigFromEnv
	// from FAUSTGEN_PRODUCER_BUFFER_BYTES. Default: 32 MiB.
	ProducerBufferBytes int64
	// Linger is how long the producer waits for more records before
	// sending a partial batch; batches also form while a request is in
	// flight. Agents do not wait it out: once a partition has processed
	// every record it was given, what lingers is sent at once. Default:
	// 5ms (the Java client's default since Kafka 4.0).
	Linger time.Duration
	// StartTimeout bounds the start of Run: reaching the brokers, creating
	// and checking the topics, and registering the schemas. When the
	// brokers or the registry cannot be reached in that time, Run fails
	// with an error naming them instead of retrying forever. Default: 30s.
	StartTimeout time.Duration
	// ShutdownTimeout bounds a graceful stop (and a rebalance's wait for
	// the record in progress): finishing in-flight records, flushing and
	// committing. Default: 30s.
	ShutdownTimeout time.Duration

	// StateDir is where table stores live: StateDir/<app id>/<table>/
	// <partition>.db, one bbolt file per table partition, and a LOCK file
	// that keeps a second live instance from using the same dir. Their
	// content can always be rebuilt from the changelogs; keeping it (a
	// persistent volume) makes restarts replay nothing. Read by
	// ConfigFromEnv from FAUSTGEN_STATE_DIR. Default: "faustgen-state" in
	// the working directory (not a temporary folder).
	StateDir string
	// MaxValueBytes is the largest string or bytes value an agent
	// decodes; a larger one is a decode error (a corrupt length cannot
	// make the decoder allocate past it). Default: 0, meaning twice the
	// largest max.message.bytes of the source topics (read at start), and
	// at least 64 MiB: whatever the broker accepted, the agent reads.
	MaxValueBytes int64
	// InstanceID, when set, makes this instance a static member of the
	// consumer group (KIP-345, group.instance.id): restarted within
	// SessionTimeout with the same id, it gets its partitions back at
	// once, with no rebalance and no wait. Set it where an instance has a
	// stable identity (a StatefulSet pod's name, a systemd unit per host);
	// never give two live instances the same id (the second one fences
	// the first, which stops). Without it, a crashed instance's partitions
	// wait SessionTimeout before moving. Read by ConfigFromEnv from
	// FAUSTGEN_INSTANCE_ID. Default: empty (dynamic membership).
	InstanceID string
	// SessionTimeout is how long the group waits for a silent instance
	// (crashed, frozen, cut off) before giving its partitions to others:
	// the pause a crash costs without InstanceID, and how long a static
	// member may be away. Shorter notices crashes sooner; too short
	// expels instances on a network hiccup (the broker allows 6s to 5m by
	// default). Read from FAUSTGEN_SESSION_TIMEOUT. Default: 10s.
	SessionTimeout time.Duration
	// RebalanceTimeout is how long a rebalance waits for every instance
	// to rejoin; one that has not by then is expelled. A revoke waits at
	// most half of it for the record in progress. Read from
	// FAUSTGEN_REBALANCE_TIMEOUT. Default: 30s.
	RebalanceTimeout time.Duration

	// Logger receives the App's logs. Default: slog.Default().
	Logger *slog.Logger

	// Embedded starts an in-process Kafka cluster (kfake) and an
	// in-process schema registry on loopback when the App runs, and
	// connects to them instead of Brokers and RegistryURL. For demos,
	// examples and tests only: nothing persists. It needs the program to
	// link the cluster: import _ "github.com/faustgen/faustgen/runtime/embedded"
	// (the generated New fails naming that import otherwise), which a
	// production binary leaves out. Default: false.
	Embedded bool
}

// Environment variables read by ConfigFromEnv.
const (
	EnvBrokers          = "FAUSTGEN_BROKERS"                  // comma-separated host:port list
	EnvClientID         = "FAUSTGEN_CLIENT_ID"                // client id
	EnvTLS              = "FAUSTGEN_TLS"                      // "true": TLS with the system roots
	EnvTLSCAFile        = "FAUSTGEN_TLS_CA_FILE"              // PEM file of CA certificates (implies TLS)
	EnvSASLMechanism    = "FAUSTGEN_SASL_MECHANISM"           // PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
	EnvSASLUser         = "FAUSTGEN_SASL_USER"                // SASL user
	EnvSASLPassword     = "FAUSTGEN_SASL_PASSWORD"            // SASL password
	EnvRegistry         = "FAUSTGEN_REGISTRY"                 // schema registry URL
	EnvRegistryUser     = "FAUSTGEN_REGISTRY_USER"            // registry basic-auth user
	EnvRegistryPassword = "FAUSTGEN_REGISTRY_PASSWORD"        // registry basic-auth password
	EnvCommitInterval   = "FAUSTGEN_COMMIT_INTERVAL"          // Go duration, such as 500ms
	EnvStartTimeout     = "FAUSTGEN_START_TIMEOUT"            // Go duration, such as 10s
	EnvStateDir         = "FAUSTGEN_STATE_DIR"                // directory of the table stores
	EnvInstanceID       = "FAUSTGEN_INSTANCE_ID"              // static group membership id
	EnvSessionTimeout   = "FAUSTGEN_SESSION_TIMEOUT"          // Go duration, such as 10s
	EnvRebalanceTimeout = "FAUSTGEN_REBALANCE_TIMEOUT"        // Go duration, such as 30s
	EnvMaxBufferedBytes = "FAUSTGEN_MAX_BUFFERED_BYTES"       // bytes, or a size such as 64MiB
	EnvProducerBytes    = "FAUSTGEN_PRODUCER_BUFFER_BYTES"    // bytes, or a size such as 32MiB
	EnvPartitionBytes   = "FAUSTGEN_PARTITION_BUFFER_BYTES"   // bytes, or a size such as 8MiB
	EnvPartitionRecords = "FAUSTGEN_PARTITION_BUFFER_RECORDS" // a record count
	EnvEmbedded         = "FAUSTGEN_EMBEDDED"                 // "true": the embedded cluster
)

// ConfigFromEnv fills a Config from the FAUSTGEN_* environment variables
// (see the Env constants); unset variables keep the defaults. It fails on
// a value it cannot parse, naming the variable.
func ConfigFromEnv() (Config, error) {
	var c Config
	if v := os.Getenv(EnvBrokers); v != "" {
		for _, b := range strings.Split(v, ",") {
			if b = strings.TrimSpace(b); b != "" {
				c.Brokers = append(c.Brokers, b)
			}
		}
	}
	c.ClientID = os.Getenv(EnvClientID)
	if v := os.Getenv(EnvTLS); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("%s=%q: want true or false", EnvTLS, v)
		}
		if on {
			c.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
		}
	}
	if f := os.Getenv(EnvTLSCAFile); f != "" {
		pem, err := os.ReadFile(f)
		if err != nil {
			return c, fmt.Errorf("%s: %w", EnvTLSCAFile, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return c, fmt.Errorf("%s=%s: no PEM certificates in the file", EnvTLSCAFile, f)
		}
		c.TLS = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}
	}
	c.SASLMechanism = os.Getenv(EnvSASLMechanism)
	c.SASLUser = os.Getenv(EnvSASLUser)
	c.SASLPassword = os.Getenv(EnvSASLPassword)
	c.RegistryURL = os.Getenv(EnvRegistry)
	c.RegistryUser = os.Getenv(EnvRegistryUser)
	c.RegistryPassword = os.Getenv(EnvRegistryPassword)
	if v := os.Getenv(EnvCommitInterval); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("%s=%q: want a positive Go duration such as 500ms", EnvCommitInterval, v)
		}
		c.CommitInterval = d
	}
	for _, e := range []struct {
		name string
		dst  *time.Duration
	}{{EnvStartTimeout, &c.StartTimeout}, {EnvSessionTimeout, &c.SessionTimeout}, {EnvRebalanceTimeout, &c.RebalanceTimeout}} {
		if v := os.Getenv(e.name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return c, fmt.Errorf("%s=%q: want a positive Go duration such as 10s", e.name, v)
			}
			*e.dst = d
		}
	}
	c.InstanceID = os.Getenv(EnvInstanceID)
	c.StateDir = os.Getenv(EnvStateDir)
	for _, e := range []struct {
		name string
		dst  *int64
	}{{EnvMaxBufferedBytes, &c.MaxBufferedBytes}, {EnvProducerBytes, &c.ProducerBufferBytes}, {EnvPartitionBytes, &c.PartitionBufferBytes}} {
		if v := os.Getenv(e.name); v != "" {
			n, err := ParseSize(v)
			if err != nil {
				return c, fmt.Errorf("%s=%q: %w", e.name, v, err)
			}
			*e.dst = n
		}
	}
	if v := os.Getenv(EnvPartitionRecords); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return c, fmt.Errorf("%s=%q: want a positive record count", EnvPartitionRecords, v)
		}
		c.PartitionBufferRecords = n
	}
	if v := os.Getenv(EnvEmbedded); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("%s=%q: want true or false", EnvEmbedded, v)
		}
		c.Embedded = on
	}
	return c, nil
}

// ParseSize reads a byte count: a whole number of bytes ("1048576") or a
// number with a unit, binary (KiB, MiB, GiB) or decimal (kB, MB, GB); "B"
// is bytes. Case and a space before the unit do not matter.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	mult, ok := map[string]float64{
		"": 1, "b": 1,
		"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30,
	}[unit]
	if !ok || num == "" {
		return 0, fmt.Errorf("want a size such as 64MiB, 100MB or 1048576 (bytes)")
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f <= 0 || f*mult > 1<<62 {
		return 0, fmt.Errorf("want a positive size such as 64MiB, 100MB or 1048576 (bytes)")
	}
	return int64(f * mult), nil
}
