package posjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func mustParse(t *testing.T, src string) *Node {
	t.Helper()
	n, err := Parse([]byte(src))
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	return n
}

func TestParseBuildsTheTreeWithPositions(t *testing.T) {
	src := "{\"type\": \"record\",\n  \"n\": [1, -2.5e3, true, false, null],\n\t\"o\": {}}"
	n := mustParse(t, src)
	if n.Kind != Object || n.Pos != (Pos{1, 1}) || len(n.Members) != 3 {
		t.Fatalf("root = %v at %v with %d members", n.Kind, n.Pos, len(n.Members))
	}
	var keys []string
	for _, m := range n.Members {
		keys = append(keys, m.Key+"@"+m.KeyPos.String())
	}
	if got, want := strings.Join(keys, " "), "type@1:2 n@2:3 o@3:2"; got != want {
		t.Errorf("members = %s, want %s (file order, key positions)", got, want)
	}
	if typ := n.Get("type"); typ.Kind != String || typ.Str != "record" || typ.Pos != (Pos{1, 10}) {
		t.Errorf("type = %+v", typ)
	}
	arr := n.Get("n")
	if arr.Kind != Array || arr.Pos != (Pos{2, 8}) || len(arr.Elems) != 5 {
		t.Fatalf("n = %+v", arr)
	}
	var got []string
	for _, e := range arr.Elems {
		got = append(got, fmt.Sprintf("%v %q %v @%v", e.Kind, e.Str, e.Bool, e.Pos))
	}
	want := []string{`number "1" false @2:9`, `number "-2.5e3" false @2:12`, `boolean "" true @2:20`, `boolean "" false @2:26`, `null "" false @2:33`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("elements:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if o := n.Get("o"); o.Kind != Object || o.Pos != (Pos{3, 7}) || len(o.Members) != 0 {
		t.Errorf("o = %+v", o)
	}
	if n.Get("missing") != nil || arr.Get("type") != nil {
		t.Error("Get found a key that is not there")
	}
}

// Columns count characters: the value after "é" or "😀" is one column
// further per character, whatever its UTF-8 length.
func TestColumnsCountCharactersNotBytes(t *testing.T) {
	cases := []struct {
		src  string
		want Pos // of the last element
	}{
		{`["ab", 1]`, Pos{1, 8}},
		{`["é",  1]`, Pos{1, 8}},
		{`["日本", 1]`, Pos{1, 8}},
		{`["😀",  1]`, Pos{1, 8}},
		{"[\"\\u00e9\",\n \"x\",\n\t1]", Pos{3, 2}},
		{"[\r\n\"é\", 1]", Pos{2, 6}},
		{"\xEF\xBB\xBF[\"é\", 1]", Pos{1, 7}}, // the byte order mark takes no column
	}
	for _, c := range cases {
		n := mustParse(t, c.src)
		if got := n.Elems[len(n.Elems)-1].Pos; got != c.want {
			t.Errorf("%q: last element at %v, want %v", c.src, got, c.want)
		}
	}
	_, err := Parse([]byte(`{"doc": "é", x}`))
	if err == nil || err.Error() != `1:14: unexpected 'x', expected a quoted object key` {
		t.Errorf("error after non-ASCII text: %v", err)
	}
}

func TestStringsAreDecoded(t *testing.T) {
	cases := map[string]string{
		`"plain"`:                 "plain",
		`""`:                      "",
		`"a\"b\\c\/d"`:            `a"b\c/d`,
		`"\b\f\n\r\t"`:            "\b\f\n\r\t",
		`"caf\u00e9 \u00E9"`:      "café é",
		`"é and 日本"`:              "é and 日本",
		`"\ud83d\ude00"`:          "😀",
		`"x\ud83d\ude00y"`:        "x😀y",
		`"\ud83d"`:                "\uFFFD",       // a lone high surrogate
		`"\ude00"`:                "\uFFFD",       // a lone low surrogate
		`"\ud83d\u0041"`:          "\uFFFDA",      // a high surrogate then no low one
		`"\ud83dx"`:               "\uFFFDx",      // a high surrogate then plain text
		`"\ude00\ud83d"`:          "\uFFFD\uFFFD", // the pair in the wrong order
		`"\u0000"`:                "\x00",
		"\"tab\\tthen é\\u0021\"": "tab\tthen é!",
	}
	for src, want := range cases {
		n := mustParse(t, src)
		if n.Kind != String || n.Str != want {
			t.Errorf("%s decoded to %q, want %q", src, n.Str, want)
		}
	}
}

// Every rejected document names the position and the problem.
func TestParseRejectsBadDocumentsWithAPosition(t *testing.T) {
	big := make([]string, 20)
	for i := range big {
		big[i] = fmt.Sprintf(`"k%d": %d`, i, i)
	}
	bigDup := "{" + strings.Join(big, ", ") + `, "k3": 0}`
	cases := []struct{ name, src, want string }{
		{"empty", "", "1:1: empty document: expected a JSON value"},
		{"only space", " \n ", "2:2: empty document: expected a JSON value"},
		{"only a byte order mark", "\xEF\xBB\xBF", "1:1: empty document: expected a JSON value"},
		{"a byte order mark inside", "[1, \xEF\xBB\xBF2]", `1:5: unexpected '\ufeff', expected a JSON value`},
		{"trailing text", `"int" "long"`, `1:7: unexpected '"' after the end of the schema`},
		{"trailing comma in object", "{\"a\": 1,\n}", "1:8: trailing comma before '}'"},
		{"trailing comma in array", "[1, 2 , ]", "1:7: trailing comma before ']'"},
		{"missing comma", "{\"a\": 1\n \"b\": 2}", `2:2: unexpected '"', expected ',' or '}'`},
		{"missing colon", `{"a" 1}`, `1:6: unexpected '1', expected ':' after object key`},
		{"unquoted key", `{a: 1}`, `1:2: unexpected 'a', expected a quoted object key`},
		{"end inside object", `{"type": "record"`, "1:18: unexpected end of file, expected ',' or '}'"},
		{"end inside array", `[1`, "1:3: unexpected end of file, expected ',' or ']'"},
		{"end before a value", `[`, "1:2: unexpected end of file, expected a JSON value"},
		{"bad value", `[1, +2]`, `1:5: unexpected '+', expected a JSON value`},
		{"duplicate key", `{"type": "fixed", "size": 1, "size": 2}`, `1:30: duplicate key "size" in object (first at 1:19)`},
		{"duplicate key in a big object", bigDup, fmt.Sprintf(`1:%d: duplicate key "k3" in object (first at 1:%d)`, strings.LastIndex(bigDup, `"k3"`)+1, strings.Index(bigDup, `"k3"`)+1)},
		{"duplicate key after escapes", `{"a": 1, "\u0061": 2}`, `1:10: duplicate key "a" in object (first at 1:2)`},
		{"unterminated string", `{"type": "str`, "1:10: unterminated string"},
		{"unterminated escape", `"ab\`, "1:1: unterminated string"},
		{"control character", "[\"a\tb\"]", `1:4: control character '\t' in string (escape it)`},
		{"invalid UTF-8", "[\"ok\", \"a\xffb\"]", "1:10: invalid UTF-8 in string"},
		{"invalid UTF-8 after an escape", "\"\\n\xc3\"", "1:4: invalid UTF-8 in string"},
		{"invalid UTF-8 outside strings", "[\xff]", `1:2: unexpected byte 0xff, expected a JSON value`},
		{"bad escape", `"a\qb"`, `1:3: invalid escape: 'q' after '\' in string`},
		{"short \\u escape", `"\u12"`, `1:2: invalid \u escape in string, expected four hex digits`},
		{"non-hex \\u escape", `"\u12g4"`, `1:2: invalid \u escape in string, expected four hex digits`},
		{"leading zero", `[1, 012]`, "1:5: invalid number: leading zero"},
		{"negative leading zero", `-00`, "1:2: invalid number: leading zero"},
		{"bare minus", `[-]`, "1:3: invalid number: expected a digit"},
		{"no fraction digits", `1.`, "1:3: invalid number: expected a digit after '.'"},
		{"no exponent digits", `1e+`, "1:4: invalid number: expected a digit in the exponent"},
		{"short literal", "[\n  nul\n]", "2:3: invalid literal, expected null"},
		{"literal runs on", `[truex]`, "1:2: invalid literal, expected true"},
		{"literal wrong", `fals`, "1:1: invalid literal, expected false"},
		{"too deep", strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), fmt.Sprintf("1:%d: nested more than 512 levels deep", MaxDepth+1)},
		{"too deep in objects", strings.Repeat(`{"a":`, MaxDepth) + "[]" + strings.Repeat("}", MaxDepth), fmt.Sprintf("1:%d: nested more than 512 levels deep", 5*MaxDepth+1)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, err := Parse([]byte(c.src))
			if err == nil {
				t.Fatalf("accepted %q as %+v, want %q", c.src, n, c.want)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *SyntaxError", err)
			}
			if err.Error() != c.want {
				t.Errorf("error\n got %s\nwant %s", err, c.want)
			}
		})
	}
}

func TestNestingUpToMaxDepthIsAccepted(t *testing.T) {
	n := mustParse(t, strings.Repeat("[", MaxDepth)+"1"+strings.Repeat("]", MaxDepth))
	depth := 0
	for n.Kind == Array {
		depth++
		n = n.Elems[0]
	}
	if depth != MaxDepth || n.Str != "1" {
		t.Errorf("depth %d, innermost %+v", depth, n)
	}
}

// Parsing one document must not disturb the trees of arrays and objects
// parsed before it in the same document (the parser reuses its stacks).
func TestSiblingsKeepTheirOwnElements(t *testing.T) {
	n := mustParse(t, `{"a": [1, [2, 3], {"x": 4, "y": [5]}], "b": {"c": [6, 7], "d": {}}, "e": [[], [8]]}`)
	var b strings.Builder
	n.WriteCompact(&b, jsonQuote)
	if got, want := b.String(), `{"a":[1,[2,3],{"x":4,"y":[5]}],"b":{"c":[6,7],"d":{}},"e":[[],[8]]}`; got != want {
		t.Errorf("tree = %s\nwant   %s", got, want)
	}
}

// jsonQuote quotes as encoding/json does.
func jsonQuote(b *strings.Builder, s string) {
	q, _ := json.Marshal(s)
	b.Write(q)
}

// WriteCompact keeps numbers as written and member order, and leaves the
// quoting of every string and key to its caller.
func TestWriteCompactKeepsLiteralsAndOrder(t *testing.T) {
	n := mustParse(t, "{ \"z\": [1.50, -0, 1E3, true, false, null],\n \"a\": {\"k\": \"v\\u00e9\"}, \"e\": [] }")
	var b strings.Builder
	n.WriteCompact(&b, jsonQuote)
	if got, want := b.String(), `{"z":[1.50,-0,1E3,true,false,null],"a":{"k":"vé"},"e":[]}`; got != want {
		t.Errorf("compact = %s\nwant      %s", got, want)
	}
	b.Reset()
	n.WriteCompact(&b, func(b *strings.Builder, s string) { b.WriteString("<" + s + ">") })
	if got, want := b.String(), `{<z>:[1.50,-0,1E3,true,false,null],<a>:{<k>:<vé>},<e>:[]}`; got != want {
		t.Errorf("with the caller's quoting = %s\nwant %s", got, want)
	}
}

// toAny converts a tree to what encoding/json decodes (with UseNumber).
func toAny(n *Node) any {
	switch n.Kind {
	case Bool:
		return n.Bool
	case Number:
		return json.Number(n.Str)
	case String:
		return n.Str
	case Array:
		out := []any{}
		for _, e := range n.Elems {
			out = append(out, toAny(e))
		}
		return out
	case Object:
		out := map[string]any{}
		for _, m := range n.Members {
			out[m.Key] = toAny(m.Value)
		}
		return out
	}
	return nil
}

// offsetOf turns a position back into a byte offset, counting columns in
// characters, after a leading byte order mark.
func offsetOf(data []byte, p Pos) int {
	off := 0
	if bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) {
		off = 3
	}
	line, col := 1, 1
	for off < len(data) && (line < p.Line || col < p.Col) {
		r, size := utf8.DecodeRune(data[off:])
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		off += size
	}
	return off
}

// checkPositions asserts that every node's and key's position, read back
// as characters, lands on the first byte of that value or key.
func checkPositions(t *testing.T, data []byte, n *Node) {
	t.Helper()
	first := map[Kind]string{Null: "n", Bool: "tf", Number: "-0123456789", String: `"`, Array: "[", Object: "{"}
	off := offsetOf(data, n.Pos)
	if off >= len(data) || !strings.ContainsRune(first[n.Kind], rune(data[off])) {
		t.Fatalf("%v at %v: byte offset %d does not start a %v in %q", n.Kind, n.Pos, off, n.Kind, data)
	}
	if n.Kind == Bool && (data[off] == 't') != n.Bool {
		t.Fatalf("boolean %v at %v reads %q", n.Bool, n.Pos, data[off])
	}
	for _, e := range n.Elems {
		checkPositions(t, data, e)
	}
	for _, m := range n.Members {
		if off := offsetOf(data, m.KeyPos); off >= len(data) || data[off] != '"' {
			t.Fatalf("key %q at %v: no quote at byte %d", m.Key, m.KeyPos, off)
		}
		checkPositions(t, data, m.Value)
	}
}

// Whatever Parse accepts, encoding/json accepts too (Parse is stricter),
// with the same values; every position points at its value; and whatever
// Parse rejects gives a positioned *SyntaxError, never a panic.
func FuzzParseAgreesWithEncodingJSON(f *testing.F) {
	for _, s := range []string{
		`{"type":"record","name":"A","fields":[{"name":"x","type":["null","string"],"default":null}]}`,
		"{\"doc\": \"é 日本 😀\",\n\t\"n\": [1, -0.5e-3, true, false, null], \"s\": \"\\ud83d\\ude00\\u00e9\\n\"}",
		"\xEF\xBB\xBF[\"bom\"]",
		`[1, 2,]`, `{"a":1,"a":2}`, `"\ud800"`, `01`, "\"\xff\"", `[[[[[]]]]]`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := Parse(data)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Pos.Line < 1 || se.Pos.Col < 1 || se.Msg == "" {
				t.Fatalf("error without a position or message: %#v", err)
			}
			return
		}
		body := bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
		if !json.Valid(body) {
			t.Fatalf("Parse accepted what encoding/json rejects: %q", data)
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var want any
		if err := dec.Decode(&want); err != nil {
			t.Fatal(err)
		}
		if got := toAny(n); !reflect.DeepEqual(got, want) {
			t.Fatalf("Parse read %#v, encoding/json %#v, from %q", got, want, data)
		}
		checkPositions(t, data, n)
	})
}
