package srembed

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
)

const (
	userV1 = `{"type":"record","name":"User","namespace":"app","fields":[{"name":"id","type":"string"}]}`
	userV2 = `{"type":"record","name":"User","namespace":"app","fields":[{"name":"id","type":"string"},{"name":"age","type":"int","default":0}]}`
	userV3 = `{"type":"record","name":"User","namespace":"app","fields":[{"name":"id","type":"string"},{"name":"age","type":"int"}]}`
	// userV2Spaced is userV2 with other white space, key order and a doc.
	userV2Spaced = `{ "namespace": "app", "name": "User", "type": "record", "doc": "a user",
		"fields": [ {"name": "id", "type": "string"}, {"type": "int", "name": "age", "default": 0} ] }`
	userBad = `{"type":"record","name":"User","fields":[{"name":"id","type":"strin"}]}`
)

func startRegistry(t *testing.T) (*Server, *sr.Client) {
	t.Helper()
	srv, err := Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	cl, err := sr.NewClient(sr.URLs(srv.URL()))
	if err != nil {
		t.Fatal(err)
	}
	return srv, cl
}

func avro(text string) sr.Schema { return sr.Schema{Schema: text, Type: sr.TypeAvro} }

func mustRegister(t *testing.T, cl *sr.Client, subject, text string) int {
	t.Helper()
	ss, err := cl.CreateSchema(context.Background(), subject, avro(text))
	if err != nil {
		t.Fatalf("register %s: %v", subject, err)
	}
	return ss.ID
}

func responseError(t *testing.T, err error) *sr.ResponseError {
	t.Helper()
	var re *sr.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T) is not a registry response error", err, err)
	}
	return re
}

func TestRegisterLookupAndFetch(t *testing.T) {
	ctx := context.Background()
	_, cl := startRegistry(t)

	id1 := mustRegister(t, cl, "users-value", userV1)
	ss, err := cl.CreateSchema(ctx, "users-value", avro(userV2))
	if err != nil {
		t.Fatal(err)
	}
	if ss.ID == id1 || ss.Version != 2 || ss.Subject != "users-value" {
		t.Errorf("second version = %+v, want a new id and version 2", ss)
	}
	// The same schema, written differently, keeps its id and adds no version.
	again, err := cl.CreateSchema(ctx, "users-value", avro(userV2Spaced))
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != ss.ID || again.Version != 2 {
		t.Errorf("re-registering gave %+v, want id %d version 2", again, ss.ID)
	}
	// Another subject with the same schema shares the id.
	if id := mustRegister(t, cl, "users-copy", userV2); id != ss.ID {
		t.Errorf("same schema in another subject got id %d, want %d", id, ss.ID)
	}

	versions, err := cl.SubjectVersions(ctx, "users-value")
	if err != nil || len(versions) != 2 || versions[0] != 1 || versions[1] != 2 {
		t.Errorf("versions = %v, %v; want [1 2]", versions, err)
	}
	subjects, err := cl.Subjects(ctx)
	if err != nil || strings.Join(subjects, ",") != "users-copy,users-value" {
		t.Errorf("subjects = %v, %v", subjects, err)
	}
	byID, err := cl.SchemaByID(ctx, id1)
	if err != nil || byID.Schema != userV1 {
		t.Errorf("schema %d = %q, %v; want the registered text", id1, byID.Schema, err)
	}
	latest, err := cl.SchemaByVersion(ctx, "users-value", -1)
	if err != nil || latest.Version != 2 || latest.ID != ss.ID {
		t.Errorf("latest = %+v, %v", latest, err)
	}
	found, err := cl.LookupSchema(ctx, "users-value", avro(userV1))
	if err != nil || found.ID != id1 || found.Version != 1 {
		t.Errorf("lookup = %+v, %v; want id %d version 1", found, err, id1)
	}
	_, err = cl.LookupSchema(ctx, "users-value", avro(userV3))
	if re := responseError(t, err); re.ErrorCode != 40403 {
		t.Errorf("lookup of an unregistered schema: code %d, want 40403", re.ErrorCode)
	}
	_, err = cl.SchemaByID(ctx, 99)
	if re := responseError(t, err); re.StatusCode != http.StatusNotFound || re.ErrorCode != 40403 {
		t.Errorf("unknown id: %d/%d, want 404/40403", re.StatusCode, re.ErrorCode)
	}
	_, err = cl.SchemaByVersion(ctx, "nobody", 1)
	if re := responseError(t, err); re.ErrorCode != 40401 {
		t.Errorf("unknown subject: code %d, want 40401", re.ErrorCode)
	}
}

func TestIncompatibleSchemaIsRejectedWithEveryReason(t *testing.T) {
	ctx := context.Background()
	_, cl := startRegistry(t)
	mustRegister(t, cl, "users-value", userV1)
	// Two violations at once: a new field without default and a type change.
	bad := `{"type":"record","name":"User","namespace":"app","fields":[{"name":"id","type":"int"},{"name":"age","type":"int"}]}`
	_, err := cl.RegisterSchema(ctx, "users-value", avro(bad), -1, -1)
	re := responseError(t, err)
	if re.StatusCode != http.StatusConflict || re.ErrorCode != 409 {
		t.Fatalf("status %d code %d, want 409/409: %s", re.StatusCode, re.ErrorCode, re.Message)
	}
	for _, want := range []string{"compatibility BACKWARD", "field-added-no-default at User.age", "type-mismatch at User.id"} {
		if !strings.Contains(re.Message, want) {
			t.Errorf("message lacks %q: %s", want, re.Message)
		}
	}
	if versions, _ := cl.SubjectVersions(ctx, "users-value"); len(versions) != 1 {
		t.Errorf("a rejected schema added a version: %v", versions)
	}

	res, err := cl.CheckCompatibility(sr.WithParams(ctx, sr.Verbose), "users-value", -1, avro(bad))
	if err != nil {
		t.Fatal(err)
	}
	if res.Is || len(res.Messages) != 2 {
		t.Errorf("check = %+v, want incompatible with 2 messages", res)
	}
	res, err = cl.CheckCompatibility(ctx, "users-value", 1, avro(userV2))
	if err != nil || !res.Is {
		t.Errorf("check of a compatible schema = %+v, %v", res, err)
	}

	_, err = cl.RegisterSchema(ctx, "other", avro(userBad), -1, -1)
	re = responseError(t, err)
	if re.ErrorCode != 42201 || !strings.Contains(re.Message, `new schema:1:62: unknown type "strin"`) {
		t.Errorf("invalid schema: code %d %q, want 42201 with the position", re.ErrorCode, re.Message)
	}
}

func TestTransitiveLevelsAreHonoured(t *testing.T) {
	ctx := context.Background()
	_, cl := startRegistry(t)
	for _, subj := range []string{"plain", "transitive"} {
		mustRegister(t, cl, subj, userV1)
		mustRegister(t, cl, subj, userV2)
	}
	set := cl.SetCompatibility(ctx, sr.SetCompatibility{Level: sr.CompatBackwardTransitive}, "transitive")
	if set[0].Err != nil || set[0].Level != sr.CompatBackwardTransitive {
		t.Fatalf("set level: %+v", set[0])
	}
	// Dropping the default is compatible with v2 (BACKWARD) but not with v1.
	if _, err := cl.RegisterSchema(ctx, "plain", avro(userV3), -1, -1); err != nil {
		t.Errorf("BACKWARD rejected a schema compatible with the latest version: %v", err)
	}
	_, err := cl.RegisterSchema(ctx, "transitive", avro(userV3), -1, -1)
	re := responseError(t, err)
	if re.ErrorCode != 409 || !strings.Contains(re.Message, "version 1") || strings.Contains(re.Message, "version 2") {
		t.Errorf("BACKWARD_TRANSITIVE: %d %s; want 409 naming version 1 only", re.ErrorCode, re.Message)
	}
	// Checking against one numbered version ignores transitivity.
	res, err := cl.CheckCompatibility(ctx, "transitive", 2, avro(userV3))
	if err != nil || !res.Is {
		t.Errorf("check against version 2 = %+v, %v; want compatible", res, err)
	}
	res, err = cl.CheckCompatibility(ctx, "transitive", -2, avro(userV3))
	if err != nil || res.Is {
		t.Errorf("check against all versions = %+v, %v; want incompatible", res, err)
	}
}

func TestConfigLevels(t *testing.T) {
	ctx := context.Background()
	_, cl := startRegistry(t)
	global := cl.Compatibility(ctx)
	if global[0].Err != nil || global[0].Level != sr.CompatBackward {
		t.Errorf("global default = %+v, want BACKWARD", global[0])
	}
	sub := cl.Compatibility(ctx, "s")
	if re := responseError(t, sub[0].Err); re.ErrorCode != 40408 {
		t.Errorf("unset subject level: code %d, want 40408", re.ErrorCode)
	}
	sub = cl.Compatibility(sr.WithParams(ctx, sr.DefaultToGlobal), "s")
	if sub[0].Err != nil || sub[0].Level != sr.CompatBackward {
		t.Errorf("defaultToGlobal = %+v", sub[0])
	}
	set := cl.SetCompatibility(ctx, sr.SetCompatibility{Level: sr.CompatNone})
	if set[0].Err != nil {
		t.Fatal(set[0].Err)
	}
	mustRegister(t, cl, "s", userV1)
	mustRegister(t, cl, "s", `"long"`) // NONE accepts anything
	cl.SetCompatibility(ctx, sr.SetCompatibility{Level: sr.CompatFull}, "s")
	if _, err := cl.RegisterSchema(ctx, "s", avro(`"int"`), -1, -1); responseError(t, err).ErrorCode != 409 {
		t.Errorf("FULL accepted long → int")
	}
	if got := cl.Compatibility(ctx, "s"); got[0].Level != sr.CompatFull {
		t.Errorf("subject level = %v, want FULL", got[0].Level)
	}
	reset := cl.ResetCompatibility(ctx, "s")
	if reset[0].Err != nil {
		t.Fatal(reset[0].Err)
	}
	if _, err := cl.RegisterSchema(ctx, "s", avro(`"int"`), -1, -1); err != nil {
		t.Errorf("after reset to global NONE: %v", err)
	}
}

func TestDeleteSubject(t *testing.T) {
	ctx := context.Background()
	_, cl := startRegistry(t)
	id := mustRegister(t, cl, "s", userV1)
	mustRegister(t, cl, "s", userV2)
	if _, err := cl.DeleteSubject(ctx, "s", sr.HardDelete); responseError(t, err).ErrorCode != 40405 {
		t.Errorf("hard delete before soft delete must fail with 40405")
	}
	versions, err := cl.DeleteSubject(ctx, "s", sr.SoftDelete)
	if err != nil || len(versions) != 2 {
		t.Fatalf("soft delete = %v, %v", versions, err)
	}
	if subjects, _ := cl.Subjects(ctx); len(subjects) != 0 {
		t.Errorf("subjects after delete = %v", subjects)
	}
	if s, err := cl.SchemaByID(ctx, id); err != nil || s.Schema != userV1 {
		t.Errorf("ids stay readable after a soft delete: %v", err)
	}
	// A soft-deleted history no longer constrains new versions.
	if _, err := cl.RegisterSchema(ctx, "s", avro(`"string"`), -1, -1); err != nil {
		t.Errorf("register after delete: %v", err)
	}
	if _, err := cl.DeleteSubject(ctx, "s", sr.SoftDelete); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.DeleteSubject(ctx, "s", sr.HardDelete); err != nil {
		t.Errorf("hard delete: %v", err)
	}
	if _, err := cl.SubjectVersions(sr.WithParams(ctx, sr.ShowDeleted), "s"); responseError(t, err).ErrorCode != 40401 {
		t.Errorf("a hard-deleted subject is gone")
	}
}

func TestReferencesResolveNamedTypesAcrossSubjects(t *testing.T) {
	ctx := context.Background()
	_, cl := startRegistry(t)
	money := func(scale int) string {
		return `{"type":"record","name":"Money","namespace":"acme","fields":[{"name":"units","type":{"type":"bytes","logicalType":"decimal","precision":18,"scale":` + string(rune('0'+scale)) + `}}]}`
	}
	invoice := `{"type":"record","name":"Invoice","namespace":"acme","fields":[{"name":"total","type":"Money"}]}`
	mustRegister(t, cl, "money", money(2))
	cl.SetCompatibility(ctx, sr.SetCompatibility{Level: sr.CompatNone}, "money")
	mustRegister(t, cl, "money", money(4))
	ref := func(v int) sr.Schema {
		return sr.Schema{Schema: invoice, References: []sr.SchemaReference{{Name: "acme.Money", Subject: "money", Version: v}}}
	}
	if _, err := cl.CreateSchema(ctx, "invoices", ref(1)); err != nil {
		t.Fatal(err)
	}
	// The same text referencing another Money is a different schema, and
	// its scale change is incompatible.
	_, err := cl.RegisterSchema(ctx, "invoices", ref(2), -1, -1)
	re := responseError(t, err)
	if re.ErrorCode != 409 || !strings.Contains(re.Message, "decimal-scale-changed at Invoice.total.units") {
		t.Errorf("got %d %s; want 409 with decimal-scale-changed", re.ErrorCode, re.Message)
	}
	got, err := cl.SchemaByVersion(ctx, "invoices", 1)
	if err != nil || len(got.References) != 1 || got.References[0].Subject != "money" {
		t.Errorf("references not returned: %+v, %v", got, err)
	}
}

func TestCancelledContextStopsTheServer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(srv.URL() + "/subjects"); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(srv.URL() + "/subjects"); err == nil {
		t.Error("server still answers after its context was cancelled")
	}
}

func TestLevelSetBeforeTheFirstVersionApplies(t *testing.T) {
	ctx := context.Background()
	_, cl := startRegistry(t)
	// The runtime's order: pin the subject's level, then register.
	if res := cl.SetCompatibility(ctx, sr.SetCompatibility{Level: sr.CompatForward}, "fresh"); res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	if subjects, _ := cl.Subjects(ctx); len(subjects) != 0 {
		t.Errorf("a level alone must not create a listed subject: %v", subjects)
	}
	mustRegister(t, cl, "fresh", userV2)
	// Removing a field that has a default is FORWARD compatible...
	if _, err := cl.RegisterSchema(ctx, "fresh", avro(userV1), -1, -1); err != nil {
		t.Errorf("FORWARD rejected removing a defaulted field: %v", err)
	}
	// ...adding one without default is too (old readers ignore it), but
	// the subject level is FORWARD, so BACKWARD's rule must not apply.
	if _, err := cl.RegisterSchema(ctx, "fresh", avro(userV3), -1, -1); err != nil {
		t.Errorf("FORWARD applied a backward rule: %v", err)
	}
}
