package gen

import (
	"fmt"
	"strings"
	"time"

	"github.com/faustgen/faustgen/gen/topology"
)

// GraphFormat is a text format Graph draws in.
type GraphFormat string

// The formats Graph draws in.
const (
	GraphMermaid GraphFormat = "mermaid" // a Mermaid flowchart (renders in GitHub Markdown)
	GraphDot     GraphFormat = "dot"     // a Graphviz digraph
)

// GraphFormats lists the formats Graph accepts.
var GraphFormats = []GraphFormat{GraphMermaid, GraphDot}

// Graph validates in as Generate does and draws its topology: a node per
// topic, table and agent (and per dead-letter topic), and the edges
// source topic → agent, agent → sink topic, agent ↔ read-write table,
// lookup table → agent, agent → dead-letter topic and, for a table read
// from a topic, source topic → table. Global and windowed tables are
// marked; a table with a changelog of its own names it. The output depends only on in and format, in the
// order of the topology file. On bad input it returns the same diag.List
// as Generate.
func Graph(in Input, format GraphFormat) ([]byte, error) {
	var r graphRenderer
	switch format {
	case GraphMermaid:
		r = mermaid{}
	case GraphDot:
		r = dot{}
	default:
		return nil, fmt.Errorf("unknown graph format %q; use mermaid or dot", format)
	}
	m, err := load(in)
	if err != nil {
		return nil, err
	}
	return []byte(render(buildGraph(m.top), r)), nil
}

// graph is a topology as nodes and edges, decided before rendering.
type graph struct {
	title string
	nodes []graphNode
	edges []graphEdge
}

type nodeKind int

const (
	topicNode nodeKind = iota
	tableNode
	agentNode
	deadLetterNode
)

type graphNode struct {
	id     string   // unique, an identifier in both formats
	kind   nodeKind //
	lines  []string // the label, first line the topology key
	global bool     // a global table
}

type edgeKind int

const (
	flowEdge        edgeKind = iota // source → agent, agent → sink
	readWriteEdge                   // agent ↔ table
	lookupEdge                      // table → agent
	deadLetterEdge                  // agent → its dead-letter topic
	tableSourceEdge                 // topic → the table read from it
)

type graphEdge struct {
	from, to string
	kind     edgeKind
}

// buildGraph decides every node, label and edge. Node ids come from the
// Go names, which validation made unique per kind.
func buildGraph(t *topology.Topology) graph {
	g := graph{title: fmt.Sprintf("Topology of app %q (%s), drawn by faustgen graph.", t.App.ID, t.File)}
	topicID := func(tp *topology.Topic) string { return "topic_" + tp.GoName }
	tableID := func(tb *topology.Table) string { return "table_" + tb.GoName }
	agentID := func(a *topology.Agent) string { return "agent_" + a.GoName }
	for _, tp := range t.Topics {
		lines := []string{"topic " + tp.Key}
		if tp.Name != tp.Key {
			lines = append(lines, "kafka: "+tp.Name)
		}
		lines = append(lines, typesLine(tp.KeyType, tp.ValueType))
		g.nodes = append(g.nodes, graphNode{id: topicID(tp), kind: topicNode, lines: lines})
	}
	for _, tb := range t.Tables {
		first := "table " + tb.Key
		if tb.Global {
			first = "global table " + tb.Key
		}
		lines := []string{first}
		if w := tb.Window; w != nil {
			grace := ""
			if w.Grace > 0 {
				grace = ", grace " + shortDuration(w.Grace)
			}
			if w.Session > 0 {
				lines = append(lines, fmt.Sprintf("session gap %s%s, expires %s", shortDuration(w.Session), grace, shortDuration(w.Expires)))
			} else if w.Hopping > 0 {
				lines = append(lines, fmt.Sprintf("hopping %s, step %s%s, expires %s", shortDuration(w.Hopping), shortDuration(w.Step), grace, shortDuration(w.Expires)))
			} else {
				lines = append(lines, fmt.Sprintf("tumbling %s%s, expires %s", shortDuration(w.Tumbling), grace, shortDuration(w.Expires)))
			}
		}
		lines = append(lines, typesLine(tb.KeyType, tb.ValueType))
		if tb.Source == nil {
			lines = append(lines, "changelog: "+tb.Changelog(t.App.ID))
		} else {
			g.edges = append(g.edges, graphEdge{topicID(tb.Source), tableID(tb), tableSourceEdge})
		}
		g.nodes = append(g.nodes, graphNode{id: tableID(tb), kind: tableNode, lines: lines, global: tb.Global})
	}
	for _, a := range t.Agents {
		g.nodes = append(g.nodes, graphNode{id: agentID(a), kind: agentNode, lines: []string{"agent " + a.Key, "on_error: " + string(a.OnError)}})
	}
	for _, a := range t.Agents {
		if a.Source != nil {
			g.edges = append(g.edges, graphEdge{topicID(a.Source), agentID(a), flowEdge})
		}
		for _, tb := range a.Tables {
			g.edges = append(g.edges, graphEdge{agentID(a), tableID(tb), readWriteEdge})
		}
		for _, tb := range a.Lookups {
			g.edges = append(g.edges, graphEdge{tableID(tb), agentID(a), lookupEdge})
		}
		for _, tp := range a.Sinks {
			g.edges = append(g.edges, graphEdge{agentID(a), topicID(tp), flowEdge})
		}
		if a.OnError == topology.DeadLetter {
			id := "dlq_" + a.GoName
			g.nodes = append(g.nodes, graphNode{id: id, kind: deadLetterNode, lines: []string{"dead letters of " + a.Key, "kafka: " + a.DeadLetterTopic(t.App.ID)}})
			g.edges = append(g.edges, graphEdge{agentID(a), id, deadLetterEdge})
		}
	}
	return g
}

func typesLine(key, value topology.TypeRef) string {
	return key.Name + " → " + value.Name
}

// shortDuration writes d as the topology file would: "1h", "10m", "1d".
func shortDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d%time.Second == 0:
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return d.String()
}

// graphRenderer writes a decided graph in one format.
type graphRenderer interface {
	header(b *strings.Builder, g graph)
	node(b *strings.Builder, n graphNode)
	edge(b *strings.Builder, e graphEdge)
	footer(b *strings.Builder, g graph)
}

func render(g graph, r graphRenderer) string {
	var b strings.Builder
	r.header(&b, g)
	for _, n := range g.nodes {
		r.node(&b, n)
	}
	for _, e := range g.edges {
		r.edge(&b, e)
	}
	r.footer(&b, g)
	return b.String()
}

// mermaid draws a Mermaid flowchart, left to right:
//
//	flowchart LR
//	  topic_PageViews(["topic page_views<br/>kafka: page-views<br/>string → com.example.PageView"])
//	  agent_CountViews["agent count_views<br/>on_error: dead_letter"]
//	  topic_PageViews --> agent_CountViews
type mermaid struct{}

func (mermaid) header(b *strings.Builder, g graph) {
	fmt.Fprintf(b, "%%%% %s\nflowchart LR\n", g.title)
}

func (mermaid) node(b *strings.Builder, n graphNode) {
	label := `"` + strings.ReplaceAll(strings.Join(n.lines, "<br/>"), `"`, "#quot;") + `"`
	var shape string
	switch n.kind {
	case topicNode:
		shape = "([" + label + "])"
	case tableNode:
		shape = "[(" + label + ")]"
	case agentNode:
		shape = "[" + label + "]"
	case deadLetterNode:
		shape = "[/" + label + "/]"
	}
	fmt.Fprintf(b, "  %s%s\n", n.id, shape)
}

func (mermaid) edge(b *strings.Builder, e graphEdge) {
	arrow := map[edgeKind]string{
		flowEdge:        "-->",
		readWriteEdge:   "<-->|read-write|",
		lookupEdge:      "-.->|lookup|",
		deadLetterEdge:  "-.->|on error|",
		tableSourceEdge: "==>|changelog|",
	}[e.kind]
	fmt.Fprintf(b, "  %s %s %s\n", e.from, arrow, e.to)
}

func (mermaid) footer(b *strings.Builder, g graph) {
	b.WriteString("  classDef topic fill:#e8f1fb,stroke:#2f6db5\n")
	b.WriteString("  classDef table fill:#e9f7ec,stroke:#2f8f4e\n")
	b.WriteString("  classDef global fill:#e9f7ec,stroke:#2f8f4e,stroke-width:3px\n")
	b.WriteString("  classDef agent fill:#fdf3e1,stroke:#b57a2f\n")
	b.WriteString("  classDef deadletter fill:#fbe9e9,stroke:#b52f2f\n")
	classes := map[string][]string{}
	for _, n := range g.nodes {
		c := map[nodeKind]string{topicNode: "topic", tableNode: "table", agentNode: "agent", deadLetterNode: "deadletter"}[n.kind]
		if n.global {
			c = "global"
		}
		classes[c] = append(classes[c], n.id)
	}
	for _, c := range []string{"topic", "table", "global", "agent", "deadletter"} {
		if len(classes[c]) > 0 {
			fmt.Fprintf(b, "  class %s %s\n", strings.Join(classes[c], ","), c)
		}
	}
}

// dot draws a Graphviz digraph, left to right:
//
//	digraph "pageviews" {
//		rankdir=LR;
//		topic_PageViews [shape=box, style="rounded,filled", label="topic page_views\n..."];
//		topic_PageViews -> agent_CountViews;
//	}
type dot struct{}

func (dot) header(b *strings.Builder, g graph) {
	fmt.Fprintf(b, "// %s\ndigraph topology {\n", g.title)
	b.WriteString("\trankdir=LR;\n")
	b.WriteString("\tnode [fontname=\"Helvetica\", fontsize=11];\n")
	b.WriteString("\tedge [fontname=\"Helvetica\", fontsize=9];\n")
}

func (dot) node(b *strings.Builder, n graphNode) {
	var attrs string
	switch n.kind {
	case topicNode:
		attrs = `shape=box, style="rounded,filled", fillcolor="#e8f1fb"`
	case tableNode:
		attrs = `shape=cylinder, style=filled, fillcolor="#e9f7ec"`
		if n.global {
			attrs += ", peripheries=2"
		}
	case agentNode:
		attrs = `shape=box, style=filled, fillcolor="#fdf3e1"`
	case deadLetterNode:
		attrs = `shape=box, style="rounded,filled,dashed", fillcolor="#fbe9e9"`
	}
	lines := make([]string, len(n.lines))
	for i, l := range n.lines {
		lines[i] = strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(l)
	}
	fmt.Fprintf(b, "\t%s [%s, label=\"%s\"];\n", n.id, attrs, strings.Join(lines, `\n`))
}

func (dot) edge(b *strings.Builder, e graphEdge) {
	attrs := map[edgeKind]string{
		flowEdge:        "",
		readWriteEdge:   ` [dir=both, label="read-write"]`,
		lookupEdge:      ` [style=dashed, label="lookup"]`,
		deadLetterEdge:  ` [style=dashed, label="on error"]`,
		tableSourceEdge: ` [style=bold, label="changelog"]`,
	}[e.kind]
	fmt.Fprintf(b, "\t%s -> %s%s;\n", e.from, e.to, attrs)
}

func (dot) footer(b *strings.Builder, _ graph) { b.WriteString("}\n") }
