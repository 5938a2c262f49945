// Package orders is the orders example: faustgen.yaml here and the Avro
// schemas in schemas/orders/ (enums, a general union, decimals on bytes and
// fixed, timestamps, nested records) generate the typed package
// examples/generated/orders (checked in; `make check-generated` keeps it
// current). Orders are priced against a global customer table.
package orders

//go:generate go run github.com/faustgen/faustgen/cmd/faustgen generate
