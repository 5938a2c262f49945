package pageviews

import (
	"fmt"

	gen "github.com/faustgen/faustgen/examples/generated/pageviews"
	"github.com/faustgen/faustgen/runtime"
)

// CountViews implements the count_views agent of faustgen.yaml: it counts
// the views of each page per hour (of the view's own time, ViewedAt) in
// the windowed table views_per_page, and when an hour closes — once a
// later view moved the partition's stream time past the hour's end plus
// the 10-minute grace — it sends that hour's final count, with the page's
// title when the global table page_info knows it, to page_counts. A view
// of an hour that closed already is a late record: it goes to the
// dead-letter topic. It touches nothing else: the generated context
// exposes only what the topology grants.
type CountViews struct{}

// Process counts one page view in its hour.
func (CountViews) Process(ctx *gen.CountViewsContext, page string, view gen.PageView) error {
	return ctx.ViewsPerPage.Update(page, view.ViewedAt, func(n int64, _ bool) int64 { return n + 1 })
}

// ViewsPerPageClosed sends the final count of one page in one hour.
func (CountViews) ViewsPerPageClosed(ctx *gen.CountViewsContext, page string, hour runtime.Window, views int64) error {
	count := gen.NewPageCount()
	count.Page = page
	count.WindowStart = hour.Start
	count.Views = views
	if info, ok, err := ctx.PageInfo.Get(page); err != nil {
		return fmt.Errorf("look up page %s: %w", page, err)
	} else if ok {
		count.Title = &info.Title
	}
	return ctx.PageCounts.Send(page, count)
}

// The generated interfaces are what New looks for.
var (
	_ gen.CountViewsAgent              = CountViews{}
	_ gen.CountViewsViewsPerPageCloser = CountViews{}
)
