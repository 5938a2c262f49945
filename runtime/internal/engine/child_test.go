package engine

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/faustgen/faustgen/runtime"
)

// Child processes: the test binary runs itself with FAUSTGEN_CHILD set to
// play one App instance in a process of its own, so that tests can kill it
// for real (SIGKILL, SIGSTOP) and measure its memory alone. The parent
// passes the cluster in FAUSTGEN_BROKERS / FAUSTGEN_REGISTRY and the rest
// in CHILD_* variables:
//
//	CHILD_APP        the App id (consumer group)
//	CHILD_NAME       this instance's name, in the header "child" of its outputs
//	CHILD_IN         the source topic (views), CHILD_PARTITIONS its partitions
//	CHILD_OUT        a sink topic (counts) the agent relays Seq to; empty: none
//	CHILD_SPIN       CPU time spent per record, a Go duration (busy, not a sleep)
//	CHILD_SLEEP      time slept per record, a Go duration
//	CHILD_SLOW_PARTITION, CHILD_SLOW  sleep CHILD_SLOW per record of that partition only
//	CHILD_EXPECT     exit 0 after processing this many records; 0: run until SIGTERM
//	CHILD_RUN_FOR    stop gracefully after this long (a Go duration) once started
//	CHILD_MODE       "relay" (default), "count" (a table counts views per key; the counts go to CHILD_OUT)
//	                 or "windows" (tumbling windows of 10 minutes of Seq as minutes count views per key;
//	                 each closing window's count goes to CHILD_OUT keyed "key@start-minute")
//	CHILD_GUARANTEE  "exactly_once" runs the App exactly-once; default at-least-once
//
// Every "table partition ready" log of the child is also printed as
// "child: table-ready partition=P replayed=N wiped=B seconds=S" (collected
// in child.ready, with the time the parent read it, not in lines).
//
// It prints "child: ready" once started and, when it ends,
// "child: processed=N vmhwm_kib=K".

func TestMain(m *testing.M) {
	if mode := os.Getenv("FAUSTGEN_CHILD"); mode != "" {
		os.Exit(runChild(mode))
	}
	os.Exit(m.Run())
}

func runChild(mode string) int {
	cfg, err := runtime.ConfigFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	level := slog.LevelWarn
	if os.Getenv("FAUSTGEN_TEST_LOG") != "" {
		level = slog.LevelInfo
	}
	cfg.Logger = slog.New(readyPrinter{Handler: slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})})
	cfg.ShutdownTimeout = 10 * time.Second
	dur := func(name string) time.Duration {
		d, _ := time.ParseDuration(os.Getenv(name))
		return d
	}
	parts, _ := strconv.Atoi(os.Getenv("CHILD_PARTITIONS"))
	expect, _ := strconv.ParseInt(os.Getenv("CHILD_EXPECT"), 10, 64)
	spin, sleep, slow := dur("CHILD_SPIN"), dur("CHILD_SLEEP"), dur("CHILD_SLOW")
	slowPart, slowErr := strconv.Atoi(os.Getenv("CHILD_SLOW_PARTITION"))
	name := os.Getenv("CHILD_NAME")
	in := viewTopic(os.Getenv("CHILD_IN"), int32(parts))
	topics := []AnyTopic{in}
	var out *Topic[string, int64]
	if name := os.Getenv("CHILD_OUT"); name != "" {
		out = countTopic(name, int32(parts))
		topics = append(topics, out)
	}
	sigctx, stopSignals := runtime.SignalContext(context.Background())
	defer stopSignals()
	ctx, cancel := context.WithCancel(sigctx)
	defer cancel()
	var processed atomic.Int64
	// headers name this instance and the input record on an output.
	headers := func(t *Task) []runtime.Header {
		m := t.Record()
		return []runtime.Header{
			{Key: "child", Value: []byte(name)},
			{Key: "in.partition", Value: strconv.AppendInt(nil, int64(m.Partition), 10)},
			{Key: "in.offset", Value: strconv.AppendInt(nil, m.Offset, 10)},
		}
	}
	var agent *Agent[string, view]
	var tables []AnyTable
	switch mode {
	case "relay":
		agent = &Agent[string, view]{
			Name: "child", Source: in, OnError: Fail,
			Process: func(t *Task, k string, v view) error {
				if out == nil {
					return nil
				}
				return SinkOf(t, out).Send(k, v.Seq, headers(t)...)
			},
		}
		if out != nil {
			agent.Sinks = []AnyTopic{out}
		}
	case "count":
		// Count the views per key in a table; send each new count.
		table := countsTable(int32(parts))
		tables = []AnyTable{table}
		agent = counter(in, out, table)
		agent.Process = func(t *Task, k string, _ view) error {
			tb := TableOf(t, table)
			n, _, err := tb.Get(k)
			if err != nil {
				return err
			}
			n++
			if err := tb.Put(k, n); err != nil {
				return err
			}
			return SinkOf(t, out).Send(k, n, headers(t)...)
		}
	case "windows":
		table := windowTableDef("windows", WindowSpec{Tumbling: 10 * time.Minute, Expires: 30 * time.Minute})
		table.Partitions = int32(parts)
		tables = []AnyTable{table}
		agent = windowCounter(in, out, table)
	default:
		fmt.Fprintf(os.Stderr, "child: unknown mode %q\n", mode)
		return 2
	}
	// Every mode paces its records as configured and counts them.
	inner := agent.Process
	agent.Process = func(t *Task, k string, v view) error {
		if spin > 0 {
			for end := time.Now().Add(spin); time.Now().Before(end); {
			}
		}
		if sleep > 0 {
			time.Sleep(sleep)
		}
		if slow > 0 && slowErr == nil && t.Record().Partition == int32(slowPart) {
			time.Sleep(slow)
		}
		if err := inner(t, k, v); err != nil {
			return err
		}
		if processed.Add(1) == expect {
			cancel()
		}
		return nil
	}
	guarantee := AtLeastOnce
	if os.Getenv("CHILD_GUARANTEE") == "exactly_once" {
		guarantee = ExactlyOnce
	}
	app, err := NewApp(cfg, AppSpec{ID: os.Getenv("CHILD_APP"), Guarantee: guarantee, Topics: topics, Tables: tables, Agents: []AnyAgent{agent}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	runFor := dur("CHILD_RUN_FOR")
	go func() {
		<-app.Started()
		fmt.Println("child: ready")
		if runFor > 0 {
			time.AfterFunc(runFor, cancel)
		}
	}()
	err = app.Run(ctx)
	fmt.Printf("child: processed=%d vmhwm_kib=%d\n", processed.Load(), vmHWM())
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	return 0
}

// vmHWM returns the process's peak resident set (VmHWM) in KiB, 0 where
// /proc is missing.
func vmHWM() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// readyPrinter prints the child's "table partition ready" logs to stdout
// for its parent (see runChild).
type readyPrinter struct{ slog.Handler }

func (h readyPrinter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo || h.Handler.Enabled(ctx, l)
}

func (h readyPrinter) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "table partition ready" {
		var part, replayed int64
		var wiped bool
		var seconds float64
		r.Attrs(func(a slog.Attr) bool {
			switch a.Key {
			case "partition":
				part = a.Value.Int64()
			case "replayed":
				replayed = a.Value.Int64()
			case "wiped":
				wiped = a.Value.Bool()
			case "seconds":
				seconds = a.Value.Float64()
			}
			return true
		})
		fmt.Printf("child: table-ready partition=%d replayed=%d wiped=%v seconds=%g\n", part, replayed, wiped, seconds)
	}
	if !h.Handler.Enabled(ctx, r.Level) {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h readyPrinter) WithAttrs(as []slog.Attr) slog.Handler {
	return readyPrinter{Handler: h.Handler.WithAttrs(as)}
}

func (h readyPrinter) WithGroup(name string) slog.Handler {
	return readyPrinter{Handler: h.Handler.WithGroup(name)}
}

// tableReady is one "table partition ready" report of a child.
type tableReady struct {
	partition, replayed int64
	wiped               bool
	seconds             float64   // how long the partition's recovery took, as the child logged it
	at                  time.Time // when the parent read the report
}

// child is an App instance running in a child process.
type child struct {
	cmd     *exec.Cmd
	started time.Time   // just before the process was started
	lines   chan string // its stdout, line by line
	done    chan error  // Wait's result
	last    string      // the "child: processed=" line, once it ended

	mu    sync.Mutex
	ready []tableReady // its table-ready reports so far
}

// readies returns the child's table-ready reports so far.
func (ch *child) readies() []tableReady {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return append([]tableReady(nil), ch.ready...)
}

// startChild runs the test binary as a child App (see runChild) on c with
// the given CHILD_* and FAUSTGEN_* settings, and waits until it reports
// ready.
func startChild(t testing.TB, c *env, settings map[string]string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	mode := "relay"
	if m := settings["CHILD_MODE"]; m != "" {
		mode = m
	}
	cmd.Env = append(os.Environ(), "FAUSTGEN_CHILD="+mode,
		runtime.EnvBrokers+"="+strings.Join(c.Brokers(), ","), runtime.EnvRegistry+"="+c.RegistryURL())
	for k, v := range settings {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = childAttr()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ch := &child{cmd: cmd, started: began, lines: make(chan string, 16), done: make(chan error, 1)}
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			var r tableReady
			if _, err := fmt.Sscanf(s.Text(), "child: table-ready partition=%d replayed=%d wiped=%t seconds=%g", &r.partition, &r.replayed, &r.wiped, &r.seconds); err == nil {
				r.at = time.Now()
				ch.mu.Lock()
				ch.ready = append(ch.ready, r)
				ch.mu.Unlock()
				continue
			}
			ch.lines <- s.Text()
		}
		close(ch.lines)
		ch.done <- cmd.Wait()
	}()
	t.Cleanup(func() { ch.kill() })
	select {
	case l, ok := <-ch.lines:
		if !ok || l != "child: ready" {
			t.Fatalf("child did not start (first line %q)", l)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("child not ready within 30s")
	}
	return ch
}

// wait waits (up to timeout) for the child to exit and returns its
// processed count and peak RSS in KiB.
func (ch *child) wait(t testing.TB, timeout time.Duration) (processed, hwmKiB int64, err error) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case l, ok := <-ch.lines:
			if !ok {
				ch.lines = nil
				continue
			}
			if strings.HasPrefix(l, "child: processed=") {
				ch.last = l
			}
		case err = <-ch.done:
			_, _ = fmt.Sscanf(ch.last, "child: processed=%d vmhwm_kib=%d", &processed, &hwmKiB)
			return processed, hwmKiB, err
		case <-deadline:
			ch.kill()
			t.Fatalf("child did not exit within %v", timeout)
		}
	}
}

// signal sends sig to the child.
func (ch *child) signal(sig syscall.Signal) { _ = ch.cmd.Process.Signal(sig) }

func (ch *child) kill() { _ = ch.cmd.Process.Kill() }
