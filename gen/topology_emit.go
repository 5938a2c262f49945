package gen

import (
	"fmt"
	"strings"
	"time"

	. "github.com/dave/jennifer/jen"

	"github.com/faustgen/faustgen/gen/topology"
)

// emitTopology writes topology.go: one Topic per topic, one TableSpec per
// table, the agent interfaces and contexts, Agents, App and New. Every
// decision (names, defaults, validity) was made by the topology package;
// this only renders.
func emitTopology(f *File, m *model) {
	t := m.top
	for _, tp := range t.Topics {
		f.Add(topicVar(m, tp))
	}
	for _, tb := range t.Tables {
		f.Add(tableVar(m, tb))
	}
	for _, a := range t.Agents {
		f.Add(agentInterface(m, a))
		f.Add(agentContext(m, a))
		f.Add(agentBinding(m, a))
	}
	f.Add(agentsStruct(t))
	f.Add(appType(m))
	f.Add(newFunc(t))
	f.Add(runMethod(t))
	f.Add(statsMethod(t))
	for _, tp := range t.Topics {
		f.Add(producerMethod(m, tp))
	}
}

func producerFieldName(tp *topology.Topic) string { return lowerFirst(tp.GoName) + "Producer" }

func topicVarName(tp *topology.Topic) string  { return lowerFirst(tp.GoName) + "Topic" }
func tableVarName(tb *topology.Table) string  { return lowerFirst(tb.GoName) + "Table" }
func agentFuncName(a *topology.Agent) string  { return lowerFirst(a.GoName) + "Agent" }
func agentIfaceName(a *topology.Agent) string { return a.GoName + "Agent" }
func contextName(a *topology.Agent) string    { return a.GoName + "Context" }

// doc renders text as // comment lines wrapped at 77 columns; "\n" in
// text starts a new paragraph line. jen's own Comment turns multi-line
// text into a /* */ block, which reads worse in doc comments.
func doc(format string, args ...any) *Statement {
	var lines []string
	for _, para := range strings.Split(fmt.Sprintf(format, args...), "\n") {
		line := ""
		for _, w := range strings.Fields(para) {
			if line != "" && len(line)+1+len(w) > 77 {
				lines = append(lines, line)
				line = ""
			}
			if line != "" {
				line += " "
			}
			line += w
		}
		lines = append(lines, line)
	}
	s := Comment(lines[0])
	for _, l := range lines[1:] {
		s = s.Line().Comment(l)
	}
	return s.Line()
}

// literal renders a composite literal's body with one element per line,
// in the order given (jen's Dict sorts its keys).
func literal(elems ...Code) *Statement {
	return Custom(Options{Open: "{", Close: "}", Separator: ",", Multi: true}, elems...)
}

// kv renders one "Key: value" element of a literal.
func kv(key string, value Code) Code { return Id(key).Op(":").Add(value) }

// durationText spells a duration briefly: 24h, 1h30m, 15m, 500ms.
func durationText(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// topicVar:
//
//	// pageViewsTopic is the Kafka topic "page-views" (topology key page_views): ...
//	var pageViewsTopic = genapi.Topic[string, PageView]{
//		TopicSpec: genapi.TopicSpec{Name: "page-views", Partitions: 12, ...},
//		Key:       runtime.StringCodec,
//		Value:     PageViewCodec,
//	}
func topicVar(m *model, tp *topology.Topic) Code {
	spec := []Code{kv("Name", Lit(tp.Name)), kv("Partitions", Lit(int(tp.Partitions)))}
	if tp.Replication > 0 {
		spec = append(spec, kv("Replication", Lit(int(tp.Replication))))
	}
	if len(tp.ConfigKeys) > 0 {
		var cfg []Code
		for _, k := range tp.ConfigKeys {
			cfg = append(cfg, Lit(k).Op(":").Lit(tp.Config[k]))
		}
		spec = append(spec, kv("Config", Map(String()).String().Add(literal(cfg...))))
	}
	key, value := m.ref(tp.KeyType), m.ref(tp.ValueType)
	return doc("%s is the Kafka topic %q (topology key %s): keys %s, values %s.", topicVarName(tp), tp.Name, tp.Key, tp.KeyType.Name, tp.ValueType.Name).
		Var().Id(topicVarName(tp)).Op("=").Qual(genapiPath, "Topic").Types(key.goType, value.goType).Add(literal(
		kv("TopicSpec", Qual(genapiPath, "TopicSpec").Add(literal(spec...))),
		kv("Key", key.codec),
		kv("Value", value.codec),
	)).Line()
}

// tableVar:
//
//	// viewsPerPageTable is the table views_per_page, windowed ...
//	var viewsPerPageTable = genapi.TableDef[string, int64]{
//		TableSpec: genapi.TableSpec{
//			Name: "views_per_page", Partitions: 12, KeyType: "string", ValueType: "long",
//			Window: &genapi.WindowSpec{Tumbling: time.Hour, Expires: 24 * time.Hour},
//		},
//		Key: runtime.StringCodec, Value: runtime.LongCodec,
//	}
func tableVar(m *model, tb *topology.Table) Code {
	elems := []Code{
		kv("Name", Lit(tb.Key)),
		kv("Partitions", Lit(int(tb.Partitions))),
	}
	kind := "partitioned like its agents' source topics"
	if tb.Global {
		elems = append(elems, kv("Global", True()))
		kind = "global (every instance holds all partitions)"
	}
	if tb.Source != nil {
		kind += fmt.Sprintf(", read from topic %s (Kafka %q), which is its changelog", tb.Source.Key, tb.Source.Name)
	}
	if w := tb.Window; w != nil {
		var wd []Code
		if w.Session > 0 {
			wd = append(wd, kv("Session", duration(w.Session)))
			kind = fmt.Sprintf("session-windowed (gap %s, kept %s)", durationText(w.Session), durationText(w.Expires))
		} else if w.Hopping > 0 {
			wd = append(wd, kv("Hopping", duration(w.Hopping)), kv("Step", duration(w.Step)))
			kind = fmt.Sprintf("windowed (hopping %s every %s, kept %s)", durationText(w.Hopping), durationText(w.Step), durationText(w.Expires))
		} else {
			wd = append(wd, kv("Tumbling", duration(w.Tumbling)))
			kind = fmt.Sprintf("windowed (tumbling %s, kept %s)", durationText(w.Tumbling), durationText(w.Expires))
		}
		wd = append(wd, kv("Expires", duration(w.Expires)))
		if w.Grace > 0 {
			wd = append(wd, kv("Grace", duration(w.Grace)))
			kind = strings.TrimSuffix(kind, ")") + fmt.Sprintf(" after it ends, grace %s)", durationText(w.Grace))
		} else {
			kind = strings.TrimSuffix(kind, ")") + " after it ends)"
		}
		elems = append(elems, kv("Window", Op("&").Qual(genapiPath, "WindowSpec").Add(literal(wd...))))
	}
	elems = append(elems, kv("KeyType", Lit(tb.KeyType.Name)), kv("ValueType", Lit(tb.ValueType.Name)))
	key, value := m.ref(tb.KeyType), m.ref(tb.ValueType)
	def := []Code{
		kv("TableSpec", Qual(genapiPath, "TableSpec").Add(literal(elems...))),
		kv("Key", key.codec),
		kv("Value", value.codec),
	}
	if tb.Source != nil {
		def = append(def, kv("Source", Op("&").Id(topicVarName(tb.Source))))
	}
	return doc("%s is the table %s, %s: keys %s, values %s.", tableVarName(tb), tb.Key, kind, tb.KeyType.Name, tb.ValueType.Name).
		Var().Id(tableVarName(tb)).Op("=").Qual(genapiPath, "TableDef").Types(key.goType, value.goType).Add(literal(def...)).Line()
}

// duration renders d as a time constant expression: 24 * time.Hour.
func duration(d time.Duration) Code {
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{time.Hour, "Hour"}, {time.Minute, "Minute"}, {time.Second, "Second"}, {time.Millisecond, "Millisecond"}} {
		if d%u.d == 0 {
			if d == u.d {
				return Qual("time", u.name)
			}
			return Lit(int(d/u.d)).Op("*").Qual("time", u.name)
		}
	}
	return Qual("time", "Duration").Call(Lit(int(d)))
}

func policyName(p topology.ErrorPolicy) string {
	switch p {
	case topology.Skip:
		return "Skip"
	case topology.DeadLetter:
		return "DeadLetter"
	}
	return "Fail"
}

func policyDoc(p topology.ErrorPolicy) string {
	switch p {
	case topology.Skip:
		return "the record is logged and skipped (on_error: skip)"
	case topology.DeadLetter:
		return "the record is sent to the agent's dead-letter topic (on_error: dead_letter)"
	}
	return "the app stops and the record is processed again after a restart (on_error: fail)"
}

// agentInterface:
//
//	// CountViewsAgent is the agent count_views: ...
//	type CountViewsAgent interface {
//		// Process handles one record. ...
//		Process(ctx *CountViewsContext, key string, value PageView) error
//	}
func agentInterface(m *model, a *topology.Agent) Code {
	key, value := m.ref(a.Source.KeyType), m.ref(a.Source.ValueType)
	closers := Null()
	for _, tb := range a.Tables {
		if tb.Window == nil {
			continue
		}
		k, v := m.ref(tb.KeyType), m.ref(tb.ValueType)
		closers.Add(doc("%s is implemented by a %s that acts when windows of the table %s close: an optional method, found by New.", closerIfaceName(a, tb), agentIfaceName(a), tb.Key).
			Type().Id(closerIfaceName(a, tb)).Interface(
			doc("%s is called once for each key of each window of %s that closes (stream time, the highest time written to the table partition, passed the window's end plus its grace, and for a session its gap), with the key's final value in the window, oldest window first, right after the record that closed it; what it sends and writes is committed with that record. After a crash a window may close once more. When it returns an error, %s.", closerMethodName(tb), tb.Key, policyDoc(a.OnError)).
				Id(closerMethodName(tb)).Params(Id("ctx").Op("*").Id(contextName(a)), Id("key").Add(k.goType), Id("window").Qual(runtimePath, "Window"), Id("value").Add(v.goType)).Error(),
		).Line().Line())
	}
	return closers.Add(doc("%s is the agent %s: it processes the records of topic %s (Kafka %q), one at a time per partition, in order. Implement it and pass it to New in Agents.", agentIfaceName(a), a.Key, a.Source.Key, a.Source.Name).
		Type().Id(agentIfaceName(a)).Interface(
		doc("Process handles one record. When it returns an error, %s.", policyDoc(a.OnError)).
			Id("Process").Params(Id("ctx").Op("*").Id(contextName(a)), Id("key").Add(key.goType), Id("value").Add(value.goType)).Error(),
	).Line())
}

// closerIfaceName is the optional interface of agent a for the closing
// windows of table tb: CountViewsViewsPerPageCloser.
func closerIfaceName(a *topology.Agent, tb *topology.Table) string {
	return a.GoName + tb.GoName + "Closer"
}

// closerMethodName is its method: ViewsPerPageClosed.
func closerMethodName(tb *topology.Table) string { return tb.GoName + "Closed" }

// agentContext:
//
//	// CountViewsContext is what the agent count_views may use ...
//	type CountViewsContext struct {
//		context.Context
//		ViewsPerPage runtime.WindowedTable[string, int64]
//		Pages        runtime.ReadTable[string, Page]
//		PageCounts   runtime.Sink[string, int64]
//		Record       runtime.RecordMeta
//	}
func agentContext(m *model, a *topology.Agent) Code {
	fields := []Code{
		doc("Context is cancelled only when a stop is forced: the app's ShutdownTimeout passed with this record still in progress. A graceful stop or a partition revoke does not cancel it; they wait for the record to finish.").Qual("context", "Context"),
	}
	for _, tb := range a.Tables {
		k, v := m.ref(tb.KeyType), m.ref(tb.ValueType)
		if tb.Window != nil && tb.Window.Session > 0 {
			fields = append(fields, doc("%s is the session-windowed table %s, read-write.", tb.GoName, tb.Key).
				Id(tb.GoName).Qual(runtimePath, "SessionTable").Types(k.goType, v.goType))
		} else if tb.Window != nil {
			fields = append(fields, doc("%s is the windowed table %s, read-write.", tb.GoName, tb.Key).
				Id(tb.GoName).Qual(runtimePath, "WindowedTable").Types(k.goType, v.goType))
		} else {
			fields = append(fields, doc("%s is the table %s, read-write.", tb.GoName, tb.Key).
				Id(tb.GoName).Qual(runtimePath, "Table").Types(k.goType, v.goType))
		}
	}
	for _, tb := range a.Lookups {
		k, v := m.ref(tb.KeyType), m.ref(tb.ValueType)
		fields = append(fields, doc("%s is the table %s, read-only.", tb.GoName, tb.Key).
			Id(tb.GoName).Qual(runtimePath, "ReadTable").Types(k.goType, v.goType))
	}
	for _, tp := range a.Sinks {
		k, v := m.ref(tp.KeyType), m.ref(tp.ValueType)
		fields = append(fields, doc("%s sends to topic %s (Kafka %q); the input record is committed only after every record sent is acknowledged.", tp.GoName, tp.Key, tp.Name).
			Id(tp.GoName).Qual(runtimePath, "Sink").Types(k.goType, v.goType))
	}
	fields = append(fields, doc("Record locates the record being processed: topic, partition, offset, timestamp and headers.").
		Id("Record").Qual(runtimePath, "RecordMeta"))
	return doc("%s is what the agent %s may use while it processes one record: exactly the tables, lookups and sinks the topology grants it. It is valid only during that call to Process.", contextName(a), a.Key).
		Type().Id(contextName(a)).Struct(fields...).Line()
}

// agentBinding:
//
//	// countViewsAgent binds an implementation of CountViewsAgent to the runtime.
//	func countViewsAgent(impl CountViewsAgent) *genapi.Agent[string, PageView] {
//		return &genapi.Agent[string, PageView]{
//			Name: "count_views", Source: &pageViewsTopic, ...,
//			Process: func(t *genapi.Task, key string, value PageView) error {
//				return impl.Process(&CountViewsContext{...}, key, value)
//			},
//		}
//	}
func agentBinding(m *model, a *topology.Agent) Code {
	key, value := m.ref(a.Source.KeyType), m.ref(a.Source.ValueType)
	ctx := []Code{kv("Context", Id("t").Dot("Context").Call())}
	var tables, lookups, sinks []Code
	for _, tb := range a.Tables {
		ctor := "TableOf"
		if tb.Window != nil {
			ctor = "WindowedTableOf"
			if tb.Window.Session > 0 {
				ctor = "SessionTableOf"
			}
		}
		ctx = append(ctx, kv(tb.GoName, Qual(genapiPath, ctor).Call(Id("t"), Op("&").Id(tableVarName(tb)))))
		tables = append(tables, Op("&").Id(tableVarName(tb)))
	}
	for _, tb := range a.Lookups {
		ctx = append(ctx, kv(tb.GoName, Qual(genapiPath, "ReadTableOf").Call(Id("t"), Op("&").Id(tableVarName(tb)))))
		lookups = append(lookups, Op("&").Id(tableVarName(tb)))
	}
	for _, tp := range a.Sinks {
		ctx = append(ctx, kv(tp.GoName, Qual(genapiPath, "SinkOf").Call(Id("t"), Op("&").Id(topicVarName(tp)))))
		sinks = append(sinks, Op("&").Id(topicVarName(tp)))
	}
	ctx = append(ctx, kv("Record", Id("t").Dot("Record").Call()))
	agent := []Code{
		kv("Name", Lit(a.Key)),
		kv("Source", Op("&").Id(topicVarName(a.Source))),
	}
	if len(sinks) > 0 {
		agent = append(agent, kv("Sinks", Index().Qual(genapiPath, "AnyTopic").Values(sinks...)))
	}
	if len(tables) > 0 {
		agent = append(agent, kv("Tables", Index().Qual(genapiPath, "AnyTable").Values(tables...)))
	}
	if len(lookups) > 0 {
		agent = append(agent, kv("Lookups", Index().Qual(genapiPath, "AnyTable").Values(lookups...)))
	}
	agent = append(agent,
		kv("OnError", Qual(genapiPath, policyName(a.OnError))),
		kv("Process", Func().Params(Id("t").Op("*").Qual(genapiPath, "Task"), Id("key").Add(key.goType), Id("value").Add(value.goType)).Error().Block(
			Return(Id("impl").Dot("Process").Call(Op("&").Id(contextName(a)).Add(literal(ctx...)), Id("key"), Id("value"))),
		)),
	)
	var body []Code
	newAgent := Op("&").Qual(genapiPath, "Agent").Types(key.goType, value.goType).Add(literal(agent...))
	for _, tb := range a.Tables {
		if tb.Window == nil {
			continue
		}
		if body == nil {
			body = append(body, Id("a").Op(":=").Add(newAgent))
		}
		k, v := m.ref(tb.KeyType), m.ref(tb.ValueType)
		body = append(body, If(List(Id("c"), Id("ok")).Op(":=").Id("impl").Assert(Id(closerIfaceName(a, tb))), Id("ok")).Block(
			Id("a").Dot("Closers").Op("=").Append(Id("a").Dot("Closers"), Qual(genapiPath, "OnWindowClose").Call(Op("&").Id(tableVarName(tb)),
				Func().Params(Id("t").Op("*").Qual(genapiPath, "Task"), Id("key").Add(k.goType), Id("window").Qual(runtimePath, "Window"), Id("value").Add(v.goType)).Error().Block(
					Return(Id("c").Dot(closerMethodName(tb)).Call(Op("&").Id(contextName(a)).Add(literal(ctx...)), Id("key"), Id("window"), Id("value"))),
				))),
		))
	}
	if body == nil {
		body = append(body, Return(newAgent))
	} else {
		body = append(body, Return(Id("a")))
	}
	return doc("%s binds an implementation of %s to the runtime.", agentFuncName(a), agentIfaceName(a)).
		Func().Id(agentFuncName(a)).Params(Id("impl").Id(agentIfaceName(a))).Op("*").Qual(genapiPath, "Agent").Types(key.goType, value.goType).Block(body...).Line()
}

// agentsStruct:
//
//	// Agents holds the implementation of each agent ...
//	type Agents struct {
//		// CountViews implements the agent count_views ...
//		CountViews CountViewsAgent
//	}
func agentsStruct(t *topology.Topology) Code {
	var fields []Code
	for _, a := range t.Agents {
		fields = append(fields, doc("%s implements the agent %s (source %s); nil: not run here.", a.GoName, a.Key, a.Source.Key).
			Id(a.GoName).Id(agentIfaceName(a)))
	}
	return doc("Agents holds the implementation of each agent of the topology. An agent left nil is not run by this instance; its topics and tables still exist.").
		Type().Id("Agents").Struct(fields...).Line()
}

// appType:
//
//	// App is the app pageviews ...
//	type App struct {
//		rt                *genapi.App
//		pageViewsProducer runtime.Producer[string, PageView]
//		...
//	}
//
//	var _ runtime.App = (*App)(nil)
func appType(m *model) Code {
	t := m.top
	fields := []Code{Id("rt").Op("*").Qual(genapiPath, "App")}
	for _, tp := range t.Topics {
		key, value := m.ref(tp.KeyType), m.ref(tp.ValueType)
		fields = append(fields, Id(producerFieldName(tp)).Qual(runtimePath, "Producer").Types(key.goType, value.goType))
	}
	return Add(doc("App is the app %s: its agents, tables and a typed producer per topic. Create it with New and start it with Run; it is a runtime.App.", t.App.ID).
		Type().Id("App").Struct(fields...).Line(),
		Var().Id("_").Qual(runtimePath, "App").Op("=").Parens(Op("*").Id("App")).Parens(Nil()).Line(),
	)
}

var guaranteeNames = map[topology.Guarantee]string{topology.AtLeastOnce: "AtLeastOnce", topology.ExactlyOnce: "ExactlyOnce"}

var subjectNames = map[topology.SubjectStrategy]string{
	topology.TopicSubjects: "TopicSubjects", topology.RecordSubjects: "RecordSubjects", topology.TopicRecordSubjects: "TopicRecordSubjects",
}

// newFunc:
//
//	// New creates the app ...
//	func New(cfg runtime.Config, agents Agents) (*App, error) {
//		spec := genapi.AppSpec{ID: "pageviews", ..., Topics: ..., Tables: ...}
//		if agents.CountViews != nil {
//			spec.Agents = append(spec.Agents, countViewsAgent(agents.CountViews))
//		}
//		rt, err := genapi.NewApp(cfg, spec)
//		if err != nil {
//			return nil, fmt.Errorf("create app pageviews: %w", err)
//		}
//		return &App{rt: rt, pageViewsProducer: genapi.ProducerOf(rt, &pageViewsTopic), ...}, nil
//	}
func newFunc(t *topology.Topology) Code {
	var topics, tables []Code
	for _, tp := range t.Topics {
		topics = append(topics, Op("&").Id(topicVarName(tp)))
	}
	for _, tb := range t.Tables {
		tables = append(tables, Op("&").Id(tableVarName(tb)))
	}
	spec := []Code{
		kv("ID", Lit(t.App.ID)),
		kv("Guarantee", Qual(genapiPath, guaranteeNames[t.App.Guarantee])),
		kv("Subjects", Qual(genapiPath, subjectNames[t.Registry.Subjects])),
		kv("Compatibility", Lit(t.Registry.Compatibility)),
	}
	if len(topics) > 0 {
		spec = append(spec, kv("Topics", Index().Qual(genapiPath, "AnyTopic").Add(literal(topics...))))
	}
	if len(tables) > 0 {
		spec = append(spec, kv("Tables", Index().Qual(genapiPath, "AnyTable").Add(literal(tables...))))
	}
	body := []Code{Id("spec").Op(":=").Qual(genapiPath, "AppSpec").Add(literal(spec...))}
	for _, a := range t.Agents {
		body = append(body, If(Id("agents").Dot(a.GoName).Op("!=").Nil()).Block(
			Id("spec").Dot("Agents").Op("=").Append(Id("spec").Dot("Agents"), Id(agentFuncName(a)).Call(Id("agents").Dot(a.GoName))),
		))
	}
	appFields := Dict{Id("rt"): Id("rt")}
	for _, tp := range t.Topics {
		appFields[Id(producerFieldName(tp))] = Qual(genapiPath, "ProducerOf").Call(Id("rt"), Op("&").Id(topicVarName(tp)))
	}
	body = append(body,
		List(Id("rt"), Err()).Op(":=").Qual(genapiPath, "NewApp").Call(Id("cfg"), Id("spec")),
		If(Err().Op("!=").Nil()).Block(
			Return(Nil(), Qual("fmt", "Errorf").Call(Lit(fmt.Sprintf("create app %s: %%w", t.App.ID)), Err())),
		),
		Return(Op("&").Id("App").Values(appFields), Nil()),
	)
	return doc("New creates the app with the given configuration and agent implementations. It connects to nothing until Run.").
		Func().Id("New").Params(Id("cfg").Qual(runtimePath, "Config"), Id("agents").Id("Agents")).Params(Op("*").Id("App"), Error()).Block(body...).Line()
}

// runMethod:
//
//	// Run creates missing topics, ...
//	func (a *App) Run(ctx context.Context) error { return a.rt.Run(ctx) }
func runMethod(t *topology.Topology) Code {
	return doc("Run creates missing topics, registers the schemas, recovers the tables and runs the agents until ctx is cancelled (then it stops gracefully) or an agent fails.").
		Func().Params(Id("a").Op("*").Id("App")).Id("Run").Params(Id("ctx").Qual("context", "Context")).Error().Block(
		Return(Id("a").Dot("rt").Dot("Run").Call(Id("ctx"))),
	).Line()
}

// statsMethod:
//
//	// Stats returns a snapshot ...
//	func (a *App) Stats() runtime.Stats { return a.rt.Stats() }
func statsMethod(t *topology.Topology) Code {
	return doc("Stats returns a snapshot of the app's flow control: the input it buffers against Config.MaxBufferedBytes, its late records, its transactions, and the state, buffer, pauses, progress and lag of each partition it owns. Before Run has started the app (or in an instance that runs no agent) it is the zero Stats but for MaxBufferedBytes.").
		Func().Params(Id("a").Op("*").Id("App")).Id("Stats").Params().Qual(runtimePath, "Stats").Block(
		Return(Id("a").Dot("rt").Dot("Stats").Call()),
	).Line()
}

// producerMethod:
//
//	// PageViews returns the producer of the topic page_views ...
//	func (a *App) PageViews() runtime.Producer[string, PageView] {
//		return a.pageViewsProducer
//	}
func producerMethod(m *model, tp *topology.Topic) Code {
	key, value := m.ref(tp.KeyType), m.ref(tp.ValueType)
	return doc("%s returns the producer of the topic %s (Kafka %q), for sending from outside agents. Its sends wait until Run has started the app.", tp.GoName, tp.Key, tp.Name).
		Func().Params(Id("a").Op("*").Id("App")).Id(tp.GoName).Params().Qual(runtimePath, "Producer").Types(key.goType, value.goType).Block(
		Return(Id("a").Dot(producerFieldName(tp))),
	).Line()
}
