// Package pageviews is the page-views example: faustgen.yaml here and the
// Avro schemas in schemas/pageviews/ generate the typed package
// examples/generated/pageviews (checked in; `make check-generated` keeps it
// current). NormalizeViews (stateless) rewrites each view's page path to
// one spelling; CountViews counts the views of each page per hour in a
// windowed table (tables are not implemented by the runtime yet, so only
// NormalizeViews runs today: see demo/).
package pageviews

//go:generate go run github.com/faustgen/faustgen/cmd/faustgen generate
