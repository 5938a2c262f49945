package engine

import (
	"fmt"
	"testing"
)

// BenchmarkStatefulAgentOnly runs only the stateful side of
// BenchmarkStatefulVsStatelessAgent, for profiling.
func BenchmarkStatefulAgentOnly(b *testing.B) {
	c := newEnv(b)
	cfg := testConfig(b, c)
	for i := range b.N {
		id := fmt.Sprint("sfonly-", i)
		in, out := viewTopic(c.name("sf-in-"+id), benchPartitions), countTopic(c.name("sf-out-"+id), benchPartitions)
		producer := start(b, cfg, AppSpec{ID: c.name("sf-producer-" + id), Topics: []AnyTopic{in, out}})
		fillTopic(b, producer, in, benchRecords)
		producer.stop(b)
		b.ReportMetric(countRelay(b, c, cfg, in, out, c.name("sf-count-"+id)), "stateful-rec/s")
	}
}
