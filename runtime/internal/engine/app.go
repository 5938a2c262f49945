package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/faustgen/faustgen/runtime"
	"github.com/faustgen/faustgen/runtime/internal/devcluster"
	"github.com/faustgen/faustgen/runtime/internal/flow"
	"github.com/faustgen/faustgen/runtime/internal/transport"
	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kgo"
)

// AppSpec is the topology of one App, as generated code declares it.
type AppSpec struct {
	// ID is the consumer group id and the prefix of internal topics.
	ID string
	// Guarantee is the delivery guarantee.
	Guarantee Guarantee
	// Subjects is the registry subject naming strategy.
	Subjects SubjectStrategy
	// Compatibility is the registry compatibility level set on every
	// subject the App registers ("BACKWARD", "FULL_TRANSITIVE", ...);
	// empty leaves the registry's setting alone.
	Compatibility string
	// Topics are every topic of the topology.
	Topics []AnyTopic
	// Tables are the topology's tables. A table used by an agent this
	// instance runs gets a store per owned partition and a compacted
	// changelog "<app>-<table>-changelog", unless it is sourced from a
	// topic (TableDef.Source), which is then its changelog; a global
	// table gets one store of all its partitions in every instance.
	Tables []AnyTable
	// Agents are the agents this process runs; nil entries are skipped.
	Agents []AnyAgent
}

// App runs a topology: it creates topics, registers schemas, runs the
// agents in a consumer group and serves the producers.
type App struct {
	cfg  runtime.Config
	spec AppSpec
	log  *slog.Logger

	topics  []AnyTopic               // every topic, sources and sinks included
	agents  []*agentState            // non-nil agents
	byTopic map[string][]*agentState // agents by source topic

	// Set during start, read-only after started is closed.
	ids      map[string]schemaIDs
	reg      *registry
	client   *kgo.Client // the group's, and the agents' producer
	producer *kgo.Client // the Producers': client, or under exactly-once a non-transactional one
	session  *kgo.GroupTransactSession
	txnID    string // under exactly-once with agents: the transactional id
	group    *transport.Group
	stopDev  func() // stops the embedded dev cluster (Config.Embedded)
	started  chan struct{}
	ready    chan struct{} // closed once started without error: partitions may process
	startErr error

	readerAPI avro.API // the decoders' limits (see readerLimit)

	tables           []*tableState // tables used by agents run here
	tableByDef       map[AnyTable]*tableState
	tablesBySource   map[string][]*tableState   // by the source topic they follow
	windowedBySource map[string][]*tableState   // the windowed ones
	globals          []*tableState              // the global tables
	late             atomic.Int64               // writes to closed windows (LateRecordError)
	stateDir         string                     // Config.StateDir/<app id>
	stateLock        interface{ Close() error } // held while running
	connOpts         []kgo.Opt                  // for table restores
	partsMu          sync.Mutex
	parts            map[tablePartKey]*tablePart // owned table partitions

	testOpts []kgo.Opt // extra client options, for tests

	sends sync.Pool // *sendRecord, recycled once acknowledged
	free  sendFree  // what partitions' sends returned, shared by them

	runMu  sync.Mutex
	ran    bool
	abort  chan struct{} // closed by abortForTest
	closed chan struct{} // closed when Run has returned
}

// agentState is an agent as the App runs it.
type agentState struct {
	name   string
	index  int // in App.agents
	agent  AnyAgent
	policy ErrorPolicy
	dlq    string // "<app>-<agent>-dlq"
	// sinkIDs has an entry per sink topic the agent may send to; it and
	// sourceIDs hold the schema ids once the App has started.
	sinkIDs   map[string]schemaIDs
	sourceIDs schemaIDs
	// sinks holds the declared sink topics with their ids once started:
	// SinkOf finds a declared *Topic by pointer before asking sinkIDs
	// (by name) about any other.
	sinks []sinkIDs
}

type sinkIDs struct {
	topic AnyTopic
	ids   schemaIDs
}

// NewApp checks spec and returns an App that Run starts. It fails on a
// spec it cannot run, naming every problem: tables partitioned unlike
// their agents' source, written while sourced from a topic, windowed
// tables in lookups, global tables without a source, or an unknown
// guarantee.
func NewApp(cfg runtime.Config, spec AppSpec) (*App, error) {
	if spec.ID == "" {
		return nil, errors.New("app spec: empty app id")
	}
	cfg = configWithDefaults(cfg, spec.ID)
	readerAPI := readerConfig
	if cfg.MaxValueBytes > 0 {
		readerAPI = avro.Config{MaxByteSliceSize: int(cfg.MaxValueBytes)}.Freeze()
	}
	if spec.Guarantee != AtLeastOnce && spec.Guarantee != ExactlyOnce {
		return nil, fmt.Errorf("app %s: unknown guarantee %v", spec.ID, spec.Guarantee)
	}
	a := &App{
		cfg:              cfg,
		spec:             spec,
		log:              cfg.Logger.With("app", spec.ID),
		byTopic:          map[string][]*agentState{},
		tableByDef:       map[AnyTable]*tableState{},
		tablesBySource:   map[string][]*tableState{},
		windowedBySource: map[string][]*tableState{},
		parts:            map[tablePartKey]*tablePart{},
		started:          make(chan struct{}),
		ready:            make(chan struct{}),
		abort:            make(chan struct{}),
		closed:           make(chan struct{}),
		readerAPI:        readerAPI,
	}
	var errs []error
	seen := map[string]*TopicSpec{}
	addTopic := func(t AnyTopic, where string) {
		if t == nil {
			errs = append(errs, fmt.Errorf("%s: nil topic", where))
			return
		}
		s := t.spec()
		switch {
		case s.Name == "":
			errs = append(errs, fmt.Errorf("%s: topic with an empty name", where))
			return
		case s.Partitions <= 0:
			errs = append(errs, fmt.Errorf("%s: topic %s: partitions must be positive, got %d", where, s.Name, s.Partitions))
			return
		}
		if prev, ok := seen[s.Name]; ok {
			if prev != s && (prev.Partitions != s.Partitions || prev.Replication != s.Replication) {
				errs = append(errs, fmt.Errorf("%s: topic %s declared twice with different settings", where, s.Name))
			}
			return
		}
		seen[s.Name] = s
		a.topics = append(a.topics, t)
	}
	for _, t := range spec.Topics {
		addTopic(t, "app spec")
	}
	for _, ag := range spec.Agents {
		if ag == nil || ag.isNil() {
			continue
		}
		name := ag.agentName()
		where := "agent " + name
		if name == "" {
			errs = append(errs, errors.New("agent with an empty name"))
			continue
		}
		src := ag.source()
		if src == nil {
			errs = append(errs, fmt.Errorf("%s: no source topic", where))
			continue
		}
		if !ag.hasProcess() {
			errs = append(errs, fmt.Errorf("%s: no Process function", where))
			continue
		}
		addTopic(src, where)
		st := &agentState{
			name:    name,
			agent:   ag,
			index:   len(a.agents),
			sinkIDs: map[string]schemaIDs{},
			policy:  ag.policy(),
			dlq:     spec.ID + "-" + name + "-dlq",
		}
		switch st.policy {
		case Fail, Skip, DeadLetter:
		default:
			errs = append(errs, fmt.Errorf("%s: unknown error policy %v", where, st.policy))
		}
		for _, s := range ag.sinkTopics() {
			addTopic(s, where)
			if s != nil {
				st.sinkIDs[s.spec().Name] = schemaIDs{}
			}
		}
		a.agents = append(a.agents, st)
		a.byTopic[src.spec().Name] = append(a.byTopic[src.spec().Name], st)
		errs = append(errs, a.bindTables(ag, st, src.spec(), addTopic)...)
	}
	for _, tb := range spec.Tables {
		if tb == nil {
			errs = append(errs, errors.New("app spec: nil table"))
		}
	}
	if cfg.MaxBufferedBytes < transport.MinMaxBufferedBytes {
		errs = append(errs, fmt.Errorf("config: MaxBufferedBytes %d is below the minimum of 1 MiB (%d bytes)", cfg.MaxBufferedBytes, transport.MinMaxBufferedBytes))
	}
	if cfg.Embedded && devcluster.Start == nil {
		errs = append(errs, fmt.Errorf("config: Embedded is set (Config.Embedded or %s=true) but this program does not link the embedded dev cluster: add %s to its main package", runtime.EnvEmbedded, devcluster.Import))
	}
	if !cfg.Embedded {
		if len(cfg.Brokers) == 0 {
			errs = append(errs, fmt.Errorf("config: no brokers (set Config.Brokers or %s, or Config.Embedded for the in-process dev cluster)", runtime.EnvBrokers))
		}
		if cfg.RegistryURL == "" {
			errs = append(errs, fmt.Errorf("config: no schema registry URL (set Config.RegistryURL or %s, or Config.Embedded for the in-process dev cluster)", runtime.EnvRegistry))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return a, nil
}

// Started is closed once Run has created the topics and registered the
// schemas (or failed to: Run then returns the error); producers wait for
// it. The consumer group is joined after.
func (a *App) Started() <-chan struct{} { return a.started }

// Run starts the App and blocks until ctx is canceled or an agent fails
// under the Fail policy. At start it creates missing topics, refuses
// topics whose partition count differs from the spec, and registers every
// key and value schema; when that is not done within Config.StartTimeout
// (brokers or registry unreachable), Run fails with an error naming them.
// On stop it stops fetching, finishes the records
// in progress, waits for produced records, commits and leaves the group,
// within Config.ShutdownTimeout. It returns nil after a stop by ctx. Run
// may be called once.
func (a *App) Run(ctx context.Context) error {
	a.runMu.Lock()
	if a.ran {
		a.runMu.Unlock()
		return fmt.Errorf("app %s: Run called twice", a.spec.ID)
	}
	a.ran = true
	a.runMu.Unlock()
	defer close(a.closed)

	sctx, cancelStart := context.WithTimeout(ctx, a.cfg.StartTimeout)
	err := a.start(sctx)
	if err != nil && sctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
		err = fmt.Errorf("not started within StartTimeout (%v): %w", a.cfg.StartTimeout, err)
	}
	cancelStart()
	if err != nil {
		a.startErr = fmt.Errorf("start app %s: %w", a.spec.ID, err)
		close(a.started)
		a.stopResources()
		return a.startErr
	}
	if err := a.startGlobals(ctx); err != nil {
		a.startErr = fmt.Errorf("start app %s: %w", a.spec.ID, err)
		close(a.started)
		a.stopResources() // closes the global tables that started
		return a.startErr
	}
	close(a.ready)
	close(a.started)
	a.log.Info("app started", "topics", len(a.topics), "agents", len(a.agents))

	switch {
	case a.session != nil:
		err = a.group.RunTransactions(ctx, a.session)
	case a.group != nil:
		err = a.group.Run(ctx, a.client)
	default:
		select {
		case <-ctx.Done():
		case <-a.abort:
		}
	}
	select {
	case <-a.abort:
		a.stopResources()
		return err
	default:
	}
	fctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	if ferr := a.producer.Flush(fctx); ferr != nil {
		a.log.Warn("flush on stop failed", "err", ferr)
	}
	cancel()
	a.stopResources()
	a.log.Info("app stopped", "err", err)
	return err
}

// start brings up the embedded cluster (if configured), the client, the
// topics and the schemas. Its errors name the brokers or the registry it
// was talking to.
func (a *App) start(ctx context.Context) error {
	brokers, registryURL := a.cfg.Brokers, a.cfg.RegistryURL
	if a.cfg.Embedded {
		var err error
		brokers, registryURL, a.stopDev, err = devcluster.Start(ctx)
		if err != nil {
			return err
		}
		a.log.Info("embedded dev cluster started", "brokers", brokers, "registry", registryURL)
	}
	conn := transport.ClientOptions{
		Brokers:            brokers,
		ClientID:           a.cfg.ClientID,
		TLS:                a.cfg.TLS,
		SASLMechanism:      a.cfg.SASLMechanism,
		SASLUser:           a.cfg.SASLUser,
		SASLPassword:       a.cfg.SASLPassword,
		MaxBufferedRecords: a.cfg.MaxBufferedRecords,
		MaxBufferedBytes:   a.cfg.ProducerBufferBytes,
		Linger:             a.cfg.Linger,
		Logger:             a.log,
	}
	manual := map[string]bool{}
	for _, st := range a.tables {
		if !st.sourced { // a source topic is partitioned by key, like any
			manual[st.changelog.spec().Name] = true
		}
	}
	conn.ManualTopics = manual
	connOpts, err := conn.ConnOpts()
	if err != nil {
		return err
	}
	a.connOpts = connOpts
	if err := a.lockStateDir(); err != nil {
		return err
	}
	var extra []kgo.Opt
	eos := a.spec.Guarantee == ExactlyOnce && len(a.agents) > 0
	if eos {
		a.txnID = a.transactionalID()
	}
	if len(a.agents) > 0 {
		var sources []string
		for name := range a.byTopic {
			sources = append(sources, name)
		}
		slices.Sort(sources)
		a.group = transport.NewGroup(transport.GroupOptions{
			Group:            a.spec.ID,
			Topics:           sources,
			Handle:           a.handle,
			Hooks:            a.tableHooks(),
			Ready:            a.ready,
			CommitInterval:   a.cfg.CommitInterval,
			MaxPollRecords:   a.cfg.MaxPollRecords,
			MaxBufferedBytes: a.cfg.MaxBufferedBytes,
			InstanceID:       a.cfg.InstanceID,
			SessionTimeout:   a.cfg.SessionTimeout,
			RebalanceTimeout: a.cfg.RebalanceTimeout,
			PartitionLimits:  flow.Limits{HighRecords: a.cfg.PartitionBufferRecords, HighBytes: a.cfg.PartitionBufferBytes},
			DrainTimeout:     a.cfg.ShutdownTimeout,
			Logger:           a.log,
			TransactionalID:  a.txnID,
		})
		extra = a.group.Opts()
	}
	if eos {
		s, err := transport.NewTransactSession(conn, append(extra, a.testOpts...)...)
		if err != nil {
			return err
		}
		a.session, a.client = s, s.Client()
		// Producers outside agents stay idempotent, not transactional.
		if a.producer, err = transport.NewClient(conn, a.testOpts...); err != nil {
			return err
		}
		a.log.Info("exactly-once: agents produce in transactions", "transactional_id", a.txnID)
	} else {
		cl, err := transport.NewClient(conn, append(extra, a.testOpts...)...)
		if err != nil {
			return err
		}
		a.client, a.producer = cl, cl
	}
	cl := a.client

	specs := make([]transport.TopicSpec, 0, len(a.topics))
	for _, t := range a.topics {
		s := t.spec()
		specs = append(specs, transport.TopicSpec{Name: s.Name, Partitions: s.Partitions, Replication: s.Replication, Config: s.Config})
	}
	for _, st := range a.agents {
		if st.policy == DeadLetter {
			src := st.agent.source().spec()
			specs = append(specs, transport.TopicSpec{Name: st.dlq, Partitions: src.Partitions, Replication: src.Replication})
		}
	}
	if err := transport.EnsureTopics(ctx, cl, specs); err != nil {
		return fmt.Errorf("topics on brokers %s: %w", strings.Join(brokers, ","), err)
	}
	if a.cfg.MaxValueBytes <= 0 && len(a.byTopic) > 0 {
		a.readerAPI = a.readerLimit(ctx, cl)
	}

	reg, err := newRegistry(a.cfg, registryURL)
	if err != nil {
		return err
	}
	a.reg = reg
	a.ids = make(map[string]schemaIDs, len(a.topics))
	var errs []error
	for _, t := range a.topics {
		name := t.spec().Name
		var ids schemaIDs
		ktyp, kschema := t.keySchema()
		vtyp, vschema := t.valueSchema()
		var kerr, verr error
		ids.key, kerr = reg.register(ctx, a.spec.Subjects.subjectOf(name, ktyp, true), kschema, a.spec.Compatibility)
		ids.value, verr = reg.register(ctx, a.spec.Subjects.subjectOf(name, vtyp, false), vschema, a.spec.Compatibility)
		if kerr != nil || verr != nil {
			errs = append(errs, kerr, verr)
			if ctx.Err() != nil {
				break // every other topic would fail the same way
			}
			continue
		}
		a.ids[name] = ids
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("schemas at registry %s: %w", reg.url, err)
	}
	for _, st := range a.agents {
		st.sourceIDs = a.ids[st.agent.source().spec().Name]
		for name := range st.sinkIDs {
			st.sinkIDs[name] = a.ids[name]
		}
		st.sinks = st.sinks[:0]
		for _, s := range st.agent.sinkTopics() {
			if s != nil {
				st.sinks = append(st.sinks, sinkIDs{s, a.ids[s.spec().Name]})
			}
		}
	}
	return nil
}

func (a *App) stopResources() {
	if a.producer != nil && a.producer != a.client {
		a.producer.Close()
	}
	if a.client != nil {
		a.client.Close()
	}
	a.stopGlobals()
	if a.stateLock != nil {
		a.stateLock.Close()
	}
	if a.stopDev != nil {
		a.stopDev()
	}
}

// abortForTest stops the App as a crash would: nothing more is committed
// or flushed. Run returns soon after.
func (a *App) abortForTest() {
	if a.group != nil {
		a.group.Abort()
	}
	select {
	case <-a.abort:
	default:
		close(a.abort)
	}
}

// readerLimit returns the decoders' configuration for the source topics:
// a string or bytes value may be as large as twice the largest
// max.message.bytes among them (a compressed batch may hold a record
// larger than the limit), and at least MaxValueBytes. A record the broker
// accepted is one the agent can read. When the topic configs cannot be
// read (no DescribeConfigs permission), it keeps MaxValueBytes.
func (a *App) readerLimit(ctx context.Context, cl *kgo.Client) avro.API {
	var sources []string
	for name := range a.byTopic {
		sources = append(sources, name)
	}
	limit, err := transport.MaxMessageBytes(ctx, cl, sources...)
	if err != nil {
		a.log.Debug("cannot read the source topics' max.message.bytes; decoding values up to the default limit", "limit", runtime.MaxValueBytes, "err", err)
		return readerConfig
	}
	if 2*limit <= runtime.MaxValueBytes {
		return readerConfig
	}
	return avro.Config{MaxByteSliceSize: int(min(2*limit, 1<<31-1))}.Freeze()
}
