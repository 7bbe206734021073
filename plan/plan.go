// Package plan is `haina plan`: it evaluates the real program with a real
// stack file under the same mocks the tests use (no AWS account, no
// network) and reports the resources it would declare, the SQL every SQL
// object would run, and what the stack would cost a month (package cost).
package plan

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/haina-data/haina/components"
	"github.com/haina-data/haina/cost"
	"github.com/haina-data/haina/events"
	"github.com/haina-data/haina/provider"
	"github.com/haina-data/haina/sql"
	"github.com/haina-data/haina/tests/harness"
)

// Resource is one resource the stack would hold.
type Resource struct {
	Type      string `json:"type"`
	Name      string `json:"name"`
	Parent    string `json:"parent"` // "type::name" of its parent; "" under the stack
	Protected bool   `json:"protected"`
}

// SQLObject is the SQL one SQL object runs when it is created.
type SQLObject struct {
	Resource   string   `json:"resource"`
	Statements []string `json:"statements"`
}

// Report is what `haina plan` prints.
type Report struct {
	Stack     string        `json:"stack"`
	Resources []Resource    `json:"resources"`
	SQL       []SQLObject   `json:"sql"`
	Cost      cost.Estimate `json:"cost"`
}

// Build evaluates stack's program (Pulumi.yaml and Pulumi.<stack>.yaml from
// the checkout around the working directory) and prices it at load.
func Build(stack string, load cost.Load) (*Report, error) {
	return BuildWith(stack, nil, load)
}

// BuildWith is Build with config keys set on top of the stack file's (a
// value "" removes the key): what a change would cost before you make it.
func BuildWith(stack string, overrides map[string]string, load cost.Load) (*Report, error) {
	cfg, err := harness.StackConfig(stack)
	if err != nil {
		return nil, err
	}
	for k, v := range overrides {
		if v == "" {
			delete(cfg, k)
		} else {
			cfg[k] = v
		}
	}
	g, err := harness.Run(stack, cfg, harness.Program)
	if err != nil {
		return nil, err
	}
	r := &Report{Stack: stack}
	// The mocks see registrations in whatever order their inputs resolve:
	// resources are listed parent first, siblings by type and name, and SQL
	// objects in dependency order (ties by name), so two runs print the same.
	byURN, children := map[string]harness.Resource{}, map[string][]harness.Resource{}
	for _, res := range g.Resources {
		byURN[res.URN] = res
		if res.Type != "pulumi:pulumi:Stack" {
			children[parentOf(res)] = append(children[parentOf(res)], res)
		}
	}
	var walk func(parent string)
	walk = func(parent string) {
		kids := children[parent]
		sort.Slice(kids, func(i, j int) bool {
			if kids[i].Type != kids[j].Type {
				return kids[i].Type < kids[j].Type
			}
			return kids[i].Name < kids[j].Name
		})
		for _, res := range kids {
			r.Resources = append(r.Resources, Resource{Type: res.Type, Name: res.Name, Parent: parent, Protected: res.Protect})
			walk(res.Type + "::" + res.Name)
		}
	}
	walk("")
	for _, res := range sqlInOrder(g.Resources, byURN) {
		var stmts []string
		if create, ok := res.Inputs.Mappable()["create"].([]any); ok {
			for _, st := range create {
				stmts = append(stmts, fmt.Sprint(st))
			}
		}
		r.SQL = append(r.SQL, SQLObject{Resource: res.Type + "::" + res.Name, Statements: stmts})
	}
	s, err := stackFacts(stack, g)
	if err != nil {
		return nil, err
	}
	r.Cost = cost.New(s, load)
	return r, nil
}

// sqlInOrder is the SQL objects, each after every SQL object it depends on
// (directly or through other resources), ties broken by name.
func sqlInOrder(all []harness.Resource, byURN map[string]harness.Resource) []harness.Resource {
	isSQL := func(r harness.Resource) bool {
		return r.Type == provider.RedshiftSqlObjectType || r.Type == provider.MySQLSqlObjectType
	}
	// after[x] = the SQL objects x waits for, found through the dependency graph.
	after := map[string]map[string]bool{}
	var reach func(urn string, seen map[string]bool, into map[string]bool)
	reach = func(urn string, seen map[string]bool, into map[string]bool) {
		for _, d := range byURN[urn].Dependencies {
			dep := mockURN(d)
			if seen[dep] {
				continue
			}
			seen[dep] = true
			if isSQL(byURN[dep]) {
				into[dep] = true
			}
			reach(dep, seen, into)
		}
	}
	var pending []harness.Resource
	for _, r := range all {
		if isSQL(r) {
			after[r.URN] = map[string]bool{}
			reach(r.URN, map[string]bool{}, after[r.URN])
			pending = append(pending, r)
		}
	}
	sort.Slice(pending, func(i, j int) bool { return pending[i].Name < pending[j].Name })
	var out []harness.Resource
	done := map[string]bool{}
	for len(pending) > 0 {
		progressed := false
		for i, r := range pending {
			ready := true
			for dep := range after[r.URN] {
				if !done[dep] {
					ready = false
					break
				}
			}
			if ready {
				out, done[r.URN] = append(out, r), true
				pending = append(pending[:i], pending[i+1:]...)
				progressed = true
				break
			}
		}
		if !progressed { // a cycle cannot deploy either; list the rest as they are
			return append(out, pending...)
		}
	}
	return out
}

// mockURN turns a dependency's URN into the harness's key (type::name).
func mockURN(urn string) string {
	parts := strings.Split(urn, "::")
	if len(parts) < 2 {
		return urn
	}
	typ := parts[len(parts)-2]
	if i := strings.LastIndex(typ, "$"); i >= 0 {
		typ = typ[i+1:]
	}
	return typ + "::" + parts[len(parts)-1]
}

// parentOf names a resource's parent as "type::name" (the mocks' URNs end so).
func parentOf(r harness.Resource) string {
	parts := strings.Split(r.Parent, "::")
	if len(parts) < 2 {
		return ""
	}
	typ := parts[len(parts)-2]
	if i := strings.LastIndex(typ, "$"); i >= 0 {
		typ = typ[i+1:]
	}
	if typ == "pulumi:pulumi:Stack" {
		return ""
	}
	return typ + "::" + parts[len(parts)-1]
}

// stackFacts counts what the evaluated stack holds that costs money.
func stackFacts(stack string, g *harness.Graph) (cost.Stack, error) {
	a := g.Pipeline.Args
	s := cost.Stack{Name: stack, RefreshAuto: a.Ingestion.Refresh.Auto(), RefreshEveryMin: a.Ingestion.Refresh.EveryMinutes,
		UsageLimitRPUHours: a.Warehouse.UsageLimit.Amount, UsageLimitPeriod: a.Warehouse.UsageLimit.Period,
		UsageLimitAction: a.Warehouse.UsageLimit.BreachAction, StreamOnDemand: a.Stream.Mode == "ON_DEMAND", Shards: a.Stream.ShardCount,
		StreamReaders: 1} // Redshift reads every record
	in := func(r harness.Resource) map[string]any { return r.Inputs.Mappable() }
	num := func(v any) float64 { f, _ := v.(float64); return f }
	for _, r := range g.Resources {
		m := in(r)
		switch r.Type {
		case "aws:redshiftserverless/workgroup:Workgroup":
			s.BaseRPU = int(num(m["baseCapacity"]))
		case "aws:redshift/cluster:Cluster":
			s.ClusterNodeType, _ = m["nodeType"].(string)
			s.ClusterNodes = max(int(num(m["numberOfNodes"])), 1) // single-node clusters leave it unset
			if m["manageMasterPassword"] == true {
				s.Secrets++
			}
		case "aws:redshiftserverless/namespace:Namespace":
			if m["manageAdminPassword"] == true {
				s.Secrets++ // Redshift keeps the admin password in a secret of its own
			}
		case "aws:rds/cluster:Cluster":
			if m["manageMasterUserPassword"] == true {
				s.Secrets++
			}
			if sc, ok := m["serverlessv2ScalingConfiguration"].(map[string]any); ok {
				s.AuroraMinACU = num(sc["minCapacity"])
			}
		case "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream":
			if _, ok := m["kinesisSourceConfiguration"]; ok {
				s.FirehoseFromStream++
				s.StreamReaders++
			}
			if ext, ok := m["extendedS3Configuration"].(map[string]any); ok {
				if conv, ok := ext["dataFormatConversionConfiguration"].(map[string]any); ok && conv["enabled"] == true {
					s.ConvertedStreams++
				}
			}
		case "aws:ec2/flowLog:FlowLog":
			s.FlowLogs = true
		case "aws:msk/cluster:Cluster":
			s.Brokers = int(num(m["numberOfBrokerNodes"]))
			if bg, ok := m["brokerNodeGroupInfo"].(map[string]any); ok {
				s.BrokerType, _ = bg["instanceType"].(string)
				if si, ok := bg["storageInfo"].(map[string]any); ok {
					if ebs, ok := si["ebsStorageInfo"].(map[string]any); ok {
						s.BrokerVolumeGB = int(num(ebs["volumeSize"]))
					}
				}
			}
		case "aws:rds/integration:Integration":
			s.ZeroETLIntegrations++
		case "aws:mskconnect/connector:Connector":
			if c, ok := m["capacity"].(map[string]any); ok {
				if p, ok := c["provisionedCapacity"].(map[string]any); ok {
					s.ConnectMCUs = int(num(p["mcuCount"]) * num(p["workerCount"]))
				}
			}
		case "aws:ec2/vpcEndpoint:VpcEndpoint":
			if m["vpcEndpointType"] == "Interface" {
				s.InterfaceEndpoints++
				if subnets, ok := m["subnetIds"].([]any); ok {
					s.EndpointAZs = len(subnets)
				}
			}
		case "aws:kms/key:Key":
			s.KMSKeys++
		case "aws:secretsmanager/secret:Secret":
			s.Secrets++
		case "aws:cloudwatch/logGroup:LogGroup", provider.LogGroupSettingsType:
			s.LogGroups++ // the latter: a group Redshift makes, haina keeps
		case "aws:cloudwatch/metricAlarm:MetricAlarm":
			s.Alarms++
		case "aws:cloudwatch/dashboard:Dashboard":
			s.Dashboards++
		}
	}
	if a.CDC.DebeziumMode() && a.CDC.Kafka.Mode == "serverless" {
		return s, fmt.Errorf("haina plan prices provisioned MSK only; haina:cdc.kafka.mode serverless bills per cluster-hour and partition-hour: price it with the AWS Pricing Calculator")
	}
	// The health function runs once per refresh period and publishes its two
	// own metrics and one per health query.
	s.HealthRunsPerMonth = cost.HoursPerMonth * 60 / float64(a.Ingestion.Refresh.EveryMinutes)
	s.HealthMemoryMB = components.HealthMemoryMB
	checks, err := sql.HealthChecks(a.HealthSpec())
	if err != nil {
		return s, err
	}
	s.HealthMetrics = 2 + len(checks)
	if a.RedshiftDelivery.Enabled && a.RedshiftDelivery.Mode == "copy-job" {
		s.CopyJobFlushSecs = max(a.Lake.BufferSeconds, 60)
	}
	if a.Producer.Enabled && a.Producer.ScheduleEnabled {
		runs, err := runsPerMonth(a.Producer.Schedule)
		if err != nil {
			return s, err
		}
		s.ProducerRunsPerMonth, s.ProducerEventsPerRun, s.ProducerMemoryMB = runs, a.Producer.EventsPerInvocation, a.Producer.MemoryMB
		s.ProducerEventBytes = EventBytes()
	}
	return s, nil
}

var reRate = regexp.MustCompile(`^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$`)

// runsPerMonth is how often a rate(…) schedule runs in a month.
func runsPerMonth(schedule string) (float64, error) {
	m := reRate.FindStringSubmatch(schedule)
	if m == nil {
		return 0, fmt.Errorf("haina plan: the producer's schedule %q is not a rate(…): its runs a month cannot be counted", schedule)
	}
	n, _ := strconv.Atoi(m[1])
	minutes := map[string]float64{"minute": 1, "minutes": 1, "hour": 60, "hours": 60, "day": 1440, "days": 1440}[m[2]] * float64(n)
	return cost.HoursPerMonth * 60 / minutes, nil
}

// EventBytes is the size of one event the producer sends, measured.
func EventBytes() int {
	b, _ := json.Marshal(events.NewGenerator(1, func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }).Next())
	return len(b)
}

// WriteJSON writes the report as one JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report for a person: the resource tree by component,
// the SQL in the order it runs, then the cost lines and totals.
func (r *Report) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "haina plan: stack %s (evaluated offline; ids, ARNs and the account are placeholders)\n\n", r.Stack)
	fmt.Fprintf(w, "Resources (%d; [protected] is kept on destroy until protection is lifted)\n", len(r.Resources))
	children := map[string][]Resource{} // r.Resources is already in tree order
	for _, res := range r.Resources {
		children[res.Parent] = append(children[res.Parent], res)
	}
	var walk func(parent, indent string)
	walk = func(parent, indent string) {
		for _, res := range children[parent] {
			mark := ""
			if res.Protected {
				mark = " [protected]"
			}
			fmt.Fprintf(w, "%s%s  %s%s\n", indent, res.Name, res.Type, mark)
			walk(res.Type+"::"+res.Name, indent+"  ")
		}
	}
	walk("", "  ")
	fmt.Fprintf(w, "\nSQL (%d objects, in the order they are declared)\n", len(r.SQL))
	for _, o := range r.SQL {
		fmt.Fprintf(w, "\n-- %s\n", o.Resource)
		for _, s := range o.Statements {
			fmt.Fprintf(w, "%s;\n", s)
		}
	}
	fmt.Fprintln(w)
	return WriteCost(w, r.Cost)
}

// WriteCost writes the estimate's lines and totals.
func WriteCost(w io.Writer, e cost.Estimate) error {
	fmt.Fprintf(w, "Monthly cost estimate (%s, %s list prices)\n", e.Currency, e.Region)
	fmt.Fprintf(w, "load on top of the stack's own traffic: %.1f events/s of %d bytes, %.1f changes/s\n\n", e.Load.EventsPerSecond, e.Load.EventBytes, e.Load.ChangesPerSecond)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "component\titem\tquantity\tunit\tunit USD\tidle USD/mo\tat load USD/mo\t")
	for _, l := range e.Lines {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.2f\t%.2f\t\n", l.Component, l.Item, qty(l.Quantity), l.Unit, unitPrice(l.UnitUSD), l.IdleUSD, l.MonthlyUSD)
	}
	fmt.Fprintf(tw, "total\t\t\t\t\t%.2f\t%.2f\t\n", e.IdleMonthly, e.LoadMonthly)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nAssumptions:")
	notes := map[string]bool{}
	for _, l := range e.Lines {
		if l.Note != "" && !notes[l.Item+l.Note] {
			notes[l.Item+l.Note] = true
			fmt.Fprintf(w, "  %s, %s: %s\n", l.Component, l.Item, l.Note)
		}
	}
	fmt.Fprintln(w, "Not included:")
	for _, x := range e.Excluded {
		fmt.Fprintf(w, "  %s\n", x)
	}
	fmt.Fprintf(w, "Prices: %s\n", e.PricesRead)
	return nil
}

func qty(v float64) string {
	if v == float64(int64(v)) {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func unitPrice(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	return s
}

// ReferenceLoad is the load README's cost table shows beside idle.
var ReferenceLoad = cost.Load{EventsPerSecond: 100, EventBytes: 1000, ChangesPerSecond: 10}

// CostTable is README's cost table: each component's monthly cost per stack,
// idle and at ReferenceLoad, and the totals. A test keeps README equal to it.
func CostTable(reports ...*Report) string {
	var b strings.Builder
	b.WriteString("| component |")
	for _, r := range reports {
		fmt.Fprintf(&b, " %s idle | %s at load |", r.Stack, r.Stack)
	}
	b.WriteString("\n|---|")
	for range reports {
		b.WriteString("---:|---:|")
	}
	b.WriteString("\n")
	var order []string
	sums := map[string]map[*Report][2]float64{}
	for _, r := range reports {
		for _, l := range r.Cost.Lines {
			if sums[l.Component] == nil {
				sums[l.Component] = map[*Report][2]float64{}
				order = append(order, l.Component)
			}
			v := sums[l.Component][r]
			sums[l.Component][r] = [2]float64{v[0] + l.IdleUSD, v[1] + l.MonthlyUSD}
		}
	}
	for _, c := range order {
		fmt.Fprintf(&b, "| %s |", c)
		for _, r := range reports {
			v := sums[c][r]
			fmt.Fprintf(&b, " %s | %s |", usd(v[0]), usd(v[1]))
		}
		b.WriteString("\n")
	}
	b.WriteString("| **total a month** |")
	for _, r := range reports {
		fmt.Fprintf(&b, " **%s** | **%s** |", usd(r.Cost.IdleMonthly), usd(r.Cost.LoadMonthly))
	}
	b.WriteString("\n")
	return b.String()
}

// usd formats dollars with thousands separators: $1,234.56.
func usd(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	whole, frac, _ := strings.Cut(s, ".")
	var out []byte
	for i := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, whole[i])
	}
	return "$" + string(out) + "." + frac
}
