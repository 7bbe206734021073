package provider

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// SecretsAPI is the part of the Secrets Manager client haina uses.
type SecretsAPI interface {
	PutSecretValue(context.Context, *secretsmanager.PutSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
}

// PasswordPlaceholder is where a create statement takes the generated password
// (as a quoted literal). The password exists only in the provider's memory,
// the secret and the database: never in inputs, state, plans or errors.
const PasswordPlaceholder = ":generated_password"

// generatePassword returns 26 characters of [A-Z2-7] (130 random bits): no
// character needs quoting in SQL, JSON or a connector's properties.
func generatePassword() string { return rand.Text() }

// storePassword writes the credentials as the secret's current value.
func storePassword(ctx context.Context, api SecretsAPI, secretArn, username, password string) error {
	if api == nil {
		return errors.New("the provider has no Secrets Manager client")
	}
	value, err := json.Marshal(map[string]string{"username": username, "password": password})
	if err != nil {
		return err
	}
	if _, err := api.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(secretArn), SecretString: aws.String(string(value)),
	}); err != nil {
		return redact(fmt.Errorf("storing the generated password in %s: %w", secretArn, err), password)
	}
	return nil
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
