package pageviews

import (
	"context"
	"testing"
	"time"

	gen "github.com/faustgen/faustgen/examples/generated/pageviews"
	"github.com/faustgen/faustgen/runtime"
)

// fakeSink records what an agent sends: the context's handles are
// runtime interfaces, so an agent runs in a unit test without Kafka.
type fakeSink[K, V any] struct {
	keys   []K
	values []V
}

func (s *fakeSink[K, V]) Send(key K, value V, _ ...runtime.Header) error {
	s.keys, s.values = append(s.keys, key), append(s.values, value)
	return nil
}

// fakeTable is a map-backed runtime.ReadTable.
type fakeTable[K comparable, V any] map[K]V

func (t fakeTable[K, V]) Get(key K) (V, bool, error) {
	v, ok := t[key]
	return v, ok, nil
}

// TestCountViewsClosedHourWithFakes runs the window-close hook of
// CountViews on a context filled with fakes.
func TestCountViewsClosedHourWithFakes(t *testing.T) {
	counts := &fakeSink[string, gen.PageCount]{}
	ctx := &gen.CountViewsContext{
		Context:    context.Background(),
		PageInfo:   fakeTable[string, gen.Page]{"/pricing": {Path: "/pricing", Title: "Pricing"}},
		PageCounts: counts,
	}
	hour := runtime.Window{Start: time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC), End: time.Date(2026, 1, 2, 11, 0, 0, 0, time.UTC)}
	for _, page := range []string{"/pricing", "/unknown"} {
		if err := (CountViews{}).ViewsPerPageClosed(ctx, page, hour, 7); err != nil {
			t.Fatal(err)
		}
	}
	if len(counts.values) != 2 {
		t.Fatalf("sent %d counts, want 2", len(counts.values))
	}
	if c := counts.values[0]; counts.keys[0] != "/pricing" || c.Views != 7 || !c.WindowStart.Equal(hour.Start) || c.Title == nil || *c.Title != "Pricing" {
		t.Errorf("first count %q %+v, want /pricing: 7 views from %v titled Pricing", counts.keys[0], c, hour.Start)
	}
	if c := counts.values[1]; c.Title != nil {
		t.Errorf("count of a page the table does not know has title %q", *c.Title)
	}
}

// TestGeneratedAppIsARuntimeApp reaches Stats through the generated App,
// before it runs: the zero Stats but for the (default) buffer budget.
func TestGeneratedAppIsARuntimeApp(t *testing.T) {
	app, err := gen.New(runtime.Config{Brokers: []string{"127.0.0.1:1"}, RegistryURL: "http://127.0.0.1:1"}, gen.Agents{CountViews: CountViews{}})
	if err != nil {
		t.Fatal(err)
	}
	var rt runtime.App = app
	if s := rt.Stats(); s.MaxBufferedBytes != 64<<20 || len(s.Partitions) != 0 || s.BufferedBytes != 0 {
		t.Errorf("Stats before Run = %+v, want only MaxBufferedBytes 64 MiB", s)
	}
}
