package tests

import (
	"sort"
	"strings"
	"testing"

	"github.com/haina-data/haina/tests/harness"
	"github.com/haina-data/haina/tests/iameval"
	"github.com/stretchr/testify/require"
)

// stateOf turns the mock graph into the evaluator's resources: type, name and
// state (inputs plus what the fake cloud computed), as an exported stack lists them.
func stateOf(g *harness.Graph) []iameval.Resource {
	out := make([]iameval.Resource, 0, len(g.Resources))
	for _, r := range g.Resources {
		out = append(out, iameval.Resource{Type: r.Type, Name: r.Name, State: r.State.Mappable()})
	}
	return out
}

// dataPathVariants are the configurations whose data paths differ: each
// stack as it is, with Redshift delivery by auto-copy (the copy-from-lake
// policy on the streaming role, the S3 event integration), and staging with
// Firehose's direct Redshift destination.
var dataPathVariants = []struct {
	stack, name string
	overrides   map[string]string
	// want are path-name prefixes that must be among the checked paths.
	want []string
}{
	{"staging", "default", nil, nil},
	{"production", "default", nil, nil},
	{"staging", "copy-job", map[string]string{"haina:redshiftDelivery": `{"enabled":true}`}, []string{"Redshift auto-copy ← S3", "Firehose haina-staging-redshift-events"}},
	{"production", "copy-job", map[string]string{"haina:redshiftDelivery": `{"enabled":true}`}, []string{"Redshift auto-copy ← S3", "Firehose haina-production-redshift-events"}},
	{"staging", "direct", map[string]string{
		// Direct mode needs a public workgroup in a VPC with an internet gateway (an existing one).
		"haina:network":          `{"vpcId":"vpc-0123456789abcdef0","subnetIds":["subnet-0aaaaaaaaaaaaaaa1","subnet-0aaaaaaaaaaaaaaa2","subnet-0aaaaaaaaaaaaaaa3"]}`,
		"haina:warehouse":        `{"publiclyAccessible":true}`,
		"haina:redshiftDelivery": `{"enabled":true,"mode":"direct"}`,
	}, []string{"Firehose haina-staging-redshift-events"}},
	// A provisioned cluster: the schedule signs in as its database user (GetClusterCredentials).
	{"production", "provisioned", map[string]string{"haina:warehouse": `{"kind":"provisioned"}`},
		[]string{"Lambda haina-production-health → Redshift Data API (cluster)"}},
}

// Every data path's AWS-service calls, as AWS documents them, are allowed by
// the roles haina declares, and every trust admits the service with the
// context AWS sends (and refuses a foreign one where AWS documents a
// condition). The call lists and their documents are in tests/iameval/datapaths.go.
// Inside: a mutation self-check per call (remove the action from every
// statement naming it: the call must become denied, so no wildcard grants it
// by accident) and no Allow anywhere with Action "*" or "service:*".
func TestDataPaths(t *testing.T) {
	for _, v := range dataPathVariants {
		t.Run(v.stack+"-"+v.name, func(t *testing.T) {
			g := evaluate(t, v.stack, v.overrides)
			problems, paths, err := iameval.CheckAll(stateOf(g))
			require.NoError(t, err)

			var names []string
			for _, p := range paths {
				names = append(names, p.Name)
			}
			// Every data path of haina is modelled in every stack.
			for _, prefix := range append([]string{
				"Redshift → Kinesis ", "Redshift → MSK ", "MSK Connect ",
				"EventBridge Scheduler default/", "Lambda haina-" + v.stack + "-producer ", "Firehose haina-" + v.stack + "-events-lake ",
				"Firehose haina-" + v.stack + "-vpcflowlogs ", "CloudWatch Logs /haina/haina-" + v.stack + "-vpcflowlogs → Firehose",
				"VPC flow log ", "CloudWatch alarms → SNS ",
				"EventBridge Scheduler haina-" + v.stack + "-refresh/refresh-views → Lambda", "Lambda haina-" + v.stack + "-health → Redshift Data API",
			}, v.want...) {
				found := false
				for _, n := range names {
					found = found || strings.HasPrefix(n, prefix)
				}
				if !found {
					t.Errorf("no data path %q among %v", prefix, names)
				}
			}
			for _, p := range paths {
				calls := 0
				for _, cl := range p.Calls {
					calls += len(cl.Calls)
				}
				t.Logf("%s: %d calls, %d service calls, %d trusts", p.Name, calls, len(p.ServiceCalls), len(p.Trust))
			}

			keys := make([]string, 0, len(problems))
			for k := range problems {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				name := k
				if name == "" {
					name = "no wildcard grants"
				}
				for _, msg := range problems[k] {
					t.Errorf("%s: %s", name, msg)
				}
			}
		})
	}
}

// The check catches a missing grant: with kinesis:GetRecords taken out of the
// streaming role's policy, Redshift's read of the stream is reported denied.
func TestDataPathsCatchARemovedGrant(t *testing.T) {
	g := evaluate(t, "staging", nil)
	res := stateOf(g)
	removed := false
	for i, r := range res {
		if r.Type == "aws:iam/rolePolicy:RolePolicy" && r.State["name"] == "streaming-ingestion" {
			p, err := iameval.Parse(r.Name, r.State["policy"].(string))
			require.NoError(t, err)
			mutated := iameval.WithoutAction([]*iameval.Policy{p}, "kinesis:GetRecords")
			require.Len(t, mutated, 1)
			state := map[string]any{}
			for k, v := range r.State {
				state[k] = v
			}
			state["policy"] = mutated[0].JSON()
			res[i].State, removed = state, true
		}
	}
	require.True(t, removed, "the streaming role's policy is in the graph")
	problems, _, err := iameval.CheckAll(res)
	require.NoError(t, err)
	var hit bool
	for path, msgs := range problems {
		for _, m := range msgs {
			if strings.HasPrefix(path, "Redshift → Kinesis ") && strings.Contains(m, "kinesis:GetRecords on arn:aws:kinesis:") && strings.Contains(m, "is denied") {
				hit = true
			}
		}
	}
	require.True(t, hit, "a removed grant is reported: %v", problems)
}
