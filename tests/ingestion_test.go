package tests

import (
	"strings"
	"testing"

	"github.com/haina-data/haina/tests/harness"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const tSQL = "haina:redshift:SqlObject"

// dependsOn reports whether r lists a dependency on the resource of a type and name.
func dependsOn(r harness.Resource, token, name string) bool {
	for _, d := range r.Dependencies {
		if strings.HasSuffix(d, "::"+name) && strings.Contains(d, token) {
			return true
		}
	}
	return false
}

func TestIngestionSQLObjectsInBothStacks(t *testing.T) {
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			g := evaluate(t, stack, nil)
			var objs []harness.Resource
			for _, o := range g.OfType(tSQL) {
				if strings.Contains(o.Parent, "haina:ingestion:Ingestion") {
					objs = append(objs, o)
				}
			}
			require.Len(t, objs, 7, "the five ingestion objects, the refresh role and the refresh procedure")

			prov := one(t, g, "pulumi:providers:haina", "haina-sql")
			assert.Equal(t, "us-east-1", in(prov)["region"])

			ns := out(one(t, g, tNamespace, "haina"))
			for _, o := range objs {
				i := in(o)
				assert.Equal(t, "haina-"+stack, i["workgroupName"], o.Name)
				assert.Equal(t, "haina", i["database"], o.Name)
				assert.Equal(t, ns["adminPasswordSecretArn"], i["secretArn"], "%s runs as the namespace admin", o.Name)
				assert.Equal(t, 600.0, i["timeoutSeconds"], o.Name)
				assert.Contains(t, o.Parent, "haina:ingestion:Ingestion")
			}

			schema := one(t, g, tSQL, "haina-kinesis-schema")
			assert.Equal(t, []any{"CREATE EXTERNAL SCHEMA IF NOT EXISTS \"kds\"\nFROM KINESIS\nIAM_ROLE default"}, in(schema)["create"])
			for _, dep := range [][2]string{{tWorkgroup, "haina"}, {tNamespace, "haina"}, {tPolicy, "haina-streaming"}, {tStream, "haina-events"}} {
				assert.True(t, dependsOn(schema, dep[0], dep[1]), "the external schema waits for %s %s", dep[0], dep[1])
			}

			landing := one(t, g, tSQL, "haina-landing")
			li := in(landing)
			assert.Equal(t, "materialized-view", li["kind"])
			assert.Equal(t, `"ingest"."events_landing"`, li["objectName"])
			assert.Contains(t, li["create"].([]any)[0], `FROM "kds"."haina-`+stack+`-events"`)
			// Both stacks refresh on a schedule: the landing view never wakes the warehouse on its own.
			assert.Contains(t, li["create"].([]any)[0], "AUTO REFRESH NO")
			assert.Equal(t, true, li["holdsData"])
			assert.Equal(t, false, li["allowDataLoss"])
			assert.Equal(t, stack == "production", li["guardDelete"], "production guards the landing view against delete")
			assert.True(t, dependsOn(landing, tSQL, "haina-kinesis-schema"))
			assert.True(t, dependsOn(landing, tSQL, "haina-schema"))

			for _, name := range []string{"haina-events", "haina-rollup"} {
				r := one(t, g, tSQL, name)
				assert.True(t, dependsOn(r, tSQL, "haina-landing"), "%s reads the landing view", name)
				assert.NotContains(t, in(r), "holdsData", "%s derives from the landing view and may be rebuilt", name)
			}
			assert.Contains(t, in(one(t, g, tSQL, "haina-rollup"))["create"].([]any)[0], `CAST(payload."event_name" AS VARCHAR(256)) AS "event_name"`)
			// Redshift refuses AUTO REFRESH YES on an MV over another MV: the rollup never asks for it.
			rollup := in(one(t, g, tSQL, "haina-rollup"))
			assert.Contains(t, rollup["create"].([]any)[0], "AUTO REFRESH NO")
			assert.Equal(t, []any{`ALTER MATERIALIZED VIEW "ingest"."events_per_minute" AUTO REFRESH NO`}, rollup["update"])
			for _, name := range []string{"haina-events", "haina-rollup"} {
				assert.Equal(t, []any{`"ingest"`, `"ingest"."events_landing"`}, in(one(t, g, tSQL, name))["basedOn"],
					"%s is replaced before the landing view it is built on", name)
			}
			assert.Equal(t, []any{`"kds"`, `"ingest"`}, li["basedOn"])

			// The refresh: a SECURITY DEFINER procedure (only an MV's owner may refresh it),
			// its database role, and a schedule running it as that role.
			proc := one(t, g, tSQL, "haina-refresh-procedure")
			pc := in(proc)["create"].([]any)
			assert.Contains(t, pc[0], `REFRESH MATERIALIZED VIEW "ingest"."events_per_minute" CASCADE;`)
			assert.Contains(t, pc[0], "SECURITY DEFINER")
			assert.Equal(t, `GRANT EXECUTE ON PROCEDURE "ingest"."refresh_views"() TO ROLE "haina_refresh"`, pc[1])
			assert.True(t, dependsOn(proc, tSQL, "haina-rollup"))
			assert.True(t, dependsOn(proc, tSQL, "haina-refresh-role"))
			assert.Equal(t, []any{`CREATE ROLE "haina_refresh"`, `GRANT USAGE ON SCHEMA "ingest" TO ROLE "haina_refresh"`},
				in(one(t, g, tSQL, "haina-refresh-role"))["create"])

			// The schedule invokes the health function, which makes the call as
			// the refresh role (its own role's RedshiftDbRoles tag) and waits for it.
			sched := one(t, g, "aws:scheduler/schedule:Schedule", "haina-refresh-refresh-views")
			si := in(sched)
			assert.Equal(t, map[string]string{"staging": "rate(10 minutes)", "production": "rate(2 minutes)"}[stack], si["scheduleExpression"])
			assert.Equal(t, "ENABLED", si["state"])
			target := si["target"].(map[string]any)
			fn := one(t, g, "aws:lambda/function:Function", "haina-health")
			assert.Equal(t, out(fn)["arn"], target["arn"])
			assert.Equal(t, "{}", target["input"], "the function takes nothing from its event: the SQL is its own")
			assert.True(t, dependsOn(sched, tSQL, "haina-refresh-procedure"))
			assert.True(t, dependsOn(sched, tSQL, "haina-health-grants"))
			vars := in(fn)["environment"].(map[string]any)["variables"].(map[string]any)
			assert.Equal(t, `CALL "ingest"."refresh_views"()`, vars["CALL_SQL"])
			assert.Equal(t, "haina-"+stack, vars["WORKGROUP_NAME"])
			assert.Equal(t, "haina", vars["DATABASE"])
			invoke := parsePolicy(t, in(one(t, g, tRolePolicy, "haina-refresh"))["policy"])
			actions, resources := statement(t, invoke, "InvokeHealthFunction")
			assert.Equal(t, []string{"lambda:InvokeFunction"}, actions)
			assert.Equal(t, []string{out(fn)["arn"].(string)}, resources)
			require.Len(t, invoke.Statement, 1, "the schedule's role only invokes the function")
			assert.NotContains(t, in(one(t, g, tRole, "haina-refresh"))["tags"], "RedshiftDbRoles")
			role := one(t, g, tRole, "haina-health")
			assert.Equal(t, "haina_refresh", in(role)["tags"].(map[string]any)["RedshiftDbRoles"])
			pol := parsePolicy(t, in(one(t, g, tRolePolicy, "haina-health"))["policy"])
			actions, resources = statement(t, pol, "ReadRoleTags")
			assert.Equal(t, []string{"tag:GetResources", "tag:GetTagKeys"}, actions, "database roles from the RedshiftDbRoles tag need the tagging API")
			assert.Equal(t, []string{"*"}, resources)
			grants := in(one(t, g, tSQL, "haina-health-grants"))["create"].([]any)
			require.Len(t, grants, 3)
			assert.Equal(t, `GRANT USAGE ON SCHEMA "cdc" TO ROLE "haina_refresh"`, grants[0], "SELECT on cdc's tables needs USAGE on cdc")
			assert.Contains(t, grants[1], `GRANT SELECT ON "ingest"."events_landing"`)
			assert.Contains(t, grants[1], `TO ROLE "haina_refresh"`)
			assert.Equal(t, `GRANT ROLE "sys:monitor" TO ROLE "haina_refresh"`, grants[2])
		})
	}
}

func TestIngestionRefreshValidation(t *testing.T) {
	for cfg, want := range map[string]string{
		`{"refresh":{"everyMinutes":0}}`:        `haina:ingestion.refresh.everyMinutes: 0 is not allowed; allowed: 1 to 1440 minutes between the scheduled calls`,
		`{"refresh":"sometimes"}`:               `haina:ingestion.refresh.mode: "sometimes" is not allowed; allowed: auto (the landing views refresh themselves`,
		`{"refresh":{"mode":"auto","every":5}}`: `refresh: {"mode":"auto","every":5} is not allowed (json: unknown field "every"); allowed: auto, scheduled, or {mode: auto|scheduled, everyMinutes: N}`,
		`{"refresh":5}`:                         `refresh: 5 is not allowed (`,
		`{"refreshMinutes":15}`:                 `haina:ingestion.refreshMinutes: 15 is not read any more; it was replaced by haina:ingestion.refresh.everyMinutes`,
		`{"autoRefresh":true}`:                  `haina:ingestion.autoRefresh: true is not read any more; it was replaced by haina:ingestion.refresh.mode (auto`,
	} {
		_, err := evaluateErr(t, "staging", map[string]string{"haina:ingestion": cfg})
		require.Error(t, err, cfg)
		assert.Contains(t, err.Error(), want, cfg)
	}
	_, err := evaluateErr(t, "staging", map[string]string{"haina:cdc": `{"enabled":true,"redshift":{"applyRole":"haina_refresh"}}`})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `haina:cdc.redshift.applyRole: "haina_refresh" is not allowed; a role of its own: haina_refresh is the refresh schedule's role`)
}

func TestIngestionFollowsConfig(t *testing.T) {
	g := evaluate(t, "staging", map[string]string{
		"haina:stream":    `{"name":"App.Events-1"}`,
		"haina:ingestion": `{"rollupDimension":"gender","rollupView":"gender_per_minute","refresh":"auto","allowDataLoss":true}`,
	})
	landing := in(one(t, g, tSQL, "haina-landing"))
	assert.Contains(t, landing["create"].([]any)[0], `FROM "kds"."App.Events-1"`)
	assert.Contains(t, landing["create"].([]any)[0], "AUTO REFRESH YES", "refresh auto: the landing view refreshes itself")
	assert.Equal(t, true, landing["allowDataLoss"])
	rollup := in(one(t, g, tSQL, "haina-rollup"))
	assert.Equal(t, `"ingest"."gender_per_minute"`, rollup["objectName"])
	assert.Contains(t, rollup["create"].([]any)[0], `AS "gender"`)
}
