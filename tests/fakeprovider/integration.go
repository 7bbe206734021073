package fakeprovider

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/haina-data/haina/tests/fakeaws"
	"github.com/haina-data/haina/tests/iameval"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"google.golang.org/protobuf/types/known/structpb"
)

// What AWS requires before it creates an Aurora MySQL → Redshift zero-ETL
// integration (rds:CreateIntegration), each rule with the page that states it.
// Only with CloudDirEnv set: the source cluster, its parameter group and
// instances, and the target's resource policy and workgroup are read there.

// ZeroETLSourceParameters are the DB cluster parameters a zero-ETL source on
// Aurora MySQL 8.0 must carry ("Step 1: Create a custom DB cluster parameter
// group", https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/zero-etl.setting-up.html).
var ZeroETLSourceParameters = map[string]string{
	"aurora_enhanced_binlog": "1", "binlog_backup": "0", "binlog_format": "ROW",
	"binlog_replication_globaldb": "0", "binlog_row_image": "full", "binlog_row_metadata": "full",
}

// zeroETLForbidden are values the same page rules out.
var zeroETLForbidden = map[string]string{"binlog_transaction_compression": "ON", "binlog_row_value_options": "PARTIAL_JSON"}

var reAuroraMySQL = regexp.MustCompile(`^8\.0\.mysql_aurora\.3\.([0-9]+)\.([0-9]+)$`)

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

// checkIntegration refuses what rds:CreateIntegration refuses.
func checkIntegration(urn string, state *structpb.Struct) error {
	dir := os.Getenv(CloudDirEnv)
	if dir == "" || resource.URN(urn).Type().String() != "aws:rds/integration:Integration" {
		return nil
	}
	props, err := plugin.UnmarshalProperties(state, opts)
	if err != nil {
		return err
	}
	in := props.Mappable()
	source, target := str(in, "sourceArn"), str(in, "targetArn")
	if err := checkDataFilter(str(in, "dataFilter")); err != nil {
		return err
	}

	// The source: an Aurora MySQL cluster at 3.05.2 or later ("Supported
	// Regions and Aurora DB engines for zero-ETL integrations",
	// https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.Aurora_Fea_Regions_DB-eng.Feature.Zero-ETL.html)
	// with at least one DB instance ("Limitations",
	// https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/zero-etl.html).
	cluster, err := find(dir, "aws:rds/cluster:Cluster", func(s map[string]any) bool { return str(s, "arn") == source })
	if err != nil {
		return err
	}
	if cluster == nil {
		return fmt.Errorf("DBClusterNotFoundFault: source %s is not a DB cluster", source)
	}
	m := reAuroraMySQL.FindStringSubmatch(str(cluster, "engineVersion"))
	if str(cluster, "engine") != "aurora-mysql" || m == nil {
		return fmt.Errorf("InvalidDBClusterStateFault: %s runs %s %s; zero-ETL needs Aurora MySQL 3.05.2 or later", source, str(cluster, "engine"), str(cluster, "engineVersion"))
	}
	minor, _ := strconv.Atoi(m[1])
	patch, _ := strconv.Atoi(m[2])
	if minor < 5 || (minor == 5 && patch < 2) {
		return fmt.Errorf("InvalidDBClusterStateFault: %s runs Aurora MySQL %s; zero-ETL needs 3.05.2 or later", source, str(cluster, "engineVersion"))
	}
	id := str(cluster, "clusterIdentifier")
	instance, err := find(dir, "aws:rds/clusterInstance:ClusterInstance", func(s map[string]any) bool { return str(s, "clusterIdentifier") == id })
	if err != nil {
		return err
	}
	if instance == nil {
		return fmt.Errorf("InvalidDBClusterStateFault: %s has no DB instance; an integration source needs one", source)
	}
	// Its parameter group carries the binlog settings (page above), in
	// effect: a group attached to or changed on an existing cluster waits for
	// the writer to restart ("If you associate the parameter group with the DB
	// cluster after the cluster is already created, you must reboot the primary
	// DB instance in the cluster to apply the changes before you can create a
	// zero-ETL integration", same page). This fake has no reboot: such a
	// source stays refused.
	groupName := str(cluster, "dbClusterParameterGroupName")
	group, err := findExisting(dir, "aws:rds/clusterParameterGroup:ClusterParameterGroup", func(s map[string]any) bool { return str(s, "name") == groupName })
	if err != nil {
		return err
	}
	clusterRec, err := findExisting(dir, "aws:rds/cluster:Cluster", func(s map[string]any) bool { return str(s, "arn") == source })
	if err != nil {
		return err
	}
	if group != nil && clusterRec != nil && group.Created > clusterRec.First {
		return fmt.Errorf("InvalidDBClusterStateFault: the DB cluster parameter group of %s (%q) was attached or changed after the cluster was created "+
			"and is pending-reboot: reboot the writer, then create the integration", source, groupName)
	}
	params := map[string]string{}
	if group != nil {
		list, _ := group.State["parameters"].([]any)
		for _, p := range list {
			pm, _ := p.(map[string]any)
			params[str(pm, "name")] = str(pm, "value")
		}
	}
	for name, want := range ZeroETLSourceParameters {
		if !strings.EqualFold(params[name], want) {
			return fmt.Errorf("InvalidDBClusterStateFault: the DB cluster parameter group of %s (%q) has %s=%q; a zero-ETL source needs %s=%s "+
				"(https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/zero-etl.setting-up.html)", source, groupName, name, params[name], name, want)
		}
	}
	for name, bad := range zeroETLForbidden {
		if strings.EqualFold(params[name], bad) {
			return fmt.Errorf("InvalidDBClusterStateFault: the DB cluster parameter group of %s has %s=%s, which zero-ETL does not support", source, name, bad)
		}
	}

	// The target authorizes this source and this account on its namespace
	// ("Configure authorization for your Amazon Redshift data warehouse",
	// https://docs.aws.amazon.com/redshift/latest/mgmt/zero-etl-using.redshift-iam.html).
	policy, err := find(dir, "aws:redshift/resourcePolicy:ResourcePolicy", func(s map[string]any) bool { return str(s, "resourceArn") == target })
	if err != nil {
		return err
	}
	if policy == nil {
		return fmt.Errorf("IntegrationTargetNotFoundFault: %s has no resource policy: no source is an authorized integration source", target)
	}
	doc, err := iameval.Parse("namespace", str(policy, "policy"))
	if err != nil {
		return err
	}
	for _, req := range []iameval.Request{
		{Caller: iameval.Caller{Kind: "Service", ID: "redshift.amazonaws.com"}, Action: "redshift:AuthorizeInboundIntegration", Resource: target,
			Context: iameval.Context{"aws:SourceArn": {source}}},
		{Caller: iameval.Caller{Kind: "AWS", ID: "arn:aws:iam::" + fakeaws.Account + ":root", Account: fakeaws.Account},
			Action: "redshift:CreateInboundIntegration", Resource: target},
	} {
		r, err := iameval.Evaluate(req, nil, doc)
		if err != nil {
			return err
		}
		if !r.Allowed() {
			return fmt.Errorf("IntegrationTargetNotFoundFault: the resource policy of %s does not allow %s to %s (source %s)", target, req.Caller.ID, req.Action, source)
		}
	}
	// A Serverless target's workgroup keeps case-sensitive identifiers
	// ("Considerations", https://docs.aws.amazon.com/redshift/latest/mgmt/zero-etl.reqs-lims.html).
	ns, err := find(dir, "aws:redshiftserverless/namespace:Namespace", func(s map[string]any) bool { return str(s, "arn") == target })
	if err != nil {
		return err
	}
	if ns != nil {
		wg, err := find(dir, "aws:redshiftserverless/workgroup:Workgroup", func(s map[string]any) bool { return str(s, "namespaceName") == str(ns, "namespaceName") })
		if err != nil {
			return err
		}
		sensitive := false
		if wg != nil {
			list, _ := wg["configParameters"].([]any)
			for _, p := range list {
				pm, _ := p.(map[string]any)
				sensitive = sensitive || (str(pm, "parameterKey") == "enable_case_sensitive_identifier" && str(pm, "parameterValue") == "true")
			}
		}
		if !sensitive {
			return fmt.Errorf("InvalidParameterValue: the target namespace's workgroup does not have enable_case_sensitive_identifier=true")
		}
	}
	if err := checkIntegrationKey(dir, str(in, "kmsKeyId"), len(mapOf(in["additionalEncryptionContext"])) > 0); err != nil {
		return err
	}
	// One integration per source and target ("Quotas", zero-etl.html above).
	others, err := Resources(dir, "aws:rds/integration:Integration")
	if err != nil {
		return err
	}
	for _, o := range others {
		if o.URN != urn && o.State["sourceArn"] == source && o.State["targetArn"] == target {
			return fmt.Errorf("IntegrationAlreadyExistsFault: an integration from %s to %s exists already (%s)", source, target, o.URN)
		}
	}
	return nil
}

func mapOf(v any) map[string]any { m, _ := v.(map[string]any); return m }

// checkIntegrationKey refuses an integration key AWS cannot use. "Encrypting
// integrations with a customer managed key"
// (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/zero-etl.creating.html):
// "the key policy must provide the Amazon Redshift service principal access
// to the CreateGrant action. In addition, it must allow the current user to
// perform the DescribeKey and CreateGrant actions"; the page's sample scopes
// both grants to Decrypt, GenerateDataKey and CreateGrant and the user's to
// kms:ViaService rds. AdditionalEncryptionContext "You can only include …
// if you specify the KMSKeyId parameter"
// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateIntegration.html).
// No key: RDS uses an AWS owned key, which needs nothing.
func checkIntegrationKey(dir, keyID string, context bool) error {
	if keyID == "" {
		if context {
			return fmt.Errorf("InvalidParameterCombination: AdditionalEncryptionContext needs a KMSKeyId")
		}
		return nil
	}
	key, err := find(dir, "aws:kms/key:Key", func(s map[string]any) bool { return str(s, "arn") == keyID || str(s, "keyId") == keyID })
	if err != nil {
		return err
	}
	if key == nil {
		return fmt.Errorf("KMSKeyNotAccessibleFault: KMS key %s does not exist", keyID)
	}
	doc, err := iameval.Parse("key", str(key, "policy"))
	if err != nil {
		return err
	}
	arn := str(key, "arn")
	region := ""
	if parts := strings.Split(arn, ":"); len(parts) > 3 {
		region = parts[3]
	}
	ops := []string{"Decrypt", "GenerateDataKey", "CreateGrant"}
	root := iameval.Caller{Kind: "AWS", ID: "arn:aws:iam::" + fakeaws.Account + ":root", Account: fakeaws.Account}
	viaRDS := iameval.Context{"kms:ViaService": {"rds." + region + ".amazonaws.com"}, "kms:CallerAccount": {fakeaws.Account},
		"kms:GrantIsForAWSResource": {"true"}, "kms:GrantOperations": ops}
	for _, req := range []iameval.Request{
		{Caller: iameval.Caller{Kind: "Service", ID: "redshift.amazonaws.com"}, Action: "kms:CreateGrant", Resource: arn,
			Context: iameval.Context{"kms:GrantOperations": ops}},
		{Caller: root, Action: "kms:CreateGrant", Resource: arn, Context: viaRDS},
		{Caller: root, Action: "kms:DescribeKey", Resource: arn, Context: viaRDS},
	} {
		r, err := iameval.Evaluate(req, nil, doc)
		if err != nil {
			return err
		}
		if !r.Allowed() {
			return fmt.Errorf("KMSKeyNotAccessibleFault: the key policy of %s does not allow %s to %s (a zero-ETL integration's key)", arn, req.Caller.ID, req.Action)
		}
	}
	return nil
}

// reFilterPattern is one element of a data filter: its filter type, then one
// database.table pattern (a name, * or a /regex/).
var reFilterPattern = regexp.MustCompile(`^(include|exclude):\s*\S+\.\S+$`)

// checkDataFilter refuses a data filter AWS refuses. "Data filtering for
// Aurora zero-ETL integrations"
// (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/zero-etl.filtering.html):
// through the CLI or API each pattern carries its own filter type
// ("include: mydb.mytable, include: mydb./table_\d+/"), an integration holds
// at most 99 patterns, and a pattern is at most 256 characters. An empty
// filter is AWS's default, include: *.*.
func checkDataFilter(filter string) error {
	if filter == "" {
		return nil
	}
	parts := strings.Split(filter, ",")
	if len(parts) > 99 {
		return fmt.Errorf("InvalidParameterValue: the data filter holds %d patterns; at most 99", len(parts))
	}
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if !reFilterPattern.MatchString(p) {
			return fmt.Errorf("InvalidParameterValue: data filter element %q is not \"include: database.table\" or \"exclude: database.table\": each pattern needs its own filter type", p)
		}
		if len(p) > 256 {
			return fmt.Errorf("InvalidParameterValue: data filter pattern %q is longer than 256 characters", p)
		}
	}
	return nil
}

// checkDeleteWithIntegration refuses deleting an integration's source cluster
// or target namespace while the integration exists ("You can't delete an
// Amazon Redshift data warehouse that has existing zero-ETL integrations",
// https://docs.aws.amazon.com/redshift/latest/mgmt/zero-etl.reqs-lims.html;
// Aurora: "Limitations", https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/zero-etl.html).
func checkDeleteWithIntegration(urn string, state *structpb.Struct) error {
	dir := os.Getenv(CloudDirEnv)
	typ := resource.URN(urn).Type().String()
	if dir == "" || (typ != "aws:rds/cluster:Cluster" && typ != "aws:redshiftserverless/namespace:Namespace") {
		return nil
	}
	props, err := plugin.UnmarshalProperties(state, opts)
	if err != nil {
		return err
	}
	arn := str(props.Mappable(), "arn")
	integrations, err := Resources(dir, "aws:rds/integration:Integration")
	if err != nil {
		return err
	}
	for _, i := range integrations {
		if i.State["sourceArn"] == arn || i.State["targetArn"] == arn {
			return fmt.Errorf("InvalidStateFault: %s has a zero-ETL integration (%s); delete the integration first", arn, i.State["arn"])
		}
	}
	return nil
}

// find returns the state of the first resource of typ in dir that matches.
func find(dir, typ string, match func(map[string]any) bool) (map[string]any, error) {
	r, err := findExisting(dir, typ, match)
	if r == nil || err != nil {
		return nil, err
	}
	return r.State, nil
}

// findExisting returns the first resource of typ in dir whose state matches.
func findExisting(dir, typ string, match func(map[string]any) bool) (*Existing, error) {
	all, err := Resources(dir, typ)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if match(all[i].State) {
			return &all[i], nil
		}
	}
	return nil, nil
}
