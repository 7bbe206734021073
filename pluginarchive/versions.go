package pluginarchive

// DebeziumMySQL is the MSK Connect plugin haina deploys: the one place its
// versions and download locations are pinned. Each file comes from its
// project's official release location; ChecksumURL is the digest that
// repository publishes beside the file, where there is one. A user pins the
// observed sha256 (stack output cdcPluginSha256) with haina:cdc.plugin.sha256.
var DebeziumMySQL = []Source{
	{
		Name: "debezium-connector-mysql", Version: "2.7.3.Final", Format: FormatTarGz,
		URL:         "https://repo1.maven.org/maven2/io/debezium/debezium-connector-mysql/2.7.3.Final/debezium-connector-mysql-2.7.3.Final-plugin.tar.gz",
		ChecksumURL: "https://repo1.maven.org/maven2/io/debezium/debezium-connector-mysql/2.7.3.Final/debezium-connector-mysql-2.7.3.Final-plugin.tar.gz.sha1",
	},
	{
		// Debezium's schema-history clients sign their own SASL/IAM requests: they
		// need these classes beside the connector's.
		Name: "aws-msk-iam-auth", Version: "2.3.5", Format: FormatJar, Dir: PluginDir,
		URL:         "https://github.com/aws/aws-msk-iam-auth/releases/download/v2.3.5/aws-msk-iam-auth-2.3.5-all.jar",
		ChecksumURL: "https://github.com/aws/aws-msk-iam-auth/releases/download/v2.3.5/aws-msk-iam-auth-2.3.5-all.jar.sha256",
	},
	{
		// The Secrets Manager config provider resolves ${secretsmanager:…} in the
		// connector configuration; this release publishes no checksum beside it.
		Name: "msk-config-providers", Version: "0.4.0", Format: FormatJar, Dir: PluginDir,
		URL: "https://github.com/aws-samples/msk-config-providers/releases/download/r0.4.0/msk-config-providers-0.4.0-all.jar",
	},
}

// PluginDir is the folder in the ZIP that holds the connector and the jars it loads.
const PluginDir = "debezium-connector-mysql"

// Required are the jars a usable plugin archive holds (by file-name prefix).
var Required = []Requirement{
	{Prefix: "debezium-connector-mysql-", What: "the Debezium MySQL connector jar (debezium-connector-mysql-<version>.jar)"},
	{Prefix: "aws-msk-iam-auth-", What: "the MSK IAM auth jar (aws-msk-iam-auth-<version>-all.jar)"},
	{Prefix: "msk-config-providers-", What: "the MSK config providers jar (msk-config-providers-<version>-all.jar) that resolves ${secretsmanager:…}"},
}
