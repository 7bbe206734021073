// Command producer-lambda is the scheduled producer: each invocation sends
// EVENTS_PER_INVOCATION synthetic seed events to STREAM (name or ARN) through
// the producer package and logs a JSON summary. Built for provided.al2023/arm64.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/haina-data/haina/events"
	"github.com/haina-data/haina/producer"
)

// Summary is what one invocation did; it is also the function's result.
type Summary struct {
	Stream    string `json:"stream"`
	Requested int    `json:"requested"`
	producer.Stats
	Millis int64 `json:"millis"`
}

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	stream := os.Getenv("STREAM")
	n, err := strconv.Atoi(os.Getenv("EVENTS_PER_INVOCATION"))
	if stream == "" || err != nil || n < 1 || n > 1_000_000 {
		log.Error("bad configuration", "STREAM", stream, "EVENTS_PER_INVOCATION", os.Getenv("EVENTS_PER_INVOCATION"),
			"allowed", "a stream name or ARN, and 1..1000000 events")
		os.Exit(1)
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Error("loading AWS configuration", "error", err)
		os.Exit(1)
	}
	client := kinesis.NewFromConfig(cfg)
	lambda.Start(func(ctx context.Context) (Summary, error) {
		return handle(ctx, log, client, stream, n)
	})
}

func handle(ctx context.Context, log *slog.Logger, api producer.API, stream string, n int) (Summary, error) {
	start := time.Now()
	// A random seed: two runs (say, two cold starts in the same nanosecond) never share event ids.
	gen := events.NewGenerator(events.RandomSeed(), nil)
	st, err := producer.New(api, producer.Config{Stream: stream}).Run(ctx, events.Source(gen, n))
	s := Summary{Stream: stream, Requested: n, Stats: st, Millis: time.Since(start).Milliseconds()}
	if err != nil {
		log.Error("produce", "summary", s, "error", err)
		return s, fmt.Errorf("sent %d of %d events: %w", st.Sent, n, err)
	}
	log.Info("produce", "summary", s)
	return s, nil
}
