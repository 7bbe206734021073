package components

import (
	"fmt"
	"strings"
)

// Column is one column of a lake dataset, declared once in Go and used by both
// the Glue table and Firehose's record format conversion.
type Column struct {
	Name string // Glue/Athena column name
	Type string // Glue type: string, int, bigint, timestamp, …
	// Field is the source field name when it differs from Name (flow-log fields use hyphens).
	Field string
}

// EventsSchema is the app event schema as the lake stores it.
var EventsSchema = []Column{
	{Name: "event_time", Type: "timestamp"},
	{Name: "event_name", Type: "string"},
	{Name: "user", Type: "int"},
	// Last, so files written before keep their column positions; older events have none.
	{Name: "event_id", Type: "string"},
}

// flowLogFieldTypes are the Glue types of the VPC flow log fields haina knows
// (versions 2–5, AWS's Athena example types).
var flowLogFieldTypes = map[string]string{
	"version": "int", "account-id": "string", "interface-id": "string", "srcaddr": "string", "dstaddr": "string",
	"srcport": "int", "dstport": "int", "protocol": "bigint", "packets": "bigint", "bytes": "bigint",
	"start": "bigint", "end": "bigint", "action": "string", "log-status": "string",
	"vpc-id": "string", "subnet-id": "string", "instance-id": "string", "tcp-flags": "int", "type": "string",
	"pkt-srcaddr": "string", "pkt-dstaddr": "string", "region": "string", "az-id": "string",
	"sublocation-type": "string", "sublocation-id": "string", "pkt-src-aws-service": "string",
	"pkt-dst-aws-service": "string", "flow-direction": "string", "traffic-path": "int",
}

// DefaultFlowLogFields is the default (version 2) format: 14 fields.
var DefaultFlowLogFields = []string{
	"version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport",
	"protocol", "packets", "bytes", "start", "end", "action", "log-status",
}

// FlowLogColumns maps flow-log fields to table columns, in order: one list
// gives both the log format string and the table.
func FlowLogColumns(fields []string) ([]Column, error) {
	cols := make([]Column, 0, len(fields))
	for _, f := range fields {
		t, ok := flowLogFieldTypes[f]
		if !ok {
			return nil, fmt.Errorf("unknown flow log field %q", f)
		}
		cols = append(cols, Column{Name: strings.ReplaceAll(f, "-", "_"), Type: t, Field: f})
	}
	return cols, nil
}

// FlowLogFormat is the flow log's custom format string for fields: "${version} ${account-id} …".
func FlowLogFormat(fields []string) string {
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = "${" + f + "}"
	}
	return strings.Join(parts, " ")
}

// Hourly partitions: Firehose writes UTC hours under <dataset>/yyyy/MM/dd/HH/,
// and the table projects one "datehour" partition over the same layout.
const (
	// FirehoseHourPrefix is appended to the dataset's prefix in Firehose's expression language.
	FirehoseHourPrefix = "!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH}/"
	// ProjectionHourFormat is the projected partition's date format (Java DateTimeFormatter).
	ProjectionHourFormat = "yyyy/MM/dd/HH"
	// PartitionColumn is the projected partition key.
	PartitionColumn = "datehour"
)

// DatasetPrefix is a dataset's S3 key prefix for Firehose.
func DatasetPrefix(dataset string) string { return dataset + "/" + FirehoseHourPrefix }

// DatasetErrorPrefix keeps failed records apart, by kind of failure and hour.
func DatasetErrorPrefix(dataset string) string {
	return ErrorsPrefix + dataset + "/!{firehose:error-output-type}/" + FirehoseHourPrefix
}

// DatasetRawPrefix is where Firehose backs up a converted dataset's source
// records, as they arrived (before any conversion), gzip, by arrival hour.
func DatasetRawPrefix(dataset string) string { return RawPrefix + dataset + "/" + FirehoseHourPrefix }

// DatasetRawErrorPrefix is where the source-record backup puts what it could
// not write: inside the dataset's error prefix, apart from the delivery's own
// failures ("raw" is no Firehose error-output type).
func DatasetRawErrorPrefix(dataset string) string {
	return ErrorsPrefix + dataset + "/raw/!{firehose:error-output-type}/" + FirehoseHourPrefix
}

// projectionParameters are the Glue table parameters of hourly partition
// projection; the table adds storage.location.template with its bucket.
func projectionParameters() map[string]string {
	return map[string]string{
		"projection.enabled":                               "true",
		"projection." + PartitionColumn + ".type":          "date",
		"projection." + PartitionColumn + ".format":        ProjectionHourFormat,
		"projection." + PartitionColumn + ".range":         "2024/01/01/00,NOW",
		"projection." + PartitionColumn + ".interval":      "1",
		"projection." + PartitionColumn + ".interval.unit": "HOURS",
	}
}
