// Package orders is the orders example: faustgen.yaml here and the Avro
// schemas in schemas/orders/ (enums, a general union, decimals on bytes and
// fixed, timestamps, nested records) generate the typed package
// examples/generated/orders (checked in; `make check-generated` keeps it
// current). Orders are priced against a global customer table.
//
// The topology declares guarantee: exactly_once. PriceOrders (the agent
// price_orders) prices each order from its lines, adds it to the
// customer's running total in the table customer_totals and sends an
// OrderEvent; AuditCustomers (audit_customers) checks each customer
// record. demo/ runs both on the embedded cluster (`make demo-orders`).
package orders

//go:generate go run github.com/faustgen/faustgen/cmd/faustgen generate
