package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/faustgen/faustgen/runtime"
)

// TestDemo runs the demo on the embedded cluster and checks that every
// view came out normalised and the malformed one was dead-lettered.
func TestDemo(t *testing.T) {
	var out bytes.Buffer
	res, err := run(context.Background(), &out, runtime.Config{}, 8)
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	if res.sent != 13 || res.out != 12 || res.dead != 1 {
		t.Fatalf("sent %d, out %d, dead %d; want 13, 12, 1\n%s", res.sent, res.out, res.dead, out.String())
	}
	// The generated App's Stats: this one instance owns every partition
	// of page-views, and they processed every view before its output
	// could be read back.
	if res.partitions != 6 || res.processed < int64(res.sent) {
		t.Errorf("Stats: %d partitions of page-views processed %d records; want 6 partitions, at least %d records\n%s", res.partitions, res.processed, res.sent, out.String())
	}
	// 8 views cycle over 4 pages, then the malformed one, then one view
	// of each page two hours later: the table counts each page's views
	// exactly.
	if want := "map[/:3 /Blog/Launch#comments:3 /Pricing/:3 /docs?utm=newsletter:3 pricing:1]"; fmt.Sprint(res.totals) != want {
		t.Fatalf("totals %v, want %s\n%s", res.totals, want, out.String())
	}
	// Each page's first hour closed once the later view moved its
	// partition's stream time on: 2 views, titled from the global table.
	// ("pricing" closes too when it shares a partition with one of them.)
	for _, p := range []string{"/", "/Pricing/", "/docs?utm=newsletter", "/Blog/Launch#comments"} {
		c, ok := res.hours[p]
		if !ok || c.Views != 2 || c.Title == nil || *c.Title != "Title of "+p {
			t.Errorf("closed hour of %s: %d views, title %v (closed: %v); want 2 views titled %q\n%s", p, c.Views, c.Title, ok, "Title of "+p, out.String())
		}
	}
	s := out.String()
	for _, want := range []string{`"/pricing"`, `"/docs"`, `"/blog/launch"`, `page "pricing" is not a path`, "stopped cleanly"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %s:\n%s", want, s)
		}
	}
	for _, line := range strings.Split(s, "\n") {
		if f := strings.Split(line, `"`); strings.HasPrefix(line, "out ") && (len(f) < 3 || strings.ContainsAny(f[1], "?#PB")) {
			t.Errorf("an output key is not normalised: %s", line)
		}
	}
}
