// Command demo runs the orders example end to end, exactly-once, as a
// user would: it writes customers to customers.v1 (the topic the global
// table customer_directory is read from) with an instance that runs no
// agent, then calls the generated orders.New with the two agents of
// examples/orders — price_orders (prices each order from its lines, adds
// it to the customer's running total in the table customer_totals, sends
// an OrderEvent) and audit_customers (checks each customer record; a bad
// one is logged and skipped) — sends synthetic orders with the generated
// producer (one of them for a customer nobody wrote, which is
// dead-lettered), reads the order events, the dead letter and the
// customer totals (the table's changelog) back read_committed, prints
// them and each customer's total against the total of the orders sent,
// and exits after a graceful stop.
//
// The topology declares guarantee: exactly_once, so the table writes, the
// events, the dead letter and the input offsets commit in Kafka
// transactions: a read_committed reader sees each order once.
//
// By default it starts the embedded dev cluster (an in-process Kafka and
// schema registry on loopback) itself with embedded.Start, with the table
// stores in a temporary folder; set FAUSTGEN_BROKERS and FAUSTGEN_REGISTRY to run it
// against real services instead (stores in FAUSTGEN_STATE_DIR). Importing
// runtime/embedded is what links that cluster into this binary: a
// production main, which does not import it, links no test broker.
//
// Run it with `make demo-orders`, or `go run ./examples/orders/demo -n 50`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"os"
	"slices"
	"time"

	"github.com/faustgen/faustgen/examples/generated/orders"
	example "github.com/faustgen/faustgen/examples/orders"
	"github.com/faustgen/faustgen/runtime"
	"github.com/faustgen/faustgen/runtime/embedded"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The Kafka names the generated package uses (faustgen.yaml).
const (
	eventsTopic    = "order-events"
	dlqTopic       = "orders-price_orders-dlq"
	changelogTopic = "orders-customer_totals-changelog"
)

func main() {
	n := flag.Int("n", 30, "orders to produce (one more, for an unknown customer, shows the dead-letter path)")
	flag.Parse()
	ctx, stop := runtime.SignalContext(context.Background())
	defer stop()
	cfg, err := runtime.ConfigFromEnv()
	if err == nil {
		_, err = run(ctx, os.Stdout, cfg, *n)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// spend is what one customer's orders add up to.
type spend struct {
	orders int64
	cents  int64
}

// result is what a run saw flow.
type result struct {
	sent, events, dead int
	eventsPerOrder     map[string]int   // order id: committed events seen
	want               map[string]spend // customer: the orders sent in this run, priced by the demo
	got                map[string]spend // customer: the committed total minus the one before this run
}

// customerID is the id (a UUID) of the demo's customer i.
func customerID(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", i) }

// run runs the demo with cfg (the embedded cluster when cfg names no
// brokers), printing to w.
func run(ctx context.Context, w io.Writer, cfg runtime.Config, n int) (result, error) {
	res := result{eventsPerOrder: map[string]int{}, want: map[string]spend{}, got: map[string]spend{}}
	if len(cfg.Brokers) == 0 && !cfg.Embedded {
		c, err := embedded.Start(ctx, embedded.Options{})
		if err != nil {
			return res, err
		}
		defer c.Close()
		cfg.Brokers, cfg.RegistryURL = c.Brokers(), c.RegistryURL()
		fmt.Fprintf(w, "embedded dev cluster: kafka %v, registry %s\n", cfg.Brokers, cfg.RegistryURL)
		dir, err := os.MkdirTemp("", "faustgen-demo-orders-state-")
		if err != nil {
			return res, err
		}
		defer os.RemoveAll(dir)
		cfg.StateDir = dir
	}
	if cfg.Embedded {
		return res, errors.New("set FAUSTGEN_BROKERS, or neither it nor FAUSTGEN_EMBEDDED: the demo starts the embedded cluster itself to read the output back")
	}
	cfg.CommitInterval = 100 * time.Millisecond
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}

	const customers = 4
	// Earlier runs against real services left records: count only newer ones.
	begin := time.Now().Truncate(time.Millisecond)
	tiers, err := writeCustomers(ctx, w, cfg, customers)
	if err != nil {
		return res, err
	}
	app, err := orders.New(cfg, orders.Agents{PriceOrders: example.PriceOrders{}, AuditCustomers: example.AuditCustomers{}})
	if err != nil {
		return res, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- app.Run(runCtx) }()
	fail := func(err error) (result, error) {
		cancel()
		return res, errors.Join(err, <-errc)
	}

	producer := app.Orders()
	skus := []string{"tea", "cups", "kettle"}
	for i := range n + 1 {
		o := orders.NewOrder()
		o.ID = fmt.Sprintf("00000000-0000-4000-9000-%012d", begin.UnixMilli()%1e6*1000+int64(i))
		o.CustomerID = customerID(i % customers)
		if i == n {
			o.CustomerID = customerID(99) // written by nobody: dead-lettered
		}
		o.PlacedAt = begin.Add(time.Duration(i) * time.Second).UTC()
		var cents int64
		for j := range 1 + i%3 {
			q, unit := int32(1+(i+j)%4), int64(99+250*j+i) // unit price in cents
			o.Lines = append(o.Lines, orders.OrderLine{Sku: skus[j], Quantity: q, UnitPrice: runtime.NewDecimal(big.NewInt(unit), 2)})
			cents += int64(q) * unit
		}
		o.Total = runtime.NewDecimal(big.NewInt(cents), 2)
		meta, err := producer.SendSync(ctx, o.CustomerID, o)
		if err != nil {
			return fail(err)
		}
		res.sent++
		if i < n {
			s := res.want[o.CustomerID]
			res.want[o.CustomerID] = spend{s.orders + 1, s.cents + cents}
		}
		fmt.Fprintf(w, "in    %-20s order %s customer %s, %d lines, %s\n", meta, o.ID[24:], o.CustomerID[24:], len(o.Lines), o.Total)
	}

	reader, err := kgo.NewClient(kgo.SeedBrokers(cfg.Brokers...), kgo.ConsumeTopics(eventsTopic, dlqTopic, changelogTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		return fail(fmt.Errorf("create reader: %w", err))
	}
	defer reader.Close()
	before := map[string]spend{} // the last committed total of each customer written before this run
	last := map[string]spend{}
	done := func() bool {
		if res.events < n || res.dead < 1 {
			return false
		}
		for c, s := range res.want {
			if last[c].orders-before[c].orders < s.orders {
				return false
			}
		}
		return true
	}
	rctx, rcancel := context.WithTimeout(ctx, 30*time.Second)
	defer rcancel()
	for !done() {
		fs := reader.PollFetches(rctx)
		if rctx.Err() != nil {
			return fail(fmt.Errorf("read back %d of %d order events and %d of 1 dead letters: %w", res.events, n, res.dead, rctx.Err()))
		}
		select {
		case err := <-errc:
			return res, fmt.Errorf("app stopped early: %w", err)
		default:
		}
		fs.EachError(func(t string, p int32, err error) { fmt.Fprintf(os.Stderr, "fetch %s[%d]: %v\n", t, p, err) })
		var perr error
		fs.EachRecord(func(r *kgo.Record) {
			if perr != nil {
				return
			}
			where := fmt.Sprintf("%s[%d]@%d", r.Topic, r.Partition, r.Offset)
			var key string
			if err := unframe(r.Key, func(b []byte) error { return runtime.StringCodec.Unmarshal(b, &key) }); err != nil {
				perr = fmt.Errorf("key of %s: %w", where, err)
				return
			}
			switch r.Topic {
			case changelogTopic:
				var t orders.CustomerTotal
				if err := unframe(r.Value, func(b []byte) error { return orders.CustomerTotalCodec.Unmarshal(b, &t) }); err != nil {
					perr = fmt.Errorf("value of %s: %w", where, err)
					return
				}
				s := spend{t.Orders, t.Spent.Rat().Num().Int64() * 100 / t.Spent.Rat().Denom().Int64()}
				if r.Timestamp.Before(begin) {
					before[key] = s
				}
				last[key] = s
			case dlqTopic:
				if r.Timestamp.Before(begin) {
					return
				}
				res.dead++
				fmt.Fprintf(w, "dead  %-36s %s\n", where, header(r, runtime.HeaderDLQError))
			case eventsTopic:
				if r.Timestamp.Before(begin) {
					return
				}
				var e orders.OrderEvent
				if err := unframe(r.Value, func(b []byte) error { return orders.OrderEventCodec.Unmarshal(b, &e) }); err != nil {
					perr = fmt.Errorf("value of %s: %w", where, err)
					return
				}
				res.events++
				res.eventsPerOrder[e.OrderID]++
				tier := "?"
				if e.CustomerTier != nil {
					tier = e.CustomerTier.String()
				}
				fmt.Fprintf(w, "event %-24s order %s customer %s (%s) %s %s\n", where, e.OrderID[24:], key[24:], tier, e.Status, e.Total)
			}
		})
		if perr != nil {
			return fail(perr)
		}
	}
	cancel()
	if err := <-errc; err != nil {
		return res, err
	}
	ids := make([]string, 0, len(res.want))
	for c := range res.want {
		ids = append(ids, c)
	}
	slices.Sort(ids)
	var wrong []string
	for _, c := range ids {
		got := spend{last[c].orders - before[c].orders, last[c].cents - before[c].cents}
		res.got[c] = got
		want := res.want[c]
		fmt.Fprintf(w, "total customer %s (%s): %d orders, %d.%02d spent in this run (table customer_totals); the orders sent: %d, %d.%02d\n",
			c[24:], tiers[c], got.orders, got.cents/100, got.cents%100, want.orders, want.cents/100, want.cents%100)
		if got != want {
			wrong = append(wrong, c)
		}
	}
	if len(wrong) > 0 {
		return res, fmt.Errorf("the committed totals of customers %v differ from the orders sent", wrong)
	}
	fmt.Fprintf(w, "done: %d orders in, %d order events and %d dead letter committed, the totals of %d customers exact; stopped cleanly after %s\n",
		res.sent, res.events, res.dead, len(ids), time.Since(begin).Round(time.Millisecond))
	return res, nil
}

// writeCustomers sends the demo's customers (and one the audit rejects)
// to customers.v1, which the global table customer_directory is read
// from, with an instance that runs no agent: the instance started next
// catches its global table up with them before it processes anything.
// It returns each customer's tier.
func writeCustomers(ctx context.Context, w io.Writer, cfg runtime.Config, n int) (map[string]orders.Tier, error) {
	app, err := orders.New(cfg, orders.Agents{})
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- app.Run(rctx) }()
	tiers := map[string]orders.Tier{}
	names := []string{"Ada", "Grace", "Edsger", "Barbara"}
	for i := range n + 1 { // sends wait until the instance has started
		c := orders.NewCustomer()
		c.ID, c.Name = customerID(i), names[i%len(names)]
		c.Tier = orders.Tier(i % 3)
		c.Shipping = orders.Address{Street: fmt.Sprintf("Main street %d", i+1), City: "Delft", Postcode: "2611", Country: "NL"}
		c.Since = time.Date(2020+i, 1, 1, 0, 0, 0, 0, time.UTC)
		if i == n { // the audit logs this one and skips it; pricing never sees it
			c.Name = ""
		}
		meta, err := app.Customers().SendSync(ctx, c.ID, c)
		if err != nil {
			cancel()
			return nil, errors.Join(err, <-errc)
		}
		tiers[c.ID] = c.Tier
		fmt.Fprintf(w, "customer %-16s %s %q tier %s\n", meta, c.ID[24:], c.Name, c.Tier)
	}
	cancel()
	return tiers, <-errc
}

// unframe checks the Confluent framing of b (magic byte 0, 4-byte schema
// id) and decodes the Avro body with decode.
func unframe(b []byte, decode func([]byte) error) error {
	if len(b) < 5 || b[0] != 0 {
		return fmt.Errorf("not a Confluent-framed Avro record (%d bytes)", len(b))
	}
	return decode(b[5:])
}

func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}
