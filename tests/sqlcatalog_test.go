package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/redshiftdata"
	"github.com/haina-data/haina/provider"
	"github.com/haina-data/haina/tests/fakeredshift"
	"github.com/haina-data/haina/tests/harness"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// catalogObject is one Redshift SqlObject of a stack, as the provider would run it.
type catalogObject struct {
	key              string // type::name, what dependency URNs end with
	name             string
	deps             []string // keys of the SqlObjects it depends on
	create, drop     []string
	exists           string
	nonTransactional bool
	unknown          string // why it cannot run under mocks ("" = it can)
}

// urnKey turns a URN (urn:pulumi:stack::project::parent$…$type::name) into type::name.
func urnKey(urn string) string {
	parts := strings.Split(urn, "::")
	if len(parts) < 4 {
		return urn
	}
	typ := parts[2]
	if i := strings.LastIndex(typ, "$"); i >= 0 {
		typ = typ[i+1:]
	}
	return typ + "::" + strings.Join(parts[3:], "::")
}

func stringsOf(v resource.PropertyValue) ([]string, bool) {
	if v.ContainsUnknowns() {
		return nil, false
	}
	var out []string
	if v.IsArray() {
		for _, e := range v.ArrayValue() {
			if !e.IsString() {
				return nil, false
			}
			out = append(out, e.StringValue())
		}
	}
	return out, true
}

// redshiftObjects collects the stack's Redshift SqlObjects in an order that
// creates every object after those it depends on (Kahn's algorithm, ties by
// registration order).
func redshiftObjects(t *testing.T, g *harness.Graph) []catalogObject {
	t.Helper()
	var objs []catalogObject
	index := map[string]int{}
	for _, r := range g.OfType(tSQL) {
		o := catalogObject{key: r.Type + "::" + r.Name, name: r.Name}
		var ok bool
		if o.create, ok = stringsOf(r.Inputs["create"]); !ok {
			o.unknown = "create is unknown under mocks (a late-rendered value)"
		}
		if o.drop, ok = stringsOf(r.Inputs["drop"]); !ok && o.unknown == "" {
			o.unknown = "drop is unknown under mocks"
		}
		if e := r.Inputs["exists"]; e.IsString() {
			o.exists = e.StringValue()
		}
		if nt := r.Inputs["nonTransactional"]; nt.IsBool() {
			o.nonTransactional = nt.BoolValue()
		}
		for _, d := range r.Dependencies {
			if k := urnKey(d); strings.HasPrefix(k, tSQL+"::") {
				o.deps = append(o.deps, k)
			}
		}
		index[o.key] = len(objs)
		objs = append(objs, o)
	}
	indegree := make([]int, len(objs))
	users := map[string][]int{}
	for i, o := range objs {
		for _, d := range o.deps {
			_, known := index[d]
			require.True(t, known, "%s depends on %s, which is not a SqlObject of the graph", o.name, d)
			indegree[i]++
			users[d] = append(users[d], i)
		}
	}
	var ready, order []int
	for i := range objs {
		if indegree[i] == 0 {
			ready = append(ready, i)
		}
	}
	for len(ready) > 0 {
		sort.Ints(ready)
		i := ready[0]
		ready = ready[1:]
		order = append(order, i)
		for _, u := range users[objs[i].key] {
			if indegree[u]--; indegree[u] == 0 {
				ready = append(ready, u)
			}
		}
	}
	require.Len(t, order, len(objs), "the SqlObjects' dependencies form a cycle")
	out := make([]catalogObject, len(order))
	for i, j := range order {
		out[i] = objs[j]
	}
	return out
}

// TestSQLCatalogBothStacks creates every Redshift SqlObject of each stack, in
// dependency order, each one's create list as the provider runs it (one
// BatchExecuteStatement, or statement by statement for a non-transactional
// object), against a fake Redshift whose catalog refuses what Redshift
// refuses; then drops them in reverse order and expects an empty database.
func TestSQLCatalogBothStacks(t *testing.T) {
	cases := []struct {
		name, stack string
		overrides   map[string]string
	}{
		{"staging", "staging", nil},
		{"production", "production", nil},
		// The auto-copy job (COPY JOB), off in both stacks' files.
		{"staging+redshiftDelivery", "staging", map[string]string{"haina:redshiftDelivery": `{"enabled":true}`}},
		// A provisioned cluster: the schedule's database user comes too.
		{"production+provisioned", "production", map[string]string{"haina:warehouse": `{"kind":"provisioned"}`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := evaluate(t, c.stack, c.overrides)
			streams := g.OfType("aws:kinesis/stream:Stream")
			require.Len(t, streams, 1)
			stream, _ := out(streams[0])["name"].(string)
			require.NotEmpty(t, stream)

			fake := fakeredshift.Start()
			t.Cleanup(fake.Close)
			cat := fakeredshift.NewCatalog()
			cat.StreamExists = func(name string) bool { return name == stream }
			// The topics that exist are those the topics function is asked to create.
			var topics []string
			for _, inv := range g.OfType("aws:lambda/invocation:Invocation") {
				var req struct {
					Topics []struct {
						Name string `json:"name"`
					} `json:"topics"`
				}
				require.NoError(t, json.Unmarshal([]byte(in(inv)["input"].(string)), &req))
				for _, tp := range req.Topics {
					topics = append(topics, tp.Name)
				}
			}
			cat.TopicExists = func(topic string) bool { return slices.Contains(topics, topic) }
			fake.Catalog = cat
			run := &provider.Runner{
				API: redshiftdata.New(redshiftdata.Options{
					Region: "us-east-1", BaseEndpoint: aws.String(fake.URL),
					Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
				}),
				PollInitial: time.Millisecond, PollMax: 5 * time.Millisecond,
			}
			target := provider.Target{WorkgroupName: "haina-" + c.stack, Database: "haina"}
			if strings.Contains(c.overrides["haina:warehouse"], "provisioned") {
				target = provider.Target{ClusterIdentifier: "haina-" + c.stack, Database: "haina"}
			}
			ctx := context.Background()
			exec := func(o catalogObject, sqls []string) error {
				if !o.nonTransactional {
					return run.Batch(ctx, target, sqls, time.Minute)
				}
				for i, q := range sqls {
					if _, err := run.Query(ctx, target, q, time.Minute); err != nil {
						return fmt.Errorf("statement %d of %d, on its own: %w", i+1, len(sqls), err)
					}
				}
				return nil
			}
			exists := func(o catalogObject) int64 {
				rows, err := run.Query(ctx, target, o.exists, time.Minute)
				require.NoError(t, err, "%s: exists query", o.name)
				return rows
			}

			objs := redshiftObjects(t, g)
			require.NotEmpty(t, objs)
			var created []catalogObject
			for _, o := range objs {
				if o.unknown != "" {
					t.Logf("skipping %s: %s", o.name, o.unknown)
					continue
				}
				if err := exec(o, o.create); err != nil {
					t.Errorf("creating %s: %v", o.name, err)
					continue
				}
				assert.Equal(t, int64(1), exists(o), "%s exists once created", o.name)
				created = append(created, o)
			}
			for i := len(created) - 1; i >= 0; i-- {
				o := created[i]
				if err := exec(o, o.drop); err != nil {
					t.Errorf("dropping %s: %v", o.name, err)
					continue
				}
				assert.Equal(t, int64(0), exists(o), "%s is gone once dropped", o.name)
			}
			names := make([]string, len(created))
			for i, o := range created {
				names[i] = o.name
			}
			t.Logf("created and dropped %d of %d objects: %s", len(created), len(objs), strings.Join(names, ", "))
			assert.Empty(t, cat.Objects(), "everything created was dropped")
		})
	}
}
