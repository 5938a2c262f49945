//go:build integration

package itest_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/faustgen/faustgen/internal/itest"
)

const (
	userV1 = `{"type":"record","name":"User","namespace":"itest","fields":[
		{"name":"id","type":"long"}]}`
	// A new field without a default: a reader on this schema cannot read
	// data written with v1, so BACKWARD rejects it.
	userIncompatible = `{"type":"record","name":"User","namespace":"itest","fields":[
		{"name":"id","type":"long"},
		{"name":"email","type":"string"}]}`
	// The same field with a default: BACKWARD compatible.
	userCompatible = `{"type":"record","name":"User","namespace":"itest","fields":[
		{"name":"id","type":"long"},
		{"name":"email","type":"string","default":""}]}`
)

func TestRegistryGlobalCompatibilityIsBackward(t *testing.T) {
	ctx := itest.Context(t, time.Minute)
	res := itest.RegistryClient(t).Compatibility(ctx)
	if len(res) != 1 {
		t.Fatalf("global compatibility: got %d results, want 1", len(res))
	}
	if res[0].Err != nil {
		t.Fatalf("global compatibility: %v", res[0].Err)
	}
	if res[0].Level != sr.CompatBackward {
		t.Fatalf("global compatibility is %v, want BACKWARD (scripts/services/start.sh sets it)", res[0].Level)
	}
}

func TestRegistryRejectsIncompatibleSchemaWithReasonAndAcceptsCompatibleOne(t *testing.T) {
	ctx := itest.Context(t, time.Minute)
	cl := itest.RegistryClient(t)
	subject := itest.UniqueName(t, "users") + "-value"

	v1, err := cl.CreateSchema(ctx, subject, sr.Schema{Schema: userV1, Type: sr.TypeAvro})
	if err != nil {
		t.Fatalf("register v1 under %s: %v", subject, err)
	}

	// The compatibility endpoint says no, with reasons ...
	check, err := cl.CheckCompatibility(ctx, subject, -1, sr.Schema{Schema: userIncompatible, Type: sr.TypeAvro})
	if err != nil {
		t.Fatalf("check compatibility under %s: %v", subject, err)
	}
	if check.Is {
		t.Errorf("registry calls a new field without a default BACKWARD compatible")
	}

	// ... and registering it is refused with 409 and a message naming the field.
	_, err = cl.CreateSchema(ctx, subject, sr.Schema{Schema: userIncompatible, Type: sr.TypeAvro})
	var re *sr.ResponseError
	switch {
	case err == nil:
		t.Fatalf("registry accepted an incompatible schema under %s", subject)
	case !errors.As(err, &re):
		t.Fatalf("register incompatible schema: want a registry response error, got %T: %v", err, err)
	case re.StatusCode != http.StatusConflict:
		t.Fatalf("register incompatible schema: status %d (%s), want 409", re.StatusCode, re.Raw)
	case !strings.Contains(re.Message, "email"):
		t.Fatalf("register incompatible schema: reason %q does not name the offending field email", re.Message)
	}
	t.Logf("registry refused the incompatible schema: %d %s", re.StatusCode, re.Message)

	v2, err := cl.CreateSchema(ctx, subject, sr.Schema{Schema: userCompatible, Type: sr.TypeAvro})
	if err != nil {
		t.Fatalf("register compatible v2 under %s: %v", subject, err)
	}
	if v2.ID == v1.ID {
		t.Errorf("compatible v2 got v1's schema id %d", v1.ID)
	}
	versions, err := cl.SubjectVersions(ctx, subject)
	if err != nil {
		t.Fatalf("versions of %s: %v", subject, err)
	}
	if len(versions) != 2 {
		t.Fatalf("%s has versions %v, want two (v1 and the compatible v2; the rejected one not kept)", subject, versions)
	}
	latest, err := cl.SchemaByVersion(ctx, subject, -1)
	if err != nil {
		t.Fatalf("latest schema of %s: %v", subject, err)
	}
	if latest.ID != v2.ID || !strings.Contains(latest.Schema.Schema, `"default"`) {
		t.Errorf("latest of %s is id %d %s, want v2 (id %d) with the defaulted field", subject, latest.ID, latest.Schema.Schema, v2.ID)
	}
}
