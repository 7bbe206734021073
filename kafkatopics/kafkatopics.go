// Package kafkatopics makes the CDC change topics exist on the MSK cluster
// before Debezium starts writing. The cluster runs with auto-create off, so a
// topic that is not made here up front does not exist at all.
//
// The logic is kept free of AWS so that it can be tested against an
// in-process kfake cluster; cmd/topics-lambda wires TLS and IAM around it.
package kafkatopics

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Topic is one topic as it should be.
type Topic struct {
	Name              string            `json:"name"`
	Partitions        int32             `json:"partitions"`
	ReplicationFactor int16             `json:"replicationFactor"`
	Configs           map[string]string `json:"configs,omitempty"`
}

// Result says what Ensure did, topic by topic. Every list is sorted and is
// never nil, so the JSON always carries all four keys. A topic can be in
// both Grown and Altered.
type Result struct {
	// Action is the lifecycle action Handle served; Ensure leaves it empty.
	Action    string   `json:"action,omitempty"`
	Created   []string `json:"created"`
	Altered   []string `json:"altered"`
	Grown     []string `json:"grown"`
	Unchanged []string `json:"unchanged"`
	// Note explains a run that did nothing on purpose (a delete).
	Note string `json:"note,omitempty"`
}

func newResult() Result {
	return Result{Created: []string{}, Altered: []string{}, Grown: []string{}, Unchanged: []string{}}
}

func (r *Result) sort() {
	slices.Sort(r.Created)
	slices.Sort(r.Altered)
	slices.Sort(r.Grown)
	slices.Sort(r.Unchanged)
}

var (
	// ErrInvalid marks a request refused by validation, before any call
	// to Kafka.
	ErrInvalid = errors.New("invalid topic request")
	// ErrRefused marks a change Ensure will not make (a partition shrink,
	// a replication factor change). When Ensure returns it, nothing was
	// changed.
	ErrRefused = errors.New("refused")
)

// maxTopicNameLen is Kafka's own limit (Topic.MAX_NAME_LENGTH).
const maxTopicNameLen = 249

// ValidateTopics checks topics the way the broker would, so that a bad
// request fails as a whole instead of half-applied. All problems are
// reported at once.
func ValidateTopics(topics []Topic) error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...))
	}
	seen := make(map[string]bool, len(topics))
	// Kafka refuses two topics whose names differ only by '.' versus '_'
	// (they clash in metric names), so catch that here too.
	normalized := make(map[string]string, len(topics))
	for i, t := range topics {
		if err := validName(t.Name); err != nil {
			bad("topic #%d %q: %v", i, t.Name, err)
			continue
		}
		if seen[t.Name] {
			bad("topic %q is listed twice", t.Name)
			continue
		}
		seen[t.Name] = true
		n := strings.ReplaceAll(t.Name, ".", "_")
		if other, ok := normalized[n]; ok {
			bad("topics %q and %q differ only by '.' versus '_', which Kafka does not allow", other, t.Name)
		}
		normalized[n] = t.Name
		if t.Partitions < 1 {
			bad("topic %q: partitions must be at least 1, got %d", t.Name, t.Partitions)
		}
		if t.ReplicationFactor < 1 {
			bad("topic %q: replicationFactor must be at least 1, got %d", t.Name, t.ReplicationFactor)
		}
		for k := range t.Configs {
			if strings.TrimSpace(k) == "" {
				bad("topic %q: a config has an empty name", t.Name)
			}
		}
	}
	return errors.Join(errs...)
}

func validName(name string) error {
	switch {
	case name == "":
		return errors.New("name is empty")
	case name == "." || name == "..":
		return errors.New(`"." and ".." are not allowed`)
	case len(name) > maxTopicNameLen:
		return fmt.Errorf("name is %d characters, the maximum is %d", len(name), maxTopicNameLen)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("character %q is not allowed; use only [a-zA-Z0-9._-]", r)
		}
	}
	return nil
}

// Ensure makes each topic exist as described, and is safe to run again and
// again. Missing topics are created. Existing ones are grown to the wanted
// partition count and get every wanted config that differs SET (configs not
// named in Topic.Configs are left alone). A topic that would have to shrink
// or change its replication factor is refused: all of that is checked before
// the first change, so a refusal changes nothing.
//
// Topic metadata is read through adm's cache (kgo.MetadataMinAge, 5s by
// default), so give Ensure a fresh client, as the Lambda does per run:
// a topic created moments ago through the same client may still look
// missing, and creating it again fails with TOPIC_ALREADY_EXISTS.
//
// On an error after changes began, the Result lists what was done so far;
// running Ensure again finishes the job.
func Ensure(ctx context.Context, adm *kadm.Client, topics []Topic) (Result, error) {
	res := newResult()
	if err := ValidateTopics(topics); err != nil {
		return res, err
	}
	if len(topics) == 0 {
		return res, nil
	}
	if adm == nil {
		return res, errors.New("kafkatopics: no admin client")
	}

	p, err := plan(ctx, adm, topics)
	if err != nil {
		return res, err
	}

	// Apply. Each topic has its own counts and configs, so each is its own
	// request; a deploy has a handful of topics, not thousands.
	for _, t := range p.create {
		resp, err := adm.CreateTopic(ctx, t.Partitions, t.ReplicationFactor, strPtrs(t.Configs), t.Name)
		if err != nil {
			hint := ""
			if errors.Is(err, kerr.TopicAlreadyExists) {
				hint = "; it was missing when listed: created meanwhile by someone else, or listed through a reused client's stale metadata; run again"
			}
			res.sort()
			return res, fmt.Errorf("creating topic %q: %w%s%s", t.Name, err, msgSuffix(resp.ErrMessage), hint)
		}
		res.Created = append(res.Created, t.Name)
	}
	for _, t := range p.grow {
		resps, err := adm.UpdatePartitions(ctx, int(t.Partitions), t.Name)
		if err == nil {
			var r kadm.CreatePartitionsResponse
			r, err = resps.On(t.Name, nil)
			if err == nil && r.Err != nil {
				err = fmt.Errorf("%w%s", r.Err, msgSuffix(r.ErrMessage))
			}
		}
		if err != nil {
			res.sort()
			return res, fmt.Errorf("growing topic %q to %d partitions: %w", t.Name, t.Partitions, err)
		}
		res.Grown = append(res.Grown, t.Name)
	}
	for _, a := range p.alter {
		resps, err := adm.AlterTopicConfigs(ctx, a.configs, a.topic)
		if err == nil {
			var r kadm.AlterConfigsResponse
			r, err = resps.On(a.topic, nil)
			if err == nil && r.Err != nil {
				err = fmt.Errorf("%w%s", r.Err, msgSuffix(r.ErrMessage))
			}
		}
		if err != nil {
			res.sort()
			return res, fmt.Errorf("altering configs %v of topic %q: %w", configNames(a.configs), a.topic, err)
		}
		res.Altered = append(res.Altered, a.topic)
	}
	res.Unchanged = append(res.Unchanged, p.unchanged...)
	res.sort()
	return res, nil
}

type alteration struct {
	topic   string
	configs []kadm.AlterConfig
}

type changes struct {
	create    []Topic
	grow      []Topic
	alter     []alteration
	unchanged []string
}

// plan reads the cluster and decides every change, refusing before any is
// made.
func plan(ctx context.Context, adm *kadm.Client, topics []Topic) (changes, error) {
	var p changes
	names := make([]string, len(topics))
	for i, t := range topics {
		names[i] = t.Name
	}
	// The cluster runs with auto.create.topics.enable=false; on a cluster
	// with it on, this metadata request would itself create the topics with
	// broker defaults.
	details, err := adm.ListTopics(ctx, names...)
	if err != nil {
		return p, fmt.Errorf("listing topics: %w", err)
	}

	var refusals []error
	var existing []Topic
	for _, t := range topics {
		d, ok := details[t.Name]
		if !ok || errors.Is(d.Err, kerr.UnknownTopicOrPartition) {
			p.create = append(p.create, t)
			continue
		}
		if d.Err != nil {
			return p, fmt.Errorf("describing topic %q: %w", t.Name, d.Err)
		}
		have := int32(len(d.Partitions))
		switch {
		case have > t.Partitions:
			refusals = append(refusals, fmt.Errorf("%w: topic %q has %d partitions, %d wanted: a partition count can grow, never shrink",
				ErrRefused, t.Name, have, t.Partitions))
		case have < t.Partitions:
			p.grow = append(p.grow, t)
		}
		if rf, ok := replicationFactor(d); !ok || rf != t.ReplicationFactor {
			refusals = append(refusals, fmt.Errorf("%w: topic %q has replication factor %s, %d wanted: changing it needs a partition reassignment (kafka-reassign-partitions), which this tool does not do",
				ErrRefused, t.Name, rfString(d), t.ReplicationFactor))
		}
		existing = append(existing, t)
	}

	if len(refusals) > 0 {
		return p, errors.Join(refusals...)
	}
	if p.alter, err = configChanges(ctx, adm, existing); err != nil {
		return p, err
	}

	touched := make(map[string]bool)
	for _, t := range p.grow {
		touched[t.Name] = true
	}
	for _, a := range p.alter {
		touched[a.topic] = true
	}
	for _, t := range existing {
		if !touched[t.Name] {
			p.unchanged = append(p.unchanged, t.Name)
		}
	}
	return p, nil
}

// replicationFactor is the replica count shared by all partitions; ok is
// false when partitions disagree (a half-done reassignment).
func replicationFactor(d kadm.TopicDetail) (int16, bool) {
	rf := -1
	for _, p := range d.Partitions {
		n := len(p.Replicas)
		if rf != -1 && n != rf {
			return 0, false
		}
		rf = n
	}
	return int16(rf), rf >= 0
}

func rfString(d kadm.TopicDetail) string {
	if rf, ok := replicationFactor(d); ok {
		return fmt.Sprint(rf)
	}
	var counts []int
	for _, p := range d.Partitions.Sorted() {
		counts = append(counts, len(p.Replicas))
	}
	return fmt.Sprintf("varying by partition %v", counts)
}

// configChanges returns the SETs needed on existing topics. A wanted value
// that the topic only inherits from a broker default is SET too: pinned on
// the topic, it no longer follows a later cluster-wide change, which matters
// for settings like retention.ms and cleanup.policy that decide whether the
// change history is kept.
func configChanges(ctx context.Context, adm *kadm.Client, topics []Topic) ([]alteration, error) {
	var names []string
	for _, t := range topics {
		if len(t.Configs) > 0 {
			names = append(names, t.Name)
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, names...)
	if err != nil {
		return nil, fmt.Errorf("describing topic configs: %w", err)
	}
	var out []alteration
	for _, t := range topics {
		if len(t.Configs) == 0 {
			continue
		}
		rc, err := rcs.On(t.Name, nil)
		if err == nil {
			err = rc.Err
		}
		if err != nil {
			return nil, fmt.Errorf("describing configs of topic %q: %w%s", t.Name, err, msgSuffix(rc.ErrMessage))
		}
		current := make(map[string]kadm.Config, len(rc.Configs))
		for _, c := range rc.Configs {
			current[c.Key] = c
		}
		var sets []kadm.AlterConfig
		for _, k := range sortedKeys(t.Configs) {
			want := t.Configs[k]
			c, ok := current[k]
			pinned := c.Source == kmsg.ConfigSourceDynamicTopicConfig || c.Source == kmsg.ConfigSourceUnknown
			if ok && c.Value != nil && *c.Value == want && pinned {
				continue
			}
			sets = append(sets, kadm.AlterConfig{Op: kadm.SetConfig, Name: k, Value: kadm.StringPtr(want)})
		}
		if len(sets) > 0 {
			out = append(out, alteration{topic: t.Name, configs: sets})
		}
	}
	return out, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func strPtrs(m map[string]string) map[string]*string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]*string, len(m))
	for k, v := range m {
		out[k] = kadm.StringPtr(v)
	}
	return out
}

func configNames(cs []kadm.AlterConfig) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}

func msgSuffix(msg string) string {
	if msg == "" {
		return ""
	}
	return " (" + msg + ")"
}
