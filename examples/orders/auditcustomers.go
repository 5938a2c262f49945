package orders

import (
	"fmt"
	"strings"

	gen "github.com/faustgen/faustgen/examples/generated/orders"
)

// AuditCustomers implements the audit_customers agent of faustgen.yaml:
// it checks each customer record written to customers.v1 (the topic the
// global table customer_directory is read from) and reports one that the
// pricing cannot serve well — no name, an email without "@", an address
// without a city or country — as an error, which the topology's on_error
// skip logs (with the record's topic, partition and offset) and skips.
// It writes nothing.
type AuditCustomers struct{}

// Process checks one customer; key is its id.
func (AuditCustomers) Process(_ *gen.AuditCustomersContext, id string, c gen.Customer) error {
	return Audit(id, c)
}

// Audit returns what is wrong with customer c stored under key id, or nil.
func Audit(id string, c gen.Customer) error {
	var bad []string
	if c.ID != id {
		bad = append(bad, fmt.Sprintf("keyed %q but its id is %q", id, c.ID))
	}
	if strings.TrimSpace(c.Name) == "" {
		bad = append(bad, "no name")
	}
	if c.Email != nil && !strings.Contains(*c.Email, "@") {
		bad = append(bad, fmt.Sprintf("email %q has no @", *c.Email))
	}
	if c.Shipping.City == "" || c.Shipping.Country == "" {
		bad = append(bad, "shipping address without city or country")
	}
	if len(bad) > 0 {
		return fmt.Errorf("customer %s: %s", id, strings.Join(bad, "; "))
	}
	return nil
}

// The generated interface is what New expects.
var _ gen.AuditCustomersAgent = AuditCustomers{}
