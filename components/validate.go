package components

import (
	"errors"
	"fmt"
	"github.com/haina-data/haina/sql"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/haina-data/haina/pluginarchive"
)

// Validation is the single place where stack config is checked. Every error
// names the config key, the bad value and what is allowed.

var (
	reRegion      = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$`)
	rePrefix      = regexp.MustCompile(`^[a-z][a-z0-9-]{0,19}$`)
	reVpcID       = regexp.MustCompile(`^vpc-[0-9a-f]{8,17}$`)
	reSubnetID    = regexp.MustCompile(`^subnet-[0-9a-f]{8,17}$`)
	reStreamName  = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,128}$`)
	reRsName      = regexp.MustCompile(`^[a-z0-9-]{3,64}$`)
	reDatabase    = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,63}$`)
	reUsername    = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,63}$`)
	reKmsKeyArn   = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$`)
	reservedUsers = []string{"public", "rdsadmin", "rdsdb"}
)

// Regions where base capacity above 512 RPU (steps of 32 up to 1024) is offered.
var largeRPURegions = []string{"eu-central-1", "eu-west-1", "us-east-1", "us-east-2", "us-west-2"}

// workgroupConfigDefaults is the full parameter set AWS reports for a workgroup.
// Sending all of it (pulumi-aws#4405) keeps a second `up` free of drift.
var workgroupConfigDefaults = map[string]string{
	"auto_mv":                          "true",
	"datestyle":                        "ISO, MDY",
	"enable_case_sensitive_identifier": "true", // Kinesis stream and Kafka topic names keep their case.
	"enable_user_activity_logging":     "true",
	"max_query_execution_time":         "14400",
	"query_group":                      "default",
	"require_ssl":                      "true",
	"search_path":                      "$user, public",
	"use_fips_ssl":                     "false",
}

// Validate checks every value and returns all problems at once.
func (a *PipelineArgs) Validate() error {
	var errs []error
	bad := func(key string, value any, allowed string) {
		errs = append(errs, fmt.Errorf("%s: %v is not allowed; %s", key, quoteValue(value), allowed))
	}

	if a.Environment != Staging && a.Environment != Production {
		bad("haina:environment", a.Environment, "allowed: staging, production")
	}
	if !reRegion.MatchString(a.Region) {
		bad("aws:region", a.Region, "set an AWS region such as us-east-1 (`pulumi config set aws:region us-east-1`)")
	}
	if !rePrefix.MatchString(a.Prefix) {
		bad("haina:prefix", a.Prefix, "allowed: 1-20 lowercase letters, digits or hyphens, starting with a letter")
	}
	for _, k := range sortedKeys(a.Tags) {
		if k == "" || len(k) > 128 || strings.HasPrefix(strings.ToLower(k), "aws:") || len(a.Tags[k]) > 256 {
			bad("haina:tags."+k, a.Tags[k], "allowed: keys of 1-128 characters not starting with aws:, values up to 256")
		}
	}
	a.validateNetwork(bad)
	a.validateStream(bad)
	a.validateWarehouse(bad)
	a.validateIngestion(bad)
	a.validateProducer(bad)
	a.validateLogShipper(bad)
	a.validateLake(bad)
	a.validateRedshiftDelivery(bad)
	a.validateCDC(bad)
	return errors.Join(errs...)
}

type badFunc func(key string, value any, allowed string)

func (a *PipelineArgs) validateNetwork(bad badFunc) {
	n := a.Network
	if n.Existing() {
		if !reVpcID.MatchString(n.VpcID) {
			bad("haina:network.vpcId", n.VpcID, "allowed: a VPC id such as vpc-0123456789abcdef0")
		}
		if len(n.SubnetIDs) < 3 {
			bad("haina:network.subnetIds", n.SubnetIDs,
				"an existing VPC needs at least 3 private subnets in 3 availability zones (Redshift Serverless with enhanced VPC routing)")
		}
		seen := map[string]bool{}
		for i, s := range n.SubnetIDs {
			if !reSubnetID.MatchString(s) {
				bad(fmt.Sprintf("haina:network.subnetIds[%d]", i), s, "allowed: a subnet id such as subnet-0123456789abcdef0")
			} else if seen[s] {
				bad(fmt.Sprintf("haina:network.subnetIds[%d]", i), s, "each subnet may be listed once")
			}
			seen[s] = true
		}
	} else {
		if len(n.SubnetIDs) > 0 {
			bad("haina:network.subnetIds", n.SubnetIDs, "subnet ids need haina:network.vpcId, the VPC they belong to")
		}
		p, err := netip.ParsePrefix(n.CidrBlock)
		if err != nil || !p.Addr().Is4() || p.Bits() < 16 || p.Bits() > 22 || p.Masked() != p || !p.Addr().IsPrivate() {
			bad("haina:network.cidrBlock", n.CidrBlock, "allowed: a private IPv4 network from /16 to /22, such as 10.40.0.0/16")
		}
	}
	for i, c := range n.ClientCidrs {
		if p, err := netip.ParsePrefix(c); err != nil || p.Masked() != p {
			bad(fmt.Sprintf("haina:network.clientCidrs[%d]", i), c, "allowed: an IPv4 or IPv6 network such as 10.0.0.0/8")
		} else if p.Bits() == 0 && !a.Warehouse.PubliclyAccessible {
			bad(fmt.Sprintf("haina:network.clientCidrs[%d]", i), c,
				"admitting every address needs haina:warehouse.publiclyAccessible (and, in production, allowPublicInProduction)")
		}
	}
}

func (a *PipelineArgs) validateStream(bad badFunc) {
	s := a.Stream
	if !reStreamName.MatchString(s.Name) {
		bad("haina:stream.name", s.Name, "allowed: 1-128 letters, digits, underscores, hyphens or periods")
	}
	switch s.Mode {
	case "ON_DEMAND":
		if s.ShardCount != 0 {
			bad("haina:stream.shardCount", s.ShardCount, "an ON_DEMAND stream scales itself; remove shardCount or set mode PROVISIONED")
		}
	case "PROVISIONED":
		if s.ShardCount < 1 || s.ShardCount > 10000 {
			bad("haina:stream.shardCount", s.ShardCount, "a PROVISIONED stream needs a shard count from 1 to 10000")
		}
	default:
		bad("haina:stream.mode", s.Mode, "allowed: ON_DEMAND, PROVISIONED")
	}
	if s.RetentionHours < 24 || s.RetentionHours > 8760 {
		bad("haina:stream.retentionHours", s.RetentionHours, "allowed: 24 to 8760 hours")
	}
	if s.KmsKeyArn != "" && !reKmsKeyArn.MatchString(s.KmsKeyArn) {
		bad("haina:stream.kmsKeyArn", s.KmsKeyArn, "allowed: a KMS key ARN such as arn:aws:kms:us-east-1:123456789012:key/<key-id>")
	}
	if s.KmsKeyArn != "" && s.CustomerKey {
		bad("haina:stream.customerKey", true, "set either kmsKeyArn (an existing key) or customerKey (haina creates one), not both")
	}
}

func (a *PipelineArgs) validateWarehouse(bad badFunc) {
	w := a.Warehouse
	for _, kv := range [][2]string{{"namespaceName", w.NamespaceName}, {"workgroupName", w.WorkgroupName}} {
		if !reRsName.MatchString(kv[1]) {
			bad("haina:warehouse."+kv[0], kv[1], "allowed: 3-64 lowercase letters, digits or hyphens")
		}
	}
	if !reDatabase.MatchString(w.DatabaseName) {
		bad("haina:warehouse.databaseName", w.DatabaseName, "allowed: 1-64 lowercase letters, digits or underscores, not starting with a digit")
	}
	if !reUsername.MatchString(w.AdminUsername) || slices.Contains(reservedUsers, w.AdminUsername) {
		bad("haina:warehouse.adminUsername", w.AdminUsername,
			"allowed: 1-64 lowercase letters, digits or underscores, not starting with a digit, not public/rdsadmin/rdsdb")
	}
	if !validBaseRPU(w.BaseCapacity, a.Region) {
		bad("haina:warehouse.baseCapacity", w.BaseCapacity,
			"allowed: 4, or a multiple of 8 from 8 to 512; multiples of 32 up to 1024 only in "+strings.Join(largeRPURegions, ", "))
	}
	if w.MaxCapacity < w.BaseCapacity || w.MaxCapacity > 5632 || (w.MaxCapacity%8 != 0 && w.MaxCapacity != w.BaseCapacity) {
		bad("haina:warehouse.maxCapacity", w.MaxCapacity,
			fmt.Sprintf("allowed: a multiple of 8 from the base capacity (%d) up to 5632", w.BaseCapacity))
	}
	if !(w.Port >= 5431 && w.Port <= 5455) && !(w.Port >= 8191 && w.Port <= 8215) {
		bad("haina:warehouse.port", w.Port, "allowed: 5431-5455 or 8191-8215")
	}
	if w.PubliclyAccessible && a.Environment == Production && !w.AllowPublicInProduction {
		bad("haina:warehouse.publiclyAccessible", true,
			"a publicly accessible warehouse in production also needs haina:warehouse.allowPublicInProduction: true")
	}
	if w.KmsKeyArn != "" && !reKmsKeyArn.MatchString(w.KmsKeyArn) {
		bad("haina:warehouse.kmsKeyArn", w.KmsKeyArn, "allowed: a KMS key ARN such as arn:aws:kms:us-east-1:123456789012:key/<key-id>")
	}
	for _, k := range sortedKeys(w.ConfigParameters) {
		if _, ok := workgroupConfigDefaults[k]; !ok {
			bad("haina:warehouse.configParameters."+k, w.ConfigParameters[k], "allowed keys: "+strings.Join(sortedKeys(workgroupConfigDefaults), ", "))
		}
	}
	if v, ok := w.ConfigParameters["require_ssl"]; ok && v != "true" {
		bad("haina:warehouse.configParameters.require_ssl", v, "haina requires TLS to the warehouse: only true")
	}
	u := w.UsageLimit
	if u.Amount <= 0 {
		bad("haina:warehouse.usageLimit.amount", u.Amount, "allowed: a positive number of RPU-hours per period")
	}
	if !slices.Contains([]string{"daily", "weekly", "monthly"}, u.Period) {
		bad("haina:warehouse.usageLimit.period", u.Period, "allowed: daily, weekly, monthly")
	}
	if !slices.Contains([]string{"log", "emit-metric", "deactivate"}, u.BreachAction) {
		bad("haina:warehouse.usageLimit.breachAction", u.BreachAction, "allowed: log, emit-metric, deactivate")
	}
}

func validBaseRPU(rpu int, region string) bool {
	switch {
	case rpu == 4:
		return true
	case rpu >= 8 && rpu <= 512:
		return rpu%8 == 0
	case rpu > 512 && rpu <= 1024:
		return rpu%32 == 0 && slices.Contains(largeRPURegions, region)
	}
	return false
}

// workgroupConfig returns the full, key-sorted workgroup parameter set with overrides applied.
func (w WarehouseConfig) workgroupConfig() [][2]string {
	merged := map[string]string{}
	for k, v := range workgroupConfigDefaults {
		merged[k] = v
	}
	for k, v := range w.ConfigParameters {
		merged[k] = v
	}
	out := make([][2]string, 0, len(merged))
	for _, k := range sortedKeys(merged) {
		out = append(out, [2]string{k, merged[k]})
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func quoteValue(v any) string {
	switch t := v.(type) {
	case string:
		return fmt.Sprintf("%q", t)
	case Environment:
		return fmt.Sprintf("%q", string(t))
	case []string:
		return fmt.Sprintf("%q", t)
	}
	return fmt.Sprint(v)
}

var reSQLName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,126}$`)

func (a *PipelineArgs) validateIngestion(bad badFunc) {
	c := a.Ingestion
	seen := map[string]string{}
	for _, kv := range [][2]string{{"externalSchema", c.ExternalSchema}, {"schema", c.Schema}, {"landingView", c.LandingView},
		{"eventsView", c.EventsView}, {"rollupView", c.RollupView}, {"rollupDimension", c.RollupDimension}} {
		if !reSQLName.MatchString(kv[1]) {
			bad("haina:ingestion."+kv[0], kv[1], "allowed: 1-127 lowercase letters, digits or underscores, not starting with a digit")
		} else if other, dup := seen[kv[1]]; dup && kv[0] != "rollupDimension" {
			bad("haina:ingestion."+kv[0], kv[1], "already used by haina:ingestion."+other+"; each object needs its own name")
		}
		seen[kv[1]] = kv[0]
	}
	if c.TimeoutSeconds < 1 || c.TimeoutSeconds > 86400 {
		bad("haina:ingestion.timeoutSeconds", c.TimeoutSeconds, "allowed: 1 to 86400 seconds")
	}
	if c.RefreshMinutes < 1 || c.RefreshMinutes > 1440 {
		bad("haina:ingestion.refreshMinutes", c.RefreshMinutes, "allowed: 1 to 1440 minutes between scheduled refreshes of the rollup (and, with autoRefresh false, of the landing view)")
	}
	// The stream name is a quoted identifier: mixed case needs case-sensitive identifiers on.
	if strings.ToLower(a.Stream.Name) != a.Stream.Name && a.Warehouse.ConfigParameters["enable_case_sensitive_identifier"] == "false" {
		bad("haina:warehouse.configParameters.enable_case_sensitive_identifier", "false",
			fmt.Sprintf("stream %q has upper-case letters; Redshift finds it only with case-sensitive identifiers (true)", a.Stream.Name))
	}
}

var (
	reSchedule = regexp.MustCompile(`^(rate\(([1-9][0-9]*) (minute|minutes|hour|hours|day|days)\)|cron\([^()]+\))$`)
	// CloudWatch Logs accepts only these retention periods.
	logRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)

func (a *PipelineArgs) validateProducer(bad badFunc) {
	p := a.Producer
	if !p.Enabled {
		return
	}
	if m := reSchedule.FindStringSubmatch(p.Schedule); m == nil {
		bad("haina:producer.schedule", p.Schedule, "allowed: rate(<n> minute[s]|hour[s]|day[s]) or cron(<fields>)")
	} else if m[2] == "1" && (m[3] == "minutes" || m[3] == "hours" || m[3] == "days") ||
		m[2] != "" && m[2] != "1" && (m[3] == "minute" || m[3] == "hour" || m[3] == "day") {
		bad("haina:producer.schedule", p.Schedule, "EventBridge wants the singular unit for 1 and the plural otherwise, e.g. rate(1 minute), rate(5 minutes)")
	}
	if p.EventsPerInvocation < 1 || p.EventsPerInvocation > 1_000_000 {
		bad("haina:producer.eventsPerInvocation", p.EventsPerInvocation, "allowed: 1 to 1000000")
	}
	if p.MemoryMB < 128 || p.MemoryMB > 10240 {
		bad("haina:producer.memoryMb", p.MemoryMB, "allowed: 128 to 10240 MB")
	}
	if p.TimeoutSeconds < 1 || p.TimeoutSeconds > 900 {
		bad("haina:producer.timeoutSeconds", p.TimeoutSeconds, "allowed: 1 to 900 seconds")
	}
	if !slices.Contains(logRetentionDays, p.LogRetentionDays) {
		bad("haina:producer.logRetentionDays", p.LogRetentionDays, fmt.Sprintf("allowed: one of %v", logRetentionDays))
	}
	if p.ReservedConcurrency < 0 || p.ReservedConcurrency > 1000 {
		bad("haina:producer.reservedConcurrency", p.ReservedConcurrency, "allowed: 0 (unreserved) to 1000; AWS also keeps 10 executions of the account unreserved")
	}
}

var reGraviton = regexp.MustCompile(`^[a-z][0-9]+g[a-z]*\.[a-z0-9]+$`)

func (a *PipelineArgs) validateLogShipper(bad badFunc) {
	l := a.LogShipper
	if !l.Enabled {
		return
	}
	if !reSubnetID.MatchString(l.SubnetID) {
		bad("haina:logShipper.subnetId", l.SubnetID, "the log shipper needs a private subnet with a route out (NAT or proxy) "+
			"to install fluent-bit from packages.fluentbit.io and reach SSM; haina's own subnets have none. Name one such as subnet-0123456789abcdef0")
	}
	if !reGraviton.MatchString(l.InstanceType) {
		bad("haina:logShipper.instanceType", l.InstanceType, "allowed: a Graviton (arm64) type such as t4g.small or m7g.large")
	}
	if len(l.Paths) == 0 {
		bad("haina:logShipper.paths", l.Paths, "list at least one absolute path or glob to tail")
	}
	for i, p := range l.Paths {
		if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, ",\n\r'\"") {
			bad(fmt.Sprintf("haina:logShipper.paths[%d]", i), p, "allowed: an absolute path or glob without commas, quotes or line breaks")
		}
	}
}

// flowLogQueryFields are the fields the named flow-log queries read.
var flowLogQueryFields = []string{"action", "bytes", "dstaddr", "dstport", "interface-id", "packets", "srcaddr", "start"}

func (a *PipelineArgs) validateLake(bad badFunc) {
	l, f := a.Lake, a.FlowLogs
	if f.Enabled && !l.Enabled {
		bad("haina:flowLogs.enabled", true, "flow logs are delivered into the lake: set haina:lake.enabled true, or turn flow logs off")
	}
	if !l.Enabled {
		return
	}
	if l.BufferSeconds < 0 || l.BufferSeconds > 900 {
		bad("haina:lake.bufferSeconds", l.BufferSeconds, "allowed: 0 to 900 seconds")
	}
	minMB := 1
	if l.Parquet {
		minMB = 64 // Firehose's minimum buffer with record format conversion
	}
	if l.BufferMB < minMB || l.BufferMB > 128 {
		bad("haina:lake.bufferMb", l.BufferMB, fmt.Sprintf("allowed: %d to 128 MiB%s", minMB, map[bool]string{true: " (Parquet conversion needs at least 64)"}[l.Parquet]))
	}
	if l.ErrorRetentionDays < 1 || l.ErrorRetentionDays > 3650 {
		bad("haina:lake.errorRetentionDays", l.ErrorRetentionDays, "allowed: 1 to 3650 days")
	}
	if l.AthenaScanLimitMB < 10 {
		bad("haina:lake.athenaScanLimitMb", l.AthenaScanLimitMB, "allowed: at least 10 MB (Athena's minimum cut-off)")
	}
	if !slices.Contains(logRetentionDays, l.LogRetentionDays) {
		bad("haina:lake.logRetentionDays", l.LogRetentionDays, fmt.Sprintf("allowed: one of %v", logRetentionDays))
	}
	if !f.Enabled {
		return
	}
	seen := map[string]bool{}
	for i, field := range f.Fields {
		if _, ok := flowLogFieldTypes[field]; !ok {
			bad(fmt.Sprintf("haina:flowLogs.fields[%d]", i), field, "allowed: a VPC flow log field such as "+strings.Join(DefaultFlowLogFields, ", ")+", vpc-id, subnet-id, tcp-flags, flow-direction, …")
		} else if seen[field] {
			bad(fmt.Sprintf("haina:flowLogs.fields[%d]", i), field, "each field may appear once")
		}
		seen[field] = true
	}
	for _, q := range flowLogQueryFields {
		if !seen[q] {
			bad("haina:flowLogs.fields", f.Fields, "must include "+strings.Join(flowLogQueryFields, ", ")+" (the named queries read them)")
			break
		}
	}
	for i, id := range f.VpcIDs {
		if !reVpcID.MatchString(id) {
			bad(fmt.Sprintf("haina:flowLogs.vpcIds[%d]", i), id, "allowed: a VPC id such as vpc-0123456789abcdef0")
		}
	}
	if !slices.Contains(logRetentionDays, f.LogRetentionDays) {
		bad("haina:flowLogs.logRetentionDays", f.LogRetentionDays, fmt.Sprintf("allowed: one of %v", logRetentionDays))
	}
}

// firehoseCIDRs are the addresses Firehose connects to Redshift from, by region
// (Firehose developer guide, "VPC access to an Amazon Redshift … workgroup").
var firehoseCIDRs = map[string]string{
	"us-east-1": "52.70.63.192/27", "us-east-2": "13.58.135.96/27", "us-west-2": "52.89.255.224/27",
	"eu-west-1": "52.19.239.192/27", "eu-central-1": "35.158.127.160/27", "ap-southeast-1": "13.228.64.192/27",
	"ap-northeast-1": "13.113.196.224/27",
}

func (a *PipelineArgs) validateRedshiftDelivery(bad badFunc) {
	r := a.RedshiftDelivery
	if !r.Enabled {
		return
	}
	if !a.Lake.Enabled {
		bad("haina:redshiftDelivery.enabled", true, "Firehose stages the files in the lake: set haina:lake.enabled true")
	}
	if !reSQLName.MatchString(r.Table) {
		bad("haina:redshiftDelivery.table", r.Table, "allowed: 1-127 lowercase letters, digits or underscores, not starting with a digit")
	}
	switch r.Mode {
	case "copy-job":
	case "direct":
		if !a.Warehouse.PubliclyAccessible {
			bad("haina:redshiftDelivery.mode", r.Mode, "Firehose's Redshift destination reaches only a publicly accessible workgroup: "+
				"set haina:warehouse.publiclyAccessible true (it then admits Firehose's regional CIDR on the port), or use copy-job, which keeps the workgroup private")
		}
		if !a.Network.Existing() {
			// A public workgroup is reachable only through public subnets (an internet
			// gateway); haina's own VPC has private subnets and no gateway, so Firehose could never connect.
			bad("haina:redshiftDelivery.mode", r.Mode, "Firehose's Redshift destination connects over the internet, and haina's own VPC has no "+
				"internet gateway or public subnets: set haina:network.vpcId and subnetIds to a VPC whose subnets route to an internet gateway, or use copy-job")
		}
		if a.Environment == Production && !r.AllowDirectInProduction {
			bad("haina:redshiftDelivery.mode", r.Mode, "direct mode in production also needs haina:redshiftDelivery.allowDirectInProduction: true (prefer copy-job)")
		}
		if _, ok := firehoseCIDRs[a.Region]; !ok {
			bad("haina:redshiftDelivery.mode", r.Mode, "haina does not know Firehose's CIDR for region "+a.Region+"; use copy-job")
		}
	default:
		bad("haina:redshiftDelivery.mode", r.Mode, "allowed: copy-job, direct")
	}
}

var (
	reKafkaInstance = regexp.MustCompile(`^kafka\.[a-z0-9]+\.[a-z0-9]+$`)
	reKafkaVersion  = regexp.MustCompile(`^([0-9]+)\.([0-9]+)\.([0-9]+)$`)
)

// kafkaSubnets is how many subnets (AZs) the brokers spread over.
const kafkaSubnets = 3

func (a *PipelineArgs) validateCDC(bad badFunc) {
	c := a.CDC
	if !c.Enabled {
		return
	}
	a.validateSourceDatabase(bad)
	a.validateConnector(bad)
	a.validatePlugin(bad)
	a.validateCDCRedshift(bad)
	k := c.Kafka
	switch k.Mode {
	case "serverless":
		return
	case "provisioned":
	default:
		bad("haina:cdc.kafka.mode", k.Mode, "allowed: provisioned, serverless")
		return
	}
	if k.BrokerCount < kafkaSubnets || k.BrokerCount%kafkaSubnets != 0 || k.BrokerCount > 30 {
		bad("haina:cdc.kafka.brokerCount", k.BrokerCount, fmt.Sprintf("allowed: a multiple of the %d subnets (AZs) the brokers spread over, up to 30", kafkaSubnets))
	}
	if !reKafkaInstance.MatchString(k.InstanceType) {
		bad("haina:cdc.kafka.instanceType", k.InstanceType, "allowed: an MSK broker type such as kafka.t3.small or kafka.m7g.large")
	}
	if m := reKafkaVersion.FindStringSubmatch(k.KafkaVersion); m == nil || !atLeast(m[1:], []int{2, 7, 1}) {
		bad("haina:cdc.kafka.kafkaVersion", k.KafkaVersion, "allowed: an MSK Kafka version of 2.7.1 or later (Redshift's IAM authentication needs it), such as 3.6.0")
	}
	if k.VolumeGB < 1 || k.VolumeGB > 16384 {
		bad("haina:cdc.kafka.volumeGb", k.VolumeGB, "allowed: 1 to 16384 GiB per broker")
	}
	if !slices.Contains(logRetentionDays, k.LogRetentionDays) {
		bad("haina:cdc.kafka.logRetentionDays", k.LogRetentionDays, fmt.Sprintf("allowed: one of %v", logRetentionDays))
	}
}

// atLeast compares a dotted version (as decimal strings) with a minimum.
func atLeast(parts []string, min []int) bool {
	for i, p := range parts {
		var n int
		fmt.Sscan(p, &n)
		if n != min[i] {
			return n > min[i]
		}
	}
	return true
}

var (
	reAuroraMySQL3 = regexp.MustCompile(`^8\.0\.mysql_aurora\.3\.[0-9]+\.[0-9]+$`)
	// The full ARN (name, "-" and 6 characters): the config provider resolves the secret by name.
	reSecretArn   = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$`)
	reHostname    = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,251}[a-zA-Z0-9])?$`)
	reSecurityGrp = regexp.MustCompile(`^sg-[0-9a-f]{8,17}$`)
)

func (a *PipelineArgs) validateSourceDatabase(bad badFunc) {
	d := a.CDC.Database
	switch d.Mode {
	case "create":
		if !reAuroraMySQL3.MatchString(d.EngineVersion) {
			bad("haina:cdc.database.engineVersion", d.EngineVersion, "allowed: an Aurora MySQL 3 version such as 8.0.mysql_aurora.3.08.0")
		}
		validACU := func(v float64) bool { return v >= 0.5 && v <= 256 && v*2 == float64(int(v*2)) }
		if !validACU(d.MinACU) {
			bad("haina:cdc.database.minAcu", d.MinACU, "allowed: 0.5 to 256 in steps of 0.5")
		}
		if !validACU(d.MaxACU) || d.MaxACU < d.MinACU {
			bad("haina:cdc.database.maxAcu", d.MaxACU, fmt.Sprintf("allowed: %v (minAcu) to 256 in steps of 0.5", d.MinACU))
		}
		if d.BackupRetentionDays < 1 || d.BackupRetentionDays > 35 {
			bad("haina:cdc.database.backupRetentionDays", d.BackupRetentionDays, "allowed: 1 to 35 days")
		}
		if d.BinlogRetentionHours < 24 || d.BinlogRetentionHours > 2160 {
			bad("haina:cdc.database.binlogRetentionHours", d.BinlogRetentionHours, "allowed: 24 to 2160 hours (Aurora MySQL's maximum is 90 days)")
		}
		if len(d.PasswordRotation) > 64 || strings.ContainsAny(d.PasswordRotation, "\n\r") {
			bad("haina:cdc.database.passwordRotation", d.PasswordRotation, "allowed: up to 64 characters on one line (a date or a counter); a new value rotates Debezium's password")
		}
	case "existing":
		if d.PasswordRotation != "" {
			bad("haina:cdc.database.passwordRotation", d.PasswordRotation, "an existing database's Debezium user and secret are yours: rotate the password in Secrets Manager and restart the connector")
		}
		if !reHostname.MatchString(d.Endpoint) {
			bad("haina:cdc.database.endpoint", d.Endpoint, "an existing database needs its writer endpoint, such as mydb.cluster-abc.us-east-1.rds.amazonaws.com")
		}
		if d.Port < 1 || d.Port > 65535 {
			bad("haina:cdc.database.port", d.Port, "allowed: 1 to 65535")
		}
		if !reSecretArn.MatchString(d.SecretArn) {
			bad("haina:cdc.database.secretArn", d.SecretArn, "an existing database needs the full ARN (ending in - and 6 characters) of the Secrets Manager secret holding Debezium's username and password")
		}
		if d.SecretKmsKeyArn != "" && !reKmsKeyArn.MatchString(d.SecretKmsKeyArn) {
			bad("haina:cdc.database.secretKmsKeyArn", d.SecretKmsKeyArn, "allowed: empty (the secret uses aws/secretsmanager) or the ARN of the KMS key encrypting it")
		}
		if !reSecurityGrp.MatchString(d.SecurityGroupID) {
			bad("haina:cdc.database.securityGroupId", d.SecurityGroupID, "an existing database needs its security group id (the connector is admitted to it), such as sg-0123456789abcdef0")
		}
	default:
		bad("haina:cdc.database.mode", d.Mode, "allowed: create, existing")
	}
}

var (
	reTopicPrefix = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	reCDCTable    = regexp.MustCompile(`^[A-Za-z0-9_$]{1,64}\.[A-Za-z0-9_$]{1,64}$`)
	reS3PluginURI = regexp.MustCompile(`^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/[^\s]+\.zip$`)
	reSha256      = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
)

// debeziumOneTask is why the connector's capacity is fixed.
const debeziumOneTask = "AWS documents that the Debezium MySQL connector supports only one task and does not work with autoscaled capacity; " +
	"haina runs it on provisioned capacity with workerCount 1 and tasksMax 1"

func (a *PipelineArgs) validateConnector(bad badFunc) {
	c := a.CDC.Connector
	if !reTopicPrefix.MatchString(c.TopicPrefix) {
		bad("haina:cdc.connector.topicPrefix", c.TopicPrefix, "allowed: 1-64 letters, digits, _ or - (topics are <topicPrefix>.<database>.<table>)")
	}
	if len(c.Tables) == 0 {
		bad("haina:cdc.connector.tables", c.Tables, "list at least one table to capture, as database.table (for example salesdb.CUSTOMER)")
	}
	seen := map[string]bool{}
	for i, t := range c.Tables {
		key := fmt.Sprintf("haina:cdc.connector.tables[%d]", i)
		switch {
		case !reCDCTable.MatchString(t):
			bad(key, t, "allowed: database.table, each 1-64 letters, digits, _ or $")
		case seen[strings.ToLower(t)]:
			bad(key, t, "each table once")
		}
		seen[strings.ToLower(t)] = true
	}
	if c.CapacityMode != "provisioned" {
		bad("haina:cdc.connector.capacityMode", c.CapacityMode, "allowed: provisioned; "+debeziumOneTask)
	}
	if c.WorkerCount != 1 {
		bad("haina:cdc.connector.workerCount", c.WorkerCount, "allowed: 1; "+debeziumOneTask)
	}
	if c.TasksMax != 1 {
		bad("haina:cdc.connector.tasksMax", c.TasksMax, "allowed: 1; "+debeziumOneTask)
	}
	if !slices.Contains([]int{1, 2, 4, 8}, c.McuCount) {
		bad("haina:cdc.connector.mcuCount", c.McuCount, "allowed: 1, 2, 4 or 8 MCUs per worker")
	}
	if c.KafkaConnectVersion != "3.7.x" && c.KafkaConnectVersion != "2.7.1" {
		bad("haina:cdc.connector.kafkaConnectVersion", c.KafkaConnectVersion, "allowed: 3.7.x, 2.7.1 (the versions MSK Connect runs)")
	}
	if c.ServerID < 0 || c.ServerID > 4294967295 {
		bad("haina:cdc.connector.serverId", c.ServerID, "allowed: 0 (derived from prefix and environment) or a MySQL server id from 1 to 4294967295 unused by any replica")
	}
	if c.TopicPartitions < 1 || c.TopicPartitions > 100 {
		bad("haina:cdc.connector.topicPartitions", c.TopicPartitions, "allowed: 1 to 100 partitions per change topic")
	}
	if c.TopicRetentionHours < 24 || c.TopicRetentionHours > 8760 {
		bad("haina:cdc.connector.topicRetentionHours", c.TopicRetentionHours, "allowed: 24 to 8760 hours a change topic keeps its messages")
	}
	if !slices.Contains(logRetentionDays, c.LogRetentionDays) {
		bad("haina:cdc.connector.logRetentionDays", c.LogRetentionDays, fmt.Sprintf("allowed: one of %v", logRetentionDays))
	}
}

func (a *PipelineArgs) validatePlugin(bad badFunc) {
	p := a.CDC.Plugin
	if p.Archive != "" && p.S3URI != "" {
		bad("haina:cdc.plugin.s3Uri", p.S3URI, "set either haina:cdc.plugin.archive or haina:cdc.plugin.s3Uri, not both")
	}
	if p.S3URI != "" && !reS3PluginURI.MatchString(p.S3URI) {
		bad("haina:cdc.plugin.s3Uri", p.S3URI, "allowed: s3://<bucket>/<key>.zip, a ZIP already in S3 in this region")
	}
	if p.Archive != "" {
		if b, err := os.ReadFile(p.Archive); err != nil {
			bad("haina:cdc.plugin.archive", p.Archive, fmt.Sprintf("the file cannot be read (%v); give the path of a ZIP, relative to the project directory", errors.Unwrap(err)))
		} else if err := pluginarchive.Check(b); err != nil {
			bad("haina:cdc.plugin.archive", p.Archive, err.Error()+"; build one ZIP holding the Debezium MySQL connector's jars, aws-msk-iam-auth-<version>-all.jar and "+
				"msk-config-providers-<version>-all.jar (docs/cdc.md: air-gapped), or remove the key to let haina download the pinned release")
		}
	}
	if p.BaseURL != "" {
		u, err := url.Parse(p.BaseURL)
		if err != nil || u.Host == "" || u.Scheme != "https" {
			bad("haina:cdc.plugin.baseUrl", p.BaseURL, "allowed: an https URL of a mirror serving the official download paths")
		}
		// A mirror serves the checksums too: only pins tie its files to the releases.
		for _, s := range pluginarchive.DebeziumMySQL {
			if p.Sha256[s.Name] == "" {
				bad("haina:cdc.plugin.baseUrl", p.BaseURL, "a mirror's files are trusted only when pinned: set haina:cdc.plugin.sha256."+s.Name+
					" (the cdcPluginSha256 output of a deploy from the official locations, or the digest you verified)")
			}
		}
	}
	names := map[string]bool{}
	for _, s := range pluginarchive.DebeziumMySQL {
		names[s.Name] = true
	}
	for _, k := range sortedKeys(p.Sha256) {
		switch {
		case p.Archive != "" || p.S3URI != "":
			bad("haina:cdc.plugin.sha256."+k, p.Sha256[k], "pins apply to downloaded files only; remove them when naming an archive or s3Uri")
		case !names[k]:
			bad("haina:cdc.plugin.sha256."+k, p.Sha256[k], fmt.Sprintf("allowed: pins for %v", sortedKeys(names)))
		case !reSha256.MatchString(p.Sha256[k]):
			bad("haina:cdc.plugin.sha256."+k, p.Sha256[k], "allowed: a sha256 of 64 hex digits (see the cdcPluginSha256 stack output)")
		}
	}
}

var reApplyRole = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,126}$`)

// validateCDCRedshift checks the Redshift side of CDC: names, the schedule and
// every target table (captured, typed, keyed).
func (a *PipelineArgs) validateCDCRedshift(bad badFunc) {
	r := a.CDC.Redshift
	for _, n := range []struct{ key, value string }{
		{"haina:cdc.redshift.externalSchema", r.ExternalSchema}, {"haina:cdc.redshift.schema", r.Schema}, {"haina:cdc.redshift.applyRole", r.ApplyRole},
	} {
		if err := sql.CheckIdent(n.value); err != nil {
			bad(n.key, n.value, "allowed: a Redshift identifier ("+err.Error()+")")
		}
	}
	if !reApplyRole.MatchString(r.ApplyRole) {
		bad("haina:cdc.redshift.applyRole", r.ApplyRole, "allowed: 1-127 letters, digits or _, starting with a letter or _ (it is also the value of the scheduler role's RedshiftDbRoles tag)")
	} else if r.ApplyRole == a.RefreshRole() {
		bad("haina:cdc.redshift.applyRole", r.ApplyRole, "a role of its own: "+a.RefreshRole()+" is the refresh schedule's role")
	}
	if r.ExternalSchema == a.Ingestion.ExternalSchema || r.ExternalSchema == a.Ingestion.Schema {
		bad("haina:cdc.redshift.externalSchema", r.ExternalSchema, "a name of its own: haina:ingestion uses "+a.Ingestion.ExternalSchema+" and "+a.Ingestion.Schema)
	}
	if r.Schema == a.Ingestion.Schema || r.Schema == a.Ingestion.ExternalSchema || r.Schema == r.ExternalSchema {
		bad("haina:cdc.redshift.schema", r.Schema, "a schema of its own, not haina:ingestion's ("+a.Ingestion.ExternalSchema+", "+a.Ingestion.Schema+") nor the external schema")
	}
	if !r.AutoRefresh {
		// Nothing else refreshes a CDC landing view: with false no change would reach the target tables.
		bad("haina:cdc.redshift.autoRefresh", false, "allowed: true; nothing else refreshes the CDC landing views yet, so with false no change would reach the target tables")
	}
	if r.ScheduleMinutes < 1 || r.ScheduleMinutes > 1440 {
		bad("haina:cdc.redshift.scheduleMinutes", r.ScheduleMinutes, "allowed: 1 to 1440 minutes between apply runs")
	}
	captured := map[string]bool{}
	landing, topics := map[string]string{}, map[string]string{}
	for _, t := range a.CDC.Connector.Tables {
		captured[t] = true
		topic := ChangeTopic(a.CDC.Connector.TopicPrefix, t)
		if other, ok := topics[topic]; ok {
			bad("haina:cdc.connector.tables", a.CDC.Connector.Tables, fmt.Sprintf("%s and %s would share the topic %s (Debezium replaces characters a topic name cannot hold with _)", other, t, topic))
		}
		topics[topic] = t
		name := LandingViewName(t)
		if other, ok := landing[name]; ok {
			bad("haina:cdc.connector.tables", a.CDC.Connector.Tables, fmt.Sprintf("%s and %s would both land in %s.%s; rename one table's landing by capturing it under another database or name", other, t, r.Schema, name))
		}
		landing[name] = t
		if len(name) > 127 {
			bad("haina:cdc.connector.tables", t, fmt.Sprintf("its landing view %s is longer than Redshift's 127 bytes; use shorter names", name))
		}
	}
	reserved := map[string]bool{cdcOffsetsTable: true, cdcRunsTable: true, cdcRejectsTable: true}
	for name := range landing {
		reserved[name] = true
	}
	targets, sources := map[string]bool{}, map[string]bool{}
	for i, t := range r.Tables {
		key := fmt.Sprintf("haina:cdc.redshift.tables[%d]", i)
		switch {
		case !captured[t.Source]:
			bad(key+".source", t.Source, fmt.Sprintf("a table haina:cdc.connector.tables captures (%s); add it there first", strings.Join(a.CDC.Connector.Tables, ", ")))
		case sources[t.Source]:
			bad(key+".source", t.Source, "each captured table applied once")
		}
		sources[t.Source] = true
		target := t.TargetName()
		switch err := sql.CheckIdent(target); {
		case err != nil:
			bad(key+".table", target, "allowed: a Redshift identifier ("+err.Error()+")")
		case len(ProcedureName(target)) > 127:
			bad(key+".table", target, "allowed: at most 121 bytes (its procedure is apply_<table>, within Redshift's 127)")
		case targets[target]:
			bad(key+".table", target, "each target table once; another entry of haina:cdc.redshift.tables already uses it")
		case reserved[target]:
			bad(key+".table", target, fmt.Sprintf("a name of its own: %s.%s is already haina's (landing views are <db>_<table>_changes; apply_offsets and apply_runs are the apply's)", r.Schema, target))
		}
		targets[target] = true
		if len(t.Columns) == 0 {
			bad(key+".columns", t.Columns, "list the columns to keep: [{name, type}], name as in MySQL, type a Redshift type ("+sql.SupportedTypes+")")
		}
		names := map[string]bool{}
		for j, c := range t.Columns {
			ckey := fmt.Sprintf("%s.columns[%d]", key, j)
			if err := sql.CheckIdent(c.Name); err != nil {
				bad(ckey+".name", c.Name, "allowed: the MySQL column's name ("+err.Error()+")")
			} else if names[strings.ToLower(c.Name)] {
				bad(ckey+".name", c.Name, "each column once")
			}
			names[strings.ToLower(c.Name)] = true
			if _, _, err := sql.ColumnType(c.Type); err != nil {
				bad(ckey+".type", c.Type, err.Error())
			}
		}
		if len(t.PrimaryKey) == 0 {
			bad(key+".primaryKey", t.PrimaryKey, "the primary key's columns: changes are applied by key (Debezium keys its messages by the MySQL primary key)")
		}
		inKey := map[string]bool{}
		for j, k := range t.PrimaryKey {
			var typ string
			found := false
			for _, c := range t.Columns {
				if c.Name == k {
					found, typ = true, c.Type
				}
			}
			kkey := fmt.Sprintf("%s.primaryKey[%d]", key, j)
			switch _, fam, _ := sql.ColumnType(typ); {
			case !found:
				bad(kkey, k, "one of the table's columns")
			case inKey[k]:
				bad(kkey, k, "each key column once")
			case fam == sql.FamilySuper:
				bad(kkey, k, "a column of a scalar type: SUPER cannot be a key")
			}
			inKey[k] = true
		}
	}
}
