package pageviews

import "testing"

func TestNormalizePath(t *testing.T) {
	for in, want := range map[string]string{
		"/":                 "/",
		"//":                "/",
		"/Pricing/":         "/pricing",
		"/docs?utm=mail":    "/docs",
		"/Blog/Launch/#top": "/blog/launch",
		"/blog/launch":      "/blog/launch",
		"/?q=1":             "/",
	} {
		got, err := NormalizePath(in)
		if err != nil || got != want {
			t.Errorf("NormalizePath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "pricing", "https://example.com/"} {
		if got, err := NormalizePath(bad); err == nil {
			t.Errorf("NormalizePath(%q) = %q, want an error", bad, got)
		}
	}
}
