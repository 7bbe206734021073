package tests

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The destroy guard depends on every other resource of the stack, so a destroy
// has to delete it first; in production it is protected, so a refused destroy
// stops there before deleting anything (the engine test shows it).
func TestDestroyGuardDependsOnEverything(t *testing.T) {
	cases := []struct {
		name, stack string
		overrides   map[string]string
	}{
		{"staging", "staging", nil},
		{"production", "production", nil},
		{"production with every option", "production", map[string]string{
			"haina:redshiftDelivery": `{"enabled":true}`,
			"haina:logShipper":       `{"enabled":true,"subnetId":"subnet-0aaaaaaaaaaaaaaaa"}`,
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Several evaluations: the guard's dependencies are gathered while
			// other registrations run concurrently; none may be missed.
			for i := 0; i < 5; i++ {
				g := evaluate(t, c.stack, c.overrides)
				guard := one(t, g, "aws:ssm/parameter:Parameter", "haina-destroy-guard")
				assert.Equal(t, c.stack == "production", guard.Protect, "protected with the stateful resources")
				assert.Equal(t, "/haina/haina-"+c.stack+"/destroy-guard", in(guard)["name"])
				deps := map[string]bool{}
				for _, d := range guard.Dependencies {
					deps[d[strings.LastIndex(d, "$")+1:]] = true
				}
				missed := 0
				for _, r := range g.Resources {
					if !r.Custom || r.URN == guard.URN || strings.HasPrefix(r.Type, "pulumi:providers:") {
						continue
					}
					if !deps[r.Type+"::"+r.Name] {
						missed++
						t.Errorf("run %d: the guard does not depend on %s %s", i, r.Type, r.Name)
					}
				}
				assert.Zero(t, missed)
			}
		})
	}
}
