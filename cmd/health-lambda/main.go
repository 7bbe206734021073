// Command health-lambda makes the warehouse's scheduled call and publishes
// the warehouse's health in the same wake-up (package health). Configured by
// the environment: WORKGROUP_NAME (Serverless) or CLUSTER_IDENTIFIER and
// DB_USER (provisioned), DATABASE, CALL_SQL, ENVIRONMENT, HEALTH_SPEC (what
// the checks read, sql.HealthSpec as JSON: the queries are rendered here from
// haina's SQL templates, so they are the golden-tested ones), WAIT_SECONDS and
// LOOKBACK_SECONDS. Built for provided.al2023/arm64.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/redshiftdata"
	"github.com/haina-data/haina/health"
	"github.com/haina-data/haina/sql"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	cfg, err := configFromEnv(os.Getenv)
	if err != nil {
		log.Error("bad configuration", "error", err)
		os.Exit(1)
	}
	aws, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Error("loading AWS configuration", "error", err)
		os.Exit(1)
	}
	api, cw := redshiftdata.NewFromConfig(aws), cloudwatch.NewFromConfig(aws)
	lambda.Start(func(ctx context.Context) (health.Result, error) {
		r, err := health.Run(ctx, cfg, api, cw)
		if err != nil {
			log.Error("scheduled call", "result", r, "error", err)
			return r, err
		}
		log.Info("scheduled call", "result", r)
		return r, nil
	})
}

// configFromEnv reads the configuration, refusing what is missing.
func configFromEnv(get func(string) string) (health.Config, error) {
	c := health.Config{WorkgroupName: get("WORKGROUP_NAME"), ClusterIdentifier: get("CLUSTER_IDENTIFIER"), DbUser: get("DB_USER"),
		Database: get("DATABASE"), Call: get("CALL_SQL"), Environment: get("ENVIRONMENT")}
	switch {
	case (c.WorkgroupName == "") == (c.ClusterIdentifier == ""):
		return c, errorf("set WORKGROUP_NAME or CLUSTER_IDENTIFIER, one of them")
	case c.ClusterIdentifier != "" && c.DbUser == "":
		return c, errorf("CLUSTER_IDENTIFIER needs DB_USER")
	case c.Database == "" || c.Call == "" || c.Environment == "":
		return c, errorf("DATABASE, CALL_SQL and ENVIRONMENT are required")
	}
	var spec sql.HealthSpec
	if err := json.Unmarshal([]byte(get("HEALTH_SPEC")), &spec); err != nil {
		return c, errorf("HEALTH_SPEC is not a JSON health spec: " + err.Error())
	}
	checks, err := sql.HealthChecks(spec)
	if err != nil {
		return c, errorf("HEALTH_SPEC: " + err.Error())
	}
	for _, k := range checks {
		c.Checks = append(c.Checks, health.Check{Metric: k.Metric, Object: k.Object, SQL: k.SQL, Unit: k.Unit})
	}
	for _, d := range []struct {
		key string
		dst *time.Duration
		min int
	}{{"WAIT_SECONDS", &c.Wait, 1}, {"LOOKBACK_SECONDS", &c.Lookback, 0}} {
		n, err := strconv.Atoi(get(d.key))
		if err != nil || n < d.min {
			return c, errorf(fmt.Sprintf("%s is %q: a whole number of seconds, at least %d", d.key, get(d.key), d.min))
		}
		*d.dst = time.Duration(n) * time.Second
	}
	return c, nil
}

type configError string

func (e configError) Error() string { return string(e) }

func errorf(msg string) error { return configError(msg) }
