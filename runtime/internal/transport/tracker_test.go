package transport

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestOffsetTrackerCommitsOnlyContiguousAcknowledgedRecords(t *testing.T) {
	var failed []error
	idle := 0
	tr := NewOffsetTracker(func(err error) { failed = append(failed, err) }, func() { idle++ })
	committable := func() int64 {
		eo, ok := tr.Committable()
		if !ok {
			return -1
		}
		return eo.Offset
	}

	a := tr.Begin(10, 0)
	a.Add() // one record produced for offset 10, not acknowledged yet
	tr.Finish(a)
	b := tr.Begin(11, 0)
	tr.Finish(b) // offset 11 produced nothing
	if got := committable(); got != -1 {
		t.Fatalf("committable %d while offset 10's output is unacknowledged", got)
	}
	a.Done(nil)
	if got := committable(); got != 12 {
		t.Fatalf("committable %d after every output acknowledged, want 12", got)
	}
	if idle != 1 {
		t.Fatalf("onIdle called %d times, want 1", idle)
	}

	c := tr.Begin(12, 0)
	c.Add()
	d := tr.Begin(13, 0)
	d.Add()
	tr.Finish(c)
	tr.Finish(d)
	d.Done(nil) // acknowledged out of order: 13 waits for 12
	if got := committable(); got != 12 {
		t.Fatalf("committable %d, want 12 until offset 12's output is acknowledged", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if tr.WaitIdle(ctx) {
		t.Fatal("WaitIdle reported idle with an unacknowledged output")
	}
	c.Done(nil)
	if got := committable(); got != 14 {
		t.Fatalf("committable %d, want 14", got)
	}
	if !tr.WaitIdle(context.Background()) {
		t.Fatal("WaitIdle: not idle after every acknowledgement")
	}

	// A failed delivery stops the watermark for good and is reported.
	e := tr.Begin(14, 0)
	e.Add()
	tr.Finish(e)
	e.Done(errors.New("broker said no"))
	f := tr.Begin(15, 0)
	tr.Finish(f)
	if got := committable(); got != 14 {
		t.Fatalf("committable %d after a failed delivery at 14, want 14", got)
	}
	if len(failed) != 1 {
		t.Fatalf("failures reported: %v", failed)
	}
}

func TestAbandonKeepsEarlierRecordsCommittable(t *testing.T) {
	tr := NewOffsetTracker(func(error) {}, nil)
	a := tr.Begin(0, 0)
	a.Add()
	tr.Finish(a)
	b := tr.Begin(1, 0) // fails
	tr.Abandon(b)
	a.Done(nil)
	if eo, ok := tr.Committable(); !ok || eo.Offset != 1 {
		t.Fatalf("committable %v %v, want 1 (up to the abandoned record)", eo, ok)
	}
	if !tr.WaitIdle(context.Background()) {
		t.Fatal("not idle after the abandoned record was dropped")
	}
}

func TestOffsetTrackerBatchAbandonDropsTheRest(t *testing.T) {
	tr := NewOffsetTracker(func(error) {}, nil)
	var recs []*kgo.Record
	for o := int64(20); o < 25; o++ {
		recs = append(recs, &kgo.Record{Offset: o, LeaderEpoch: 3})
	}
	fs := tr.BeginBatch(recs, nil)
	if len(fs) != 5 {
		t.Fatalf("BeginBatch returned %d, want 5", len(fs))
	}
	fs[0].Add()
	tr.Finish(fs[0])
	tr.Finish(fs[1])
	if eo, ok := tr.Committable(); ok {
		t.Fatalf("committable %v before offset 20's output is acknowledged", eo)
	}
	fs[0].Done(nil)
	if eo, ok := tr.Committable(); !ok || eo.Offset != 22 || eo.Epoch != 3 {
		t.Fatalf("committable %v, %v; want offset 22 epoch 3", eo, ok)
	}
	// A stop before offset 22 is processed: it and the rest are dropped,
	// and the tracker is idle at 22.
	tr.Abandon(fs[2])
	if !tr.WaitIdle(context.Background()) {
		t.Fatal("not idle after abandoning the rest of the batch")
	}
	if eo, _ := tr.Committable(); eo.Offset != 22 {
		t.Fatalf("committable %d after the abandon, want 22", eo.Offset)
	}
}

// TestOffsetTrackerQueueReusesItsArray runs many batches through a
// tracker, acknowledging out of order, and checks the watermark and that
// the queue's backing array stays bounded by the records in flight.
func TestOffsetTrackerQueueReusesItsArray(t *testing.T) {
	tr := NewOffsetTracker(func(err error) { t.Fatal(err) }, nil)
	rng := rand.New(rand.NewPCG(1, 2))
	next := int64(0)
	var open []*Inflight // finished, one output unacknowledged
	for range 400 {
		var recs []*kgo.Record
		for range 1 + rng.IntN(100) {
			recs = append(recs, &kgo.Record{Offset: next})
			next++
		}
		for _, f := range tr.BeginBatch(recs, nil) {
			f.Add()
			tr.Finish(f)
			open = append(open, f)
		}
		// Acknowledge a random part, in random order.
		rng.Shuffle(len(open), func(i, j int) { open[i], open[j] = open[j], open[i] })
		k := rng.IntN(len(open) + 1)
		for _, f := range open[:k] {
			f.Done(nil)
		}
		open = open[k:]
		if len(open) > 300 {
			for _, f := range open {
				f.Done(nil)
			}
			open = open[:0]
		}
		want := next
		for _, f := range open {
			want = min(want, f.offset)
		}
		if eo, ok := tr.Committable(); want > 0 && (!ok || eo.Offset != want) {
			t.Fatalf("committable %d, %v; want %d (the oldest unacknowledged)", eo.Offset, ok, want)
		}
	}
	if c := cap(tr.qbase); c > 4*(300+100)+256 {
		t.Fatalf("queue array of %d entries for at most %d in flight", c, 400)
	}
}
