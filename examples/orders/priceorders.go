package orders

import (
	"errors"
	"fmt"
	"math/big"

	gen "github.com/faustgen/faustgen/examples/generated/orders"
	"github.com/faustgen/faustgen/runtime"
)

// centsScale is the scale of every amount the agents compute: cents.
const centsScale = 2

// PriceOrders implements the price_orders agent of faustgen.yaml: it
// prices each order from its lines (quantity × unit price, exact
// decimals), looks its customer up in the global table
// customer_directory (read from customers.v1), adds the order to the
// customer's running total in the table customer_totals and sends an
// OrderEvent with the price and the customer's tier to order_events.
//
// An order of a customer the directory does not know, or with a line of
// no quantity, is an error: the topology's on_error dead_letter sends it
// to the agent's dead-letter topic. Under the topology's exactly_once the
// table write, the event, a dead letter and the input offset commit
// together, so each order counts once in its customer's total.
type PriceOrders struct{}

// Process prices one order; key is its customer id.
func (PriceOrders) Process(ctx *gen.PriceOrdersContext, customerID string, o gen.Order) error {
	price, err := Price(o)
	if err != nil {
		return fmt.Errorf("price order %s: %w", o.ID, err)
	}
	customer, ok, err := ctx.CustomerDirectory.Get(customerID)
	if err != nil {
		return fmt.Errorf("look up customer %s of order %s: %w", customerID, o.ID, err)
	}
	if !ok {
		return fmt.Errorf("order %s: customer %s is not in customer_directory", o.ID, customerID)
	}
	total, _, err := ctx.CustomerTotals.Get(customerID)
	if err != nil {
		return fmt.Errorf("read the total of customer %s: %w", customerID, err)
	}
	total = AddOrder(total, price, o)
	if err := ctx.CustomerTotals.Put(customerID, total); err != nil {
		return fmt.Errorf("store the total of customer %s: %w", customerID, err)
	}
	tier := customer.Tier
	return ctx.OrderEvents.Send(customerID, gen.OrderEvent{
		OrderID: o.ID, Status: gen.OrderStatusPaid, At: o.PlacedAt,
		Total: price, CustomerTier: &tier,
	})
}

// Price returns the sum of an order's lines, quantity × unit price, in
// cents. A line without a positive quantity or with a negative price, or
// a price finer than a cent, is an error.
func Price(o gen.Order) (runtime.Decimal, error) {
	sum := new(big.Int)
	for i, l := range o.Lines {
		if l.Quantity <= 0 {
			return runtime.Decimal{}, fmt.Errorf("line %d (%s): quantity %d", i, l.Sku, l.Quantity)
		}
		c, err := cents(l.UnitPrice)
		if err != nil {
			return runtime.Decimal{}, fmt.Errorf("line %d (%s): %w", i, l.Sku, err)
		}
		if c.Sign() < 0 {
			return runtime.Decimal{}, fmt.Errorf("line %d (%s): negative unit price %s", i, l.Sku, l.UnitPrice)
		}
		sum.Add(sum, c.Mul(c, big.NewInt(int64(l.Quantity))))
	}
	if len(o.Lines) == 0 {
		return runtime.Decimal{}, errors.New("no lines")
	}
	return runtime.NewDecimal(sum, centsScale), nil
}

// AddOrder returns total with one more order of the given price placed
// at o.PlacedAt.
func AddOrder(total gen.CustomerTotal, price runtime.Decimal, o gen.Order) gen.CustomerTotal {
	spent, err := cents(total.Spent)
	if err != nil { // a total is only ever written in cents
		spent = new(big.Int)
	}
	p, _ := cents(price)
	total.Orders++
	total.Spent = runtime.NewDecimal(spent.Add(spent, p), centsScale)
	if total.LastOrderAt == nil || o.PlacedAt.After(*total.LastOrderAt) {
		at := o.PlacedAt
		total.LastOrderAt = &at
	}
	return total
}

// cents returns d as a whole number of cents; a d finer than a cent is an
// error.
func cents(d runtime.Decimal) (*big.Int, error) {
	c := new(big.Rat).Mul(d.Rat(), big.NewRat(100, 1))
	if !c.IsInt() {
		return nil, fmt.Errorf("amount %s is not a whole number of cents", d)
	}
	return new(big.Int).Set(c.Num()), nil
}

// The generated interface is what New expects.
var _ gen.PriceOrdersAgent = PriceOrders{}
