package sql

import (
	"fmt"
)

// Template files of the health function.
const (
	HealthChecksFile = "health_checks.sql.tmpl"
	HealthGrants     = "health_grants.sql.tmpl"
)

// Metrics the health function publishes (CloudWatch namespace Haina,
// dimensions Environment and Object), besides the call's own
// ScheduledCallFailed and HealthCheckFailed (package health).
const (
	MetricIngestLag       = "IngestLagSeconds"
	MetricFailedParses    = "FailedParses"
	MetricScanErrors      = "StreamScanErrors"
	MetricRefreshFailures = "RefreshFailures"
	MetricCDCPendingAge   = "CdcPendingAgeSeconds"
	MetricCDCLag          = "CdcLagSeconds"
	MetricCDCRejects      = "CdcApplyRejects"
	MetricCDCApplied      = "CdcChangesApplied"
	MetricLoadFailures    = "LoadFailures"
)

// RefreshFailuresObject is the Object dimension of RefreshFailures: every view haina refreshes.
const RefreshFailuresObject = "materialized-views"

// HealthSpec names what the health queries read. It is small on purpose:
// the function gets it as an environment variable (4 KB for all of them)
// and renders the queries itself.
type HealthSpec struct {
	// Schema and Landing: the Kinesis landing view; External is its external schema.
	Schema   string `json:"schema"`
	Landing  string `json:"landing"`
	External string `json:"external"`
	// RetentionHours is the stream's retention: no older record can land now.
	RetentionHours int `json:"retentionHours"`
	// CDC: the change tables, their schema, external schema and bookkeeping tables.
	CDCSchema   string      `json:"cdcSchema,omitempty"`
	CDCExternal string      `json:"cdcExternal,omitempty"`
	Offsets     string      `json:"offsets,omitempty"`
	Runs        string      `json:"runs,omitempty"`
	Rejects     string      `json:"rejects,omitempty"`
	CDC         []HealthCDC `json:"cdc,omitempty"`
	// CopyJobTable is the table Firehose's deliveries are loaded into by a
	// COPY JOB (in Schema; "" : none). Its loads run whenever files arrive,
	// not in the call: CopyJobWindowMinutes widens their window back to the
	// previous call (the refresh period when the call is all that runs).
	CopyJobTable         string `json:"copyJobTable,omitempty"`
	CopyJobWindowMinutes int    `json:"copyJobWindowMinutes,omitempty"`
}

// HealthCDC is one replicated table: its target table and landing view.
type HealthCDC struct {
	Table   string `json:"table"`
	Landing string `json:"landing"`
}

// HealthCheck is one query: a SELECT of one number, published as Metric with
// Object as its dimension. Queries holding :since take it as a parameter.
type HealthCheck struct {
	Metric string `json:"metric"`
	Object string `json:"object"`
	SQL    string `json:"sql"`
	Unit   string `json:"unit"`
}

// Relation is a schema-qualified table or view.
type Relation struct{ Schema, Name string }

// Relations are what the checks read from haina's own objects (the SYS
// views aside): what the health role is granted SELECT on.
func (s HealthSpec) Relations() []Relation {
	out := []Relation{{s.Schema, s.Landing}}
	if len(s.CDC) > 0 {
		for _, c := range s.CDC {
			out = append(out, Relation{s.CDCSchema, c.Landing})
		}
		out = append(out, Relation{s.CDCSchema, s.Offsets}, Relation{s.CDCSchema, s.Runs}, Relation{s.CDCSchema, s.Rejects})
	}
	return out
}

// HealthChecks renders the queries of a spec, in a fixed order.
func HealthChecks(s HealthSpec) ([]HealthCheck, error) {
	if s.Schema == "" || s.Landing == "" || s.External == "" || s.RetentionHours < 1 {
		return nil, fmt.Errorf("health spec: schema, landing, external and retentionHours are required")
	}
	if len(s.CDC) > 0 && (s.CDCSchema == "" || s.CDCExternal == "" || s.Offsets == "" || s.Runs == "" || s.Rejects == "") {
		return nil, fmt.Errorf("health spec: change tables need cdcSchema, cdcExternal, offsets, runs and rejects")
	}
	var out []HealthCheck
	var err error
	add := func(section, metric, object, unit string, data map[string]any) {
		if err != nil {
			return
		}
		var q string
		if q, err = Section(HealthChecksFile, section, data); err == nil {
			out = append(out, HealthCheck{Metric: metric, Object: object, SQL: q, Unit: unit})
		}
	}
	landing := s.Schema + "." + s.Landing
	kinesis := map[string]any{"Schema": s.Schema, "Landing": s.Landing, "RetentionHours": s.RetentionHours,
		"External": s.External, "View": s.Landing}
	add("ingest-lag", MetricIngestLag, landing, "Seconds", kinesis)
	add("failed-parses", MetricFailedParses, landing, "Count", kinesis)
	add("scan-errors", MetricScanErrors, landing, "Count", kinesis)
	schemas := []string{s.Schema}
	if len(s.CDC) > 0 {
		schemas = append(schemas, s.CDCSchema)
	}
	add("refresh-failures", MetricRefreshFailures, RefreshFailuresObject, "Count", map[string]any{"Schemas": schemas})
	if s.CopyJobTable != "" {
		add("load-failures", MetricLoadFailures, s.Schema+"."+s.CopyJobTable, "Count",
			map[string]any{"Table": s.CopyJobTable, "WindowMinutes": s.CopyJobWindowMinutes})
	}
	for _, c := range s.CDC {
		data := map[string]any{"Schema": s.CDCSchema, "Landing": c.Landing, "Table": c.Table, "Offsets": s.Offsets,
			"Runs": s.Runs, "Rejects": s.Rejects, "External": s.CDCExternal, "View": c.Landing}
		add("scan-errors", MetricScanErrors, s.CDCSchema+"."+c.Landing, "Count", data)
		add("cdc-pending-age", MetricCDCPendingAge, c.Table, "Seconds", data)
		add("cdc-lag", MetricCDCLag, c.Table, "Seconds", data)
		add("cdc-rejects", MetricCDCRejects, c.Table, "Count", data)
		add("cdc-applied", MetricCDCApplied, c.Table, "Count", data)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", HealthChecksFile, err)
	}
	return out, nil
}

// UsageSchemas are the schemas, besides the role's own (Schema), whose
// relations the checks read: the role needs USAGE on them.
func (s HealthSpec) UsageSchemas() []string {
	if len(s.CDC) > 0 && s.CDCSchema != s.Schema {
		return []string{s.CDCSchema}
	}
	return nil
}

// HealthGrantsObject is the grant object: USAGE on the schemas, SELECT on the
// spec's relations and sys:monitor, to role.
func HealthGrantsObject(s HealthSpec, role string) (Object, error) {
	return Render(HealthGrants, map[string]any{"Role": role, "Relations": s.Relations(), "UsageSchemas": s.UsageSchemas()})
}
