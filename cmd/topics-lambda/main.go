// Command topics-lambda creates the CDC change topics on the MSK cluster at
// deploy time. It runs inside the VPC because the brokers are reachable only
// there; the program invokes it through aws.lambda.Invocation with lifecycle
// scope CRUD. Input and output are kafkatopics.Request and
// kafkatopics.Result as JSON; each run logs one JSON line. Built for
// provided.al2023/arm64 with CGO off.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-msk-iam-sasl-signer-go/signer"
	"github.com/haina-data/haina/kafkatopics"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
)

const (
	// maxRun caps one invocation, whatever the function timeout is.
	maxRun = 2 * time.Minute
	// deadlineMargin is kept before the Lambda deadline so that a stuck
	// broker call ends in our error, logged, rather than in a bare
	// "Task timed out".
	deadlineMargin = 5 * time.Second
	dialTimeout    = 10 * time.Second
	retryTimeout   = 30 * time.Second
	// adminTimeout is the broker-side timeout for create topics and
	// create partitions.
	adminTimeout = 30 * time.Second
)

// handlerOptions reject unknown JSON keys: a misspelt "configs" would
// otherwise be dropped silently and the topic created without its settings.
var handlerOptions = []lambda.Option{lambda.WithDisallowUnknownFields(true)}

func main() {
	lambda.StartWithOptions(handler(newMSKAdmin, os.Stdout), handlerOptions...)
}

// handler is the Lambda handler around kafkatopics.Handle: bounds its time
// and logs one JSON line per run.
func handler(newAdmin func([]string) (*kadm.Client, error), logTo io.Writer) func(context.Context, kafkatopics.Request) (kafkatopics.Result, error) {
	log := slog.New(slog.NewJSONHandler(logTo, nil))
	return func(ctx context.Context, req kafkatopics.Request) (kafkatopics.Result, error) {
		start := time.Now()
		ctx, cancel := bounded(ctx)
		defer cancel()
		res, err := retryUnauthorized(ctx, authWait, func() (kafkatopics.Result, error) { return kafkatopics.Handle(ctx, req, newAdmin) })
		attrs := []any{
			"action", res.Action,
			"bootstrap", req.Bootstrap,
			"topics", len(req.Topics),
			"created", res.Created,
			"altered", res.Altered,
			"grown", res.Grown,
			"unchanged", res.Unchanged,
			"millis", time.Since(start).Milliseconds(),
		}
		if res.Note != "" {
			attrs = append(attrs, "note", res.Note)
		}
		if err != nil {
			log.Error("kafka topics", append(attrs, "error", err.Error())...)
			return res, err
		}
		log.Info("kafka topics", attrs...)
		return res, nil
	}
}

// bounded limits ctx to maxRun and to deadlineMargin before any deadline it
// already has (the Lambda's).
func bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	end := time.Now().Add(maxRun)
	if dl, ok := ctx.Deadline(); ok && dl.Add(-deadlineMargin).Before(end) {
		end = dl.Add(-deadlineMargin)
	}
	return context.WithDeadline(ctx, end)
}

// newMSKAdmin dials the IAM listener (TLS, port 9098) and authenticates with
// SASL OAUTHBEARER carrying a token from aws-msk-iam-sasl-signer-go: MSK's
// IAM access control accepts that token in place of the AWS_MSK_IAM
// mechanism. The signer's README shows only the sarama wiring
// (SASLTypeOAuth plus a token provider); franz-go's equivalent is
// oauth.Oauth. Credentials come from the default chain, i.e. the function
// role; signing is local, so no STS endpoint is needed in the VPC.
func newMSKAdmin(bootstrap []string) (*kadm.Client, error) {
	region := os.Getenv("AWS_REGION") // set by the Lambda runtime
	if region == "" {
		return nil, errors.New("AWS_REGION is not set")
	}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(bootstrap...),
		kgo.ClientID("haina-topics-lambda"),
		// ServerName is filled in per broker by franz-go.
		kgo.DialTLSConfig(&tls.Config{MinVersion: tls.VersionTLS12}),
		kgo.SASL(oauth.Oauth(mskToken(region))),
		kgo.DialTimeout(dialTimeout),
		kgo.RetryTimeout(retryTimeout),
	)
	if err != nil {
		return nil, err
	}
	adm := kadm.NewClient(cl)
	adm.SetTimeoutMillis(int32(adminTimeout / time.Millisecond))
	return adm, nil
}

// mskToken signs a fresh token for every connection: franz-go calls it per
// connection and re-authentication, and a run opens only a few.
func mskToken(region string) func(context.Context) (oauth.Auth, error) {
	return func(ctx context.Context) (oauth.Auth, error) {
		token, _, err := signer.GenerateAuthToken(ctx, region)
		if err != nil {
			return oauth.Auth{}, fmt.Errorf("signing an MSK IAM token for %s: %w", region, err)
		}
		return oauth.Auth{Token: token}, nil
	}
}

// authWait is how long a run waits before trying again after MSK refused it.
var authWait = 5 * time.Second

// retryUnauthorized runs f again while MSK refuses it for authorization: the
// function is invoked seconds after its role's policy is written, and "it can
// take a noticeable amount of time" before MSK applies an IAM policy change
// (https://docs.aws.amazon.com/msk/latest/developerguide/iam-access-control.html).
// Ensure is idempotent, so a retry is safe; the run's own time bound ends it.
func retryUnauthorized(ctx context.Context, wait time.Duration, f func() (kafkatopics.Result, error)) (kafkatopics.Result, error) {
	for attempt := 1; ; attempt++ {
		res, err := f()
		if err == nil || !unauthorized(err) {
			return res, err
		}
		select {
		case <-ctx.Done():
			return res, fmt.Errorf("still refused after %d attempts (IAM changes can take a minute to reach MSK; run pulumi up again): %w", attempt, err)
		case <-time.After(wait):
		}
	}
}

func unauthorized(err error) bool {
	return errors.Is(err, kerr.SaslAuthenticationFailed) || errors.Is(err, kerr.TopicAuthorizationFailed) ||
		errors.Is(err, kerr.ClusterAuthorizationFailed)
}
