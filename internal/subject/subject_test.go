package subject

import "testing"

func TestNameByStrategy(t *testing.T) {
	cases := []struct {
		s    Strategy
		typ  string
		key  bool
		want string
	}{
		{Topic, "com.example.PageView", true, "page-views-key"},
		{Topic, "com.example.PageView", false, "page-views-value"},
		{Record, "com.example.PageView", false, "com.example.PageView"},
		{Record, "string", true, "string"},
		{TopicRecord, "com.example.PageView", false, "page-views-com.example.PageView"},
		{Record, "[a.B, a.C]", false, "page-views-value"},
		{TopicRecord, "[a.B, a.C]", true, "page-views-key"},
	}
	for _, c := range cases {
		if got := c.s.Name("page-views", c.typ, c.key); got != c.want {
			t.Errorf("strategy %d, %s, key=%v: %q, want %q", c.s, c.typ, c.key, got, c.want)
		}
	}
}
