package pageviews

import (
	"fmt"
	"time"

	gen "github.com/faustgen/faustgen/examples/generated/pageviews"
)

// CountViews implements the count_views agent of faustgen.yaml: it counts
// the views of each page per hour in the windowed table views_per_page and
// sends the running count, with the page's title when the global table
// page_info knows it, to page_counts. It touches nothing else: the
// generated context exposes only what the topology grants.
type CountViews struct{}

// Process counts one page view.
func (CountViews) Process(ctx *gen.CountViewsContext, page string, view gen.PageView) error {
	n, _, err := ctx.ViewsPerPage.Get(page, view.ViewedAt)
	if err != nil {
		return fmt.Errorf("read the count of %s: %w", page, err)
	}
	n++
	if err := ctx.ViewsPerPage.Put(page, view.ViewedAt, n); err != nil {
		return fmt.Errorf("store the count of %s: %w", page, err)
	}
	count := gen.NewPageCount()
	count.Page = page
	count.WindowStart = view.ViewedAt.Truncate(time.Hour)
	count.Views = n
	if info, ok, err := ctx.PageInfo.Get(page); err != nil {
		return fmt.Errorf("look up page %s: %w", page, err)
	} else if ok {
		count.Title = &info.Title
	}
	return ctx.PageCounts.Send(page, count)
}

// The generated interface is what New expects.
var _ gen.CountViewsAgent = CountViews{}
