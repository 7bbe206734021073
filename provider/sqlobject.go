package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Type tokens of SQL objects: on Redshift (Data API) and on Aurora MySQL (RDS Data API).
const (
	RedshiftSqlObjectType = "haina:redshift:SqlObject"
	MySQLSqlObjectType    = "haina:mysql:SqlObject"
)

// SqlObject is one SQL object (schema, view, materialized view, table,
// procedure) and the statements that create, update, drop and find it. The
// program renders the statements from sql/ templates; the provider runs them.
type SqlObject struct {
	// WorkgroupName (Redshift Serverless), ClusterIdentifier (a provisioned
	// Redshift cluster) or ResourceArn (the Aurora cluster) says where.
	WorkgroupName     string `json:"workgroupName,omitempty"`
	ClusterIdentifier string `json:"clusterIdentifier,omitempty"`
	ResourceArn       string `json:"resourceArn,omitempty"`
	Database          string `json:"database"`
	// SecretArn runs statements as the user in that secret (the admin); empty: IAM identity.
	SecretArn  string `json:"secretArn,omitempty"`
	Kind       string `json:"kind"`
	ObjectName string `json:"objectName"`
	// Definition: when it changes, the object is replaced.
	Definition string `json:"definition,omitempty"`
	// Create runs as one transaction (unless NonTransactional). A change to it
	// is an update when Update is given (Update then runs), otherwise a replacement.
	Create []string `json:"create"`
	Update []string `json:"update,omitempty"`
	Drop   []string `json:"drop"`
	// Exists returns a row while the object exists.
	Exists string `json:"exists"`
	// BasedOn names the SQL objects this one is built on (a view's relations, a
	// schema's objects). The program passes their outputs, so when one of them
	// is replaced the engine sees this as unknown, asks again, and replaces this
	// object first: the old one is dropped before what it is built on, as
	// Redshift requires (a DROP without CASCADE fails while dependents exist).
	BasedOn []string `json:"basedOn,omitempty"`
	// HoldsData marks objects whose loss loses ingested data: they are never
	// replaced without AllowDataLoss, nor deleted without it when GuardDelete.
	HoldsData      bool `json:"holdsData,omitempty"`
	AllowDataLoss  bool `json:"allowDataLoss,omitempty"`
	GuardDelete    bool `json:"guardDelete,omitempty"`
	TimeoutSeconds int  `json:"timeoutSeconds,omitempty"`
	// NonTransactional runs each statement on its own (ExecuteStatement), for
	// statements Redshift refuses inside a transaction block (COPY JOB, CREATE
	// DATABASE … FROM INTEGRATION). A failure leaves the statements before it done,
	// so such objects are written to be re-runnable.
	NonTransactional bool `json:"nonTransactional,omitempty"`
	// PasswordSecretArn: Create generates a password, stores it with
	// PasswordUsername in this Secrets Manager secret and puts it where the
	// create statements say PasswordPlaceholder (a database user). The
	// password is set in rotation order (see stagePassword), and such an
	// object must give Update statements: a changed create is then an
	// in-place update (grants, never a drop or a new password), not a
	// replacement that would drop the user and give it a new password while
	// the connector still holds the old one.
	PasswordSecretArn string `json:"passwordSecretArn,omitempty"`
	PasswordUsername  string `json:"passwordUsername,omitempty"`
	// Rotation: a change sets a new password in place (any value: a counter,
	// a date). So does a new PasswordSecretArn (the password moves to the new
	// secret). Either runs the create statements again with the new password,
	// which for such objects are re-runnable (CREATE USER IF NOT EXISTS, ALTER USER).
	Rotation string `json:"rotation,omitempty"`
}

// PasswordVersionKey is the output of an object with a generated password:
// the secret's version id (AWSCURRENT) of the password the provider last set.
// It changes with the password and holds nothing secret, so what reads the
// password (the connector) can depend on it to restart when it changes.
const PasswordVersionKey = "passwordVersion"

// AllowDataLossHint is how a user allows a destructive change; the program
// maps this config key to AllowDataLoss.
const AllowDataLossHint = "pulumi config set --path haina:ingestion.allowDataLoss true"

func (o SqlObject) target() Target {
	return Target{WorkgroupName: o.WorkgroupName, ClusterIdentifier: o.ClusterIdentifier, ResourceArn: o.ResourceArn, Database: o.Database, SecretArn: o.SecretArn}
}

func (o SqlObject) place() string {
	switch {
	case o.ResourceArn != "":
		return o.ResourceArn
	case o.ClusterIdentifier != "":
		return o.ClusterIdentifier
	}
	return o.WorkgroupName
}

func (o SqlObject) timeout() time.Duration {
	if o.TimeoutSeconds <= 0 {
		return 10 * time.Minute
	}
	return time.Duration(o.TimeoutSeconds) * time.Second
}

// ID is stable for an object in a database.
func (o SqlObject) ID() string {
	return o.place() + "/" + o.Database + "/" + o.ObjectName
}

// decodeSqlObject reads known top-level properties into a SqlObject and lists
// those that are still unknown (during preview).
func decodeSqlObject(pm resource.PropertyMap) (SqlObject, []string, error) {
	var o SqlObject
	unknown, err := decodeStrict(pm, &o, RedshiftSqlObjectType)
	return o, unknown, err
}

// decodeStrict decodes the known properties into v through its JSON tags,
// rejecting unknown fields, and returns the names of those still unknown.
func decodeStrict(pm resource.PropertyMap, v any, token string) ([]string, error) {
	plain := map[string]any{}
	var unknown []string
	for k, pv := range pm {
		if pv.IsSecret() {
			pv = pv.SecretValue().Element
		}
		if pv.ContainsUnknowns() {
			unknown = append(unknown, string(k))
			continue
		}
		plain[string(k)] = pv.Mappable()
	}
	sort.Strings(unknown)
	b, err := json.Marshal(plain)
	if err != nil {
		return unknown, err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return unknown, fmt.Errorf("%s: %w", token, err)
	}
	return unknown, nil
}

// encode turns the object into its state.
func (o SqlObject) encode() resource.PropertyMap { return encodeJSON(o) }

// encodeJSON turns a struct of strings, bools, numbers, lists and maps into properties.
func encodeJSON(v any) resource.PropertyMap {
	b, _ := json.Marshal(v) // plain data: always marshals
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resource.NewPropertyMapFromMap(m)
}

// check validates what is known of an object's inputs, for its type.
func (o SqlObject) check(typ string, unknown []string) []string {
	isUnknown := func(k string) bool { return contains(unknown, k) }
	var failures []string
	need := func(key, v string) {
		if v == "" && !isUnknown(key) {
			failures = append(failures, key+" is required")
		}
	}
	if typ == MySQLSqlObjectType {
		need("resourceArn", o.ResourceArn)
		need("secretArn", o.SecretArn) // the RDS Data API always runs as a secret's user
	} else if o.WorkgroupName != "" && o.ClusterIdentifier != "" {
		failures = append(failures, "workgroupName and clusterIdentifier: give one (a Serverless workgroup or a provisioned cluster)")
	} else if o.ClusterIdentifier == "" && !isUnknown("clusterIdentifier") {
		need("workgroupName", o.WorkgroupName)
	}
	need("database", o.Database)
	need("kind", o.Kind)
	need("objectName", o.ObjectName)
	need("exists", o.Exists)
	if len(o.Create) == 0 && !isUnknown("create") {
		failures = append(failures, "create needs at least one statement")
	}
	if len(o.Drop) == 0 && !isUnknown("drop") {
		failures = append(failures, "drop needs at least one statement")
	}
	for key, n := range map[string]int{"create": len(o.Create), "update": len(o.Update), "drop": len(o.Drop)} {
		if n > maxBatch && !o.NonTransactional {
			failures = append(failures, fmt.Sprintf("%s has %d statements; one transaction takes at most %d", key, n, maxBatch))
		}
	}
	if o.TimeoutSeconds < 0 {
		failures = append(failures, "timeoutSeconds must be positive")
	}
	placeholder := func(sqls []string) bool {
		for _, q := range sqls {
			if strings.Contains(q, PasswordPlaceholder) {
				return true
			}
		}
		return false
	}
	if o.PasswordSecretArn != "" || isUnknown("passwordSecretArn") {
		need("passwordUsername", o.PasswordUsername)
		if !placeholder(o.Create) && !isUnknown("create") {
			failures = append(failures, "create must use "+PasswordPlaceholder+" when passwordSecretArn is set")
		}
		if len(o.Update) == 0 && !isUnknown("update") {
			failures = append(failures, "update is required when passwordSecretArn is set: a changed create runs it in place "+
				"(grants only) instead of replacing the user, which would drop it and give it a new password")
		}
		for _, q := range o.Update {
			if u := strings.ToUpper(q); strings.Contains(u, "IDENTIFIED") || strings.Contains(u, "DROP USER") {
				failures = append(failures, "update must not set a password or drop the user (it runs on a live user whose password the connector holds): "+abbreviate(q))
			}
		}
	} else {
		if placeholder(o.Create) {
			failures = append(failures, "create uses "+PasswordPlaceholder+" but passwordSecretArn is not set")
		}
		if o.Rotation != "" {
			failures = append(failures, "rotation needs passwordSecretArn (it rotates a generated password)")
		}
	}
	if placeholder(o.Update) || placeholder(o.Drop) || strings.Contains(o.Exists, PasswordPlaceholder) {
		failures = append(failures, "only create statements may use "+PasswordPlaceholder)
	}
	sort.Strings(failures)
	return failures
}

// Plan is the outcome of comparing an object's state with new inputs.
type Plan struct {
	Changed []string // properties that differ (or are unknown yet)
	Replace []string // those among them that force a replacement
	// RunUpdate: the update statements must run (the create statements changed in place).
	RunUpdate bool
	// Rotate: a generated password is set again, in place (rotation or
	// passwordSecretArn changed): a new secret version, then the create statements.
	Rotate bool
}

// diff decides between no change, an in-place update and a replacement, and
// refuses a replacement that would lose ingested data.
func diff(olds, news SqlObject, unknown []string) (Plan, error) {
	var p Plan
	ov, nv := reflect.ValueOf(olds), reflect.ValueOf(news)
	t := ov.Type()
	for i := 0; i < t.NumField(); i++ {
		key := strings.Split(t.Field(i).Tag.Get("json"), ",")[0]
		if !reflect.DeepEqual(ov.Field(i).Interface(), nv.Field(i).Interface()) && !(emptyish(ov.Field(i)) && emptyish(nv.Field(i))) {
			p.Changed = append(p.Changed, key)
		}
	}
	for _, k := range unknown {
		if !contains(p.Changed, k) {
			p.Changed = append(p.Changed, k)
		}
	}
	sort.Strings(p.Changed)
	hasPassword := func(o SqlObject, unknownToo bool) bool {
		return o.PasswordSecretArn != "" || (unknownToo && contains(unknown, "passwordSecretArn"))
	}
	for _, k := range p.Changed {
		switch k {
		case "workgroupName", "resourceArn", "database", "kind", "objectName", "definition", "passwordUsername":
			p.Replace = append(p.Replace, k)
		case "passwordSecretArn":
			// Another secret (a replaced one): the password moves to it in place,
			// in rotation order; dropping the user would cut off the connector
			// still running with the old secret. Gaining or losing a generated
			// password changes what the object is: a replacement.
			if hasPassword(olds, false) && hasPassword(news, true) {
				p.Rotate = true
			} else {
				p.Replace = append(p.Replace, k)
			}
		case "rotation":
			p.Rotate = p.Rotate || hasPassword(news, true)
		case "basedOn":
			// Recorded for the first time (a stack from before basedOn): bookkeeping only.
			if len(olds.BasedOn) > 0 || contains(unknown, k) {
				p.Replace = append(p.Replace, k)
			}
		case "create":
			if len(news.Update) == 0 && !contains(unknown, "update") {
				if hasPassword(olds, false) && hasPassword(news, true) {
					// check refuses this; never replace such a user for a changed create.
					return p, fmt.Errorf("%s has a generated password and its create changed, but it has no update statements: "+
						"replacing it would drop the user and give it a new password while the connector still holds the old one; "+
						"give the object update statements (grants only)", olds.describe())
				}
				p.Replace = append(p.Replace, k)
			} else {
				p.RunUpdate = true
			}
		}
	}
	if len(p.Replace) > 0 {
		p.RunUpdate, p.Rotate = false, false
		if olds.HoldsData && !news.AllowDataLoss {
			return p, fmt.Errorf("%s holds ingested data and this change (%s) replaces it: the DROP loses every row "+
				"ingested so far, and %s. To allow it, run `%s` and `pulumi up` again; otherwise revert the change",
				olds.describe(), strings.Join(p.Replace, ", "), olds.afterDrop(), AllowDataLossHint)
		}
	}
	return p, nil
}

// afterDrop says what comes back after a guarded object is dropped and made
// again, so the refusal is true for each kind of object.
func (o SqlObject) afterDrop() string {
	switch o.Kind {
	case "database":
		// A zero-ETL destination: the new integration seeds whole tables again.
		return "the new database is seeded again from the source (a full load); objects created in it by hand are gone"
	case "materialized-view":
		return "a rebuilt streaming view re-reads only what the stream still retains"
	default:
		return "the new object starts empty"
	}
}

func (o SqlObject) describe() string {
	if o.ResourceArn != "" {
		return fmt.Sprintf("%s %s (cluster %s, database %s)", o.Kind, o.ObjectName, o.ResourceArn, o.Database)
	}
	if o.ClusterIdentifier != "" {
		return fmt.Sprintf("%s %s (Redshift cluster %s, database %s)", o.Kind, o.ObjectName, o.ClusterIdentifier, o.Database)
	}
	return fmt.Sprintf("%s %s (workgroup %s, database %s)", o.Kind, o.ObjectName, o.WorkgroupName, o.Database)
}

func emptyish(v reflect.Value) bool {
	return v.IsZero() || (v.Kind() == reflect.Slice && v.Len() == 0)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Lifecycle runs an object's statements on its engine.
type Lifecycle struct {
	Runner Engine
	// Secrets keeps generated passwords.
	Secrets SecretsAPI
	// Notify, when set, tells the user something worth knowing that is not an
	// error (an object adopted instead of created).
	Notify func(ctx context.Context, o SqlObject, msg string)
}

// adoptBlocker says why an object that already exists must not be taken into
// the state as it is ("" = it may be). Adopting skips the create statements,
// so it is safe only when the object existing proves they all took effect:
//
//   - a Redshift object created in one transaction: the exists query sees the
//     object only once the whole batch committed (schemas, tables, views,
//     materialized views, procedures, roles and their grants). So is an object
//     of one statement run on its own (a COPY JOB).
//   - not a user with a generated password: the password in the secret is
//     the one generated for the create, and nothing can check that the user
//     has it. The create runs again instead and sets the staged one (the
//     secret's AWSPENDING version: the one an unfinished run left, or a new
//     one); a create that cannot run twice fails, saying the user exists.
//   - not a MySQL object: MySQL commits each DDL statement on its own, so the
//     object may exist without what later statements do; MySQL creates are
//     written to be re-runnable (IF NOT EXISTS, INSERT IGNORE) and run again.
//   - not a non-transactional object of several statements, for the same
//     reason; they are written to be re-runnable too.
//
// An adopted object is whatever has the name: its definition is not compared
// with the inputs (Redshift keeps no text to compare a rendered template with).
func (o SqlObject) adoptBlocker() string {
	switch {
	case o.PasswordSecretArn != "":
		return "its create sets a generated password, and nothing can check that the existing user has the one stored in " + o.PasswordSecretArn
	case o.ResourceArn != "":
		return "MySQL commits each DDL statement on its own, so the object existing does not prove that every create statement took effect"
	case o.NonTransactional && len(o.Create) > 1:
		return "its create statements run one by one, so the object existing does not prove that all of them took effect"
	}
	return ""
}

// Create runs the create statements as one transaction. A generated password
// is staged first (the secret's AWSPENDING version), so it is never lost; only
// once the statements succeeded does it become AWSCURRENT (see stagePassword).
// A failed create leaves AWSCURRENT as it was, and the retry sets the staged
// password again and finishes. Create returns the password's version id ("" for
// an object without a generated password).
//
// An object that already exists although the state does not know it (a
// create that committed but looked failed: DescribeStatement failed after the
// commit, a cancel came too late, the provider was killed) is adopted when
// adoptBlocker allows: the create statements do not run, and the next `up`
// does not fail with "already exists". The same check runs after a create
// whose outcome is unknown (OutcomeUnknownError).
func (l Lifecycle) Create(ctx context.Context, o SqlObject) (string, error) {
	blocker := o.adoptBlocker()
	var checkErr error // a failed check does not stop the create: at worst it fails as it would have without the check
	if blocker == "" {
		found, err := l.Read(ctx, o)
		checkErr = err
		if err == nil && found {
			l.notify(ctx, o, fmt.Sprintf("%s already exists: adopted without running its create statements (a create that committed "+
				"but looked failed, or an object made outside this stack; its definition is not compared)", o.describe()))
			return "", nil
		}
	}
	if o.PasswordSecretArn != "" {
		version, err := l.setPassword(ctx, o)
		var stmtErr *passwordStagedError
		switch {
		case errors.As(err, &stmtErr):
			return "", l.createFailed(ctx, o, blocker, checkErr, err)
		case err != nil: // staging (nothing ran) or finishing (everything ran) failed
			return "", fmt.Errorf("creating %s: %w", o.describe(), err)
		}
		return version, nil
	}
	if err := l.run(ctx, o, o.Create); err != nil {
		return "", l.createFailed(ctx, o, blocker, checkErr, err)
	}
	return "", nil
}

// setPassword sets a generated password in rotation order: staged as the
// secret's AWSPENDING version (or the one an unfinished run staged), the
// create statements with it, then AWSCURRENT moved to it. It returns the
// version id. Its errors never hold the password, and say where things stand.
func (l Lifecycle) setPassword(ctx context.Context, o SqlObject) (string, error) {
	staged, err := stagePassword(ctx, l.Secrets, o.PasswordSecretArn, o.PasswordUsername)
	if err != nil {
		return "", err
	}
	if staged.resumed {
		l.notify(ctx, o, fmt.Sprintf("%s: finishing the password change an earlier run left unfinished (version %s of %s, AWSPENDING): "+
			"setting that password again, then making it AWSCURRENT", o.describe(), staged.version, o.PasswordSecretArn))
	}
	if err := l.run(ctx, o, withPassword(o.Create, staged.password)); err != nil {
		return "", &passwordStagedError{err: redact(err, staged.password), version: staged.version, secret: o.PasswordSecretArn}
	}
	if err := finishPassword(ctx, l.Secrets, o.PasswordSecretArn, staged.version); err != nil {
		return "", redact(fmt.Errorf("the database has the password staged as version %s (AWSPENDING) of %s, but making it current failed: %w. "+
			"Until it is, the connector (which reads AWSCURRENT) cannot log in again; the next `pulumi up` finishes it "+
			"(it sets the staged password again and moves AWSCURRENT), or move it yourself: "+
			"aws secretsmanager update-secret-version-stage --secret-id %s --version-stage AWSCURRENT --move-to-version-id %s --remove-from-version-id <the current version>",
			staged.version, o.PasswordSecretArn, err, o.PasswordSecretArn, staged.version), staged.password)
	}
	return staged.version, nil
}

// passwordStagedError is a failed statement after a password was staged:
// AWSCURRENT did not move. Its error is redacted already.
type passwordStagedError struct {
	err             error
	version, secret string
}

func (e *passwordStagedError) Error() string {
	return fmt.Sprintf("%v\n  The new password stays staged as version %s (AWSPENDING) of %s; AWSCURRENT, which the connector reads, did not move. "+
		"If an ALTER USER took effect before the failure the database already has the staged password; the next `pulumi up` sets it again and finishes",
		e.err, e.version, e.secret)
}

func (e *passwordStagedError) Unwrap() error { return e.err }

// createFailed says what a failed create left and how to go on.
func (l Lifecycle) createFailed(ctx context.Context, o SqlObject, blocker string, checkErr, err error) error {
	// Did it take effect after all? Look, with a context of its own (ctx may be the one that ended).
	var unknown *OutcomeUnknownError
	isUnknown := errors.As(err, &unknown)
	found, rerr := false, error(nil)
	if isUnknown || blocker != "" {
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		found, rerr = l.Read(lctx, o)
		cancel()
	}
	switch {
	case isUnknown && blocker == "" && rerr == nil && found:
		l.notify(ctx, o, fmt.Sprintf("%s: %v; it exists, so its create committed", o.describe(), err))
		return nil
	case isUnknown && blocker == "" && rerr != nil:
		err = fmt.Errorf("%w; looking the object up afterwards failed too (%v): the next `pulumi up` looks again and adopts it if it exists", err, rerr)
	case isUnknown && blocker == "":
		err = fmt.Errorf("%w; the object does not exist (yet): the next `pulumi up` looks again and adopts it if it does", err)
	case found:
		way := fmt.Sprintf("drop it (%s) and run `pulumi up` again", strings.Join(o.Drop, "; "))
		if o.HoldsData {
			way = "fix them: it holds data, which a drop loses"
		}
		err = fmt.Errorf("%w\n  %s exists, and is not adopted: %s. Its create statements run on every `pulumi up` until they succeed; "+
			"if they cannot run on an existing object, %s", err, o.describe(), blocker, way)
	case isUnknown:
		err = fmt.Errorf("%w; its create statements run again on the next `pulumi up` (not adopted: %s)", err, blocker)
	}
	if checkErr != nil {
		err = fmt.Errorf("%w\n  (checking first whether it already existed failed: %v)", err, checkErr)
	}
	return fmt.Errorf("creating %s: %w", o.describe(), err)
}

func (l Lifecycle) notify(ctx context.Context, o SqlObject, msg string) {
	if l.Notify != nil {
		l.Notify(ctx, o, msg)
	}
}

// run runs statements as one transaction, or one by one for a non-transactional object.
func (l Lifecycle) run(ctx context.Context, o SqlObject, stmts []string) error {
	if !o.NonTransactional {
		return l.Runner.Batch(ctx, o.target(), stmts, o.timeout())
	}
	for i, q := range stmts {
		if _, err := l.Runner.Query(ctx, o.target(), q, o.timeout()); err != nil {
			return fmt.Errorf("statement %d of %d, run on its own (no transaction; those before it are done): %w", i+1, len(stmts), err)
		}
	}
	return nil
}

// Read reports whether the object still exists.
func (l Lifecycle) Read(ctx context.Context, o SqlObject) (bool, error) {
	rows, err := l.Runner.Query(ctx, o.target(), o.Exists, o.timeout())
	if err != nil {
		return false, fmt.Errorf("looking up %s: %w", o.describe(), err)
	}
	return rows > 0, nil
}

// Update brings the object from olds to news in place: the update statements
// when the create statements changed (for a user: its grants, never its
// password), then, for a rotation, a new password in rotation order. It
// returns the new password's version id, "" when the password did not change.
func (l Lifecycle) Update(ctx context.Context, olds, news SqlObject) (string, error) {
	p, err := diff(olds, news, nil)
	if err != nil {
		return "", err
	}
	if len(p.Replace) > 0 {
		return "", fmt.Errorf("updating %s: %s cannot change in place", olds.describe(), strings.Join(p.Replace, ", "))
	}
	if p.RunUpdate {
		if err := l.run(ctx, news, news.Update); err != nil {
			return "", fmt.Errorf("updating %s: %w", news.describe(), err)
		}
	}
	if !p.Rotate {
		return "", nil // nothing more, or only bookkeeping (flags, drop or exists text) changed
	}
	version, err := l.setPassword(ctx, news)
	if err != nil {
		return "", fmt.Errorf("rotating the password of %s: %w", news.describe(), err)
	}
	return version, nil
}

// ErrDataGuarded is returned when a delete would drop guarded data.
var ErrDataGuarded = errors.New("refusing to drop an object that holds ingested data")

// Delete runs the drop statements, unless the object guards its data.
func (l Lifecycle) Delete(ctx context.Context, o SqlObject) error {
	if o.HoldsData && o.GuardDelete && !o.AllowDataLoss {
		return fmt.Errorf("%w: %s. Deleting it loses every row ingested so far. To allow it, run `%s`, "+
			"`pulumi up` (which records the flag and changes nothing else), then retry", ErrDataGuarded, o.describe(), AllowDataLossHint)
	}
	if err := l.run(ctx, o, o.Drop); err != nil {
		return fmt.Errorf("dropping %s: %w", o.describe(), err)
	}
	return nil
}
