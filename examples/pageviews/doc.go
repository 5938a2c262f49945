// Package pageviews is the page-views example: faustgen.yaml here and the
// Avro schemas in schemas/pageviews/ generate the typed package
// examples/generated/pageviews (checked in; `make check-generated` keeps it
// current). It counts the views of each page per hour in a windowed table.
package pageviews

//go:generate go run github.com/faustgen/faustgen/cmd/faustgen generate
