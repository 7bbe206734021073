package components

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// A refused destroy must harm nothing. The engine deletes resources in reverse
// dependency order and stops at the first protected one, so protecting only the
// stateful resources lets it delete whatever it reaches first: the lake
// bucket's policies and versioning, the Firehose streams (a new one reads the
// stream from LATEST: a gap in the lake), the apply procedures, the binlog
// setting... The guard is one protected resource that depends on every other
// one: a destroy must delete it first, is refused there, and nothing else goes.
// Lifting haina:protect (the documented teardown) lifts the guard's protection too.

// DestroyGuard is a small SSM parameter (free, standard tier) naming the
// deployment; what matters is where it sits in the dependency graph.
type DestroyGuard struct {
	Parameter *ssm.Parameter
}

// newDestroyGuard declares the guard once everything else is declared,
// depending on each of the given resources (every custom resource under the
// pipeline, collected as each was registered: see NewPipeline).
func newDestroyGuard(ctx *pulumi.Context, name string, args *PipelineArgs, guarded []pulumi.Resource,
	opts ...pulumi.ResourceOption) (*DestroyGuard, error) {
	value, err := json.Marshal(map[string]any{
		"environment": args.Environment, "prefix": args.Prefix, "protected": args.Protect,
		"note": "haina: while this parameter is protected, pulumi destroy is refused before it deletes anything",
	})
	if err != nil {
		return nil, err
	}
	p, err := ssm.NewParameter(ctx, name+"-destroy-guard", &ssm.ParameterArgs{
		Name:        pulumi.String(fmt.Sprintf("/haina/%s-%s/destroy-guard", args.Prefix, args.Environment)),
		Description: pulumi.String("haina: guards the deployment against a partial destroy"),
		Type:        pulumi.String("String"),
		Tier:        pulumi.String("Standard"),
		Value:       pulumi.String(string(value)),
		Tags:        args.AllTags(),
	}, append(opts, pulumi.Protect(args.Protect), pulumi.DependsOn(guarded))...)
	if err != nil {
		return nil, err
	}
	return &DestroyGuard{Parameter: p}, nil
}

// collector records every custom resource registered under a component, as it
// is registered (a resource transformation runs synchronously at registration
// and is inherited by every descendant), so the guard can depend on each.
type collector struct {
	mu        sync.Mutex
	resources []pulumi.Resource
}

func (c *collector) transformation(a *pulumi.ResourceTransformationArgs) *pulumi.ResourceTransformationResult {
	if _, custom := a.Resource.(pulumi.CustomResource); custom {
		if _, provider := a.Resource.(pulumi.ProviderResource); !provider {
			c.mu.Lock()
			c.resources = append(c.resources, a.Resource)
			c.mu.Unlock()
		}
	}
	return nil // the resource is registered unchanged
}

func (c *collector) all() []pulumi.Resource {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]pulumi.Resource(nil), c.resources...)
}
