package flow

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

type valveLog struct{ events []string }

func (v *valveLog) valve() Valve {
	return Valve{
		Pause:  func(string) { v.events = append(v.events, "pause") },
		Resume: func() { v.events = append(v.events, "resume") },
	}
}

func recs(n, size int) []*kgo.Record {
	out := make([]*kgo.Record, n)
	for i := range out {
		out[i] = &kgo.Record{Value: make([]byte, size), Offset: int64(i)}
	}
	return out
}

func TestBufferPausesAtTheHighWatermarkAndResumesBelowTheLowOne(t *testing.T) {
	var v valveLog
	budget := NewBudget(1 << 30)
	b := NewBuffer(Limits{HighRecords: 10, LowRecords: 4, HighBytes: 1 << 30}, budget, v.valve())
	b.Push(recs(9, 10))
	if len(v.events) != 0 {
		t.Fatalf("paused below the high watermark: %v", v.events)
	}
	b.Push(recs(3, 10))
	if got := v.events; len(got) != 1 || got[0] != "pause" {
		t.Fatalf("want one pause at 12 records, got %v", got)
	}
	if s := b.Stats(); !s.Paused || s.Records != 12 || s.Reason != "input buffer full" {
		t.Fatalf("stats %+v", s)
	}
	got, ok := b.Take(nil, nil, 100)
	if !ok || len(got) != 12 {
		t.Fatalf("took %d, %v", len(got), ok)
	}
	b.Release(got[:7]) // 5 held: not below the low watermark of 4
	if len(v.events) != 1 {
		t.Fatalf("resumed at 5 records held, low watermark 4: %v", v.events)
	}
	b.Release(got[7:8]) // 4 held: still not below
	b.Release(got[8:])  // 0 held
	if got := v.events; len(got) != 2 || got[1] != "resume" {
		t.Fatalf("want a resume once drained, got %v", got)
	}
	if budget.Used() != 0 {
		t.Fatalf("budget still counts %d bytes", budget.Used())
	}
}

func TestBufferPausesOnBytes(t *testing.T) {
	var v valveLog
	high := 5 * (100 + RecordOverhead)
	b := NewBuffer(Limits{HighBytes: high, HighRecords: 1000}, NewBudget(1<<30), v.valve())
	b.Push(recs(4, 100))
	if len(v.events) != 0 {
		t.Fatal("paused below the byte watermark")
	}
	b.Push(recs(1, 100))
	if len(v.events) != 1 {
		t.Fatalf("did not pause at %d bytes: %v", high, v.events)
	}
}

func TestHoldPausesUntilReleasedWhateverTheBufferHolds(t *testing.T) {
	var v valveLog
	b := NewBuffer(Limits{HighRecords: 2}, NewBudget(1<<30), v.valve())
	release := b.Hold("recovering table")
	b.Push(recs(3, 1)) // full while held: no second pause
	if got := v.events; len(got) != 1 {
		t.Fatalf("want one pause, got %v", got)
	}
	if s := b.Stats(); s.Reason != "recovering table" {
		t.Fatalf("reason %q", s.Reason)
	}
	release()
	release() // a second call does nothing
	if len(v.events) != 1 {
		t.Fatalf("resumed while still full: %v", v.events)
	}
	got, _ := b.Take(nil, nil, 10)
	b.Release(got)
	if got := v.events; len(got) != 2 || got[1] != "resume" {
		t.Fatalf("want a resume, got %v", got)
	}
}

func TestCloseDropsQueuedRecordsAndUncountsThem(t *testing.T) {
	budget := NewBudget(1 << 30)
	b := NewBuffer(Limits{}, budget, Valve{})
	b.Push(recs(10, 50))
	taken, _ := b.Take(nil, nil, 3)
	b.Close()
	if want := 3 * Cost(taken[0]); budget.Used() != want {
		t.Fatalf("after close the budget counts %d, want the %d of the taken records", budget.Used(), want)
	}
	b.Release(taken)
	if budget.Used() != 0 {
		t.Fatalf("budget counts %d after releasing everything", budget.Used())
	}
	if _, ok := b.Take(nil, nil, 1); ok {
		t.Fatal("Take on a closed buffer returned records")
	}
	b.Push(recs(1, 1))
	if budget.Used() != 0 {
		t.Fatal("push after close was counted")
	}
}

func TestTakeWaitsForRecordsOrStop(t *testing.T) {
	b := NewBuffer(Limits{}, NewBudget(1<<30), Valve{})
	got := make(chan int, 1)
	go func() {
		r, _ := b.Take(nil, nil, 10)
		got <- len(r)
	}()
	select {
	case <-got:
		t.Fatal("Take returned on an empty buffer")
	case <-time.After(20 * time.Millisecond):
	}
	b.Push(recs(2, 1))
	if n := <-got; n != 2 {
		t.Fatalf("took %d", n)
	}
	stop := make(chan struct{})
	close(stop)
	if _, ok := b.Take(stop, nil, 1); ok {
		t.Fatal("Take ignored stop")
	}
}

func TestWaitRoomWaitsForReleases(t *testing.T) {
	budget := NewBudget(1000)
	b := NewBuffer(Limits{}, budget, Valve{})
	b.Push(recs(1, 800-int(RecordOverhead)))
	done := make(chan error, 1)
	go func() { done <- budget.WaitRoom(context.Background(), 500) }()
	select {
	case <-done:
		t.Fatal("WaitRoom returned with 200 bytes free, 500 wanted")
	case <-time.After(20 * time.Millisecond):
	}
	r, _ := b.Take(nil, nil, 1)
	b.Release(r)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := budget.WaitRoom(ctx, 2000); err == nil {
		t.Fatal("WaitRoom past the budget returned without error on a canceled context")
	}
}

func TestLongPauseReportsOncePerPause(t *testing.T) {
	b := NewBuffer(Limits{}, NewBudget(1<<30), Valve{})
	release := b.Hold("recovering")
	if _, _, ok := b.LongPause(time.Hour); ok {
		t.Fatal("a fresh pause reported as long")
	}
	if r, _, ok := b.LongPause(0); !ok || r != "recovering" {
		t.Fatalf("long pause not reported: %q %v", r, ok)
	}
	if _, _, ok := b.LongPause(0); ok {
		t.Fatal("the same pause reported twice")
	}
	release()
	b.Hold("again")
	if _, _, ok := b.LongPause(0); !ok {
		t.Fatal("a new pause not reported")
	}
}
