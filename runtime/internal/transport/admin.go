package transport

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TopicSpec is a topic to create or check: see engine.TopicSpec.
type TopicSpec struct {
	Name        string
	Partitions  int32
	Replication int16 // 0: the broker's default
	Config      map[string]string
}

// PartitionMismatchError reports an existing topic whose partition count
// differs from the declared one.
type PartitionMismatchError struct {
	Topic    string
	Declared int32
	Actual   int32
}

// Error names the topic, both counts and the ways out.
func (e *PartitionMismatchError) Error() string {
	return fmt.Sprintf("topic %s has %d partitions but the topology declares %d: change the topology to %d, or recreate the topic (changing a topic's partition count moves keys to other partitions)",
		e.Topic, e.Actual, e.Declared, e.Actual)
}

// EnsureTopics creates the topics that do not exist with their declared
// partitions, replication and configs, and checks the partition count of
// those that do. It returns every problem found, joined.
func EnsureTopics(ctx context.Context, cl *kgo.Client, topics []TopicSpec) error {
	adm := kadm.NewClient(cl)
	names := make([]string, 0, len(topics))
	for _, t := range topics {
		names = append(names, t.Name)
	}
	details, err := adm.ListTopics(ctx, names...)
	if err != nil {
		return fmt.Errorf("list topics: %w", err)
	}
	var errs []error
	for _, t := range topics {
		d, ok := details[t.Name]
		if ok && d.Err == nil {
			if got := int32(len(d.Partitions)); got != t.Partitions {
				errs = append(errs, &PartitionMismatchError{Topic: t.Name, Declared: t.Partitions, Actual: got})
			}
			continue
		}
		if ok && !errors.Is(d.Err, kerr.UnknownTopicOrPartition) {
			errs = append(errs, fmt.Errorf("describe topic %s: %w", t.Name, d.Err))
			continue
		}
		if err := createTopic(ctx, cl, adm, t); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func createTopic(ctx context.Context, cl *kgo.Client, adm *kadm.Client, t TopicSpec) error {
	var configs map[string]*string
	if len(t.Config) > 0 {
		configs = make(map[string]*string, len(t.Config))
		for k, v := range t.Config {
			configs[k] = &v
		}
	}
	repl := t.Replication
	if repl == 0 {
		repl = -1 // the broker's default
	}
	resp, err := adm.CreateTopic(ctx, t.Partitions, repl, configs, t.Name)
	if errors.Is(err, kerr.TopicAlreadyExists) || errors.Is(resp.Err, kerr.TopicAlreadyExists) {
		// Another instance created it meanwhile: check it like any other,
		// once the metadata shows it.
		return awaitTopic(ctx, cl, t)
	}
	if err != nil {
		msg := resp.ErrMessage
		if msg != "" {
			return fmt.Errorf("create topic %s (%d partitions, replication %d): %w: %s", t.Name, t.Partitions, t.Replication, err, msg)
		}
		return fmt.Errorf("create topic %s (%d partitions, replication %d): %w", t.Name, t.Partitions, t.Replication, err)
	}
	return awaitTopic(ctx, cl, t)
}

// awaitTopic waits until the metadata shows topic t with partitions that
// all have a leader: right after a creation (ours or a concurrent
// instance's) brokers may still describe it as unknown or with no
// partitions. It asks a broker each time (kadm's listing answers from the
// client's metadata cache, which keeps "unknown" for MetadataMinAge). It
// fails when the topic shows a partition count other than t's, or when
// ctx ends (naming what it last saw).
func awaitTopic(ctx context.Context, cl *kgo.Client, t TopicSpec) error {
	wait := 20 * time.Millisecond
	for {
		last := describeTopic(ctx, cl, t)
		var mismatch *PartitionMismatchError
		if last == nil || errors.As(last, &mismatch) {
			return last
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("topic %s created, but the metadata did not show its %d partitions in time (last: %v): %w", t.Name, t.Partitions, last, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 500*time.Millisecond)
	}
}

// describeTopic returns nil when a broker describes t with t's partition
// count, every partition with a leader; a *PartitionMismatchError for
// another count; else what is not there yet.
func describeTopic(ctx context.Context, cl *kgo.Client, t TopicSpec) error {
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(t.Name)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return err
	}
	for _, d := range resp.Topics {
		if d.Topic == nil || *d.Topic != t.Name {
			continue
		}
		if err := kerr.ErrorForCode(d.ErrorCode); err != nil {
			return err
		}
		switch n := int32(len(d.Partitions)); {
		case n == 0:
			return errors.New("no partitions yet")
		case n != t.Partitions:
			return &PartitionMismatchError{Topic: t.Name, Declared: t.Partitions, Actual: n}
		}
		for _, p := range d.Partitions {
			if p.Leader < 0 || p.ErrorCode != 0 {
				return fmt.Errorf("partition %d has no leader yet", p.Partition)
			}
		}
		return nil
	}
	return errors.New("not in the metadata yet")
}

// MaxMessageBytes returns the largest max.message.bytes among topics (the
// topic's own setting, or the broker default it inherits).
func MaxMessageBytes(ctx context.Context, cl *kgo.Client, topics ...string) (int64, error) {
	adm := kadm.NewClient(cl)
	rcs, err := adm.DescribeTopicConfigs(ctx, topics...)
	if err != nil {
		return 0, err
	}
	var limit int64
	for _, rc := range rcs {
		if rc.Err != nil {
			return 0, fmt.Errorf("describe configs of %s: %w", rc.Name, rc.Err)
		}
		for _, c := range rc.Configs {
			if c.Key == "max.message.bytes" && c.Value != nil {
				n, err := strconv.ParseInt(*c.Value, 10, 64)
				if err != nil {
					return 0, fmt.Errorf("%s: max.message.bytes %q: %w", rc.Name, *c.Value, err)
				}
				limit = max(limit, n)
			}
		}
	}
	return limit, nil
}
