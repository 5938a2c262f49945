// Command demo runs the page-views example end to end as a user would: it
// calls the generated pageviews.New with the normalize_views agent
// (stateless) and the total_views agent (a table) of examples/pageviews,
// sends synthetic page views with the generated producer, reads the
// normalised views, the dead letters and the per-page totals back from
// Kafka, prints what flowed and exits after a graceful stop.
//
// By default it starts the embedded dev cluster (an in-process Kafka and
// schema registry on loopback) itself, with the table stores in a
// temporary folder; set FAUSTGEN_BROKERS and FAUSTGEN_REGISTRY to run it
// against real services instead (stores in FAUSTGEN_STATE_DIR). The
// topology's count_views agent needs windowed and global tables, which the
// runtime does not implement yet, so it is left out (nil in
// pageviews.Agents).
//
// Run it with `make demo`, or `go run ./examples/pageviews/demo -n 50`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/faustgen/faustgen/examples/generated/pageviews"
	example "github.com/faustgen/faustgen/examples/pageviews"
	"github.com/faustgen/faustgen/runtime"
	"github.com/faustgen/faustgen/runtime/embedded"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The Kafka names the generated package uses (faustgen.yaml).
const (
	inTopic     = "page-views"
	outTopic    = "page-views-normalized"
	dlqTopic    = "pageviews-normalize_views-dlq"
	totalsTopic = "page-totals"
)

func main() {
	n := flag.Int("n", 20, "page views to produce (one more, with a malformed page, shows the dead-letter path)")
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

// result is what a run saw flow.
type result struct {
	sent, out, dead int
	totals          map[string]int64 // the last total read per page
}

// run runs the demo with cfg (the embedded cluster when cfg names no
// brokers), printing to w.
func run(ctx context.Context, w io.Writer, cfg runtime.Config, n int) (result, error) {
	res := result{totals: map[string]int64{}}
	if len(cfg.Brokers) == 0 && !cfg.Embedded {
		c, err := embedded.Start(ctx, embedded.Options{})
		if err != nil {
			return res, err
		}
		defer c.Close()
		cfg.Brokers, cfg.RegistryURL = c.Brokers(), c.RegistryURL()
		fmt.Fprintf(w, "embedded dev cluster: kafka %v, registry %s\n", cfg.Brokers, cfg.RegistryURL)
		// The embedded cluster starts empty: so do the table stores.
		dir, err := os.MkdirTemp("", "faustgen-demo-state-")
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

	app, err := pageviews.New(cfg, pageviews.Agents{NormalizeViews: example.NormalizeViews{}, TotalViews: example.TotalViews{}})
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

	// Earlier runs against real services left records: read only newer ones.
	begin := time.Now().Truncate(time.Millisecond)
	pages := []string{"/", "/Pricing/", "/docs?utm=newsletter", "/Blog/Launch#comments"}
	devices := []pageviews.Device{pageviews.DeviceDesktop, pageviews.DeviceMobile, pageviews.DeviceTablet}
	producer := app.PageViews()
	for i := range n + 1 {
		v := pageviews.NewPageView()
		v.Page = pages[i%len(pages)]
		if i == n {
			v.Page = "pricing" // not a path: normalize_views fails, the view is dead-lettered
		}
		v.UserID = fmt.Sprintf("u%d", i%7)
		v.ViewedAt = begin.Add(time.Duration(i) * time.Second).UTC()
		v.DurationMs = int64(500 + 37*i)
		v.Device = devices[i%len(devices)]
		meta, err := producer.SendSync(ctx, v.Page, v)
		if err != nil {
			return fail(err)
		}
		res.sent++
		fmt.Fprintf(w, "in   %-28s %-22q user=%s device=%s\n", meta, v.Page, v.UserID, v.Device)
	}

	want := map[string]int64{}
	for i := range n + 1 {
		p := pages[i%len(pages)]
		if i == n {
			p = "pricing"
		}
		want[p]++
	}
	totalsDone := func() bool {
		for p, c := range want {
			if res.totals[p] < c {
				return false
			}
		}
		return true
	}
	reader, err := kgo.NewClient(kgo.SeedBrokers(cfg.Brokers...), kgo.ConsumeTopics(outTopic, dlqTopic, totalsTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		return fail(fmt.Errorf("create reader: %w", err))
	}
	defer reader.Close()
	rctx, rcancel := context.WithTimeout(ctx, 30*time.Second)
	defer rcancel()
	for res.out < n || res.dead < 1 || !totalsDone() {
		fs := reader.PollFetches(rctx)
		if rctx.Err() != nil {
			return fail(fmt.Errorf("read back %d of %d normalised views and %d of 1 dead letters: %w", res.out, n, res.dead, rctx.Err()))
		}
		select {
		case err := <-errc:
			return res, fmt.Errorf("app stopped early: %w", err)
		default:
		}
		fs.EachError(func(t string, p int32, err error) { fmt.Fprintf(os.Stderr, "fetch %s[%d]: %v\n", t, p, err) })
		var perr error
		fs.EachRecord(func(r *kgo.Record) {
			if perr != nil || r.Timestamp.Before(begin) {
				return
			}
			where := fmt.Sprintf("%s[%d]@%d", r.Topic, r.Partition, r.Offset)
			if r.Topic == totalsTopic {
				var page string
				var total int64
				if err := unframe(r.Key, func(b []byte) error { return runtime.StringCodec.Unmarshal(b, &page) }); err != nil {
					perr = fmt.Errorf("key of %s: %w", where, err)
					return
				}
				if err := unframe(r.Value, func(b []byte) error { return runtime.LongCodec.Unmarshal(b, &total) }); err != nil {
					perr = fmt.Errorf("value of %s: %w", where, err)
					return
				}
				res.totals[page] = max(res.totals[page], total)
				return
			}
			if r.Topic == dlqTopic {
				res.dead++
				fmt.Fprintf(w, "dead %-28s %s\n", where, header(r, runtime.HeaderDLQError))
				return
			}
			var key string
			var v pageviews.PageView
			if err := unframe(r.Key, func(b []byte) error { return runtime.StringCodec.Unmarshal(b, &key) }); err != nil {
				perr = fmt.Errorf("key of %s: %w", where, err)
				return
			}
			if err := unframe(r.Value, func(b []byte) error { return pageviews.PageViewCodec.Unmarshal(b, &v) }); err != nil {
				perr = fmt.Errorf("value of %s: %w", where, err)
				return
			}
			res.out++
			fmt.Fprintf(w, "out  %-28s %-22q user=%s device=%s\n", where, key, v.UserID, v.Device)
		})
		if perr != nil {
			return fail(perr)
		}
	}
	cancel()
	if err := <-errc; err != nil {
		return res, err
	}
	pagesSeen := make([]string, 0, len(res.totals))
	for p := range res.totals {
		pagesSeen = append(pagesSeen, p)
	}
	slices.Sort(pagesSeen)
	for _, p := range pagesSeen {
		fmt.Fprintf(w, "total %-22q %d views (table views_total)\n", p, res.totals[p])
	}
	fmt.Fprintf(w, "done: %d views in, %d normalised views out, %d dead-lettered, totals of %d pages; stopped cleanly after %s\n",
		res.sent, res.out, res.dead, len(res.totals), time.Since(begin).Round(time.Millisecond))
	return res, nil
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
