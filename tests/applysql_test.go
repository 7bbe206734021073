package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/haina-data/haina/cdcapply"
	"github.com/haina-data/haina/cdcapply/cdcapplytest"
	"github.com/haina-data/haina/components"
	"github.com/haina-data/haina/sql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pg is a throwaway PostgreSQL server on 127.0.0.1, stopped when the test ends.
type pg struct {
	t    *testing.T
	bin  string
	port int
}

// asServerUser runs a PostgreSQL server binary, which refuses to run as root.
func asServerUser(bin string, args ...string) *exec.Cmd {
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", bin}, args...)...)
	}
	return exec.Command(bin, args...)
}

func startPostgres(t *testing.T) *pg {
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	require.NotEmpty(t, bins, "PostgreSQL server binaries are needed (apt-get install postgresql; .ci/run installs them)")
	sort.Strings(bins)
	bin := filepath.Dir(bins[len(bins)-1])
	dir, err := os.MkdirTemp("", "haina-pg-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	data := filepath.Join(dir, "data")
	require.NoError(t, os.Mkdir(data, 0o700))
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		require.NoError(t, err, "running as root: the postgres user runs the server")
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		require.NoError(t, os.Chown(dir, uid, gid))
		require.NoError(t, os.Chown(data, uid, gid))
	}
	out, err := asServerUser(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync").CombinedOutput()
	require.NoError(t, err, "initdb: %s", out)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	srv := asServerUser(filepath.Join(bin, "postgres"), "-D", data, "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-k", dir, "-F")
	srv.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	log, err := os.Create(filepath.Join(dir, "server.log"))
	require.NoError(t, err)
	srv.Stdout, srv.Stderr = log, log
	require.NoError(t, srv.Start())
	t.Cleanup(func() {
		syscall.Kill(-srv.Process.Pid, syscall.SIGINT) // fast shutdown of the whole group
		done := make(chan struct{})
		go func() { srv.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			syscall.Kill(-srv.Process.Pid, syscall.SIGKILL)
		}
	})
	p := &pg{t: t, bin: bin, port: port}
	for i := 0; i < 100; i++ {
		if exec.Command(filepath.Join(bin, "pg_isready"), "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-q").Run() == nil {
			return p
		}
		time.Sleep(100 * time.Millisecond)
	}
	logText, _ := os.ReadFile(filepath.Join(dir, "server.log"))
	t.Fatalf("PostgreSQL did not start: %s", logText)
	return nil
}

// run runs SQL through psql and returns the rows, fields separated by |.
func (p *pg) run(script string) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(p.bin, "psql"), "-h", "127.0.0.1", "-p", strconv.Itoa(p.port), "-U", "postgres",
		"-d", "postgres", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-f", "-")
	cmd.Env = append(os.Environ(), "PGTZ=UTC")
	cmd.Stdin = strings.NewReader(script)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, out)
	}
	var rows []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line != "" && !strings.HasPrefix(line, "psql:") {
			rows = append(rows, line)
		}
	}
	return rows, nil
}

func (p *pg) must(script string) []string {
	rows, err := p.run(script)
	require.NoError(p.t, err)
	return rows
}

// redshiftOnly drops the table attributes PostgreSQL lacks (distribution and sort keys).
func redshiftOnly(stmt string) string {
	var keep []string
	for _, line := range strings.Split(stmt, "\n") {
		l := strings.TrimSpace(line)
		if strings.HasPrefix(l, "DISTKEY") || strings.HasPrefix(l, "SORTKEY") || strings.HasPrefix(l, "DISTSTYLE") {
			continue
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, "\n")
}

// The apply procedure itself, rendered from the same template with jsonb
// navigation in place of SUPER's, runs on PostgreSQL over the Debezium
// fixture, refresh by refresh, and must agree with the Go model at every step:
// rows, counts, watermarks and rejects. A run that fails changes nothing.
func TestApplyProcedureOnPostgresAgreesWithTheModel(t *testing.T) {
	db := startPostgres(t)
	// Declared as in MySQL: NAME holds 16 characters, MKTSEGMENT 10 (a MySQL CHAR).
	table := components.CDCTableConfig{Source: "salesdb.CUSTOMER", Table: "customer", PrimaryKey: []string{"CUST_ID"},
		Columns: []components.ColumnConfig{{Name: "CUST_ID", Type: "INTEGER"}, {Name: "NAME", Type: "VARCHAR(16)"},
			{Name: "MKTSEGMENT", Type: "CHAR(10)"}, {Name: "UPDATED_AT", Type: "TIMESTAMPTZ"}}}
	cols, key, err := table.TargetColumns()
	require.NoError(t, err)
	data := map[string]any{"Schema": "cdc", "Offsets": "apply_offsets", "Runs": "apply_runs", "Rejects": "apply_rejects", "Role": "apply",
		"Dialect": "postgres", "Table": "customer", "Columns": cols, "Key": key, "DistKey": "CUST_ID",
		"Landing": components.LandingViewName(table.Source), "Name": components.ProcedureName("customer")}
	script := []string{
		// Redshift's SUPER functions, over jsonb.
		`CREATE FUNCTION json_typeof(jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT jsonb_typeof($1)'`,
		`CREATE FUNCTION json_serialize(jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT $1::text'`,
		`CREATE FUNCTION json_parse(text) RETURNS jsonb LANGUAGE sql IMMUTABLE AS 'SELECT $1::jsonb'`,
		`CREATE FUNCTION can_json_parse(text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $f$ BEGIN PERFORM $1::jsonb; RETURN true; EXCEPTION WHEN others THEN RETURN false; END $f$`,
		`CREATE FUNCTION getdate() RETURNS timestamp LANGUAGE sql AS 'SELECT now()::timestamp'`,
		`CREATE SCHEMA cdc`,
		// The landing view's columns the procedure reads (a table stands in for the streaming MV).
		`CREATE TABLE cdc.salesdb_customer_changes (kafka_partition BIGINT, kafka_offset BIGINT, kafka_key BYTEA, payload JSONB, failed_payload BYTEA)`,
	}
	for _, file := range []string{sql.CDCOffsetsTable, sql.CDCRunsTable, sql.CDCRejectsTable, sql.CDCTargetTable} {
		o, err := sql.Render(file, data)
		require.NoError(t, err)
		script = append(script, redshiftOnly(o.Create[0]))
	}
	proc, err := sql.Render(sql.CDCApplyProcedure, data)
	require.NoError(t, err)
	script = append(script, proc.Create[0])
	db.must(strings.Join(script, ";\n") + ";")
	call, err := sql.Section(sql.CDCApplyProcedure, "call", data)
	require.NoError(t, err)

	// The byte lengths Redshift gets: the deployed (Redshift) rendering of the same table.
	redshiftData := map[string]any{}
	for k, v := range data {
		redshiftData[k] = v
	}
	redshiftData["Dialect"] = "redshift"
	rt, err := sql.Render(sql.CDCTargetTable, redshiftData)
	require.NoError(t, err)
	redshiftBytes := func(col string) int {
		m := regexp.MustCompile(`"` + col + `" VARCHAR\((\d+)\)`).FindStringSubmatch(rt.Create[0])
		require.NotNil(t, m, "%s is a VARCHAR in Redshift: %s", col, rt.Create[0])
		n, _ := strconv.Atoi(m[1])
		return n
	}
	assert.Equal(t, 64, redshiftBytes("NAME"), "VARCHAR(16) characters: 4 bytes each at most")
	assert.Equal(t, 40, redshiftBytes("MKTSEGMENT"), "CHAR(10): a VARCHAR, Redshift's CHAR holds single-byte characters only")

	insert := func(msgs []cdcapply.Message) {
		var b strings.Builder
		for _, m := range msgs {
			key, payload, failed := "NULL", "NULL", "NULL"
			if m.Key != nil {
				key = "convert_to($j$" + string(m.Key) + "$j$, 'UTF8')"
			}
			switch {
			case m.Value == nil: // tombstone
			case json.Valid(m.Value):
				payload = "$j$" + string(m.Value) + "$j$::jsonb"
			default:
				failed = "convert_to($j$" + string(m.Value) + "$j$, 'UTF8')"
			}
			fmt.Fprintf(&b, "INSERT INTO cdc.salesdb_customer_changes VALUES (%d, %d, %s, %s, %s);\n", m.Partition, m.Offset, key, payload, failed)
		}
		db.must(b.String())
	}
	state := func() (map[string]string, cdcapply.Watermarks) {
		rows := map[string]string{}
		for _, r := range db.must(`SELECT "CUST_ID", "NAME", "MKTSEGMENT", to_char("UPDATED_AT" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') FROM cdc.customer`) {
			f := strings.Split(r, "|")
			rows["["+f[0]+"]"] = f[1] + "/" + f[2] + "@" + f[3]
		}
		marks := cdcapply.Watermarks{}
		for _, r := range db.must(`SELECT kafka_partition, last_offset FROM cdc.apply_offsets WHERE target_table = 'customer'`) {
			f := strings.Split(r, "|")
			p, _ := strconv.ParseInt(f[0], 10, 64)
			o, _ := strconv.ParseInt(f[1], 10, 64)
			marks[p] = o
		}
		return rows, marks
	}
	lastRun := func() cdcapply.Counts {
		r := db.must(`SELECT changes_read, upserts, deletes, superseded, tombstones, rejected, malformed FROM cdc.apply_runs ORDER BY finished_at DESC, changes_read LIMIT 1`)
		require.Len(t, r, 1)
		var c cdcapply.Counts
		var malformed int
		_, err := fmt.Sscanf(strings.ReplaceAll(r[0], "|", " "), "%d %d %d %d %d %d %d", &c.Read, &c.Upserts, &c.Deletes, &c.Superseded, &c.Tombstones, &c.Rejected, &malformed)
		require.NoError(t, err)
		assert.Equal(t, c.Rejected, malformed, "malformed keeps counting what is now rejected")
		return c
	}
	// rejects is the rejects table: (partition, offset) → reason.
	rejects := func() map[[2]int64]string {
		out := map[[2]int64]string{}
		for _, r := range db.must(`SELECT kafka_partition, kafka_offset, reason FROM cdc.apply_rejects WHERE target_table = 'customer'`) {
			f := strings.Split(r, "|")
			p, _ := strconv.ParseInt(f[0], 10, 64)
			o, _ := strconv.ParseInt(f[1], 10, 64)
			out[[2]int64{p, o}] = f[2]
		}
		return out
	}
	modelRows := func(tbl *cdcapply.Table) map[string]string {
		out := map[string]string{}
		for k, r := range tbl.Rows {
			out[k] = r["NAME"].(string) + "/" + r["MKTSEGMENT"].(string) + "@" + r["UPDATED_AT"].(string)
		}
		return out
	}
	runs := func() int { return len(db.must(`SELECT 1 FROM cdc.apply_runs`)) }

	all, err := cdcapplytest.Fixture()
	require.NoError(t, err)
	model, marks := cdcapplytest.Customers(), cdcapply.Watermarks{}
	modelRejects := map[[2]int64]string{}
	seen := 0
	for _, visible := range []int{6, 12, 16, 26, 30, 30} {
		insert(all[seen:visible])
		seen = visible
		want := cdcapply.Apply(model, marks, all[:visible])
		for _, r := range want.Rejects {
			modelRejects[[2]int64{r.Partition, r.Offset}] = r.Reason
		}
		db.must(call + ";")
		rows, got := state()
		assert.Equal(t, modelRows(model), rows, "rows after %d messages", visible)
		assert.Equal(t, marks, got, "watermarks after %d messages", visible)
		assert.Equal(t, want.Counts, lastRun(), "counts after %d messages", visible)
		assert.Equal(t, modelRejects, rejects(), "rejects after %d messages", visible)
		// Redshift counts VARCHAR in bytes: the longest NAME must fit the rendered Redshift column.
		octets := db.must(`SELECT COALESCE(MAX(octet_length("NAME")), 0) FROM cdc.customer`)
		n, _ := strconv.Atoi(octets[0])
		assert.LessOrEqual(t, n, redshiftBytes("NAME"), "after %d messages: every NAME (a VARCHAR(16) in MySQL) fits Redshift's bytes", visible)
	}
	require.Equal(t, 6, runs())
	// Key 4's name is 12 characters and 17 bytes: more than VARCHAR(16) would hold in Redshift.
	assert.Equal(t, []string{"Zoë Ørsted 🚀|12|17"}, db.must(`SELECT "NAME", char_length("NAME"), octet_length("NAME") FROM cdc.customer WHERE "CUST_ID" = 4`))
	// A rejected message keeps what it was: the JSON, or the raw bytes when it is not JSON.
	assert.Equal(t, []string{`{"hello": "not a change event"}`}, db.must(`SELECT payload::text FROM cdc.apply_rejects WHERE kafka_partition = 1 AND kafka_offset = 5 AND failed_payload IS NULL`))
	assert.Equal(t, []string{`{"before":null,"after":{"CUST_ID":9`}, db.must(`SELECT convert_from(failed_payload, 'UTF8') FROM cdc.apply_rejects WHERE kafka_partition = 1 AND kafka_offset = 4 AND payload IS NULL`))

	// R12: a change a column cannot hold fails the run: nothing applied, watermark, run log and
	// rejects unchanged. A time that is not one; a name of 17 characters, 68 bytes: longer than
	// the 64 bytes Redshift holds (PostgreSQL's VARCHAR(64) counts characters and would take it:
	// the procedure counts bytes, as Redshift does, rather than let a CAST cut it).
	for what, value := range map[string]string{
		"not a time": `{"op":"c","before":null,"after":{"CUST_ID":9,"NAME":"x","MKTSEGMENT":"y","UPDATED_AT":"not a time"}}`,
		"too long":   `{"op":"c","before":null,"after":{"CUST_ID":9,"NAME":"` + strings.Repeat("🚀", 17) + `","MKTSEGMENT":"y","UPDATED_AT":null}}`,
	} {
		insert([]cdcapply.Message{{Partition: 0, Offset: 16, Key: []byte(`{"CUST_ID":9}`), Value: []byte(value)}})
		before, beforeMarks := state()
		beforeRejects := rejects()
		_, err = db.run(call + ";")
		require.Error(t, err, what)
		assert.Contains(t, err.Error(), map[string]string{"not a time": "not a time", "too long": "haina apply customer: 1 changes have a value its column type cannot hold"}[what])
		after, afterMarks := state()
		assert.Equal(t, before, after, what)
		assert.Equal(t, beforeMarks, afterMarks, what)
		assert.Equal(t, beforeRejects, rejects(), what)
		assert.Equal(t, 6, runs(), "%s: a failed run logs nothing", what)
		db.must(`DELETE FROM cdc.salesdb_customer_changes WHERE kafka_offset = 16 AND kafka_partition = 0;`)
	}

	// Replay (README): forget the watermark, empty the table, call once.
	db.must(`DELETE FROM cdc.apply_offsets WHERE target_table = 'customer'; TRUNCATE cdc.customer; ` + call + ";")
	replay, replayMarks := cdcapplytest.Customers(), cdcapply.Watermarks{}
	want := cdcapply.Apply(replay, replayMarks, all)
	rows, got := state()
	assert.Equal(t, modelRows(replay), rows)
	assert.Equal(t, replayMarks, got)
	assert.Equal(t, want.Counts, lastRun())
	assert.Equal(t, modelRows(model), rows, "the replay rebuilds the same table")
	assert.Equal(t, modelRejects, rejects(), "a replay lists each rejected message once")

	// R5 as the procedure implements it: each case of TestApplyOrdersChangesByBinlogPosition on
	// a key of its own, both updates read in one run, then the older one alone read again later.
	for i, c := range cdcapplytest.OrderingCases() {
		k, b := 100+i, int64(100+10*i)
		key := []byte(fmt.Sprintf(`{"CUST_ID":%d}`, k))
		msgs := []cdcapply.Message{
			{Partition: 1, Offset: b + 9, Key: key, Value: cdcapplytest.UpdateOf(k, "first", c.First)},
			{Partition: 0, Offset: b + 3, Key: key, Value: cdcapplytest.UpdateOf(k, "second", c.Second)},
		}
		for _, step := range [][]cdcapply.Message{msgs, {{Partition: 0, Offset: b + 4, Key: key, Value: map[string][]byte{
			"first": msgs[1].Value, "second": msgs[0].Value}[c.Want]}}} {
			all = append(all, step...)
			insert(step)
			want := cdcapply.Apply(replay, replayMarks, all)
			db.must(call + ";")
			rows, got := state()
			assert.Equal(t, modelRows(replay), rows, c.What)
			assert.Equal(t, replayMarks, got, c.What)
			assert.Equal(t, want.Counts, lastRun(), c.What)
			assert.Equal(t, []string{c.Want}, db.must(fmt.Sprintf(`SELECT "NAME" FROM cdc.customer WHERE "CUST_ID" = %d`, k)), c.What)
		}
	}
}
