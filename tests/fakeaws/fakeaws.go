// Package fakeaws is the one table of what AWS would compute for each resource
// type haina declares: deterministic ids, ARNs, endpoints. The mock harness
// uses it, and so does the fake provider that stands in for AWS under the real
// engine, so both see the same cloud.
package fakeaws

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Account is the fake AWS account id.
const Account = "123456789012"

// Cloud computes fake outputs in one region.
type Cloud struct {
	Region string
}

// hexID is a deterministic hex id of n characters for a resource.
func hexID(token, name string, n int) string {
	sum := sha256.Sum256([]byte(token + "\x00" + name))
	return hex.EncodeToString(sum[:])[:n]
}

// uuid is a deterministic UUID-shaped id.
func uuid(token, name string) string {
	h := hexID(token, name, 32)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func str(m resource.PropertyMap, key string) string {
	if v, ok := m[resource.PropertyKey(key)]; ok {
		if v.IsSecret() {
			v = v.SecretValue().Element
		}
		if v.IsString() {
			return v.StringValue()
		}
	}
	return ""
}

func (c Cloud) arn(service, resourcePart string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, c.Region, Account, resourcePart)
}

// Create returns the id and the full state (inputs plus computed fields) of a new resource.
func (c Cloud) Create(token, name string, inputs resource.PropertyMap) (string, resource.PropertyMap) {
	out := inputs.Copy()
	set := func(k string, v any) {
		if _, ok := out[resource.PropertyKey(k)]; !ok || out[resource.PropertyKey(k)].IsNull() {
			if pv, ok := v.(resource.PropertyValue); ok {
				out[resource.PropertyKey(k)] = pv
			} else {
				out[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
			}
		}
	}
	id := hexID(token, name, 17)
	switch token {
	case "aws:ec2/vpc:Vpc":
		id = "vpc-" + id
		set("arn", c.arn("ec2", "vpc/"+id))
		set("defaultSecurityGroupId", "sg-"+hexID(token+"/default-sg", name, 17))
		set("mainRouteTableId", "rtb-"+hexID(token+"/main-rtb", name, 17))
		set("ownerId", Account)
	case "aws:ec2/subnet:Subnet":
		id = "subnet-" + id
		set("arn", c.arn("ec2", "subnet/"+id))
	case "aws:ec2/routeTable:RouteTable":
		id = "rtb-" + id
		set("arn", c.arn("ec2", "route-table/"+id))
	case "aws:ec2/routeTableAssociation:RouteTableAssociation":
		id = "rtbassoc-" + id
	case "aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup":
		id = "sg-" + id
		set("arn", c.arn("ec2", "security-group/"+id))
	case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule":
		id = "sgr-" + id
		set("arn", c.arn("ec2", "security-group-rule/"+id))
		set("securityGroupRuleId", id)
	case "aws:ec2/vpcEndpoint:VpcEndpoint":
		id = "vpce-" + id
		set("arn", c.arn("ec2", "vpc-endpoint/"+id))
		if str(inputs, "vpcEndpointType") == "Gateway" {
			set("prefixListId", "pl-"+hexID(token+"/pl", name, 8))
		}
	case "aws:kms/key:Key":
		id = uuid(token, name)
		set("arn", c.arn("kms", "key/"+id))
		set("keyId", id)
	case "aws:kinesis/stream:Stream":
		arn := c.arn("kinesis", "stream/"+str(inputs, "name"))
		id = arn
		set("arn", arn)
	case "aws:iam/role:Role":
		id = str(inputs, "name")
		if id == "" {
			id = name + "-" + hexID(token, name, 7)
			set("name", id)
		}
		set("arn", fmt.Sprintf("arn:aws:iam::%s:role/%s", Account, id))
		set("uniqueId", "AROA"+strings.ToUpper(hexID(token, name, 17)))
	case "aws:iam/rolePolicy:RolePolicy":
		id = fmt.Sprintf("%s:%s", str(inputs, "role"), str(inputs, "name"))
	case "aws:redshiftserverless/namespace:Namespace":
		ns := str(inputs, "namespaceName")
		id = ns
		nsID := uuid(token, name)
		set("namespaceId", nsID)
		set("arn", c.arn("redshift-serverless", "namespace/"+nsID))
		set("adminPasswordSecretArn", c.arn("secretsmanager", "secret:redshift!"+ns+"-admin-"+hexID(token, name, 6)))
	case "aws:redshiftserverless/workgroup:Workgroup":
		wg := str(inputs, "workgroupName")
		id = wg
		wgID := uuid(token, name)
		set("workgroupId", wgID)
		set("arn", c.arn("redshift-serverless", "workgroup/"+wgID))
		port := 5439.0
		if v, ok := inputs["port"]; ok && v.IsNumber() {
			port = v.NumberValue()
		}
		set("endpoints", []any{map[string]any{
			"address": fmt.Sprintf("%s.%s.%s.redshift-serverless.amazonaws.com", wg, Account, c.Region),
			"port":    port,
		}})
	case "random:index/randomPassword:RandomPassword", "random:index/randomString:RandomString":
		n := 16
		if v, ok := inputs["length"]; ok && v.IsNumber() {
			n = int(v.NumberValue())
		}
		r := strings.Repeat(hexID(token, name, 64), n/64+1)[:n]
		set("result", resource.MakeSecret(resource.NewStringProperty(r)))
	case "random:index/randomId:RandomId":
		set("hex", hexID(token, name, 16))
	case "aws:ec2/instance:Instance":
		id = "i-" + id
		set("arn", c.arn("ec2", "instance/"+id))
		set("privateIp", "10.40.0.10")
	case "aws:iam/instanceProfile:InstanceProfile":
		id = str(inputs, "name")
		set("arn", fmt.Sprintf("arn:aws:iam::%s:instance-profile/%s", Account, id))
	case "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
		id = str(inputs, "role") + "-" + hexID(token, name, 8)
	case "aws:s3/bucketV2:BucketV2":
		id = str(inputs, "bucket")
		set("arn", "arn:aws:s3:::"+id)
		set("bucketDomainName", id+".s3.amazonaws.com")
		set("bucketRegionalDomainName", id+".s3."+c.Region+".amazonaws.com")
	case "aws:glue/catalogDatabase:CatalogDatabase":
		id = Account + ":" + str(inputs, "name")
		set("arn", c.arn("glue", "database/"+str(inputs, "name")))
		set("catalogId", Account)
	case "aws:glue/catalogTable:CatalogTable":
		id = Account + ":" + str(inputs, "databaseName") + ":" + str(inputs, "name")
		set("arn", c.arn("glue", "table/"+str(inputs, "databaseName")+"/"+str(inputs, "name")))
		set("catalogId", Account)
	case "aws:athena/workgroup:Workgroup":
		id = str(inputs, "name")
		set("arn", c.arn("athena", "workgroup/"+id))
	case "aws:athena/namedQuery:NamedQuery":
		id = uuid(token, name)
	case "aws:cloudwatch/logStream:LogStream":
		id = str(inputs, "name")
		set("arn", c.arn("logs", "log-group:"+str(inputs, "logGroupName")+":log-stream:"+id))
	case "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream":
		arn := c.arn("firehose", "deliverystream/"+str(inputs, "name"))
		id = arn
		set("arn", arn)
	case "aws:ec2/flowLog:FlowLog":
		id = "fl-" + id
		set("arn", c.arn("ec2", "vpc-flow-log/"+id))
	case "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter":
		id = "cwlsf-" + id
	case "aws:msk/cluster:Cluster", "aws:msk/serverlessCluster:ServerlessCluster":
		cname := str(inputs, "clusterName")
		id = c.arn("kafka", "cluster/"+cname+"/"+uuid(token, name))
		set("arn", id)
		set("clusterUuid", uuid(token, name))
		brokers := []string{}
		for i := 1; i <= 3; i++ {
			brokers = append(brokers, fmt.Sprintf("b-%d.%s.abc123.c2.kafka.%s.amazonaws.com:9098", i, cname, c.Region))
		}
		set("bootstrapBrokersSaslIam", strings.Join(brokers, ","))
	case "aws:msk/configuration:Configuration":
		id = c.arn("kafka", "configuration/"+str(inputs, "name")+"/"+uuid(token, name))
		set("arn", id)
		set("latestRevision", 1.0)
	case "aws:rds/cluster:Cluster":
		id = str(inputs, "clusterIdentifier")
		set("arn", c.arn("rds", "cluster:"+id))
		set("endpoint", id+".cluster-abc123."+c.Region+".rds.amazonaws.com")
		set("readerEndpoint", id+".cluster-ro-abc123."+c.Region+".rds.amazonaws.com")
		set("masterUserSecrets", []any{map[string]any{
			"secretArn": c.arn("secretsmanager", "secret:rds!cluster-"+uuid(token, name)+"-"+hexID(token, name, 6)), "secretStatus": "active",
		}})
	case "aws:rds/clusterInstance:ClusterInstance":
		id = str(inputs, "identifier")
		set("arn", c.arn("rds", "db:"+id))
	case "aws:rds/clusterParameterGroup:ClusterParameterGroup", "aws:rds/subnetGroup:SubnetGroup":
		id = str(inputs, "name")
		kind := map[bool]string{true: "cluster-pg:", false: "subgrp:"}[token == "aws:rds/clusterParameterGroup:ClusterParameterGroup"]
		set("arn", c.arn("rds", kind+id))
	case "aws:redshift/integration:Integration":
		id = c.arn("redshift", "integration:"+uuid(token, name))
		set("arn", id)
	case "aws:rds/integration:Integration":
		// The id is the ARN; its last part is the integration id Redshift names.
		id = c.arn("rds", "integration:"+uuid(token, name))
		set("arn", id)
	case "aws:redshift/resourcePolicy:ResourcePolicy":
		id = str(inputs, "resourceArn")
	case "aws:cloudwatch/logGroup:LogGroup":
		id = str(inputs, "name")
		set("arn", c.arn("logs", "log-group:"+id))
	case "aws:lambda/function:Function":
		id = str(inputs, "name")
		arn := c.arn("lambda", "function:"+id)
		set("arn", arn)
		set("qualifiedArn", arn+":$LATEST")
		set("invokeArn", fmt.Sprintf("arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations", c.Region, arn))
		set("version", "$LATEST")
	case "aws:scheduler/schedule:Schedule":
		id = "default/" + str(inputs, "name")
		set("arn", c.arn("scheduler", "schedule/"+id))
	case "aws:secretsmanager/secret:Secret":
		secretName := str(inputs, "name")
		if secretName == "" {
			secretName = str(inputs, "namePrefix") + hexID(token, name, 26)
			set("name", secretName)
		}
		id = c.arn("secretsmanager", "secret:"+secretName+"-"+hexID(token+"/suffix", name, 6))
		set("arn", id)
	case "aws:mskconnect/customPlugin:CustomPlugin", "aws:mskconnect/workerConfiguration:WorkerConfiguration", "aws:mskconnect/connector:Connector":
		kind := map[string]string{
			"aws:mskconnect/customPlugin:CustomPlugin": "custom-plugin", "aws:mskconnect/workerConfiguration:WorkerConfiguration": "worker-configuration",
			"aws:mskconnect/connector:Connector": "connector",
		}[token]
		id = c.arn("kafkaconnect", kind+"/"+str(inputs, "name")+"/"+uuid(token, name)+"-2")
		set("arn", id)
		if kind == "connector" {
			set("version", "KX1JKQ8YNWZVZ")
		} else {
			set("latestRevision", 1.0)
		}
	case "aws:s3/bucketObjectv2:BucketObjectv2":
		id = str(inputs, "key")
		set("etag", hexID(token, name, 32))
		set("versionId", "")
	case "haina:msk:PluginArchive":
		// What haina's provider records: the observed digests (the mock has no downloads).
		id = "s3://" + str(inputs, "bucket") + "/" + str(inputs, "key")
		sums := map[string]any{}
		if v, ok := inputs["sources"]; ok && v.IsArray() {
			for _, src := range v.ArrayValue() {
				n := str(src.ObjectValue(), "name")
				sums[n] = hexID(token+"/"+n, name, 64)
			}
		}
		set("sha256", sums)
		set("archiveSha256", hexID(token, name, 64))
		set("size", 1.0)
	case "aws:redshiftserverless/usageLimit:UsageLimit":
		id = uuid(token, name)
		set("arn", c.arn("redshift-serverless", "usagelimit/"+id))
	case "aws:redshift/cluster:Cluster":
		cl := str(inputs, "clusterIdentifier")
		id = cl
		set("arn", c.arn("redshift", "cluster:"+cl))
		set("clusterNamespaceArn", c.arn("redshift", "namespace:"+uuid(token, name)))
		set("dnsName", fmt.Sprintf("%s.%s.%s.redshift.amazonaws.com", cl, hexID(token, name, 12), c.Region))
		port := 5439.0
		if v, ok := inputs["port"]; ok && v.IsNumber() {
			port = v.NumberValue()
		}
		set("port", port)
		set("endpoint", fmt.Sprintf("%s.%s.%s.redshift.amazonaws.com:%d", cl, hexID(token, name, 12), c.Region, int(port)))
		if v, ok := inputs["manageMasterPassword"]; ok && v.IsBool() && v.BoolValue() {
			set("masterPasswordSecretArn", c.arn("secretsmanager", "secret:redshift!"+cl+"-"+str(inputs, "masterUsername")+"-"+hexID(token, name, 6)))
		}
	case "aws:redshift/parameterGroup:ParameterGroup", "aws:redshift/subnetGroup:SubnetGroup":
		id = str(inputs, "name")
		kind := map[bool]string{true: "parametergroup:", false: "subnetgroup:"}[token == "aws:redshift/parameterGroup:ParameterGroup"]
		set("arn", c.arn("redshift", kind+id))
	case "aws:sns/topic:Topic":
		id = c.arn("sns", str(inputs, "name"))
		set("arn", id)
	case "aws:redshift/logging:Logging":
		id = str(inputs, "clusterIdentifier")
	}
	return id, out
}

// Invoke answers the data-source calls haina makes.
func (c Cloud) Invoke(token string, args resource.PropertyMap) (resource.PropertyMap, error) {
	switch token {
	case "aws:index/getAvailabilityZones:getAvailabilityZones":
		// As AWS answers in us-east-1 for some accounts: names and IDs shuffled,
		// and use1-az3 (which MSK refuses for client subnets) among the first three.
		return resource.NewPropertyMapFromMap(map[string]any{
			"id":         c.Region,
			"names":      []any{c.Region + "a", c.Region + "b", c.Region + "c", c.Region + "d", c.Region + "e"},
			"zoneIds":    []any{"use1-az6", "use1-az3", "use1-az1", "use1-az2", "use1-az4"},
			"groupNames": []any{c.Region},
		}), nil
	case "aws:ssm/getParameter:getParameter":
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": str(args, "name"), "name": str(args, "name"), "type": "String", "value": "ami-0fake0al2023arm64", "version": 1.0,
			"arn": c.arn("ssm", "parameter"+str(args, "name")),
		}), nil
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": Account, "accountId": Account, "arn": "arn:aws:iam::" + Account + ":user/haina", "userId": "AIDAHAINA",
		}), nil
	case "aws:ec2/getSubnet:getSubnet":
		// A subnet named by the user lives in a VPC of its own (not haina's), as a
		// log shipper's subnet with a route out does.
		id := str(args, "id")
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": id, "arn": c.arn("ec2", "subnet/"+id), "vpcId": "vpc-" + strings.TrimPrefix(id, "subnet-"), "availabilityZoneId": "az1",
		}), nil
	case "aws:ec2/getVpc:getVpc":
		id := str(args, "id")
		return resource.NewPropertyMapFromMap(map[string]any{
			"id":        id,
			"arn":       c.arn("ec2", "vpc/"+id),
			"cidrBlock": "10.0.0.0/16",
		}), nil
	}
	return nil, fmt.Errorf("fakeaws: no fake for invoke %s", token)
}
