// Command haina-load sends synthetic seed events, or lines of a file, to a
// Kinesis stream and reports what happened: a load test for a haina pipeline.
//
//	go run ./cmd/haina-load --stream haina-staging-events --rate 500 --duration 1m
//	go run ./cmd/haina-load --stream NAME --count 100000
//	go run ./cmd/haina-load --stream NAME --file events.jsonl   (or --file - for stdin)
//
// It uses the standard AWS configuration (profile, region, credentials) and
// honours AWS_ENDPOINT_URL (e.g. a local kinesalite). It exits non-zero when
// records could not be delivered.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/haina-data/haina/events"
	"github.com/haina-data/haina/producer"
)

type options struct {
	stream      string
	rate        float64
	duration    time.Duration
	count       int
	file        string
	concurrency int
	quiet       bool
	create      int
}

func main() {
	var o options
	flag.StringVar(&o.stream, "stream", "", "stream name or ARN (required)")
	flag.Float64Var(&o.rate, "rate", 0, "events per second (0: as fast as the stream takes them)")
	flag.DurationVar(&o.duration, "duration", 0, "stop after this long")
	flag.IntVar(&o.count, "count", 0, "stop after this many events")
	flag.StringVar(&o.file, "file", "", "send the lines of this file (- for stdin) instead of synthetic events")
	flag.IntVar(&o.concurrency, "concurrency", 4, "PutRecords calls in flight")
	flag.BoolVar(&o.quiet, "quiet", false, "no live progress line")
	flag.IntVar(&o.create, "create-shards", 0, "create the stream with this many shards if it does not exist (local testing)")
	flag.Parse()

	if err := o.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "haina-load:", err)
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "haina-load:", err)
		os.Exit(1)
	}
}

func (o options) validate() error {
	switch {
	case o.stream == "":
		return errors.New("--stream is required")
	case o.rate < 0:
		return fmt.Errorf("--rate %v: must be 0 or more", o.rate)
	case o.count < 0:
		return fmt.Errorf("--count %d: must be 0 or more", o.count)
	case o.duration < 0:
		return fmt.Errorf("--duration %s: must be positive", o.duration)
	case o.file == "" && o.count == 0 && o.duration == 0:
		return errors.New("give --count, --duration or --file, or the run never ends")
	case o.concurrency < 1 || o.concurrency > 64:
		return fmt.Errorf("--concurrency %d: allowed 1 to 64", o.concurrency)
	case o.create < 0 || o.create > 1000:
		return fmt.Errorf("--create-shards %d: allowed 0 to 1000", o.create)
	}
	return nil
}

func run(ctx context.Context, o options, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("AWS configuration: %w", err)
	}
	src, closeSrc, err := source(o, stdin)
	if err != nil {
		return err
	}
	defer closeSrc()

	client := kinesis.NewFromConfig(cfg)
	if o.create > 0 {
		if err := ensureStream(ctx, client, o.stream, int32(o.create)); err != nil {
			return err
		}
	}
	p := producer.New(client, producer.Config{Stream: o.stream, Concurrency: o.concurrency})
	start := time.Now()
	done := make(chan struct{})
	if !o.quiet {
		go progress(p, start, stderr, done)
	}
	st, runErr := p.Run(ctx, src)
	close(done)
	elapsed := time.Since(start)
	summary := map[string]any{
		"stream": o.stream, "sent": st.Sent, "retried": st.Retried, "failed": st.Failed,
		"rejectedOversize": st.RejectedOversize, "rejectedInvalid": st.RejectedInvalid, "calls": st.Calls,
		"seconds": elapsed.Seconds(), "recordsPerSecond": float64(st.Sent) / elapsed.Seconds(),
	}
	if runErr != nil {
		summary["error"] = runErr.Error()
	}
	b, _ := json.Marshal(summary)
	fmt.Fprintln(stdout, string(b))
	return runErr
}

// progress redraws one status line every second until done.
func progress(p *producer.Producer, start time.Time, w io.Writer, done <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-done:
			fmt.Fprintln(w)
			return
		case <-t.C:
			s := p.Snapshot()
			line := fmt.Sprintf("\rsent %d (%.0f/s)  retried %d  failed %d  rejected %d",
				s.Sent, float64(s.Sent)/time.Since(start).Seconds(), s.Retried, s.Failed, s.RejectedOversize+s.RejectedInvalid)
			if last := p.LastError(); last != "" && s.Retried+s.Failed > 0 {
				line += "  last error: " + abbreviate(last, 100) // why it retries, not only how often
			}
			fmt.Fprint(w, line+"   ")
		}
	}
}

// source yields synthetic events or file lines, paced by --rate and bounded by --count and --duration.
func source(o options, stdin io.Reader) (producer.Source, func(), error) {
	var next func() (producer.Record, bool, error)
	closer := func() {}
	if o.file != "" {
		r := stdin
		if o.file != "-" {
			f, err := os.Open(o.file)
			if err != nil {
				return nil, nil, err
			}
			r, closer = f, func() { f.Close() }
		}
		br := bufio.NewReaderSize(r, 64<<10)
		line := 0
		next = func() (producer.Record, bool, error) {
			for {
				data, err := br.ReadBytes('\n')
				if len(data) == 0 && err != nil {
					if errors.Is(err, io.EOF) {
						return producer.Record{}, false, nil
					}
					return producer.Record{}, false, err
				}
				line++
				data = bytes.TrimRight(data, "\r\n")
				if len(data) == 0 {
					continue // blank lines carry no event
				}
				// An over-long line reaches the producer, which counts it as oversize.
				return producer.Record{PartitionKey: strconv.Itoa(line), Data: data}, true, nil
			}
		}
	} else {
		s := events.Source(events.NewGenerator(uint64(time.Now().UnixNano()), nil), -1)
		next = s.Next
	}
	start := time.Now()
	n := 0
	return producer.SourceFunc(func() (producer.Record, bool, error) {
		if (o.count > 0 && n >= o.count) || (o.duration > 0 && time.Since(start) >= o.duration) {
			return producer.Record{}, false, nil
		}
		if o.rate > 0 {
			if wait := time.Until(start.Add(time.Duration(float64(n) / o.rate * float64(time.Second)))); wait > 0 {
				time.Sleep(wait)
			}
		}
		n++
		return next()
	}), closer, nil
}

// ensureStream creates the stream unless it exists and waits (bounded) until it is active.
func ensureStream(ctx context.Context, c *kinesis.Client, name string, shards int32) error {
	_, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(shards)})
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("creating stream %s: %w", name, err)
	}
	for range 120 {
		out, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
		if err == nil && out.StreamDescriptionSummary.StreamStatus == types.StreamStatusActive {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	return fmt.Errorf("stream %s did not become active within a minute", name)
}

func abbreviate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
