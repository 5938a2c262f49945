package srref

import (
	"context"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/faustgen/faustgen/compat"
	"github.com/faustgen/faustgen/runtime/srembed"
)

// TestSourcesFetchesNestedReferencesDependenciesFirst registers a chain
// invoice → line → money across three subjects and checks that Sources
// returns money before line, each once, and that the result parses.
func TestSourcesFetchesNestedReferencesDependenciesFirst(t *testing.T) {
	ctx := context.Background()
	srv, err := srembed.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cl, err := sr.NewClient(sr.URLs(srv.URL()))
	if err != nil {
		t.Fatal(err)
	}
	money := `{"type":"record","name":"Money","namespace":"acme","fields":[{"name":"cents","type":"long"}]}`
	line := `{"type":"record","name":"Line","namespace":"acme","fields":[{"name":"price","type":"acme.Money"},{"name":"tax","type":"acme.Money"}]}`
	if _, err := cl.CreateSchema(ctx, "money", sr.Schema{Schema: money}); err != nil {
		t.Fatal(err)
	}
	moneyRef := sr.SchemaReference{Name: "acme.Money", Subject: "money", Version: 1}
	if _, err := cl.CreateSchema(ctx, "line", sr.Schema{Schema: line, References: []sr.SchemaReference{moneyRef}}); err != nil {
		t.Fatal(err)
	}
	refs := []sr.SchemaReference{{Name: "acme.Line", Subject: "line", Version: 1}, moneyRef}
	srcs, err := Sources(ctx, cl, refs)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range srcs {
		names = append(names, s.Name)
	}
	if got, want := strings.Join(names, ", "), "registry money version 1, registry line version 1"; got != want {
		t.Fatalf("sources = %s; want %s", got, want)
	}
	invoice := `{"type":"record","name":"Invoice","namespace":"acme","fields":[{"name":"lines","type":{"type":"array","items":"acme.Line"}}]}`
	if _, err := compat.Parse("invoice", append(srcs, compat.Source{Name: "invoice", Data: []byte(invoice)})...); err != nil {
		t.Fatalf("parse with fetched references: %v", err)
	}
}

// TestSourcesNamesAMissingReference checks that a reference to a subject
// the registry lacks is an error naming it.
func TestSourcesNamesAMissingReference(t *testing.T) {
	ctx := context.Background()
	srv, err := srembed.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cl, err := sr.NewClient(sr.URLs(srv.URL()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Sources(ctx, cl, []sr.SchemaReference{{Name: "acme.Gone", Subject: "gone", Version: 3}})
	if err == nil || !strings.Contains(err.Error(), "subject gone version 3") {
		t.Fatalf("err = %v; want one naming subject gone version 3", err)
	}
}
