package transport

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TopicSpec is a topic to create or check: see runtime.TopicSpec.
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
		if err := createTopic(ctx, adm, t); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func createTopic(ctx context.Context, adm *kadm.Client, t TopicSpec) error {
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
		// Another instance created it meanwhile: check it like any other.
		details, lerr := adm.ListTopics(ctx, t.Name)
		if lerr != nil {
			return fmt.Errorf("describe topic %s: %w", t.Name, lerr)
		}
		if d := details[t.Name]; int32(len(d.Partitions)) != t.Partitions {
			return &PartitionMismatchError{Topic: t.Name, Declared: t.Partitions, Actual: int32(len(d.Partitions))}
		}
		return nil
	}
	if err != nil {
		msg := resp.ErrMessage
		if msg != "" {
			return fmt.Errorf("create topic %s (%d partitions, replication %d): %w: %s", t.Name, t.Partitions, t.Replication, err, msg)
		}
		return fmt.Errorf("create topic %s (%d partitions, replication %d): %w", t.Name, t.Partitions, t.Replication, err)
	}
	return nil
}
