package provider

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// SecretsAPI is the part of the Secrets Manager client haina uses.
type SecretsAPI interface {
	PutSecretValue(context.Context, *secretsmanager.PutSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	UpdateSecretVersionStage(context.Context, *secretsmanager.UpdateSecretVersionStageInput, ...func(*secretsmanager.Options)) (*secretsmanager.UpdateSecretVersionStageOutput, error)
}

// PasswordPlaceholder is where a create statement takes the generated password
// (as a quoted literal). The password exists only in the provider's memory,
// the secret and the database: never in inputs, state, plans or errors.
const PasswordPlaceholder = ":generated_password"

// generatePassword returns 26 characters of [A-Z2-7] (130 random bits): no
// character needs quoting in SQL, JSON or a connector's properties.
func generatePassword() string { return rand.Text() }

// Staging labels of Secrets Manager versions.
const (
	stageCurrent = "AWSCURRENT"
	stagePending = "AWSPENDING"
)

// stagedPassword is a password written as its secret's AWSPENDING version.
type stagedPassword struct {
	password, version string
	// resumed: the version was staged by an earlier run that did not finish.
	resumed bool
}

// A password is (re)set in the order of Secrets Manager's own rotation
// (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda-functions.html:
// createSecret, setSecret, testSecret, finishSecret):
//
//  1. stagePassword (createSecret): the new password becomes the secret's
//     AWSPENDING version. AWSCURRENT, which the connector reads, is untouched.
//  2. the statements set it in the database (setSecret); a statement that
//     succeeds with it is the test (testSecret).
//  3. finishPassword (finishSecret): AWSCURRENT moves to that version (the
//     previous one becomes AWSPREVIOUS) and AWSPENDING is removed.
//
// A failure before 3 leaves AWSCURRENT as it was: still the database's password
// unless the ALTER USER itself took effect. Either way the next run finds the
// AWSPENDING version, sets that same password again (idempotent) and finishes,
// as AWS's rotation template does when its createSecret finds a pending version.
// One exception, Secrets Manager's: a secret's first version is always
// AWSCURRENT too; no connector reads the secret before its user exists.

// stagePassword returns the password staged as AWSPENDING by an earlier run
// that did not finish (for the same user), or generates one and stages it.
func stagePassword(ctx context.Context, api SecretsAPI, secretArn, username string) (stagedPassword, error) {
	if api == nil {
		return stagedPassword{}, errors.New("the provider has no Secrets Manager client")
	}
	d, err := api.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(secretArn)})
	if err != nil {
		return stagedPassword{}, fmt.Errorf("reading the versions of %s (secretsmanager:DescribeSecret): %w", secretArn, err)
	}
	if pending := versionWith(d.VersionIdsToStages, stagePending); pending != "" {
		got, err := api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
			SecretId: aws.String(secretArn), VersionId: aws.String(pending), VersionStage: aws.String(stagePending),
		})
		if err != nil {
			return stagedPassword{}, fmt.Errorf("reading the pending version %s of %s (secretsmanager:GetSecretValue): %w", pending, secretArn, err)
		}
		var cred map[string]string
		if json.Unmarshal([]byte(aws.ToString(got.SecretString)), &cred) == nil && cred["username"] == username && validPassword(cred["password"]) {
			return stagedPassword{password: cred["password"], version: pending, resumed: true}, nil
		}
		// Not one of ours (another user, another format): replaced below, as AWSPENDING moves.
	}
	password := generatePassword()
	value, err := json.Marshal(map[string]string{"username": username, "password": password})
	if err != nil {
		return stagedPassword{}, err
	}
	out, err := api.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(secretArn), SecretString: aws.String(string(value)),
		ClientRequestToken: aws.String(newVersionID()), VersionStages: []string{stagePending},
	})
	if err != nil {
		return stagedPassword{}, redact(fmt.Errorf("storing the generated password in %s (as AWSPENDING): %w", secretArn, err), password)
	}
	return stagedPassword{password: password, version: aws.ToString(out.VersionId)}, nil
}

// finishPassword makes the staged version current and removes AWSPENDING from it.
func finishPassword(ctx context.Context, api SecretsAPI, secretArn, version string) error {
	d, err := api.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(secretArn)})
	if err != nil {
		return fmt.Errorf("reading the versions of %s (secretsmanager:DescribeSecret): %w", secretArn, err)
	}
	stages := d.VersionIdsToStages[version]
	if !contains(stages, stageCurrent) {
		in := &secretsmanager.UpdateSecretVersionStageInput{
			SecretId: aws.String(secretArn), VersionStage: aws.String(stageCurrent), MoveToVersionId: aws.String(version),
		}
		if current := versionWith(d.VersionIdsToStages, stageCurrent); current != "" {
			in.RemoveFromVersionId = aws.String(current)
		}
		if _, err := api.UpdateSecretVersionStage(ctx, in); err != nil {
			return fmt.Errorf("moving AWSCURRENT of %s to version %s (secretsmanager:UpdateSecretVersionStage): %w", secretArn, version, err)
		}
	}
	if contains(stages, stagePending) {
		if _, err := api.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
			SecretId: aws.String(secretArn), VersionStage: aws.String(stagePending), RemoveFromVersionId: aws.String(version),
		}); err != nil {
			return fmt.Errorf("removing AWSPENDING from version %s of %s (secretsmanager:UpdateSecretVersionStage): %w", version, secretArn, err)
		}
	}
	return nil
}

// versionWith returns the version that has a staging label ("" = none).
func versionWith(versions map[string][]string, stage string) string {
	ids := make([]string, 0, len(versions))
	for id := range versions {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if contains(versions[id], stage) {
			return id
		}
	}
	return ""
}

// newVersionID is a fresh ClientRequestToken (32 hex digits; AWS wants 32–64 characters).
func newVersionID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// validPassword is what generatePassword makes.
func validPassword(p string) bool {
	if len(p) != 26 {
		return false
	}
	for _, r := range p {
		if !(r >= 'A' && r <= 'Z' || r >= '2' && r <= '7') {
			return false
		}
	}
	return true
}

// withPassword puts the password where the statements ask for it.
func withPassword(sqls []string, password string) []string {
	out := make([]string, len(sqls))
	for i, q := range sqls {
		out[i] = strings.ReplaceAll(q, PasswordPlaceholder, "'"+password+"'")
	}
	return out
}

// redact hides a secret that an error's text (a failing statement, a
// database echoing part of it "near '…'") might hold: the whole secret and
// any piece of it of 6 or more characters. The original error is dropped.
func redact(err error, secret string) error {
	if err == nil || secret == "" {
		return err
	}
	msg := err.Error()
	for n := len(secret); n >= 6; n-- {
		for i := 0; i+n <= len(secret); i++ {
			msg = strings.ReplaceAll(msg, secret[i:i+n], "********")
		}
	}
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}
