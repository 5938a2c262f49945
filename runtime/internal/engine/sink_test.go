package engine

import (
	"strings"
	"testing"
)

// TestSinkOfAllocatesNothingPerRecord: a partition's Task hands out the
// same *sink for every record, so filling an agent's context with its
// sinks allocates nothing past the first record; a Sink kept past its
// record refuses until SinkOf hands it out again.
func TestSinkOfAllocatesNothingPerRecord(t *testing.T) {
	out := viewTopic("out", 1)
	st := &agentState{name: "relay", sinks: []sinkIDs{{topic: out, ids: schemaIDs{key: 1, value: 2}}}}
	task := &Task{agent: st, scratch: &partitionScratch{}}
	task.gen.Add(1)
	first := SinkOf(task, out)
	task.gen.Add(1)
	if n := testing.AllocsPerRun(1000, func() {
		task.gen.Add(1) // a record starts
		if SinkOf(task, out) != first {
			t.Fatal("SinkOf made another sink for the same Task and topic")
		}
		task.gen.Add(1) // and ends
	}); n != 0 {
		t.Errorf("SinkOf allocates %v times per record, want 0", n)
	}

	const stale = "used after the processing it was made for returned"
	if err := first.Send("k", view{}); err == nil || !strings.Contains(err.Error(), stale) {
		t.Errorf("Send between records: %v, want %q", err, stale)
	}
	task.gen.Add(1) // the next record starts; its context is not built yet
	if err := first.Send("k", view{}); err == nil || !strings.Contains(err.Error(), stale) {
		t.Errorf("Send before SinkOf of the next record: %v, want %q", err, stale)
	}
	task.gen.Add(1)

	// Another *Topic of the same name is found by name (and allocates).
	other := viewTopic("out", 1)
	st.sinkIDs = map[string]schemaIDs{"out": {key: 1, value: 2}}
	if s := SinkOf(task, other); s.(*sink[string, view]).err != nil {
		t.Errorf("sink of a same-named topic: %v", s.(*sink[string, view]).err)
	}
	if s := SinkOf(task, viewTopic("elsewhere", 1)); s.(*sink[string, view]).err == nil {
		t.Error("sink of a topic the agent may not send to has no error")
	}
}
