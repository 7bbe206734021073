package tests

import (
	"context"
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/haina-data/haina/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The SQL object's inputs are written three times: the provider's schema
// (what `pulumi package get-schema` shows), the provider's struct tags (what
// it decodes) and the keys the components send. They must agree: a key the
// schema lacks is undocumented, a key the struct lacks is silently ignored.
func TestProviderSchemaTagsAndComponentInputsAgree(t *testing.T) {
	resp, err := provider.NewServer().GetSchema(context.Background(), &pulumirpc.GetSchemaRequest{})
	require.NoError(t, err)
	var schema struct {
		Resources map[string]struct {
			InputProperties map[string]any `json:"inputProperties"`
		} `json:"resources"`
	}
	require.NoError(t, json.Unmarshal([]byte(resp.GetSchema()), &schema))

	tags := map[string]bool{}
	st := reflect.TypeOf(provider.SqlObject{})
	for i := 0; i < st.NumField(); i++ {
		if name := strings.Split(st.Field(i).Tag.Get("json"), ",")[0]; name != "" && name != "-" {
			tags[name] = true
		}
	}

	// Keys only one kind of target takes.
	only := map[string]string{"workgroupName": "haina:redshift:SqlObject", "clusterIdentifier": "haina:redshift:SqlObject", "nonTransactional": "haina:redshift:SqlObject",
		"resourceArn": "haina:mysql:SqlObject", "passwordSecretArn": "haina:mysql:SqlObject",
		"passwordUsername": "haina:mysql:SqlObject", "rotation": "haina:mysql:SqlObject"}
	for _, typ := range []string{"haina:redshift:SqlObject", "haina:mysql:SqlObject"} {
		res, ok := schema.Resources[typ]
		require.True(t, ok, "schema has %s", typ)
		var want []string
		for k := range tags {
			if o, ok := only[k]; !ok || o == typ {
				want = append(want, k)
			}
		}
		var got []string
		for k := range res.InputProperties {
			got = append(got, k)
		}
		sort.Strings(want)
		sort.Strings(got)
		assert.Equal(t, want, got, "%s: schema inputProperties vs provider.SqlObject's json tags", typ)

		// What both stacks actually send (every option on in one or the other).
		for _, stack := range stacks {
			g := evaluate(t, stack, nil)
			for _, r := range g.OfType(typ) {
				for k := range r.Inputs {
					if _, ok := res.InputProperties[string(k)]; !ok {
						t.Errorf("%s %s (%s) sends %q, which the schema does not declare", typ, r.Name, stack, k)
					}
				}
			}
		}
	}
}
