// Package components holds haina's Pulumi ComponentResources, one per AWS
// building block (network, stream, warehouse, ingestion, producer, log
// shipper, lake, delivery, Redshift delivery, flow logs, logs key, Kafka,
// topics, source database, connector, change tables, schedules, destroy
// guard), each beside its config section, defaults and rules; the Pipeline
// that composes them into one stack; and the stack-config loader
// (LoadPipelineArgs, Validate). docs/use-from-go.md shows how to use
// them from your own Go program.
package components
