package runtime_test

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/faustgen/faustgen/examples/generated/pageviews"
	"github.com/faustgen/faustgen/runtime"
	"github.com/faustgen/faustgen/runtime/genapi"
)

// A topic whose value is a union of event types (the example's events:
// [PagePublished, PageRetired]) carries both through the generated
// producer to a typed agent, in order; the union is registered under
// <topic>-value even with the topic_record strategy (a union has no name
// to make a subject of); and a record framed with a bare branch's schema
// id, as Confluent's serializers write under the record strategies, is
// read as that branch of the union.
func TestUnionValuedTopicCarriesEveryBranchToATypedAgent(t *testing.T) {
	s := newServices(t)
	events := &genapi.Topic[string, pageviews.EventsValue]{
		TopicSpec: genapi.TopicSpec{Name: s.name("page-events"), Partitions: 1},
		Key:       runtime.StringCodec, Value: pageviews.EventsValueCodec,
	}
	var mu sync.Mutex
	var got []pageviews.EventsValue
	agent := &genapi.Agent[string, pageviews.EventsValue]{
		Name: "catalog", Source: events, OnError: genapi.Fail,
		Process: func(_ *genapi.Task, _ string, v pageviews.EventsValue) error {
			mu.Lock()
			got = append(got, v)
			mu.Unlock()
			return nil
		},
	}
	app, _ := runApp(t, s.config(), genapi.AppSpec{ID: s.name("union"), Subjects: genapi.TopicRecordSubjects,
		Topics: []genapi.AnyTopic{events}, Agents: []genapi.AnyAgent{agent}})

	at := time.UnixMilli(1_700_000_000_000).UTC()
	redirect := "/new"
	sent := []pageviews.EventsValue{
		{Kind: pageviews.EventsValuePagePublished, PagePublished: pageviews.PagePublished{Path: "/p", Title: "P", At: at}},
		{Kind: pageviews.EventsValuePageRetired, PageRetired: pageviews.PageRetired{Path: "/p", Redirect: &redirect, At: at}},
	}
	p := genapi.ProducerOf(app, events)
	for _, v := range sent {
		if _, err := p.SendSync(context.Background(), "/p", v); err != nil {
			t.Fatal(err)
		}
	}

	reg, err := sr.NewClient(sr.URLs(s.registry))
	if err != nil {
		t.Fatal(err)
	}
	latest, err := reg.SchemaByVersion(context.Background(), events.Name+"-value", -1)
	if err != nil {
		t.Fatalf("the union is not registered under %s-value: %v", events.Name, err)
	}
	if latest.Schema.Schema != pageviews.EventsValueCodec.FullSchema() {
		t.Errorf("%s-value holds %s, want the union %s", events.Name, latest.Schema.Schema, pageviews.EventsValueCodec.FullSchema())
	}

	// A PageRetired framed with its own schema's id (registered under its
	// full name), body without a union index.
	bare := s.register(t, s.name("com.example.pageviews.PageRetired"), pageviews.PageRetiredCodec.FullSchema())
	body, err := pageviews.PageRetiredCodec.Marshal(&pageviews.PageRetired{Path: "/q", At: at})
	if err != nil {
		t.Fatal(err)
	}
	key, err := runtime.StringCodec.Marshal(ptrTo("/q"))
	if err != nil {
		t.Fatal(err)
	}
	ownKey := consume(t, s, events.Name, 1)[0].Key // framed by the producer
	produce(t, s.kafka(t), &kgo.Record{Topic: events.Name, Key: append(ownKey[:5:5], key...), Value: frame(bare, body)})
	want := append(sent, pageviews.EventsValue{Kind: pageviews.EventsValuePageRetired, PageRetired: pageviews.PageRetired{Path: "/q", At: at}})
	waitFor(t, "the agent to see all three events", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) >= len(want)
	})
	mu.Lock()
	defer mu.Unlock()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("agent got %+v, want %+v", got, want)
	}
}

func ptrTo[T any](v T) *T { return &v }
