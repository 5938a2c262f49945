package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/faustgen/faustgen/runtime/srembed"
)

const checkTopology = `version: 1
app:
  id: shop
  package: shop
  output: ./gen
schemas: [schemas/]
registry:
  subjects: topic
  compatibility: BACKWARD
topics:
  orders:
    key: string
    value: shop.Order
    partitions: 1
`

const (
	orderV1 = `{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"string"},{"name":"total","type":"Money"}]}`
	moneyV1 = `{"type":"record","name":"Money","namespace":"shop","fields":[{"name":"units","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}}]}`
	orderV2 = `{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"string"},{"name":"total","type":"Money"},{"name":"note","type":"string","default":""}]}`
	// orderV3 drops note's default and adds a field without one.
	orderV3 = "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"shop\",\"fields\":[\n" +
		"  {\"name\":\"id\",\"type\":\"string\"},\n" +
		"  {\"name\":\"total\",\"type\":\"Money\"},\n" +
		"  {\"name\":\"note\",\"type\":\"string\"}]}"
	// moneyScaled changes the decimal scale in the other file.
	moneyScaled = `{"type":"record","name":"Money","namespace":"shop","fields":[{"name":"units","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":3}}]}`
)

// writeProject writes a topology and its schema files into dir.
func writeProject(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func runCheckCmd(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := runCheck(context.Background(), args, &out, &errOut)
	return code, out.String() + errOut.String()
}

func TestCheckAgainstDirVersions(t *testing.T) {
	dir := t.TempDir()
	writeProject(t, dir, map[string]string{
		"faustgen.yaml":             checkTopology,
		"schemas/order.avsc":        orderV3,
		"schemas/money.avsc":        moneyV1,
		"history/v1/order.avsc":     orderV1,
		"history/v1/money.avsc":     moneyV1,
		"history/v2/order.avsc":     orderV2,
		"history/v2/sub/money.avsc": moneyV1,
	})
	topo := filepath.Join(dir, "faustgen.yaml")
	hist := filepath.Join(dir, "history")

	// BACKWARD (from the topology): v3 only needs to read v2 data.
	if code, out := runCheckCmd(t, "-f", topo, "--against", "dir:"+hist); code != 0 || !strings.Contains(out, "2 subjects (2 with earlier versions) compatible") {
		t.Errorf("BACKWARD: exit %d, want 0:\n%s", code, out)
	}
	// Transitive: v1 data has no note and v3 gives it no default.
	code, out := runCheckCmd(t, "-f", topo, "--against", "dir:"+hist, "--level", "BACKWARD_TRANSITIVE")
	if code != 1 || !strings.Contains(out, "schemas/order.avsc:4:3: field-added-no-default: Order.note") || !strings.Contains(out, "subject orders-value") {
		t.Errorf("BACKWARD_TRANSITIVE: exit %d, want 1 with the finding:\n%s", code, out)
	}

	// A single flat folder is one version.
	code, out = runCheckCmd(t, "-f", topo, "--against", "dir:"+filepath.Join(hist, "v1"), "--format", "json")
	if code != 1 {
		t.Fatalf("flat dir: exit %d, want 1:\n%s", code, out)
	}
	var f struct {
		Subject, Rule, Path string
		Pos                 struct{ File string }
	}
	if err := json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &f); err != nil {
		t.Fatalf("json output: %v\n%s", err, out)
	}
	if f.Subject != "orders-value" || f.Rule != "field-added-no-default" || f.Pos.File != "schemas/order.avsc" {
		t.Errorf("json finding = %+v", f)
	}
}

func TestCheckReportsCrossFileChangesAsGitHubAnnotations(t *testing.T) {
	dir := t.TempDir()
	writeProject(t, dir, map[string]string{
		"faustgen.yaml":      checkTopology,
		"schemas/order.avsc": orderV1,
		"schemas/money.avsc": moneyScaled,
		"old/order.avsc":     orderV1,
		"old/money.avsc":     moneyV1,
	})
	t.Chdir(dir)
	code, out := runCheckCmd(t, "--against", "dir:old", "--format", "github")
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	want := "::error title=decimal-scale-changed (orders-value),file=schemas/money.avsc,line=1,col="
	if !strings.HasPrefix(out, want) || !strings.Contains(out, "::Order.total.units: decimal scale 2") {
		t.Errorf("annotation = %q, want prefix %q", out, want)
	}
}

func TestCheckAgainstGitRevision(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("git is required: %v", err)
	}
	root := t.TempDir()
	dir := filepath.Join(root, "svc")
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", root, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	writeProject(t, dir, map[string]string{"faustgen.yaml": checkTopology, "schemas/order.avsc": orderV1, "schemas/money.avsc": moneyV1})
	git("add", ".")
	git("commit", "-q", "-m", "v1")
	writeProject(t, dir, map[string]string{"schemas/order.avsc": orderV3})

	topo := filepath.Join(dir, "faustgen.yaml")
	code, out := runCheckCmd(t, "-f", topo, "--against", "git:HEAD")
	if code != 1 || !strings.Contains(out, "field-added-no-default: Order.note") || !strings.Contains(out, "git:HEAD") {
		t.Errorf("against HEAD: exit %d, want 1:\n%s", code, out)
	}
	// A topology whose schemas live outside its folder (../shared/).
	writeProject(t, root, map[string]string{
		"other/faustgen.yaml": strings.Replace(checkTopology, "schemas: [schemas/]", "schemas: [../shared/]", 1),
		"shared/order.avsc":   orderV1,
		"shared/money.avsc":   moneyV1,
	})
	git("add", ".")
	git("commit", "-q", "-m", "shared")
	writeProject(t, root, map[string]string{"shared/money.avsc": moneyScaled})
	code, out = runCheckCmd(t, "-f", filepath.Join(root, "other", "faustgen.yaml"), "--against", "git:HEAD")
	if code != 1 || !strings.Contains(out, "../shared/money.avsc:1:") || !strings.Contains(out, "decimal-scale-changed") {
		t.Errorf("schemas outside the topology folder: exit %d, want 1:\n%s", code, out)
	}
	if code, out := runCheckCmd(t, "-f", topo, "--against", "git:no-such-rev"); code != 2 || !strings.Contains(out, "not a revision") {
		t.Errorf("bad revision: exit %d, want 2:\n%s", code, out)
	}
}

func TestCheckAgainstRegistryUsesEveryVersion(t *testing.T) {
	srv, err := srembed.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cl, err := sr.NewClient(sr.URLs(srv.URL()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	money, err := cl.CreateSchema(ctx, "money", sr.Schema{Schema: moneyV1})
	if err != nil {
		t.Fatal(err)
	}
	refs := []sr.SchemaReference{{Name: "shop.Money", Subject: "money", Version: money.Version}}
	for _, s := range []string{orderV1, orderV2} {
		if _, err := cl.CreateSchema(ctx, "orders-value", sr.Schema{Schema: s, References: refs}); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	writeProject(t, dir, map[string]string{"faustgen.yaml": checkTopology, "schemas/order.avsc": orderV3, "schemas/money.avsc": moneyV1})
	topo := filepath.Join(dir, "faustgen.yaml")
	if code, out := runCheckCmd(t, "-f", topo, "--against", "registry:"+srv.URL()); code != 0 {
		t.Errorf("BACKWARD against the registry: exit %d, want 0:\n%s", code, out)
	}
	code, out := runCheckCmd(t, "-f", topo, "--against", "registry:"+srv.URL(), "--level", "FULL_TRANSITIVE")
	if code != 1 || !strings.Contains(out, "registry orders-value version 1") {
		t.Errorf("FULL_TRANSITIVE: exit %d, want 1 naming version 1:\n%s", code, out)
	}
}

func TestCheckPointsAtTheTopologyForPrimitiveTypes(t *testing.T) {
	dir := t.TempDir()
	writeProject(t, dir, map[string]string{
		"faustgen.yaml":      strings.Replace(checkTopology, "key: string", "key: long", 1),
		"schemas/order.avsc": orderV1,
		"schemas/money.avsc": moneyV1,
		"old/order.avsc":     orderV1,
		"old/money.avsc":     moneyV1,
	})
	// The key was a string in every earlier version: dir: holds no key
	// schema, so feed one through the registry instead.
	srv, err := srembed.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cl, _ := sr.NewClient(sr.URLs(srv.URL()))
	if _, err := cl.CreateSchema(context.Background(), "orders-key", sr.Schema{Schema: `"string"`}); err != nil {
		t.Fatal(err)
	}
	code, out := runCheckCmd(t, "-f", filepath.Join(dir, "faustgen.yaml"), "--against", "registry:"+srv.URL())
	if code != 1 || !strings.Contains(out, "faustgen.yaml:12:10: type-mismatch: long") {
		t.Errorf("exit %d, want 1 pointing at the topology's key type:\n%s", code, out)
	}
}

func TestCheckBadInput(t *testing.T) {
	dir := t.TempDir()
	writeProject(t, dir, map[string]string{
		"faustgen.yaml":           strings.Replace(checkTopology, "shop.Order", "shop.Nope", 1),
		"schemas/order.avsc":      orderV1,
		"schemas/money.avsc":      moneyV1,
		"bad/faustgen.yaml":       checkTopology,
		"bad/schemas/o.avsc":      "{\"type\":\"record\",\n\"name\":}",
		"self/faustgen.yaml":      checkTopology,
		"self/schemas/order.avsc": "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"shop\",\"fields\":[\n {\"name\":\"total\",\"type\":\"Money\"}]}",
		"self/schemas/money.avsc": "{\"type\":\"record\",\"name\":\"Money\",\"namespace\":\"shop\",\"fields\":[\n {\"name\":\"order\",\"type\":\"Order\"}]}",
	})
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-f", filepath.Join(dir, "faustgen.yaml"), "--against", "dir:" + dir}, "faustgen.yaml:13:12: topic orders: type shop.Nope is not defined"},
		{[]string{"-f", filepath.Join(dir, "bad", "faustgen.yaml"), "--against", "dir:" + dir}, "schemas/o.avsc:2:8: invalid JSON: unexpected '}'"},
		{[]string{"-f", filepath.Join(dir, "self", "faustgen.yaml"), "--against", "dir:" + dir}, "schemas/money.avsc:1:1: record shop.Money has no finite value: its required fields always lead back into a cycle (Money.order → Order.total → Money)"},
		{[]string{"-f", filepath.Join(dir, "self", "faustgen.yaml"), "--against", "dir:" + dir}, "schemas/order.avsc:1:1: record shop.Order has no finite value: its required fields always lead back into a cycle (Order.total → Money.order → Order)"},
		{[]string{"-f", filepath.Join(dir, "faustgen.yaml"), "--against", "svn:1"}, "--against must be"},
		{[]string{"-f", filepath.Join(dir, "faustgen.yaml"), "--against", "dir:" + dir, "--format", "xml"}, "unknown format"},
		{[]string{"-f", filepath.Join(dir, "nope.yaml"), "--against", "dir:" + dir}, "read topology"},
	}
	for _, c := range cases {
		if code, out := runCheckCmd(t, c.args...); code != 2 || !strings.Contains(out, c.want) {
			t.Errorf("%v: exit %d, want 2 with %q:\n%s", c.args, code, c.want, out)
		}
	}
}

// A topic whose value is a union is checked under its subject
// (<topic>-value, whatever the strategy): an earlier version holds the
// union of the branches it defined, so adding a branch type is
// compatible, and a change inside a branch is found.
func TestCheckCoversUnionValuedTopics(t *testing.T) {
	created := `{"type":"record","name":"Created","namespace":"acc","fields":[{"name":"id","type":"string"}]}`
	closed := `{"type":"record","name":"Closed","namespace":"acc","fields":[{"name":"id","type":"string"}]}`
	closedLong := "{\"type\":\"record\",\"name\":\"Closed\",\"namespace\":\"acc\",\"fields\":[\n{\"name\":\"id\",\"type\":\"long\"}]}"
	topo := "version: 1\napp: {id: acc, package: acc, output: gen}\nschemas: [schemas/]\nregistry: {subjects: record}\n" +
		"topics:\n  events: {key: string, value: [acc.Created, acc.Closed], partitions: 1}\n"
	dir := t.TempDir()
	writeProject(t, dir, map[string]string{
		"faustgen.yaml":           topo,
		"schemas/created.avsc":    created,
		"schemas/closed.avsc":     closed,
		"history/v1/created.avsc": created, // v1 had no Closed yet
		"changed/faustgen.yaml":   topo,
		"changed/schemas/a.avsc":  created,
		"changed/schemas/b.avsc":  closedLong,
	})
	code, out := runCheckCmd(t, "-f", filepath.Join(dir, "faustgen.yaml"), "--against", "dir:"+filepath.Join(dir, "history"))
	if code != 0 || !strings.Contains(out, "compatible") {
		t.Errorf("a branch added: exit %d, want 0:\n%s", code, out)
	}
	code, out = runCheckCmd(t, "-f", filepath.Join(dir, "changed", "faustgen.yaml"), "--against", "dir:"+filepath.Join(dir, "schemas"))
	if code != 1 || !strings.Contains(out, "schemas/b.avsc:2:21: type-mismatch") || !strings.Contains(out, "subject events-value") {
		t.Errorf("a branch changed: exit %d, want 1 with the finding on events-value:\n%s", code, out)
	}
}
