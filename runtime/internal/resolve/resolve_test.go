package resolve

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/faustgen/faustgen/compat"
	"github.com/hamba/avro/v2"
)

// pair is a writer schema and a reader schema that resolves it.
type pair struct {
	name           string
	writer, reader []compat.Source // last source is the root
}

func src(s string) []compat.Source { return []compat.Source{{Name: "schema.avsc", Data: []byte(s)}} }

// handPairs cover every rule the transcoder implements.
var handPairs = []pair{
	{"field added with default", src(`{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}`),
		src(`{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string","default":"hi"},{"name":"c","type":["null","long"],"default":null},{"name":"d","type":{"type":"array","items":"int"},"default":[1,2,3]},{"name":"e","type":{"type":"map","values":"double"},"default":{"x":1.5,"y":-2}},{"name":"f","type":{"type":"fixed","name":"F2","size":2},"default":"\u00ff\u0001"},{"name":"g","type":"bytes","default":"\u0000a"},{"name":"h","type":{"type":"record","name":"Sub","fields":[{"name":"x","type":"int","default":7},{"name":"y","type":"boolean"}]},"default":{"y":true}},{"name":"i","type":"float","default":2.5},{"name":"j","type":{"type":"enum","name":"E","symbols":["A","B"]},"default":"B"}]}`)},
	{"field removed", src(`{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"gone","type":{"type":"array","items":{"type":"map","values":["null","string",{"type":"record","name":"X","fields":[{"name":"q","type":"double"}]}]}}},{"name":"b","type":"string"},{"name":"gone2","type":"long"}]}`),
		src(`{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}`)},
	{"promotions", src(`{"type":"record","name":"R","fields":[{"name":"il","type":"int"},{"name":"if","type":"int"},{"name":"id","type":"int"},{"name":"lf","type":"long"},{"name":"ld","type":"long"},{"name":"fd","type":"float"},{"name":"sb","type":"string"},{"name":"bs","type":"bytes"}]}`),
		src(`{"type":"record","name":"R","fields":[{"name":"il","type":"long"},{"name":"if","type":"float"},{"name":"id","type":"double"},{"name":"lf","type":"float"},{"name":"ld","type":"double"},{"name":"fd","type":"double"},{"name":"sb","type":"bytes"},{"name":"bs","type":"string"}]}`)},
	{"fields reordered and renamed", src(`{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"},{"name":"old","type":"long"},{"name":"d","type":{"type":"array","items":"int"}}]}`),
		src(`{"type":"record","name":"R","fields":[{"name":"d","type":{"type":"array","items":"long"}},{"name":"new","aliases":["old"],"type":"double"},{"name":"z","type":"int","default":3},{"name":"a","type":"long"}]}`)},
	{"enum mapped by name with default", src(`{"type":"record","name":"R","fields":[{"name":"e","type":{"type":"enum","name":"E","symbols":["NEW","A","B","OTHER"]}},{"name":"es","type":{"type":"array","items":"E"}}]}`),
		src(`{"type":"record","name":"R","fields":[{"name":"e","type":{"type":"enum","name":"E","symbols":["B","A","UNKNOWN"],"default":"UNKNOWN"}},{"name":"es","type":{"type":"array","items":"E"}}]}`)},
	{"union reordered", src(`["null","string","int",{"type":"record","name":"P","fields":[{"name":"x","type":"int"}]}]`),
		src(`[{"type":"record","name":"P","fields":[{"name":"x","type":"long"},{"name":"y","type":"int","default":1}]},"long","null","string","boolean"]`)},
	{"non-union writer into union", src(`{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"s","type":"string"}]}`),
		src(`{"type":"record","name":"R","fields":[{"name":"a","type":["null","double"]},{"name":"s","type":["null","string"],"default":null}]}`)},
	{"union writer into non-union reader", src(`{"type":"record","name":"R","fields":[{"name":"a","type":["int"]},{"name":"b","type":["string"]}]}`),
		src(`{"type":"record","name":"R","fields":[{"name":"a","type":"double"},{"name":"b","type":"bytes"}]}`)},
	{"maps arrays fixed", src(`{"type":"record","name":"R","fields":[{"name":"m","type":{"type":"map","values":{"type":"array","items":"int"}}},{"name":"f","type":{"type":"fixed","name":"Id","size":4}},{"name":"n","type":{"type":"map","values":"Id"}}]}`),
		src(`{"type":"record","name":"R","fields":[{"name":"m","type":{"type":"map","values":{"type":"array","items":"float"}}},{"name":"f","type":{"type":"fixed","name":"Id","size":4}},{"name":"n","type":{"type":"map","values":"Id"}},{"name":"extra","type":"Id","default":"abcd"}]}`)},
	{"nested record change", src(`{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"string"},{"name":"lines","type":{"type":"array","items":{"type":"record","name":"Line","fields":[{"name":"sku","type":"string"},{"name":"qty","type":"int"},{"name":"note","type":"string"}]}}},{"name":"customer","type":{"type":"record","name":"Customer","fields":[{"name":"name","type":"string"}]}}]}`),
		src(`{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"string"},{"name":"customer","type":{"type":"record","name":"Client","aliases":["shop.Customer"],"fields":[{"name":"name","type":"string"},{"name":"vip","type":"boolean","default":false}]}},{"name":"lines","type":{"type":"array","items":{"type":"record","name":"Line","fields":[{"name":"qty","type":"long"},{"name":"sku","type":"string"},{"name":"price","type":["null","double"],"default":null}]}}}]}`)},
	{"recursive list", src(`{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","Node"]}]}`),
		src(`{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"],"default":null},{"name":"v","type":"long"},{"name":"tag","type":"string","default":"t"}]}`)},
	{"recursive tree same", src(`{"type":"record","name":"T","fields":[{"name":"kids","type":{"type":"array","items":"T"}},{"name":"v","type":"string"}]}`),
		src(`{"type":"record","name":"T","doc":"another text, same encoding","fields":[{"name":"kids","type":{"type":"array","items":"T"}},{"name":"v","type":"bytes"}]}`)},
	{"primitive root promotion", src(`"int"`), src(`"double"`)},
	{"null and boolean", src(`{"type":"record","name":"R","fields":[{"name":"n","type":"null"},{"name":"b","type":"boolean"},{"name":"drop","type":"boolean"}]}`),
		src(`{"type":"record","name":"R","fields":[{"name":"b","type":"boolean"},{"name":"n","type":"null"}]}`)},
}

func parsePair(t testing.TB, p pair) (*compat.Schema, *compat.Schema) {
	t.Helper()
	w, err := compat.Parse("writer", p.writer...)
	if err != nil {
		t.Fatalf("%s: writer: %v", p.name, err)
	}
	r, err := compat.Parse("reader", p.reader...)
	if err != nil {
		t.Fatalf("%s: reader: %v", p.name, err)
	}
	return w, r
}

// hambaSchema parses sources with a fresh cache (hamba's global cache
// would mix the two versions of a name).
func hambaSchema(t testing.TB, srcs []compat.Source) avro.Schema {
	t.Helper()
	cache := &avro.SchemaCache{}
	var s avro.Schema
	var err error
	for _, x := range srcs {
		if s, err = avro.ParseWithCache(string(x.Data), "", cache); err != nil {
			t.Fatalf("hamba parse %s: %v", x.Name, err)
		}
	}
	return s
}

// crossCheck transcodes n random bodies of the writer schema and compares
// hamba's decoding of the result with the reader schema against hamba's
// own resolution (writer data read through its resolved schema).
func crossCheck(t *testing.T, p pair, n int, rng *rand.Rand) {
	t.Helper()
	w, r := parsePair(t, p)
	plan, err := Compile(w, r)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	hw, hr := hambaSchema(t, p.writer), hambaSchema(t, p.reader)
	resolved, err := avro.NewSchemaCompatibility().Resolve(hr, hw)
	if err != nil {
		t.Fatalf("hamba resolve: %v", err)
	}
	for i := range n {
		body := randomBody(rng, w.Root, nil, 0)
		var want any
		if err := avro.Unmarshal(resolved, body, &want); err != nil {
			t.Fatalf("body %d: hamba resolving decode: %v (% x)", i, err, body)
		}
		out, err := plan.Transcode(nil, body)
		if err != nil {
			t.Fatalf("body %d: transcode: %v (% x)", i, err, body)
		}
		var got any
		if err := avro.Unmarshal(hr, out, &got); err != nil {
			t.Fatalf("body %d: hamba decode of the transcoded body: %v (% x)", i, err, out)
		}
		if g, w := normalize(got), normalize(want); !reflect.DeepEqual(g, w) {
			t.Fatalf("body %d (% x):\n got %#v\nwant %#v", i, body, g, w)
		}
	}
}

func TestTranscodeAgreesWithHambaOnHandPairs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range handPairs {
		if w, r := parsePair(t, p); skipForHamba(w, r) {
			continue
		}
		t.Run(p.name, func(t *testing.T) { crossCheck(t, p, 300, rng) })
	}
}

// TestTranscodeAgreesWithHambaOnTheCorpus takes every writer/reader pair of
// the compat evolution corpus that resolves (each history version read by
// the candidate, and the candidate read by each history version).
func TestTranscodeAgreesWithHambaOnTheCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "compat", "testdata", "evolution", "*.txt"))
	if err != nil || len(files) < 60 {
		t.Fatalf("corpus: %d files, %v", len(files), err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	pairs := 0
	for _, f := range files {
		versions := corpusVersions(t, f)
		cand := versions[len(versions)-1]
		for _, old := range versions[:len(versions)-1] {
			for _, p := range []pair{{"backward", old, cand}, {"forward", cand, old}} {
				w, r := parsePair(t, p)
				if len(compat.Resolve(w, r, compat.DirBackward)) > 0 {
					continue
				}
				if skipForHamba(w, r) {
					continue
				}
				pairs++
				t.Run(filepath.Base(f)+"/"+p.name, func(t *testing.T) { crossCheck(t, p, 50, rng) })
			}
		}
	}
	if pairs < 60 {
		t.Fatalf("only %d resolvable corpus pairs", pairs)
	}
	t.Logf("%d resolvable corpus pairs cross-checked", pairs)
}

// skipForHamba leaves out recursive schemas: hamba's resolver recurses
// without end on them (TestRecursivePlans covers them instead).
func skipForHamba(w, r *compat.Schema) bool { return recursive(w.Root) || recursive(r.Root) }

// recursive reports whether a named type under t refers to itself.
func recursive(t *compat.Type) bool {
	var walk func(t *compat.Type, path map[*compat.Type]bool) bool
	walk = func(t *compat.Type, path map[*compat.Type]bool) bool {
		if path[t] {
			return true
		}
		if t.Kind.Named() {
			path[t] = true
			defer delete(path, t)
		}
		kids := append([]*compat.Type{}, t.Branches...)
		if t.Items != nil {
			kids = append(kids, t.Items)
		}
		if t.Values != nil {
			kids = append(kids, t.Values)
		}
		for _, f := range t.Fields {
			kids = append(kids, f.Type)
		}
		for _, k := range kids {
			if walk(k, path) {
				return true
			}
		}
		return false
	}
	return walk(t, map[*compat.Type]bool{})
}

// corpusVersions reads a corpus case: its versions in order, the
// candidate ("new") last; each version's files, root last.
func corpusVersions(t *testing.T, path string) [][]compat.Source {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	files := map[string][]compat.Source{}
	var cur *compat.Source
	curV := ""
	flush := func() {
		if cur != nil {
			files[curV] = append(files[curV], *cur)
			cur = nil
		}
	}
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "-- ") && strings.HasSuffix(line, " --") {
			flush()
			name := strings.TrimSuffix(strings.TrimPrefix(line, "-- "), " --")
			v, _, _ := strings.Cut(name, "/")
			if _, ok := files[v]; !ok && v != "new" {
				order = append(order, v)
			}
			curV = v
			cur = &compat.Source{Name: path + ":" + name}
			continue
		}
		if cur != nil {
			cur.Data = append(cur.Data, line+"\n"...)
		}
	}
	flush()
	var out [][]compat.Source
	for _, v := range order {
		out = append(out, files[v])
	}
	return append(out, files["new"])
}

// randomBody returns a random valid encoding of t (arrays and maps split
// into blocks, some with the byte-size form).
func randomBody(rng *rand.Rand, t *compat.Type, dst []byte, depth int) []byte {
	switch t.Kind {
	case compat.Null:
		return dst
	case compat.Boolean:
		return append(dst, byte(rng.IntN(2)))
	case compat.Int:
		return zigzag(dst, int64(randInt(rng, 32)))
	case compat.Long:
		return zigzag(dst, randInt(rng, 64))
	case compat.Float:
		return appendFloat(dst, float32(rng.NormFloat64()*1e3))
	case compat.Double:
		return appendDouble(dst, rng.NormFloat64()*1e6)
	case compat.String, compat.Bytes:
		s := randString(rng)
		return append(zigzag(dst, int64(len(s))), s...)
	case compat.Fixed:
		for range t.Size {
			dst = append(dst, byte(rng.IntN(256)))
		}
		return dst
	case compat.Enum:
		return zigzag(dst, int64(rng.IntN(len(t.Symbols))))
	case compat.Union:
		i := rng.IntN(len(t.Branches))
		if depth > 6 { // steer recursion towards its end
			for j, b := range t.Branches {
				if !b.Kind.Named() && b.Kind != compat.Array && b.Kind != compat.Map {
					i = j
					break
				}
			}
		}
		return randomBody(rng, t.Branches[i], zigzag(dst, int64(i)), depth+1)
	case compat.Array, compat.Map:
		elem := t.Items
		if t.Kind == compat.Map {
			elem = t.Values
		}
		blocks := rng.IntN(3)
		if depth > 6 {
			blocks = 0
		}
		for range blocks {
			n := 1 + rng.IntN(3)
			var items []byte
			for range n {
				if t.Kind == compat.Map {
					k := randString(rng)
					items = append(zigzag(items, int64(len(k))), k...)
				}
				items = randomBody(rng, elem, items, depth+1)
			}
			if rng.IntN(2) == 0 {
				dst = zigzag(zigzag(dst, -int64(n)), int64(len(items)))
			} else {
				dst = zigzag(dst, int64(n))
			}
			dst = append(dst, items...)
		}
		return append(dst, 0)
	case compat.Record:
		for _, f := range t.Fields {
			dst = randomBody(rng, f.Type, dst, depth+1)
		}
		return dst
	}
	panic("unknown kind " + t.Kind.String())
}

func randInt(rng *rand.Rand, bits int) int64 {
	switch rng.IntN(4) {
	case 0:
		return int64(rng.IntN(200)) - 100
	case 1:
		if bits == 32 {
			return int64(int32(rng.Uint32()))
		}
		return int64(rng.Uint64())
	case 2:
		if bits == 32 {
			return math.MaxInt32
		}
		return math.MinInt64
	}
	return int64(rng.IntN(1 << 20))
}

func randString(rng *rand.Rand) string {
	const alphabet = "abcxyzé€😀 /_-0"
	rs := []rune(alphabet)
	n := rng.IntN(12)
	var b strings.Builder
	for range n {
		b.WriteRune(rs[rng.IntN(len(rs))])
	}
	return b.String()
}

// normalize makes decoded generic values comparable: numbers by value and
// kind, byte arrays as slices, times and decimals as strings.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = normalize(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = normalize(e)
		}
		return s
	case float32:
		if x != x {
			return "NaN"
		}
		return x
	case float64:
		if x != x {
			return "NaN"
		}
		return x
	case *big.Rat:
		return "rat:" + x.RatString()
	case time.Time:
		return "time:" + x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return fmt.Sprintf("bytes:%x", x)
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Array && rv.Type().Elem().Kind() == reflect.Uint8 {
		b := make([]byte, rv.Len())
		reflect.Copy(reflect.ValueOf(b), rv)
		return fmt.Sprintf("bytes:%x", b)
	}
	return v
}

func TestCompileRefusesAnUnresolvablePairWithEveryFinding(t *testing.T) {
	w, r := parsePair(t, pair{"bad",
		src(`{"type":"record","name":"R","fields":[{"name":"a","type":"string"},{"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"]}}]}`),
		src(`{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"e","type":{"type":"enum","name":"E","symbols":["A"]}},{"name":"n","type":"long"}]}`)})
	_, err := Compile(w, r)
	var ue *UnresolvableError
	if !errors.As(err, &ue) || len(ue.Findings) != 3 {
		t.Fatalf("got %v, want an *UnresolvableError with 3 findings", err)
	}
	for _, want := range []string{"type-mismatch: R.a", "enum-symbol-removed: R.e", "field-added-no-default: R.n"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}

func TestIdentityPlans(t *testing.T) {
	for _, c := range []struct {
		w, r string
		want bool
	}{
		{`{"type":"record","name":"R","doc":"x","fields":[{"name":"a","type":"int","default":1}]}`, `{"type":"record","name":"R","fields":[{"name":"a","type":"long"}]}`, true},
		{`["null","string"]`, `["null","string","int"]`, true},
		{`["string","null"]`, `["null","string"]`, false},
		{`{"type":"enum","name":"E","symbols":["A","B"]}`, `{"type":"enum","name":"E","symbols":["A","B","C"]}`, true},
		{`{"type":"enum","name":"E","symbols":["B","A"]}`, `{"type":"enum","name":"E","symbols":["A","B"]}`, false},
		{`{"type":"record","name":"T","fields":[{"name":"k","type":{"type":"array","items":"T"}}]}`, `{"type":"record","name":"T","fields":[{"name":"k","type":{"type":"array","items":"T"}}]}`, true},
		{`{"type":"record","name":"T","fields":[{"name":"k","type":["null","T"]},{"name":"v","type":"int"}]}`, `{"type":"record","name":"T","fields":[{"name":"k","type":["null","T"]},{"name":"v","type":"float"}]}`, false},
	} {
		w, r := parsePair(t, pair{"id", src(c.w), src(c.r)})
		p, err := Compile(w, r)
		if err != nil {
			t.Fatal(err)
		}
		if p.Identity() != c.want {
			t.Errorf("%s → %s: identity %v, want %v", c.w, c.r, p.Identity(), c.want)
		}
	}
}

func TestCorruptBodiesAreErrors(t *testing.T) {
	w, r := parsePair(t, handPairs[3]) // reordered fields
	p, err := Compile(w, r)
	if err != nil {
		t.Fatal(err)
	}
	good := randomBody(rand.New(rand.NewPCG(5, 6)), w.Root, nil, 0)
	if _, err := p.Transcode(nil, good); err != nil {
		t.Fatal(err)
	}
	huge := binary.AppendUvarint(nil, 1<<40)
	for name, body := range map[string][]byte{
		"empty":             nil,
		"truncated":         good[:len(good)-1],
		"trailing bytes":    append(append([]byte(nil), good...), 0),
		"string past end":   {2, 0x7e, 'a'},
		"huge array block":  append([]byte{2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, huge...),
		"over-long varint":  {0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		"negative string":   {2, 0x01},
		"array size past":   {2, 0, 0x01, 0x7e},
		"string len varint": {2, 0x80},
	} {
		if _, err := p.Transcode(nil, body); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: got %v, want ErrCorrupt", name, err)
		}
	}
	// An enum index or union index out of range.
	w2, r2 := parsePair(t, handPairs[5])
	p2, _ := Compile(w2, r2)
	if _, err := p2.Transcode(nil, []byte{8}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("union index 4 of 4: got %v", err)
	}
	w3, r3 := parsePair(t, handPairs[4])
	p3, _ := Compile(w3, r3)
	if _, err := p3.Transcode(nil, []byte{8, 0}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("enum index 4 of 4: got %v", err)
	}
}

// Records nested exactly MaxDepth deep transcode; one more is ErrTooDeep
// (and ErrCorrupt), both where the plan converts the recursive records
// (reordered fields) and where it copies them as they are (skipping).
func TestDepthLimitIsExact(t *testing.T) {
	node := `{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","Node"]}]}`
	chain := func(n int) []byte { // n Nodes, v=1, each the next of the one before
		b := bytes.Repeat([]byte{2, 2}, n-1)
		return append(b, 2, 0)
	}
	top := func(a string) string {
		return `{"type":"record","name":"Top","fields":[{"name":"a","type":"` + a + `"},{"name":"n","type":["null",` + node + `]}]}`
	}
	cases := []struct {
		name string
		p    pair
		body func(depth int) []byte // records nested depth deep
	}{
		{"converted", handPairs[10], chain},
		{"copied", pair{"copied", src(top("int")), src(top("long"))}, func(depth int) []byte {
			return append([]byte{2, 2}, chain(depth-1)...) // a=1, n: branch 1, then depth-1 Nodes
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, r := parsePair(t, c.p)
			p, err := Compile(w, r)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Transcode(nil, c.body(MaxDepth)); err != nil {
				t.Fatalf("%d nested records: %v", MaxDepth, err)
			}
			_, err = p.Transcode(nil, c.body(MaxDepth+1))
			if !errors.Is(err, ErrTooDeep) || !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%d nested records: got %v, want ErrTooDeep and ErrCorrupt", MaxDepth+1, err)
			}
		})
	}
}

// transcodeOne compiles a pair and transcodes one body.
func transcodeOne(t *testing.T, w, r string, body []byte) []byte {
	t.Helper()
	ws, rs := parsePair(t, pair{"one", src(w), src(r)})
	p, err := Compile(ws, rs)
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Transcode(nil, body)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Cases hamba cannot check: its resolver refuses a multi-branch writer
// union read as one type ("union type must be unique") and recurses
// without end on recursive schemas.
func TestPlansHambaCannotCheck(t *testing.T) {
	// ["int","long","float"] read as double: each branch promoted.
	w, r := `["int","long","float"]`, `"double"`
	for _, c := range []struct {
		body []byte
		want float64
	}{
		{[]byte{0, 0x0f}, -8}, {append([]byte{2}, zigzag(nil, 1<<40)...), 1 << 40}, {appendFloat([]byte{4}, 1.5), 1.5},
	} {
		out := transcodeOne(t, w, r, c.body)
		if got := math.Float64frombits(binary.LittleEndian.Uint64(out)); len(out) != 8 || got != c.want {
			t.Errorf("% x → % x (%v), want %v", c.body, out, got, c.want)
		}
	}
	// A "NaN" or "-Infinity" string is no float default: JSON has no such
	// numbers and Apache Avro for Java refuses them too (see
	// internal/avroschema), so no plan is ever compiled with one.
	_, err := compat.Parse("r", compat.Source{Name: "r.avsc", Data: []byte(`{"type":"record","name":"R","fields":[{"name":"f","type":"float","default":"NaN"},{"name":"d","type":"double","default":"-Infinity"}]}`)})
	if err == nil || !strings.Contains(err.Error(), `r.avsc:1:76: invalid default for field "f" of "R": want a number, got "NaN"`) || !strings.Contains(err.Error(), `r.avsc:1:121: invalid default for field "d"`) {
		t.Errorf("NaN and -Infinity defaults: %v", err)
	}
	// A recursive list whose fields are reordered, promoted and extended:
	// Node{v:int, next:[null,Node]} read as Node{next, v:long, tag="t"}.
	list := []byte{2, 2, 4, 2, 6, 0} // v=1 → v=2 → v=3 → null
	out := transcodeOne(t, string(handPairs[10].writer[0].Data), string(handPairs[10].reader[0].Data), list)
	want := []byte{2, 2, 0, 6, 2, 't', 4, 2, 't', 2, 2, 't'} // next(next(null, 3, t), 2, t), 1, t
	if !reflect.DeepEqual(out, want) {
		t.Errorf("recursive list: % x, want % x", out, want)
	}
}

// TestMutatedBodiesAreErrorsOrStructurallySound flips bytes of valid
// bodies and truncates them: Transcode never panics and either fails with
// ErrCorrupt or returns a body whose structure (lengths, counts, block
// sizes, union indexes) is sound. Values copied as they are (a boolean
// byte, an enum index of an identical enum) are checked by the generated
// decoder that reads the result, as on the fast path.
func TestMutatedBodiesAreErrorsOrStructurallySound(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, p := range handPairs {
		w, r := parsePair(t, p)
		plan, err := Compile(w, r)
		if err != nil {
			t.Fatal(err)
		}
		var hr avro.Schema
		if !skipForHamba(w, r) {
			hr = hambaSchema(t, p.reader)
		}
		for range 300 {
			body := randomBody(rng, w.Root, nil, 0)
			if len(body) > 0 {
				switch rng.IntN(3) {
				case 0:
					body[rng.IntN(len(body))] ^= byte(1 << rng.IntN(8))
				case 1:
					body = body[:rng.IntN(len(body))]
				default:
					body[rng.IntN(len(body))] = byte(rng.IntN(256))
				}
			}
			out, err := plan.Transcode(nil, body)
			if err != nil {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("%s: % x: %v is not ErrCorrupt", p.name, body, err)
				}
				continue
			}
			if hr != nil {
				var v any
				if err := avro.Unmarshal(hr, out, &v); err != nil && !strings.Contains(err.Error(), "invalid bool") && !strings.Contains(err.Error(), "unknown enum symbol") {
					t.Fatalf("%s: % x transcoded to % x, which the reader schema cannot decode: %v", p.name, body, out, err)
				}
			}
		}
	}
}

// FuzzTranscode feeds arbitrary bodies to the plan of every hand pair
// (the first byte picks the pair): Transcode must fail with ErrCorrupt or
// succeed, never panic or hang. The seeds are valid bodies of every pair
// (deep recursive ones too, up to and past MaxDepth), so mutations start
// inside nested records, unions, arrays and maps rather than at their
// first byte.
//
// Run: go test ./runtime/resolve -run '^$' -fuzz FuzzTranscode -fuzztime 1m
func FuzzTranscode(f *testing.F) {
	plans := make([]*Plan, len(handPairs))
	for i, p := range handPairs {
		w, r := parsePairT(p)
		plan, err := Compile(w, r)
		if err != nil {
			f.Fatal(err)
		}
		plans[i] = plan
		rng := rand.New(rand.NewPCG(9, uint64(i)))
		for range 4 {
			f.Add(append([]byte{byte(i)}, randomBody(rng, w.Root, nil, 0)...))
		}
	}
	// Recursive list (pair 10): v=1, next: the following node.
	for _, n := range []int{2, 64, MaxDepth, MaxDepth + 1} {
		body := bytes.Repeat([]byte{2, 2}, n-1)
		f.Add(append(append([]byte{10}, body...), 2, 0))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		plan := plans[int(in[0])%len(plans)]
		if _, err := plan.Transcode(nil, in[1:]); err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%v is not ErrCorrupt", err)
		}
	})
}

func parsePairT(p pair) (*compat.Schema, *compat.Schema) {
	w, err := compat.Parse("writer", p.writer...)
	if err != nil {
		panic(err)
	}
	r, err := compat.Parse("reader", p.reader...)
	if err != nil {
		panic(err)
	}
	return w, r
}
