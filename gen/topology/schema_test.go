package topology

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The JSON Schema of the topology file lives in docs/ for editors. These
// tests keep it in step with the parser: same keys, same enums, and the
// example topologies valid against it. The validator below implements the
// keywords the schema uses, nothing more.

func loadJSONSchema(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile("../../docs/faustgen.schema.json")
	if err != nil {
		t.Fatalf("read the JSON Schema: %v", err)
	}
	var s map[string]any
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("parse the JSON Schema: %v", err)
	}
	return s
}

func TestJSONSchemaNamesEveryKeyAndEnumTheParserAccepts(t *testing.T) {
	root := loadJSONSchema(t)
	defs := root["$defs"].(map[string]any)
	sections := map[string]map[string]any{
		"root":     root,
		"app":      root["properties"].(map[string]any)["app"].(map[string]any),
		"registry": root["properties"].(map[string]any)["registry"].(map[string]any),
		"topic":    defs["topic"].(map[string]any),
		"table":    defs["table"].(map[string]any),
		"window":   defs["window"].(map[string]any),
		"agent":    defs["agent"].(map[string]any),
	}
	for section, keys := range Keys {
		obj, ok := sections[section]
		if !ok {
			t.Errorf("section %q has no counterpart in the JSON Schema", section)
			continue
		}
		if obj["additionalProperties"] != false {
			t.Errorf("section %q: the schema must reject unknown keys like the parser", section)
		}
		var got []string
		for k := range obj["properties"].(map[string]any) {
			got = append(got, k)
		}
		sort.Strings(got)
		want := append([]string(nil), keys...)
		sort.Strings(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("section %q: schema keys %v, parser keys %v", section, got, want)
		}
	}
	enumOf := map[string]any{
		"guarantee":     sections["app"]["properties"].(map[string]any)["guarantee"],
		"subjects":      sections["registry"]["properties"].(map[string]any)["subjects"],
		"compatibility": sections["registry"]["properties"].(map[string]any)["compatibility"],
		"on_error":      sections["agent"]["properties"].(map[string]any)["on_error"],
	}
	for key, values := range Enums {
		var got []string
		for _, v := range enumOf[key].(map[string]any)["enum"].([]any) {
			got = append(got, v.(string))
		}
		if !reflect.DeepEqual(got, values) {
			t.Errorf("enum %s: schema %v, parser %v", key, got, values)
		}
	}
}

func TestExampleTopologiesValidateAgainstJSONSchema(t *testing.T) {
	schema := loadJSONSchema(t)
	files, _ := filepath.Glob("../../examples/*/faustgen.yaml")
	golden, _ := filepath.Glob("../testdata/*/faustgen.yaml")
	if len(files) < 2 {
		t.Fatalf("found %d example topologies, want at least 2", len(files))
	}
	for _, f := range append(files, golden...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(f), "errors.txt")); err == nil {
			continue // a failure case: it may be invalid on purpose
		}
		if _, diags := Parse(f, data); len(diags) > 0 {
			t.Errorf("the parser rejects %s:\n%v", f, diags.Error())
		}
		var doc any
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		v := &validator{root: schema}
		v.check("", schema, doc)
		for _, e := range v.errs {
			t.Errorf("%s: %s", f, e)
		}
	}
}

func TestJSONSchemaRejectsWhatTheParserRejects(t *testing.T) {
	schema := loadJSONSchema(t)
	head := "version: 1\napp: {id: a, package: a}\n"
	for _, src := range []string{
		"version: 2\napp: {id: a, package: a}\n",
		"version: 1\napp: {id: a}\n",
		head + "extra: 1\n",
		"version: 1\napp: {id: 'a b', package: a}\n",
		head + "registry: {subjects: topics}\n",
		head + "topics:\n  t: {key: string, value: string}\n",
		head + "topics:\n  t: {key: string, value: string, partitions: 0}\n",
		head + "topics:\n  t: {name: '..', key: string, value: string, partitions: 1}\n",
		head + "tables:\n  t: {key: string, value: long, partitions: 1, window: {tumbling: 1h}}\n",
		head + "tables:\n  t: {key: string, value: long, partitions: 1, window: {hopping: 1h, expires: 1h}}\n",
		head + "tables:\n  t: {key: string, value: long, partitions: 1, window: {tumbling: 1h, hopping: 1h, step: 1m, expires: 1h}}\n",
		head + "tables:\n  t: {key: string, value: long, partitions: 1, window: {tumbling: soon, expires: 1h}}\n",
		head + "agents:\n  a: {source: t, on_error: retry}\n",
		head + "agents:\n  9a: {source: t}\n",
	} {
		var doc any
		if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
			t.Fatal(err)
		}
		v := &validator{root: schema}
		v.check("", schema, doc)
		if len(v.errs) == 0 {
			t.Errorf("the JSON Schema accepts:\n%s", src)
		}
		if _, diags := Parse("f.yaml", []byte(src)); len(diags) == 0 {
			t.Errorf("the parser accepts:\n%s", src)
		}
	}
}

type validator struct {
	root map[string]any
	errs []string
}

func (v *validator) failf(at, format string, args ...any) {
	v.errs = append(v.errs, fmt.Sprintf("%s: %s", "/"+at, fmt.Sprintf(format, args...)))
}

func (v *validator) valid(s map[string]any, x any) bool {
	sub := &validator{root: v.root}
	sub.check("", s, x)
	return len(sub.errs) == 0
}

func (v *validator) check(at string, s map[string]any, x any) {
	for kw, arg := range s {
		switch kw {
		case "$schema", "$id", "title", "description", "$defs":
		case "$ref":
			name := strings.TrimPrefix(arg.(string), "#/$defs/")
			v.check(at, v.root["$defs"].(map[string]any)[name].(map[string]any), x)
		case "type":
			types := []any{arg}
			if list, ok := arg.([]any); ok {
				types = list
			}
			ok := false
			for _, ty := range types {
				ok = ok || hasType(ty.(string), x)
			}
			if !ok {
				v.failf(at, "%v is not of type %v", x, arg)
			}
		case "const":
			if !sameValue(arg, x) {
				v.failf(at, "%v is not %v", x, arg)
			}
		case "enum":
			found := false
			for _, e := range arg.([]any) {
				found = found || sameValue(e, x)
			}
			if !found {
				v.failf(at, "%v is not one of %v", x, arg)
			}
		case "pattern":
			if str, ok := x.(string); ok && !regexp.MustCompile(arg.(string)).MatchString(str) {
				v.failf(at, "%q does not match %s", str, arg)
			}
		case "minLength":
			if str, ok := x.(string); ok && float64(len([]rune(str))) < arg.(float64) {
				v.failf(at, "%q is too short", str)
			}
		case "minimum", "maximum":
			if n, ok := number(x); ok && (kw == "minimum" && n < arg.(float64) || kw == "maximum" && n > arg.(float64)) {
				v.failf(at, "%v is out of range (%s %v)", x, kw, arg)
			}
		case "required":
			if m, ok := x.(map[string]any); ok {
				for _, r := range arg.([]any) {
					if _, ok := m[r.(string)]; !ok {
						v.failf(at, "missing %s", r)
					}
				}
			}
		case "properties", "additionalProperties", "propertyNames":
			m, ok := x.(map[string]any)
			if !ok {
				continue
			}
			props, _ := s["properties"].(map[string]any)
			for k, val := range m {
				switch kw {
				case "properties":
					if ps, ok := props[k]; ok {
						v.check(at+"/"+k, ps.(map[string]any), val)
					}
				case "additionalProperties":
					if _, ok := props[k]; ok {
						continue
					}
					if arg == false {
						v.failf(at, "unknown key %q", k)
					} else if as, ok := arg.(map[string]any); ok {
						v.check(at+"/"+k, as, val)
					}
				case "propertyNames":
					v.check(at+"/"+k, arg.(map[string]any), k)
				}
			}
		case "items":
			if list, ok := x.([]any); ok {
				for i, it := range list {
					v.check(fmt.Sprintf("%s/%d", at, i), arg.(map[string]any), it)
				}
			}
		case "minItems":
			if list, ok := x.([]any); ok && float64(len(list)) < arg.(float64) {
				v.failf(at, "%v has fewer than %v items", x, arg)
			}
		case "uniqueItems":
			if list, ok := x.([]any); ok {
				for i := range list {
					for j := i + 1; j < len(list); j++ {
						if sameValue(list[i], list[j]) {
							v.failf(at, "%v is listed twice", list[i])
						}
					}
				}
			}
		case "oneOf", "anyOf":
			n := 0
			for _, alt := range arg.([]any) {
				if v.valid(alt.(map[string]any), x) {
					n++
				}
			}
			if kw == "oneOf" && n != 1 || kw == "anyOf" && n == 0 {
				v.failf(at, "%v matches %d of the %s alternatives", x, n, kw)
			}
		case "not":
			if v.valid(arg.(map[string]any), x) {
				v.failf(at, "%v matches a forbidden shape", x)
			}
		default:
			v.failf(at, "the test validator does not implement keyword %q", kw)
		}
	}
}

func number(x any) (float64, bool) {
	switch n := x.(type) {
	case int:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func hasType(ty string, x any) bool {
	switch ty {
	case "object":
		_, ok := x.(map[string]any)
		return ok
	case "array":
		_, ok := x.([]any)
		return ok
	case "string":
		_, ok := x.(string)
		return ok
	case "boolean":
		_, ok := x.(bool)
		return ok
	case "number":
		_, ok := number(x)
		return ok
	case "integer":
		n, ok := number(x)
		return ok && n == math.Trunc(n)
	}
	return false
}

func sameValue(a, b any) bool {
	na, oka := number(a)
	nb, okb := number(b)
	if oka && okb {
		return na == nb
	}
	return reflect.DeepEqual(a, b)
}
