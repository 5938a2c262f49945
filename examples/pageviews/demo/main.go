// Command demo runs the page-views example end to end as a user would: it
// writes page titles to the topic the global table page_info is read
// from, then calls the generated pageviews.New with the three agents of
// examples/pageviews — normalize_views (stateless), total_views (a plain
// table) and count_views (hourly counts in a windowed table, titled from
// the global table, sent when each hour closes) — sends synthetic page
// views with the generated producer, reads the normalised views, the dead
// letters, the per-page totals and the closed hours back from Kafka,
// prints what flowed and exits after a graceful stop.
//
// By default it starts the embedded dev cluster (an in-process Kafka and
// schema registry on loopback) itself with embedded.Start, with the table
// stores in a temporary folder; set FAUSTGEN_BROKERS and FAUSTGEN_REGISTRY to run it
// against real services instead (stores in FAUSTGEN_STATE_DIR). Importing
// runtime/embedded is what links that cluster into this binary: a
// production main, which does not import it, links no test broker.
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
	countsTopic = "page-counts"
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
	// partitions and processed are what app.Stats() said once every
	// output was read: the partitions of page-views it owned and the
	// records they had processed.
	partitions int
	processed  int64
	totals     map[string]int64               // the last total read per page
	hours      map[string]pageviews.PageCount // the closed hour read per page
}

// run runs the demo with cfg (the embedded cluster when cfg names no
// brokers), printing to w.
func run(ctx context.Context, w io.Writer, cfg runtime.Config, n int) (result, error) {
	res := result{totals: map[string]int64{}, hours: map[string]pageviews.PageCount{}}
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

	pages := []string{"/", "/Pricing/", "/docs?utm=newsletter", "/Blog/Launch#comments"}
	// Earlier runs against real services left records: read only newer ones.
	begin := time.Now().Truncate(time.Millisecond)
	if err := writeTitles(ctx, w, cfg, pages); err != nil {
		return res, err
	}
	app, err := pageviews.New(cfg, pageviews.Agents{NormalizeViews: example.NormalizeViews{}, TotalViews: example.TotalViews{}, CountViews: example.CountViews{}})
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

	devices := []pageviews.Device{pageviews.DeviceDesktop, pageviews.DeviceMobile, pageviews.DeviceTablet}
	producer := app.PageViews()
	// The views happen in one hour; one more view of each page two hours
	// later moves its partition's stream time past that hour's end and
	// grace, so count_views sends the hour's final counts.
	hour := begin.Truncate(time.Hour).UTC()
	for i := range n + 1 + len(pages) {
		v := pageviews.NewPageView()
		v.Page = pages[i%len(pages)]
		v.ViewedAt = hour.Add(time.Duration(i) * time.Second)
		switch {
		case i == n:
			v.Page = "pricing" // not a path: normalize_views fails, the view is dead-lettered
		case i > n:
			v.Page = pages[i-n-1]
			v.ViewedAt = hour.Add(2 * time.Hour)
		}
		v.UserID = fmt.Sprintf("u%d", i%7)
		v.DurationMs = int64(500 + 37*i)
		v.Device = devices[i%len(devices)]
		meta, err := producer.SendSync(ctx, v.Page, v)
		if err != nil {
			return fail(err)
		}
		res.sent++
		fmt.Fprintf(w, "in   %-28s %-22q user=%s device=%s\n", meta, v.Page, v.UserID, v.Device)
	}

	want, inHour := map[string]int64{}, map[string]int64{}
	for i := range n + 1 {
		p := pages[i%len(pages)]
		if i == n {
			p = "pricing"
		}
		want[p]++
		inHour[p]++
	}
	for _, p := range pages {
		want[p]++ // the view two hours later
	}
	totalsDone := func() bool {
		for p, c := range want {
			if res.totals[p] < c {
				return false
			}
		}
		for _, p := range pages {
			if _, ok := res.hours[p]; !ok {
				return false
			}
		}
		return true
	}
	reader, err := kgo.NewClient(kgo.SeedBrokers(cfg.Brokers...), kgo.ConsumeTopics(outTopic, dlqTopic, totalsTopic, countsTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		return fail(fmt.Errorf("create reader: %w", err))
	}
	defer reader.Close()
	rctx, rcancel := context.WithTimeout(ctx, 30*time.Second)
	defer rcancel()
	for res.out < n+len(pages) || res.dead < 1 || !totalsDone() {
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
			if r.Topic == countsTopic {
				var c pageviews.PageCount
				if err := unframe(r.Value, func(b []byte) error { return pageviews.PageCountCodec.Unmarshal(b, &c) }); err != nil {
					perr = fmt.Errorf("value of %s: %w", where, err)
					return
				}
				res.hours[c.Page] = c
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
	// A partition counts a record processed just after its outputs are
	// sent: give the count a moment to catch up with them.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		res.partitions, res.processed = 0, 0
		for _, p := range app.Stats().Partitions {
			if p.Topic == inTopic {
				res.partitions++
				res.processed += p.Processed
			}
		}
		if res.processed >= int64(res.sent) || time.Now().After(deadline) {
			break
		}
	}
	fmt.Fprintf(w, "stats: %d partitions of %s owned, %d records processed\n", res.partitions, inTopic, res.processed)
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
	for _, p := range pages {
		c := res.hours[p]
		title := "(no title)"
		if c.Title != nil {
			title = *c.Title
		}
		fmt.Fprintf(w, "hour  %-22q %d views from %s, %q (windowed table views_per_page, title from global table page_info)\n", p, c.Views, c.WindowStart.Format("15:04 MST"), title)
		if c.Views != inHour[p] {
			return res, fmt.Errorf("page %s: the closed hour counted %d views, want %d", p, c.Views, inHour[p])
		}
	}
	fmt.Fprintf(w, "done: %d views in, %d normalised views out, %d dead-lettered, totals of %d pages, %d closed hours; stopped cleanly after %s\n",
		res.sent, res.out, res.dead, len(res.totals), len(res.hours), time.Since(begin).Round(time.Millisecond))
	return res, nil
}

// writeTitles sends each page's title to the topic pages, which the global
// table page_info is read from, with an instance that runs no agent: the
// instance started next catches its global table up with them before it
// processes anything.
func writeTitles(ctx context.Context, w io.Writer, cfg runtime.Config, pages []string) error {
	app, err := pageviews.New(cfg, pageviews.Agents{})
	if err != nil {
		return err
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- app.Run(rctx) }()
	for _, p := range pages { // sends wait until the instance has started
		info := pageviews.NewPage()
		info.Path, info.Title = p, "Title of "+p
		meta, err := app.Pages().SendSync(ctx, p, info)
		if err != nil {
			cancel()
			return errors.Join(err, <-errc)
		}
		fmt.Fprintf(w, "page %-28s %-22q title %q\n", meta, p, info.Title)
	}
	cancel()
	return <-errc
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
