package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/faustgen/faustgen/runtime"
)

// TestDemoOrders runs the orders demo exactly-once on the embedded
// cluster: every order but the one of an unknown customer yields exactly
// one committed order event, that one is dead-lettered, and each
// customer's committed total in customer_totals equals the orders sent
// to it, priced by the demo on its own (count and cents).
func TestDemoOrders(t *testing.T) {
	const n = 25
	var out bytes.Buffer
	res, err := run(context.Background(), &out, runtime.Config{}, n)
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	if res.sent != n+1 || res.events != n || res.dead != 1 {
		t.Fatalf("sent %d, committed events %d, dead letters %d; want %d, %d, 1\n%s", res.sent, res.events, res.dead, n+1, n, out.String())
	}
	if len(res.eventsPerOrder) != n {
		t.Errorf("%d orders had events, want %d", len(res.eventsPerOrder), n)
	}
	for id, k := range res.eventsPerOrder {
		if k != 1 {
			t.Errorf("order %s: %d committed events, want exactly 1", id, k)
		}
	}
	var orders int64
	for c, w := range res.want {
		orders += w.orders
		if g := res.got[c]; g != w {
			t.Errorf("customer %s: committed total %d orders, %d cents; the orders sent: %d, %d cents", c, g.orders, g.cents, w.orders, w.cents)
		}
	}
	if len(res.want) != 4 || orders != n {
		t.Errorf("%d customers with %d orders, want 4 with %d", len(res.want), orders, n)
	}
	s := out.String()
	for _, want := range []string{"is not in customer_directory", "stopped cleanly"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
}
