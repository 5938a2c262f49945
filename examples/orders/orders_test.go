package orders

import (
	"math/big"
	"testing"
	"time"

	gen "github.com/faustgen/faustgen/examples/generated/orders"
	"github.com/faustgen/faustgen/runtime"
)

func line(sku string, q int32, price string) gen.OrderLine {
	return gen.OrderLine{Sku: sku, Quantity: q, UnitPrice: runtime.MustParseDecimal(price)}
}

func TestPriceSumsTheLinesExactly(t *testing.T) {
	for _, tc := range []struct {
		lines []gen.OrderLine
		want  string
	}{
		{[]gen.OrderLine{line("a", 3, "0.10")}, "0.30"},
		{[]gen.OrderLine{line("a", 1, "19.99"), line("b", 2, "0.01"), line("c", 7, "3")}, "41.01"},
		{[]gen.OrderLine{line("a", 1, "0.1"), line("b", 1, "0.2")}, "0.30"}, // no float rounding
	} {
		o := gen.NewOrder()
		o.Lines = tc.lines
		got, err := Price(o)
		if err != nil || got.Cmp(runtime.MustParseDecimal(tc.want)) != 0 {
			t.Errorf("Price(%v) = %s, %v; want %s", tc.lines, got, err, tc.want)
		}
	}
	for _, bad := range [][]gen.OrderLine{nil, {line("a", 0, "1.00")}, {line("a", 1, "-1.00")}, {line("a", 1, "0.001")}} {
		o := gen.NewOrder()
		o.Lines = bad
		if got, err := Price(o); err == nil {
			t.Errorf("Price(%v) = %s, want an error", bad, got)
		}
	}
}

func TestAddOrderKeepsTheRunningTotal(t *testing.T) {
	total := gen.NewCustomerTotal()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, p := range []string{"1.50", "0.25", "10.00"} {
		o := gen.NewOrder()
		o.PlacedAt = t0.Add(time.Duration(1-i) * time.Hour) // the first is the latest
		total = AddOrder(total, runtime.NewDecimal(new(big.Int).Set(runtime.MustParseDecimal(p).Unscaled), 2), o)
	}
	if total.Orders != 3 || total.Spent.Cmp(runtime.MustParseDecimal("11.75")) != 0 || total.LastOrderAt == nil || !total.LastOrderAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("total %+v (spent %s), want 3 orders, 11.75 spent, last at %v", total, total.Spent, t0.Add(time.Hour))
	}
}

func TestAuditReportsWhatIsWrong(t *testing.T) {
	good := gen.NewCustomer()
	good.ID, good.Name = "c1", "Ada"
	good.Shipping.City = "Delft"
	if err := Audit("c1", good); err != nil {
		t.Fatalf("a good customer: %v", err)
	}
	bad := good
	email := "ada.example"
	bad.Name, bad.Email = "", &email
	if err := Audit("c2", bad); err == nil {
		t.Fatal("a customer without a name, keyed by another id, with a bad email passed")
	}
}
