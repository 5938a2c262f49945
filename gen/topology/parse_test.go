package topology

import (
	"strings"
	"testing"
	"time"
)

const pageviews = `version: 1
app:
  id: pageviews
  package: pageviews
  output: ./gen
schemas: [schemas/]
topics:
  page_views:
    name: page-views
    key: string
    value: com.example.PageView
    partitions: 12
    replication: 3
    config: {retention.ms: 604800000, cleanup.policy: delete}
  page_counts: {key: string, value: long, partitions: 12}
  page_info: {key: string, value: com.example.Page, partitions: 3}
tables:
  views_per_page:
    key: string
    value: long
    partitions: 12
    window: {tumbling: 1h, expires: 1d}
  pages:
    key: string
    value: com.example.Page
    partitions: 3
    global: true
    source: page_info
agents:
  count_views:
    source: page_views
    tables: [views_per_page]
    lookups: [pages]
    sinks: [page_counts]
    on_error: dead_letter
`

func TestParseValidTopologyBuildsModelWithDefaults(t *testing.T) {
	top, diags := Parse("faustgen.yaml", []byte(pageviews))
	if len(diags) != 0 {
		t.Fatalf("unexpected diagnostics:\n%v", diags.Error())
	}
	if top.App.ID != "pageviews" || top.App.Package != "pageviews" || top.App.Output != "gen" {
		t.Errorf("app = %+v", top.App)
	}
	if top.App.Guarantee != AtLeastOnce || top.Registry.Subjects != TopicSubjects || top.Registry.Compatibility != "BACKWARD" {
		t.Errorf("defaults not applied: %+v %+v", top.App, top.Registry)
	}
	if len(top.Schemas) != 1 || top.Schemas[0].Path != "schemas" || top.Schemas[0].Pos != (Pos{6, 11}) {
		t.Errorf("schemas = %+v", top.Schemas)
	}
	if len(top.Topics) != 3 {
		t.Fatalf("topics = %d", len(top.Topics))
	}
	pv, pc := top.Topics[0], top.Topics[1]
	if pv.Key != "page_views" || pv.GoName != "PageViews" || pv.Name != "page-views" || pv.Partitions != 12 || pv.Replication != 3 {
		t.Errorf("page_views = %+v", pv)
	}
	if pv.ValueType.Name != "com.example.PageView" || pv.ValueType.Pos != (Pos{11, 12}) {
		t.Errorf("value type = %+v", pv.ValueType)
	}
	if pv.Config["retention.ms"] != "604800000" || strings.Join(pv.ConfigKeys, ",") != "cleanup.policy,retention.ms" {
		t.Errorf("config = %v %v", pv.Config, pv.ConfigKeys)
	}
	if pc.Name != "page_counts" || pc.Replication != 0 {
		t.Errorf("page_counts defaults = %+v", pc)
	}
	vp := top.Tables[0]
	if vp.Window == nil || vp.Window.Tumbling != time.Hour || vp.Window.Expires != 24*time.Hour {
		t.Errorf("window = %+v", vp.Window)
	}
	if !top.Tables[1].Global || top.Tables[1].Source != top.Topics[2] {
		t.Errorf("pages not global, or not sourced from page_info: %+v", top.Tables[1])
	}
	a := top.Agents[0]
	if a.Source != pv || len(a.Tables) != 1 || a.Tables[0] != vp || len(a.Lookups) != 1 || a.Lookups[0] != top.Tables[1] ||
		len(a.Sinks) != 1 || a.Sinks[0] != pc || a.OnError != DeadLetter {
		t.Errorf("agent = %+v", a)
	}
	if d := top.CheckTypes(func(n string) bool { return n == "com.example.PageView" || n == "com.example.Page" }, nil); len(d) != 0 {
		t.Errorf("CheckTypes: %v", d)
	}
}

func TestParseDefaultsOnErrorAndTopicName(t *testing.T) {
	src := "version: 1\napp: {id: a, package: a}\ntopics:\n  in: {key: string, value: string, partitions: 1}\nagents:\n  x: {source: in}\n"
	top, diags := Parse("f.yaml", []byte(src))
	if len(diags) != 0 {
		t.Fatal(diags.Error())
	}
	if top.Agents[0].OnError != Fail || top.Topics[0].Name != "in" || top.App.Output != "." {
		t.Errorf("defaults: on_error=%q name=%q output=%q", top.Agents[0].OnError, top.Topics[0].Name, top.App.Output)
	}
}

// Every case lists the diagnostics expected, each as a prefix
// "line:col: " followed by a fragment of the message.
func TestParseReportsEveryProblemWithPosition(t *testing.T) {
	head := "version: 1\napp: {id: app, package: app}\n"
	cases := []struct {
		name string
		src  string
		want []string
	}{
		{"malformed yaml", "version: 1\napp: [\n", []string{"3:1: invalid YAML"}},
		{"unclosed flow mapping", "version: 1\napp: {id: a, package: a\ntopics: {}\n", []string{"2:1: invalid YAML: did not find expected ',' or '}' (in what starts on this line)"}},
		{"tab indentation", "version: 1\napp:\n\tid: x\n", []string{"3:1: invalid YAML: found character that cannot start any token"}},
		{"empty file", "", []string{"1:1: the topology file is empty"}},
		{"not a mapping", "- a\n", []string{"1:1: topology must be a mapping"}},
		{"missing version and app", "topics: {}\n", []string{"1:1: missing app", "1:1: missing version"}},
		{"wrong version", "version: 2\napp: {id: a, package: a}\n", []string{"1:10: version 2 is not supported"}},
		{"unknown keys everywhere", "version: 1\nap: {}\napp: {id: a, package: a, outptu: x}\ntopics:\n  t: {key: string, value: string, partitions: 1, partition: 2}\n",
			[]string{`2:1: topology: unknown key "ap"; did you mean "app"?`, `3:26: app: unknown key "outptu"; did you mean "output"?`, `5:50: topic "t": unknown key "partition"; did you mean "partitions"?`}},
		{"duplicate keys", head + "topics:\n  t: {key: string, value: string, partitions: 1}\n  t: {key: string, value: string, partitions: 1}\n",
			[]string{`5:3: topics: duplicate key "t" (first defined at 4:3)`}},
		{"missing required fields", head + "topics:\n  t: {partitions: 1}\ntables:\n  tb: {key: string}\nagents:\n  a: {}\n",
			[]string{`4:6: topic "t": missing key`, `4:6: topic "t": missing value`, `6:7: table "tb": missing partitions`, `6:7: table "tb": missing value`, `8:6: agent "a": missing source`}},
		{"bad topic names", head + "topics:\n  a: {name: 'a b', key: string, value: string, partitions: 1}\n  b: {name: '..', key: string, value: string, partitions: 1}\n  c: {name: " + strings.Repeat("x", 250) + ", key: string, value: string, partitions: 1}\n  d: {name: 'ü', key: string, value: string, partitions: 1}\n",
			[]string{`4:13: topic "a": Kafka topic name "a b": contains ' '`, `5:13: topic "b": Kafka topic name "..": "." and ".." are not allowed`, `6:13: topic "c": Kafka topic name "` + strings.Repeat("x", 250) + `": is 250 characters long; the limit is 249`, `7:13: topic "d": Kafka topic name "ü": contains 'ü'`}},
		{"duplicate kafka names", head + "topics:\n  a: {name: x.y, key: string, value: string, partitions: 1}\n  b: {name: x.y, key: string, value: string, partitions: 1}\n  c: {name: x_y, key: string, value: string, partitions: 1}\n",
			[]string{`5:13: topic "b": Kafka topic name "x.y" is already used by topic "a"`, `6:13: topic "c": Kafka topic name "x_y" collides with`}},
		{"changelog clashes with a topic", head + "topics:\n  t: {name: app-counts-changelog, key: string, value: string, partitions: 1}\ntables:\n  counts: {key: string, value: long, partitions: 1}\n",
			[]string{`6:3: the changelog of table "counts": Kafka topic name "app-counts-changelog" is already used by topic "t"`}},
		{"dead-letter topic clashes with a topic", head + "topics:\n  app-a-dlq: {key: string, value: string, partitions: 1}\nagents:\n  a: {source: app-a-dlq, on_error: dead_letter}\n",
			[]string{`6:3: the dead-letter topic of agent "a": Kafka topic name "app-a-dlq" is already used by topic "app-a-dlq"`}},
		{"empty bodies", "version: 1\napp:\ntopics:\n  t:\ntables:\n  tb:\n  w: {key: string, value: long, partitions: 1, window: }\nagents:\n  a:\n",
			[]string{`2:5: app is empty; it needs id and package`, `4:5: topic "t" is empty`, `6:6: table "tb" is empty`, `7:56: table "w": window is empty`, `9:5: agent "a" is empty; it needs a source`}},
		{"unknown references", head + "topics:\n  in: {key: string, value: string, partitions: 2}\ntables:\n  tb: {key: string, value: long, partitions: 2}\nagents:\n  a:\n    source: inn\n    tables: [tbb]\n    lookups: [nope]\n    sinks: [out]\n",
			[]string{`9:13: agent "a": source "inn" is not a topic in topics:; did you mean "in"?`, `10:14: agent "a": tables entry "tbb" is not a table in tables:; did you mean "tb"?`, `11:15: agent "a": lookups entry "nope"`, `12:13: agent "a": sink "out" is not a topic`}},
		{"duplicates in agent lists", head + "topics:\n  in: {key: string, value: string, partitions: 2}\ntables:\n  tb: {key: string, value: long, partitions: 2}\nagents:\n  a: {source: in, tables: [tb], lookups: [tb], sinks: [in, in]}\n",
			[]string{`8:43: agent "a": table "tb" is listed twice (already in tables)`, `8:60: agent "a": sink "in" is listed twice`}},
		{"partition mismatch", head + "topics:\n  in: {key: string, value: string, partitions: 12}\ntables:\n  tb: {key: string, value: long, partitions: 6}\n  lk: {key: string, value: long, partitions: 3}\n  gl: {key: string, value: long, partitions: 1, global: true}\nagents:\n  a: {source: in, tables: [tb], lookups: [lk, gl]}\n",
			[]string{`8:7: table "gl": a global table needs source:`, `10:28: agent "a": table "tb" has 6 partitions but source topic "in" has 12`, `10:43: agent "a": table "lk" has 3 partitions`}},
		{"global table written", head + "topics:\n  in: {key: string, value: string, partitions: 1}\ntables:\n  g: {key: string, value: string, partitions: 1, global: true, source: in}\nagents:\n  a: {source: in, tables: [g]}\n",
			[]string{`8:28: agent "a": global table "g" is read-only in agents; list it under lookups:`}},
		{"bad windows", head + "tables:\n" +
			"  a: {key: string, value: long, partitions: 1, window: {tumbling: 1h}}\n" +
			"  b: {key: string, value: long, partitions: 1, window: {hopping: 1h, expires: 2h}}\n" +
			"  c: {key: string, value: long, partitions: 1, window: {hopping: 1h, step: 2h, expires: 2h}}\n" +
			"  d: {key: string, value: long, partitions: 1, window: {hopping: 1h, step: 7m, expires: 2h}}\n" +
			"  e: {key: string, value: long, partitions: 1, window: {tumbling: 1h, grace: 1h, expires: 30m}}\n" +
			"  f: {key: string, value: long, partitions: 1, window: {tumbling: soon, expires: -1h}}\n" +
			"  g: {key: string, value: long, partitions: 1, window: {tumbling: 1h, hopping: 1h, expires: 1h}}\n" +
			"  h: {key: string, value: long, partitions: 1, window: {expires: 1h}}\n" +
			"  i: {key: string, value: long, partitions: 1, global: true, window: {tumbling: 1h, expires: 1h}}\n" +
			"  j: {key: string, value: long, partitions: 1, source: nowhere}\n" +
			"  k: {key: string, value: long, partitions: 1, window: {session: 30m, tumbling: 1h, expires: 1h}}\n",
			[]string{
				`4:56: table "a": window needs expires:`,
				`5:66: table "b": a hopping window needs step:`,
				`6:76: table "c": step 2h0m0s is longer than the hopping window 1h0m0s`,
				`7:76: table "d": step 7m0s does not divide the hopping window 1h0m0s evenly`,
				`8:91: table "e": expires 30m0s is shorter than the grace 1h0m0s`,
				`9:67: table "f": window.tumbling: invalid duration "soon"`,
				`9:82: table "f": window.expires: duration "-1h" must be positive`,
				`10:80: table "g": a window is either tumbling or hopping, not both`,
				`11:56: table "h": window needs tumbling: SIZE, hopping: SIZE with step: SIZE, or session: GAP`,
				`12:6: table "i": a global table needs source:`,
				`12:70: table "i": a global table cannot be windowed`,
				`13:56: table "j": source "nowhere" is not a topic in topics:`,
				`14:66: table "k": a session window has a gap, not a size`,
			}},
		{"windowed lookup", head + "topics:\n  in: {key: string, value: string, partitions: 1}\ntables:\n  w: {key: string, value: long, partitions: 1, window: {tumbling: 1h, expires: 1h}}\nagents:\n  a: {source: in, lookups: [w]}\n",
			[]string{`8:29: agent "a": windowed table "w" cannot be a lookup`}},
		{"go name collisions", head + "topics:\n  page_views: {key: string, value: string, partitions: 1}\n  pageViews: {key: string, value: string, partitions: 1}\n  run: {key: string, value: string, partitions: 1}\n" +
			"tables:\n  record: {key: string, value: long, partitions: 1}\n  page-views: {key: string, value: long, partitions: 1}\n" +
			"agents:\n  count_views: {source: page_views, tables: [record, page-views], sinks: [page_views]}\n  countViews: {source: page_views}\n  9lives: {source: page_views}\n",
			[]string{
				`5:3: topic key "pageViews" and "page_views" (line 4) both become the Go name PageViews`,
				`6:3: topic key "run" becomes the Go name Run, which App already uses`,
				`11:3: agent "count_views": sink "page_views" and table "page-views" both become the context field PageViews`,
				`11:3: agent "count_views": table "record" becomes the context field Record`,
				`12:3: agent key "countViews" and "count_views" (line 11) both become the Go name CountViews`,
				`13:3: agent key "9lives" must start with a letter`,
			}},
		{"bad enums", "version: 1\napp: {id: a, package: a, guarantee: exactly-once}\nregistry: {subjects: topics, compatibility: backward}\ntopics:\n  in: {key: string, value: string, partitions: 1}\nagents:\n  a: {source: in, on_error: retry}\n",
			[]string{
				`2:37: app.guarantee: "exactly-once" is not one of at_least_once, exactly_once; did you mean "exactly_once"?`,
				`3:22: registry.subjects: "topics" is not one of topic, record, topic_record; did you mean "topic"?`,
				`3:45: registry.compatibility: "backward" is not one of`,
				`7:29: agent "a".on_error: "retry" is not one of fail, skip, dead_letter`,
			}},
		{"bad app values", "version: 1\napp: {id: 'my app', package: my-app, output: /abs}\n",
			[]string{`2:11: app.id "my app": contains ' '`, `2:30: app.package "my-app" is not a valid Go package name`, `2:46: app.output "/abs" must be relative`}},
		{"wrong value kinds", head + "schemas: [{a: b}]\ntopics:\n  t: {key: {xx: yz}, value: string, partitions: many, replication: 0, config: {a: [1]}}\n  u: 3\n",
			[]string{
				`3:11: each schemas entry (an .avsc file or a folder) must be a string, not a mapping`,
				`5:12: topic "t".key must be a string, not a mapping`,
				`5:49: topic "t".partitions must be a whole number, not "many"`,
				`5:68: topic "t".replication must be between 1 and 32767, not 0`,
				`5:83: topic "t": config "a" must be a single value, not a list`,
				`6:6: topic "u" must be a mapping (key: value lines), not "3"`,
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := Parse("faustgen.yaml", []byte(tc.src))
			diags.Sort()
			var got []string
			for _, d := range diags {
				if d.File != "faustgen.yaml" {
					t.Errorf("diagnostic names file %q, want faustgen.yaml", d.File)
				}
				got = append(got, strings.TrimPrefix(d.String(), "faustgen.yaml:"))
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d diagnostics, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("diagnostic %d:\n got  %s\n want %s...", i, got[i], w)
				}
			}
		})
	}
}

func TestCheckTypesReportsUnknownNamesWithHints(t *testing.T) {
	src := "version: 1\napp: {id: a, package: a}\ntopics:\n  t: {key: strin, value: PageView, partitions: 1}\ntables:\n  tb: {key: com.example.Pge, value: long, partitions: 1}\n"
	top, diags := Parse("faustgen.yaml", []byte(src))
	if len(diags) != 0 {
		t.Fatal(diags.Error())
	}
	names := []string{"com.example.PageView", "com.example.Page"}
	got := top.CheckTypes(func(n string) bool { return contains(names, n) }, names)
	got.Sort()
	want := []string{
		`faustgen.yaml:4:12: topic "t" key: unknown type "strin"; did you mean "string"?`,
		`faustgen.yaml:4:26: topic "t" value: unknown type "PageView"; did you mean "com.example.PageView" (named types need their full name)?`,
		`faustgen.yaml:6:13: table "tb" key: unknown type "com.example.Pge"; did you mean "com.example.Page"?`,
	}
	if got.Error() != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", got.Error(), strings.Join(want, "\n"))
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"1h": time.Hour, "7d": 7 * 24 * time.Hour, "90s": 90 * time.Second, "1h30m": 90 * time.Minute, "500ms": 500 * time.Millisecond} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0s", "-1h", "1.5d", "d", "1w", "10us"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) accepted", bad)
		}
	}
}

func TestGoName(t *testing.T) {
	for in, want := range map[string]string{"page_views": "PageViews", "pageViews": "PageViews", "a.b-c_d": "ABCD", "x": "X", "orders_v2": "OrdersV2"} {
		if got := GoName(in); got != want {
			t.Errorf("GoName(%q) = %q, want %q", in, got, want)
		}
	}
}

// A topic's key or value may be a list of types: a union whose branches
// keep their positions and whose Name spells it.
func TestParseReadsUnionKeysAndValues(t *testing.T) {
	src := "version: 1\napp: {id: a, package: a}\nschemas: [s/]\ntopics:\n  events:\n    key: [string, \"null\"]\n    value:\n      - com.example.Created\n      - com.example.Deleted\n    partitions: 1\n"
	top, diags := Parse("faustgen.yaml", []byte(src))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	tp := top.Topics[0]
	if !tp.KeyType.IsUnion() || tp.KeyType.Name != "[string, null]" || tp.KeyType.Pos != (Pos{6, 10}) {
		t.Errorf("key %+v", tp.KeyType)
	}
	v := tp.ValueType
	if !v.IsUnion() || v.Name != "[com.example.Created, com.example.Deleted]" || len(v.Branches) != 2 ||
		v.Branches[1].Name != "com.example.Deleted" || v.Branches[1].Pos != (Pos{9, 9}) || v.Branches[1].IsUnion() {
		t.Errorf("value %+v", v)
	}
	if got := v.BranchNames(); len(got) != 2 || got[0] != "com.example.Created" {
		t.Errorf("BranchNames %v", got)
	}
}
