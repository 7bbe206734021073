package components

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// Each config section's rules live beside its component (StreamConfig.check
// in stream.go, WarehouseConfig.check in warehouse.go, …). Validate runs them
// all and adds the rules that span sections. Every error names the config
// key, the bad value and what is allowed.

var (
	reRegion    = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$`)
	rePrefix    = regexp.MustCompile(`^[a-z][a-z0-9-]{0,19}$`)
	reVpcID     = regexp.MustCompile(`^vpc-[0-9a-f]{8,17}$`)
	reSubnetID  = regexp.MustCompile(`^subnet-[0-9a-f]{8,17}$`)
	reKmsKeyArn = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$`)
)

// Validate checks every value and returns all problems at once.
func (a *PipelineArgs) Validate() error {
	var errs []error
	haina := checker{prefix: ConfigNamespace + ":", errs: &errs}
	if a.Environment != Staging && a.Environment != Production {
		haina.bad("environment", a.Environment, "allowed: staging, production")
	}
	if !reRegion.MatchString(a.Region) {
		checker{errs: &errs}.bad("aws:region", a.Region, "set an AWS region such as us-east-1 (`pulumi config set aws:region us-east-1`)")
	}
	if !rePrefix.MatchString(a.Prefix) {
		haina.bad("prefix", a.Prefix, "allowed: 1-20 lowercase letters, digits or hyphens, starting with a letter")
	}
	for _, k := range sortedKeys(a.Tags) {
		if k == "" || len(k) > 128 || strings.HasPrefix(strings.ToLower(k), "aws:") || len(a.Tags[k]) > 256 {
			haina.bad("tags."+k, a.Tags[k], "allowed: keys of 1-128 characters not starting with aws:, values up to 256")
		}
	}
	a.Network.check(haina.in("network"))
	a.Stream.check(haina.in("stream"))
	a.Warehouse.check(haina.in("warehouse"), a.Environment, a.Region)
	a.Ingestion.check(haina.in("ingestion"))
	a.Producer.check(haina.in("producer"))
	a.LogShipper.check(haina.in("logShipper"))
	a.Lake.check(haina.in("lake"))
	a.FlowLogs.check(haina.in("flowLogs"))
	a.RedshiftDelivery.check(haina.in("redshiftDelivery"))
	a.CDC.check(haina.in("cdc"), cdcDefaults(a.Environment, a.Prefix))
	a.Alarms.check(haina.in("alarms"))
	a.checkAcrossSections(checker{errs: &errs})
	return errors.Join(errs...)
}

// checkAcrossSections holds the rules that involve more than one section;
// they name full keys.
func (a *PipelineArgs) checkAcrossSections(ck checker) {
	for i, c := range a.Network.ClientCidrs {
		if p, err := netip.ParsePrefix(c); err == nil && p.Bits() == 0 && !a.Warehouse.PubliclyAccessible {
			ck.bad(fmt.Sprintf("haina:network.clientCidrs[%d]", i), c,
				"admitting every address needs haina:warehouse.publiclyAccessible (and, in production, allowPublicInProduction)")
		}
	}
	// The stream name is a quoted identifier: mixed case needs case-sensitive identifiers on.
	if strings.ToLower(a.Stream.Name) != a.Stream.Name && a.Warehouse.ConfigParameters["enable_case_sensitive_identifier"] == "false" {
		ck.bad("haina:warehouse.configParameters.enable_case_sensitive_identifier", "false",
			fmt.Sprintf("stream %q has upper-case letters; Redshift finds it only with case-sensitive identifiers (true)", a.Stream.Name))
	}
	if a.Warehouse.Kind == WarehouseProvisioned && a.RedshiftDelivery.Enabled {
		ck.bad("haina:redshiftDelivery.enabled", true, "Firehose → Redshift is built for a Serverless warehouse so far: "+
			"turn it off or keep haina:warehouse.kind serverless (streaming ingestion and CDC work on both)")
	}
	if a.FlowLogs.Enabled && !a.Lake.Enabled {
		ck.bad("haina:flowLogs.enabled", true, "flow logs are delivered into the lake: set haina:lake.enabled true, or turn flow logs off")
	}
	a.checkRedshiftDelivery(ck)
	if a.CDC.DebeziumMode() {
		a.checkCDCAcrossSections(ck)
	}
	if a.CDC.ZeroETLMode() {
		a.checkZeroETLAcrossSections(ck)
	}
}

// checkZeroETLAcrossSections: the warehouse must keep case-sensitive
// identifiers ("Considerations when using zero-ETL integrations with Amazon
// Redshift", https://docs.aws.amazon.com/redshift/latest/mgmt/zero-etl.reqs-lims.html),
// and the destination database is a database of its own.
func (a *PipelineArgs) checkZeroETLAcrossSections(ck checker) {
	if a.Warehouse.ConfigParameters["enable_case_sensitive_identifier"] == "false" {
		ck.bad("haina:warehouse.configParameters.enable_case_sensitive_identifier", "false",
			"a zero-ETL target needs case-sensitive identifiers (true, haina's default)")
	}
	if db := a.CDC.ZeroETL.Database; db == a.Warehouse.DatabaseName || db == "dev" {
		ck.bad("haina:cdc.zeroEtl.database", db, "a database of its own: the integration fills it, read-only (not haina:warehouse.databaseName, nor dev)")
	}
}

// checkRedshiftDelivery: Firehose → Redshift stages files in the lake, and
// direct mode needs a warehouse Firehose can reach over the internet.
func (a *PipelineArgs) checkRedshiftDelivery(ck checker) {
	r := a.RedshiftDelivery
	if !r.Enabled {
		return
	}
	if !a.Lake.Enabled {
		ck.bad("haina:redshiftDelivery.enabled", true, "Firehose stages the files in the lake: set haina:lake.enabled true")
	}
	if r.Mode != "direct" {
		return
	}
	if !a.Warehouse.PubliclyAccessible {
		ck.bad("haina:redshiftDelivery.mode", r.Mode, "Firehose's Redshift destination reaches only a publicly accessible workgroup: "+
			"set haina:warehouse.publiclyAccessible true (it then admits Firehose's regional CIDR on the port), or use copy-job, which keeps the workgroup private")
	}
	if !a.Network.Existing() {
		// A public workgroup is reachable only through public subnets (an internet
		// gateway); haina's own VPC has private subnets and no gateway, so Firehose could never connect.
		ck.bad("haina:redshiftDelivery.mode", r.Mode, "Firehose's Redshift destination connects over the internet, and haina's own VPC has no "+
			"internet gateway or public subnets: set haina:network.vpcId and subnetIds to a VPC whose subnets route to an internet gateway, or use copy-job")
	}
	if a.Environment == Production && !r.AllowDirectInProduction {
		ck.bad("haina:redshiftDelivery.mode", r.Mode, "direct mode in production also needs haina:redshiftDelivery.allowDirectInProduction: true (prefer copy-job)")
	}
	if _, ok := firehoseCIDRs[a.Region]; !ok {
		ck.bad("haina:redshiftDelivery.mode", r.Mode, "haina does not know Firehose's CIDR for region "+a.Region+"; use copy-job")
	}
}

// checkCDCAcrossSections: CDC's names against ingestion's and the refresh
// role, and every target table against what the connector captures.
func (a *PipelineArgs) checkCDCAcrossSections(ck checker) {
	r := a.CDC.Redshift
	if reApplyRole.MatchString(r.ApplyRole) && r.ApplyRole == a.RefreshRole() {
		ck.bad("haina:cdc.redshift.applyRole", r.ApplyRole, "a role of its own: "+a.RefreshRole()+" is the refresh schedule's role")
	}
	if r.ExternalSchema == a.Ingestion.ExternalSchema || r.ExternalSchema == a.Ingestion.Schema {
		ck.bad("haina:cdc.redshift.externalSchema", r.ExternalSchema, "a name of its own: haina:ingestion uses "+a.Ingestion.ExternalSchema+" and "+a.Ingestion.Schema)
	}
	if r.Schema == a.Ingestion.Schema || r.Schema == a.Ingestion.ExternalSchema || r.Schema == r.ExternalSchema {
		ck.bad("haina:cdc.redshift.schema", r.Schema, "a schema of its own, not haina:ingestion's ("+a.Ingestion.ExternalSchema+", "+a.Ingestion.Schema+") nor the external schema")
	}
	tables := a.CDC.Connector.Tables
	captured := map[string]bool{}
	landing, topics := map[string]string{}, map[string]string{}
	for _, t := range tables {
		captured[t] = true
		topic := ChangeTopic(a.CDC.Connector.TopicPrefix, t)
		if other, ok := topics[topic]; ok {
			ck.bad("haina:cdc.connector.tables", tables, fmt.Sprintf("%s and %s would share the topic %s (Debezium replaces characters a topic name cannot hold with _)", other, t, topic))
		}
		topics[topic] = t
		name := LandingViewName(t)
		if other, ok := landing[name]; ok {
			ck.bad("haina:cdc.connector.tables", tables, fmt.Sprintf("%s and %s would both land in %s.%s; rename one table's landing by capturing it under another database or name", other, t, r.Schema, name))
		}
		landing[name] = t
		if len(name) > 127 {
			ck.bad("haina:cdc.connector.tables", t, fmt.Sprintf("its landing view %s is longer than Redshift's 127 bytes; use shorter names", name))
		}
	}
	reserved := map[string]bool{cdcOffsetsTable: true, cdcRunsTable: true, cdcRejectsTable: true}
	for name := range landing {
		reserved[name] = true
	}
	sources := map[string]bool{}
	for i, t := range r.Tables {
		key := fmt.Sprintf("haina:cdc.redshift.tables[%d]", i)
		switch {
		case !captured[t.Source]:
			ck.bad(key+".source", t.Source, fmt.Sprintf("a table haina:cdc.connector.tables captures (%s); add it there first", strings.Join(tables, ", ")))
		case sources[t.Source]:
			ck.bad(key+".source", t.Source, "each captured table applied once")
		}
		sources[t.Source] = true
		if target := t.TargetName(); reserved[target] {
			ck.bad(key+".table", target, fmt.Sprintf("a name of its own: %s.%s is already haina's (landing views are <db>_<table>_changes; apply_offsets and apply_runs are the apply's)", r.Schema, target))
		}
	}
}
