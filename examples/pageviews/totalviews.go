package pageviews

import (
	"fmt"

	gen "github.com/faustgen/faustgen/examples/generated/pageviews"
)

// TotalViews implements the total_views agent of faustgen.yaml: it counts
// every page's views in the plain table views_total and sends the new
// total to page_totals. The table survives restarts and rebalances: it is
// kept in a local store and restored from its changelog.
type TotalViews struct{}

// Process counts one page view.
func (TotalViews) Process(ctx *gen.TotalViewsContext, page string, _ gen.PageView) error {
	n, _, err := ctx.ViewsTotal.Get(page)
	if err != nil {
		return fmt.Errorf("read the total of %s: %w", page, err)
	}
	n++
	if err := ctx.ViewsTotal.Put(page, n); err != nil {
		return fmt.Errorf("store the total of %s: %w", page, err)
	}
	return ctx.PageTotals.Send(page, n)
}

// The generated interface is what New expects.
var _ gen.TotalViewsAgent = TotalViews{}
