package engine

import (
	"cmp"
	"slices"

	"github.com/faustgen/faustgen/runtime"
)

// Stats returns a snapshot of the App's flow control; the zero Stats
// (but for MaxBufferedBytes) before the group is running or in an App
// without agents.
func (a *App) Stats() runtime.Stats {
	s := runtime.Stats{MaxBufferedBytes: a.cfg.MaxBufferedBytes, LateRecords: a.late.Load()}
	select {
	case <-a.started:
	default:
		return s
	}
	if a.group == nil {
		return s
	}
	gs := a.group.Stats()
	s.BufferedBytes, s.FetchBufferedBytes = gs.BufferedBytes, gs.FetchBufferedBytes
	if tx := gs.Transactions; tx != nil {
		s.TransactionalID, s.CommittedTransactions, s.AbortedTransactions = tx.TransactionalID, tx.Committed, tx.Aborted
	}
	for _, p := range gs.Partitions {
		s.Partitions = append(s.Partitions, runtime.PartitionStats{
			Topic:           p.Topic,
			Partition:       p.Partition,
			State:           runtime.PartitionState(p.State.String()),
			BufferedRecords: p.Buffer.Records,
			BufferedBytes:   p.Buffer.Bytes,
			Paused:          p.Buffer.Paused,
			PauseReason:     p.Buffer.Reason,
			PausedFor:       p.Buffer.PausedFor,
			Pauses:          p.Buffer.Pauses,
			Processed:       p.Processed,
			Committed:       p.Committed,
			Lag:             p.Lag,
		})
	}
	slices.SortFunc(s.Partitions, func(x, y runtime.PartitionStats) int {
		return cmp.Or(cmp.Compare(x.Topic, y.Topic), cmp.Compare(x.Partition, y.Partition))
	})
	return s
}
