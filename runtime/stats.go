package runtime

import (
	"time"
)

// Stats is a snapshot of a running App's input: what it holds against its
// budget, and where each of its partitions is.
type Stats struct {
	// MaxBufferedBytes is Config.MaxBufferedBytes: the cap on input held.
	MaxBufferedBytes int64
	// BufferedBytes is what the partitions hold of it: records waiting in
	// their buffers or being processed, bookkeeping included. It stays
	// within three quarters of MaxBufferedBytes.
	BufferedBytes int64
	// FetchBufferedBytes is what the Kafka client holds in fetched, not
	// yet polled records (keys, values and headers); the fetch sizes keep
	// it within a quarter of MaxBufferedBytes.
	FetchBufferedBytes int64
	// LateRecords counts the writes to windowed tables that came after
	// their windows closed (each a *LateRecordError to its agent) since
	// the App started.
	LateRecords int64
	// Partitions are the partitions this instance owns, by topic and
	// partition.
	Partitions []PartitionStats
	// TransactionalID, CommittedTransactions and AbortedTransactions
	// describe the transactions under exactly-once (empty and 0 under
	// at-least-once): the producer's transactional id, and how many
	// transactions committed and aborted since the App started.
	TransactionalID                            string
	CommittedTransactions, AbortedTransactions int64
}

// PartitionState is where an owned partition is in its life: "assigned",
// "recovering" (its state is being restored; nothing is processed),
// "running", "revoking" (finishing the record in progress and committing
// before it moves), "lost", "closed".
type PartitionState string

// PartitionStats is a snapshot of one owned partition.
type PartitionStats struct {
	Topic     string
	Partition int32
	State     PartitionState
	// BufferedRecords and BufferedBytes are the records it holds: waiting
	// or being processed.
	BufferedRecords int
	BufferedBytes   int64
	// Paused says whether its fetching is paused now (its buffer is full,
	// or it is recovering), and PauseReason why; PausedFor is the total
	// time it was paused since assignment and Pauses how often.
	Paused      bool
	PauseReason string
	PausedFor   time.Duration
	Pauses      int64
	// Processed counts the records processed since assignment.
	Processed int64
	// Committed is the last offset committed by this instance (the next
	// record to process), -1 when none yet.
	Committed int64
	// Lag is the partition's high watermark at the last fetch minus
	// Committed (or minus the first offset fetched, before the first
	// commit); -1 when not known yet.
	Lag int64
}
