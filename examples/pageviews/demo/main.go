// Command demo runs the page-views example end to end on the embedded dev
// cluster (an in-process Kafka and schema registry on loopback): a
// producer emits synthetic page views, an agent turns each view into a
// running count for its page and sends it to the page-counts topic, a
// second agent reads page-counts back, and the program prints what flowed
// and exits.
//
// It uses the generated types and codecs of examples/generated/pageviews.
// The generated pageviews.New is not used yet: the topology's count_views
// agent needs tables, which the runtime does not implement yet (NewApp
// refuses them), so the demo declares a stateless topology of its own over
// the same topics and types.
//
// Run it with `make demo`, or `go run ./examples/pageviews/demo -n 50`.
// Set FAUSTGEN_BROKERS and FAUSTGEN_REGISTRY to run it against real
// services instead.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/faustgen/faustgen/examples/generated/pageviews"
	"github.com/faustgen/faustgen/runtime"
)

var (
	// The topics of examples/pageviews/faustgen.yaml, declared here
	// because the generated ones are unexported.
	pageViews = runtime.Topic[string, pageviews.PageView]{
		TopicSpec: runtime.TopicSpec{Name: "page-views", Partitions: 6},
		Key:       runtime.StringCodec,
		Value:     pageviews.PageViewCodec,
	}
	pageCounts = runtime.Topic[string, pageviews.PageCount]{
		TopicSpec: runtime.TopicSpec{Name: "page-counts", Partitions: 6},
		Key:       runtime.StringCodec,
		Value:     pageviews.PageCountCodec,
	}
)

func main() {
	n := flag.Int("n", 20, "page views to produce")
	flag.Parse()
	if err := run(*n); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(n int) error {
	ctx, stop := runtime.SignalContext(context.Background())
	defer stop()

	cfg, err := runtime.ConfigFromEnv()
	if err != nil {
		return err
	}
	if len(cfg.Brokers) == 0 {
		cfg.Embedded = true
	}
	cfg.CommitInterval = 100 * time.Millisecond
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	var (
		mu     sync.Mutex
		counts = map[string]int64{}
		out    atomic.Int64
		done   = make(chan struct{})
	)
	countViews := &runtime.Agent[string, pageviews.PageView]{
		Name:    "count_views",
		Source:  &pageViews,
		Sinks:   []runtime.AnyTopic{&pageCounts},
		OnError: runtime.DeadLetter,
		Process: func(t *runtime.Task, page string, v pageviews.PageView) error {
			// A page's views are all on one partition, processed in order:
			// the count is exact per page. (In memory here; the tables
			// work makes it a windowed table with a changelog.)
			mu.Lock()
			counts[page]++
			c := counts[page]
			mu.Unlock()
			rec := t.Record()
			fmt.Printf("in   %-18s %-13s user=%s device=%s -> count %d\n", rec, page, v.UserID, v.Device, c)
			return runtime.SinkOf(t, &pageCounts).Send(page, pageviews.PageCount{
				Page:        page,
				WindowStart: v.ViewedAt.Truncate(time.Hour),
				Views:       c,
			})
		},
	}
	printCounts := &runtime.Agent[string, pageviews.PageCount]{
		Name:    "print_counts",
		Source:  &pageCounts,
		OnError: runtime.Fail,
		Process: func(t *runtime.Task, page string, c pageviews.PageCount) error {
			fmt.Printf("out  %-18s %-13s views=%d window=%s\n", t.Record(), page, c.Views, c.WindowStart.UTC().Format("15:04"))
			if out.Add(1) == int64(n) {
				close(done)
			}
			return nil
		},
	}
	app, err := runtime.NewApp(cfg, runtime.AppSpec{
		ID:            "pageviews-demo",
		Subjects:      runtime.TopicSubjects,
		Compatibility: "BACKWARD",
		Topics:        []runtime.AnyTopic{&pageViews, &pageCounts},
		Agents:        []runtime.AnyAgent{countViews, printCounts},
	})
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- app.Run(runCtx) }()

	producer := runtime.ProducerOf(app, &pageViews)
	pages := []string{"/", "/pricing", "/docs", "/blog/launch"}
	devices := []pageviews.Device{pageviews.DeviceDesktop, pageviews.DeviceMobile, pageviews.DeviceTablet}
	start := time.Now()
	for i := range n {
		v := pageviews.NewPageView()
		v.Page = pages[i%len(pages)]
		v.UserID = fmt.Sprintf("u%d", i%7)
		v.ViewedAt = start.Add(time.Duration(i) * time.Second).UTC().Truncate(time.Millisecond)
		v.DurationMs = int64(500 + 37*i)
		v.Device = devices[i%len(devices)]
		if _, err := producer.SendSync(ctx, v.Page, v); err != nil {
			cancel()
			return errors.Join(err, <-errc)
		}
	}
	fmt.Printf("sent %d page views to %s\n", n, pageViews.Name)

	select {
	case <-done:
	case err := <-errc:
		return fmt.Errorf("app stopped early: %w", err)
	case <-time.After(30 * time.Second):
		cancel()
		return errors.Join(fmt.Errorf("only %d of %d counts came back within 30s", out.Load(), n), <-errc)
	case <-ctx.Done():
	}
	cancel()
	if err := <-errc; err != nil {
		return err
	}
	fmt.Printf("done: %d views in, %d counts out, %d pages, stopped cleanly in %s\n", n, out.Load(), len(counts), time.Since(start).Round(time.Millisecond))
	return nil
}
