package pageviews

import (
	"fmt"
	"strings"

	gen "github.com/faustgen/faustgen/examples/generated/pageviews"
)

// NormalizeViews implements the normalize_views agent of faustgen.yaml, a
// stateless one: it rewrites each view's page path to one canonical
// spelling (lower case, no query or fragment, no trailing slash, "/" for
// the home page) and sends the view, keyed by that path, to
// normalized_views. A view whose page is not a path is an error, which the
// topology's on_error: dead_letter sends to pageviews-normalize_views-dlq.
type NormalizeViews struct{}

// Process normalises one page view.
func (NormalizeViews) Process(ctx *gen.NormalizeViewsContext, _ string, view gen.PageView) error {
	page, err := NormalizePath(view.Page)
	if err != nil {
		return fmt.Errorf("page view of user %s: %w", view.UserID, err)
	}
	view.Page = page
	return ctx.NormalizedViews.Send(page, view)
}

// NormalizePath returns the canonical spelling of a page path: lower case,
// without query or fragment, without a trailing slash ("/" stays). It
// fails on a page that does not start with "/".
func NormalizePath(page string) (string, error) {
	if !strings.HasPrefix(page, "/") {
		return "", fmt.Errorf("page %q is not a path (it must start with /)", page)
	}
	if i := strings.IndexAny(page, "?#"); i >= 0 {
		page = page[:i]
	}
	page = strings.ToLower(page)
	if len(page) > 1 {
		page = strings.TrimRight(page, "/")
		if page == "" {
			page = "/"
		}
	}
	return page, nil
}

// The generated interface is what New expects.
var _ gen.NormalizeViewsAgent = NormalizeViews{}
