package kafkatopics_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/haina-data/haina/kafkatopics"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// testTimeout bounds every test; kfake answers in milliseconds.
const testTimeout = 30 * time.Second

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// newCluster starts an in-process kfake cluster on 127.0.0.1 with three
// brokers, so a replication factor of 3 is possible.
func newCluster(t *testing.T) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(3))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// plainAdmin dials the kfake cluster in plaintext, as Handle's newAdmin.
func plainAdmin(bootstrap []string) (*kadm.Client, error) {
	return kadm.NewOptClient(kgo.SeedBrokers(bootstrap...), kgo.DialTimeout(5*time.Second), kgo.RetryTimeout(10*time.Second))
}

// newAdmin is a fresh client per call, as the Lambda has per run: kadm
// caches metadata for a few seconds (see Ensure's doc).
func newAdmin(t *testing.T, c *kfake.Cluster) *kadm.Client {
	t.Helper()
	adm, err := plainAdmin(c.ListenAddrs())
	require.NoError(t, err)
	t.Cleanup(adm.Close)
	return adm
}

func ensure(t *testing.T, c *kfake.Cluster, topics []kafkatopics.Topic) (kafkatopics.Result, error) {
	t.Helper()
	return kafkatopics.Ensure(testCtx(t), newAdmin(t, c), topics)
}

// writes counts the requests that could change topics, so a test can show
// that a run changed nothing. The control function only observes: it returns
// handled=false, and kfake then serves the request as usual.
type writes struct {
	mu sync.Mutex
	n  map[int16]int
}

func countWrites(c *kfake.Cluster) *writes {
	w := &writes{n: map[int16]int{}}
	c.Control(func(req kmsg.Request) (kmsg.Response, error, bool) {
		switch req.Key() {
		case kmsg.CreateTopics.Int16(), kmsg.CreatePartitions.Int16(), kmsg.IncrementalAlterConfigs.Int16(),
			kmsg.AlterConfigs.Int16(), kmsg.DeleteTopics.Int16():
			w.mu.Lock()
			w.n[req.Key()]++
			w.mu.Unlock()
		}
		return nil, nil, false
	})
	return w
}

func (w *writes) snapshot() map[int16]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[int16]int, len(w.n))
	for k, v := range w.n {
		out[k] = v
	}
	return out
}

func (w *writes) total() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, v := range w.n {
		n += v
	}
	return n
}

// countAll counts every request the cluster receives.
func countAll(c *kfake.Cluster) func() int {
	var mu sync.Mutex
	n := 0
	c.Control(func(kmsg.Request) (kmsg.Response, error, bool) {
		mu.Lock()
		n++
		mu.Unlock()
		return nil, nil, false
	})
	return func() int {
		mu.Lock()
		defer mu.Unlock()
		return n
	}
}

// state is a topic as the cluster reports it.
type state struct {
	partitions int
	rf         int
	// configs holds the topic's own (dynamic topic) configs only.
	configs map[string]string
}

func describe(t *testing.T, c *kfake.Cluster, name string) (state, bool) {
	t.Helper()
	ctx := testCtx(t)
	adm := newAdmin(t, c)
	tds, err := adm.ListTopics(ctx, name)
	require.NoError(t, err)
	td, ok := tds[name]
	if !ok || td.Err != nil {
		return state{}, false
	}
	s := state{partitions: len(td.Partitions), rf: -1, configs: map[string]string{}}
	for _, p := range td.Partitions {
		if s.rf == -1 {
			s.rf = len(p.Replicas)
		}
		require.Equal(t, s.rf, len(p.Replicas), "partition %d of %s", p.Partition, name)
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, name)
	require.NoError(t, err)
	rc, err := rcs.On(name, nil)
	require.NoError(t, err)
	require.NoError(t, rc.Err)
	for _, cfg := range rc.Configs {
		if cfg.Source == kmsg.ConfigSourceDynamicTopicConfig {
			s.configs[cfg.Key] = cfg.MaybeValue()
		}
	}
	return s, true
}

// cdcTopics is a realistic set: two change topics and a schema history.
func cdcTopics() []kafkatopics.Topic {
	return []kafkatopics.Topic{
		{Name: "haina.public.orders", Partitions: 6, ReplicationFactor: 3, Configs: map[string]string{
			"cleanup.policy": "delete", "retention.ms": "604800000", "min.insync.replicas": "2",
		}},
		{Name: "haina.public.customers", Partitions: 3, ReplicationFactor: 3, Configs: map[string]string{
			"cleanup.policy": "compact", "min.insync.replicas": "2",
		}},
		{Name: "haina.schema-history", Partitions: 1, ReplicationFactor: 3, Configs: map[string]string{
			"cleanup.policy": "delete", "retention.ms": "-1",
		}},
	}
}

func TestEnsureCreatesFromScratch(t *testing.T) {
	c := newCluster(t)
	res, err := ensure(t, c, cdcTopics())
	require.NoError(t, err)
	assert.Equal(t, []string{"haina.public.customers", "haina.public.orders", "haina.schema-history"}, res.Created)
	assert.Empty(t, res.Altered)
	assert.Empty(t, res.Grown)
	assert.Empty(t, res.Unchanged)
	assert.NotNil(t, res.Unchanged, "lists are [] in JSON, never null")

	for _, want := range cdcTopics() {
		got, ok := describe(t, c, want.Name)
		require.True(t, ok, want.Name)
		assert.Equal(t, int(want.Partitions), got.partitions, want.Name)
		assert.Equal(t, int(want.ReplicationFactor), got.rf, want.Name)
		assert.Equal(t, want.Configs, got.configs, want.Name)
	}
}

func TestEnsureTwiceChangesNothing(t *testing.T) {
	c := newCluster(t)
	_, err := ensure(t, c, cdcTopics())
	require.NoError(t, err)

	w := countWrites(c)
	res, err := ensure(t, c, cdcTopics())
	require.NoError(t, err)
	assert.Empty(t, res.Created)
	assert.Empty(t, res.Altered)
	assert.Empty(t, res.Grown)
	assert.Equal(t, []string{"haina.public.customers", "haina.public.orders", "haina.schema-history"}, res.Unchanged)
	assert.Zero(t, w.total(), "an unchanged run must send no write request")
}

func TestEnsureAltersChangedConfigOnly(t *testing.T) {
	c := newCluster(t)
	topics := cdcTopics()
	// segment.ms is set at creation and then dropped from the wanted map:
	// it must be left alone, not reset.
	topics[0].Configs["segment.ms"] = "3600000"
	_, err := ensure(t, c, topics)
	require.NoError(t, err)

	topics = cdcTopics()
	topics[0].Configs["retention.ms"] = "1209600000"
	res, err := ensure(t, c, topics)
	require.NoError(t, err)
	assert.Equal(t, []string{"haina.public.orders"}, res.Altered)
	assert.Empty(t, res.Created)
	assert.Empty(t, res.Grown)
	assert.Equal(t, []string{"haina.public.customers", "haina.schema-history"}, res.Unchanged)

	got, _ := describe(t, c, "haina.public.orders")
	assert.Equal(t, map[string]string{
		"cleanup.policy": "delete", "retention.ms": "1209600000", "min.insync.replicas": "2", "segment.ms": "3600000",
	}, got.configs)
}

func TestEnsurePinsInheritedDefault(t *testing.T) {
	c := newCluster(t)
	ctx := testCtx(t)
	// Made elsewhere without configs: retention.ms is only the broker
	// default (kfake's is 604800000, Kafka's too).
	_, err := newAdmin(t, c).CreateTopic(ctx, 1, 3, nil, "legacy")
	require.NoError(t, err)

	want := []kafkatopics.Topic{{Name: "legacy", Partitions: 1, ReplicationFactor: 3, Configs: map[string]string{"retention.ms": "604800000"}}}
	res, err := ensure(t, c, want)
	require.NoError(t, err)
	assert.Equal(t, []string{"legacy"}, res.Altered, "a value only inherited is pinned on the topic")
	got, _ := describe(t, c, "legacy")
	assert.Equal(t, map[string]string{"retention.ms": "604800000"}, got.configs)

	res, err = ensure(t, c, want)
	require.NoError(t, err)
	assert.Equal(t, []string{"legacy"}, res.Unchanged)
}

func TestEnsureGrowsPartitions(t *testing.T) {
	c := newCluster(t)
	_, err := ensure(t, c, cdcTopics())
	require.NoError(t, err)

	topics := cdcTopics()
	topics[1].Partitions = 12
	topics[1].Configs["min.insync.replicas"] = "1"
	w := countWrites(c)
	res, err := ensure(t, c, topics)
	require.NoError(t, err)
	// Also shows the write counter the other tests rely on does count.
	assert.Equal(t, map[int16]int{kmsg.CreatePartitions.Int16(): 1, kmsg.IncrementalAlterConfigs.Int16(): 1}, w.snapshot())
	assert.Equal(t, []string{"haina.public.customers"}, res.Grown)
	assert.Equal(t, []string{"haina.public.customers"}, res.Altered)
	assert.Equal(t, []string{"haina.public.orders", "haina.schema-history"}, res.Unchanged)

	got, _ := describe(t, c, "haina.public.customers")
	assert.Equal(t, 12, got.partitions)
	assert.Equal(t, 3, got.rf)
	assert.Equal(t, "1", got.configs["min.insync.replicas"])
}

func TestEnsureRefusesShrinkAndChangesNothing(t *testing.T) {
	c := newCluster(t)
	_, err := ensure(t, c, cdcTopics())
	require.NoError(t, err)

	topics := cdcTopics()
	topics[0].Partitions = 3                                                                                  // refused
	topics[1].Configs["cleanup.policy"] = "delete"                                                            // would be altered
	topics[2].Partitions = 4                                                                                  // would grow
	topics = append(topics, kafkatopics.Topic{Name: "haina.public.new", Partitions: 1, ReplicationFactor: 3}) // would be created
	w := countWrites(c)
	res, err := ensure(t, c, topics)
	require.Error(t, err)
	assert.EqualError(t, err, `refused: topic "haina.public.orders" has 6 partitions, 3 wanted: a partition count can grow, never shrink`)
	assert.ErrorIs(t, err, kafkatopics.ErrRefused)
	assert.Empty(t, res.Created)
	assert.Empty(t, res.Altered)
	assert.Empty(t, res.Grown)
	assert.Zero(t, w.total(), "a refusal must come before any write")

	got, _ := describe(t, c, "haina.public.orders")
	assert.Equal(t, 6, got.partitions)
	got, _ = describe(t, c, "haina.public.customers")
	assert.Equal(t, "compact", got.configs["cleanup.policy"])
	got, _ = describe(t, c, "haina.schema-history")
	assert.Equal(t, 1, got.partitions)
	_, exists := describe(t, c, "haina.public.new")
	assert.False(t, exists)
}

func TestEnsureRefusesReplicationFactorChange(t *testing.T) {
	c := newCluster(t)
	_, err := ensure(t, c, cdcTopics())
	require.NoError(t, err)

	topics := cdcTopics()
	topics[2].ReplicationFactor = 2
	w := countWrites(c)
	_, err = ensure(t, c, topics)
	assert.EqualError(t, err, `refused: topic "haina.schema-history" has replication factor 3, 2 wanted: changing it needs a partition reassignment (kafka-reassign-partitions), which this tool does not do`)
	assert.ErrorIs(t, err, kafkatopics.ErrRefused)
	assert.Zero(t, w.total())
	got, _ := describe(t, c, "haina.schema-history")
	assert.Equal(t, 3, got.rf)
}

func TestEnsureReportsEveryRefusal(t *testing.T) {
	c := newCluster(t)
	_, err := ensure(t, c, cdcTopics())
	require.NoError(t, err)
	topics := cdcTopics()
	topics[0].Partitions = 1
	topics[1].ReplicationFactor = 1
	_, err = ensure(t, c, topics)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `topic "haina.public.orders" has 6 partitions, 1 wanted`)
	assert.Contains(t, err.Error(), `topic "haina.public.customers" has replication factor 3, 1 wanted`)
}

func TestEnsureRejectsInvalidBeforeAnyKafkaCall(t *testing.T) {
	ok := kafkatopics.Topic{Name: "fine", Partitions: 1, ReplicationFactor: 3}
	cases := map[string][]kafkatopics.Topic{
		"empty name":         {{Name: "", Partitions: 1, ReplicationFactor: 1}},
		"dot":                {{Name: ".", Partitions: 1, ReplicationFactor: 1}},
		"dotdot":             {{Name: "..", Partitions: 1, ReplicationFactor: 1}},
		"too long":           {{Name: strings.Repeat("a", 250), Partitions: 1, ReplicationFactor: 1}},
		"bad character":      {ok, {Name: "orders/2024", Partitions: 1, ReplicationFactor: 1}},
		"space":              {{Name: "my topic", Partitions: 1, ReplicationFactor: 1}},
		"zero partitions":    {ok, {Name: "p0", Partitions: 0, ReplicationFactor: 1}},
		"negative partition": {{Name: "pn", Partitions: -1, ReplicationFactor: 1}},
		"zero rf":            {{Name: "rf0", Partitions: 1, ReplicationFactor: 0}},
		"duplicate":          {ok, ok},
		"dot underscore":     {{Name: "a.b", Partitions: 1, ReplicationFactor: 1}, {Name: "a_b", Partitions: 1, ReplicationFactor: 1}},
		"empty config name":  {{Name: "cfg", Partitions: 1, ReplicationFactor: 1, Configs: map[string]string{"": "x"}}},
	}
	c := newCluster(t)
	requests := countAll(c)
	for name, topics := range cases {
		t.Run(name, func(t *testing.T) {
			// A nil client proves no call is attempted...
			_, err := kafkatopics.Ensure(testCtx(t), nil, topics)
			assert.ErrorIs(t, err, kafkatopics.ErrInvalid)
			// ...and a real one sees no request at all.
			_, err = kafkatopics.Ensure(testCtx(t), newAdmin(t, c), topics)
			assert.ErrorIs(t, err, kafkatopics.ErrInvalid)
		})
	}
	assert.Zero(t, requests(), "validation must precede every Kafka request")
	_, exists := describe(t, c, "fine")
	assert.False(t, exists, "a valid topic next to an invalid one is not created")
	assert.Positive(t, requests(), "the request counter does count")

	// 249 characters is still allowed.
	require.NoError(t, kafkatopics.ValidateTopics([]kafkatopics.Topic{{Name: strings.Repeat("a", 249), Partitions: 1, ReplicationFactor: 1}}))
}

func TestValidateReportsAllProblems(t *testing.T) {
	err := kafkatopics.ValidateTopics([]kafkatopics.Topic{
		{Name: "x y", Partitions: 1, ReplicationFactor: 1},
		{Name: "ok", Partitions: 0, ReplicationFactor: 0},
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"x y"`)
	assert.Contains(t, err.Error(), "partitions must be at least 1, got 0")
	assert.Contains(t, err.Error(), "replicationFactor must be at least 1, got 0")
}

func TestEnsureEmptyIsNoop(t *testing.T) {
	res, err := kafkatopics.Ensure(testCtx(t), nil, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{}, res.Created)
}

func TestEnsureSurfacesBrokerErrors(t *testing.T) {
	c := newCluster(t)
	// Four replicas on three brokers: Kafka's own check, passed through.
	_, err := ensure(t, c, []kafkatopics.Topic{{Name: "wide", Partitions: 1, ReplicationFactor: 4}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `creating topic "wide"`)
	assert.Contains(t, err.Error(), "INVALID_REPLICATION_FACTOR")
}

// --- Handle and the CRUD envelope ---

func decode(t *testing.T, payload string) kafkatopics.Request {
	t.Helper()
	var req kafkatopics.Request
	require.NoError(t, json.Unmarshal([]byte(payload), &req))
	return req
}

// payload builds the JSON aws.lambda.Invocation sends: the program's input
// with the "tf" key merged in, as in the provider docs.
func payload(t *testing.T, c *kfake.Cluster, topics []kafkatopics.Topic, tf string) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"bootstrap": c.ListenAddrs(), "topics": topics})
	require.NoError(t, err)
	if tf == "" {
		return string(b)
	}
	return strings.TrimSuffix(string(b), "}") + `,"tf":` + tf + `}`
}

func TestHandleCRUDEnvelope(t *testing.T) {
	c := newCluster(t)
	ctx := testCtx(t)
	calls := 0
	newAdmin := func(bootstrap []string) (*kadm.Client, error) {
		calls++
		assert.Equal(t, c.ListenAddrs(), bootstrap)
		return plainAdmin(bootstrap)
	}

	// create, with prev_input null as the provider sends it.
	req := decode(t, payload(t, c, cdcTopics(), `{"action":"create","prev_input":null}`))
	require.NotNil(t, req.TF)
	assert.Equal(t, "create", req.Action())
	res, err := kafkatopics.Handle(ctx, req, newAdmin)
	require.NoError(t, err)
	assert.Equal(t, "create", res.Action)
	assert.Len(t, res.Created, 3)

	// update: prev_input carries the old input; the new one is ensured.
	prev := payload(t, c, cdcTopics(), "")
	grown := cdcTopics()
	grown[0].Partitions = 8
	req = decode(t, payload(t, c, grown, `{"action":"update","prev_input":`+prev+`}`))
	assert.JSONEq(t, prev, string(req.TF.PrevInput))
	res, err = kafkatopics.Handle(ctx, req, newAdmin)
	require.NoError(t, err)
	assert.Equal(t, "update", res.Action)
	assert.Equal(t, []string{"haina.public.orders"}, res.Grown)

	// update that drops a topic from the list: it is kept.
	req = decode(t, payload(t, c, grown[:1], `{"action":"update","prev_input":`+prev+`}`))
	res, err = kafkatopics.Handle(ctx, req, newAdmin)
	require.NoError(t, err)
	assert.Equal(t, []string{"haina.public.orders"}, res.Unchanged)
	_, exists := describe(t, c, "haina.schema-history")
	assert.True(t, exists)

	// no "tf" key (CREATE_ONLY scope, or a manual invoke): a create.
	req = decode(t, payload(t, c, grown, ""))
	assert.Nil(t, req.TF)
	res, err = kafkatopics.Handle(ctx, req, newAdmin)
	require.NoError(t, err)
	assert.Equal(t, "create", res.Action)
	assert.Len(t, res.Unchanged, 3)
	assert.Equal(t, 4, calls)
}

func TestHandleDeleteIsNoop(t *testing.T) {
	c := newCluster(t)
	_, err := ensure(t, c, cdcTopics())
	require.NoError(t, err)
	requests := countAll(c)

	req := decode(t, payload(t, c, cdcTopics(), `{"action":"delete","prev_input":{"bootstrap":["gone:9098"],"topics":[]}}`))
	res, err := kafkatopics.Handle(testCtx(t), req, func([]string) (*kadm.Client, error) {
		t.Error("delete must not connect")
		return nil, errors.New("unexpected")
	})
	require.NoError(t, err)
	assert.Equal(t, "delete", res.Action)
	assert.Equal(t, kafkatopics.DeleteNote, res.Note)
	assert.Zero(t, requests())
	for _, topic := range cdcTopics() {
		_, exists := describe(t, c, topic.Name)
		assert.True(t, exists, topic.Name)
	}

	// Even a request that would not validate deletes cleanly: a destroy
	// must never be blocked by this resource.
	res, err = kafkatopics.Handle(testCtx(t), decode(t, `{"tf":{"action":"delete"}}`), nil)
	require.NoError(t, err)
	assert.Equal(t, "delete", res.Action)
}

func TestHandleRejectsBadRequests(t *testing.T) {
	never := func([]string) (*kadm.Client, error) {
		t.Error("an invalid request must not connect")
		return nil, errors.New("unexpected")
	}
	topics := `[{"name":"t","partitions":1,"replicationFactor":3}]`
	cases := map[string]string{
		"unknown action":   `{"bootstrap":["b:9098"],"topics":` + topics + `,"tf":{"action":"replace"}}`,
		"no bootstrap":     `{"topics":` + topics + `}`,
		"joined bootstrap": `{"bootstrap":["b-1:9098,b-2:9098"],"topics":` + topics + `}`,
		"no port":          `{"bootstrap":["b-1"],"topics":` + topics + `}`,
		"no topics":        `{"bootstrap":["b:9098"],"topics":[]}`,
		"bad topic":        `{"bootstrap":["b:9098"],"topics":[{"name":"t","partitions":0,"replicationFactor":3}]}`,
	}
	for name, p := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := kafkatopics.Handle(testCtx(t), decode(t, p), never)
			assert.ErrorIs(t, err, kafkatopics.ErrInvalid)
		})
	}
}
