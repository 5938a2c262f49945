package transport

import "testing"

// Values of org.apache.kafka.common.utils.Utils.murmur2 from the Java
// client's own test suite.
func TestMurmur2MatchesTheJavaClient(t *testing.T) {
	cases := []struct {
		in   string
		want int32
	}{
		{"21", -973932308},
		{"foobar", -790332482},
		{"a-little-bit-long-string", -985981536},
		{"a-little-bit-longer-string", -1486304829},
		{"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
		{"abc", 479470107},
	}
	for _, c := range cases {
		if got := int32(Murmur2([]byte(c.in))); got != c.want {
			t.Errorf("Murmur2(%q) = %d, want %d", c.in, got, c.want)
		}
	}
	// Java: Utils.toPositive(murmur2(key)) % numPartitions.
	if got, want := PartitionForKey([]byte("foobar"), 12), int32((-790332482&0x7fffffff)%12); got != want {
		t.Errorf("PartitionForKey(foobar, 12) = %d, want %d", got, want)
	}
}
