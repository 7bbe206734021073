package tests

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/haina-data/haina/events"
	"github.com/haina-data/haina/producer"
	"github.com/haina-data/haina/tests/kinesalite"
)

const benchRecords = 5000

// BenchmarkKinesalite compares, against the same loopback kinesalite: the seed's
// pattern (one PutRecord per event, sequential), haina's producer, and a bare
// sequential PutRecords-500 loop (the endpoint's ceiling for one client).
// Each variant gets a fresh kinesalite and stream: kinesalite slows down as it
// accumulates records, which would favour whichever variant ran first.
func BenchmarkKinesalite(b *testing.B) {
	ctx := context.Background()
	gen := events.NewGenerator(3, nil)
	fresh := func(b *testing.B) (*kinesis.Client, string) {
		c := kinesalite.Client(kinesalite.Start(b))
		name := kinesalite.Name(b)
		kinesalite.CreateStream(b, c, name, 4)
		return c, name
	}

	b.Run("a-seed-PutRecord-each", func(b *testing.B) {
		c, name := fresh(b)
		for b.Loop() {
			for range benchRecords {
				r, _ := events.Record(gen.Next())
				if _, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String(name), PartitionKey: aws.String(r.PartitionKey), Data: r.Data}); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(benchRecords*b.N)/b.Elapsed().Seconds(), "records/s")
	})
	// Default concurrency (4 calls in flight) and one call in flight: kinesalite
	// is a single Node.js process sharing 2 cores with the client, so overlap
	// cannot help here the way it does against real Kinesis latency.
	for _, conc := range []int{4, 1} {
		b.Run(fmt.Sprintf("b-haina-producer-concurrency-%d", conc), func(b *testing.B) {
			c, name := fresh(b)
			for b.Loop() {
				if _, err := producer.New(c, producer.Config{Stream: name, Concurrency: conc}).Run(ctx, events.Source(gen, benchRecords)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(benchRecords*b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
	b.Run("c-bare-PutRecords-500", func(b *testing.B) {
		c, name := fresh(b)
		for b.Loop() {
			for sent := 0; sent < benchRecords; sent += 500 {
				entries := make([]types.PutRecordsRequestEntry, 500)
				for i := range entries {
					r, _ := events.Record(gen.Next())
					entries[i] = types.PutRecordsRequestEntry{PartitionKey: aws.String(r.PartitionKey), Data: r.Data}
				}
				if _, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(name), Records: entries}); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(benchRecords*b.N)/b.Elapsed().Seconds(), "records/s")
	})
}

// discard accepts every record without keeping it.
type discard struct{ n atomic.Int64 }

func (d *discard) PutRecords(_ context.Context, in *kinesis.PutRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	d.n.Add(int64(len(in.Records)))
	out := make([]types.PutRecordsResultEntry, len(in.Records))
	return &kinesis.PutRecordsOutput{Records: out, FailedRecordCount: aws.Int32(0)}, nil
}

// BenchmarkProducerMemory reports the producer's peak heap for 10 k and 1 M
// events: it must be flat in the number of events.
func BenchmarkProducerMemory(b *testing.B) {
	for _, n := range []struct {
		name   string
		events int
	}{{"10k", 10_000}, {"1M", 1_000_000}} {
		b.Run(n.name, func(b *testing.B) {
			var peak uint64
			for b.Loop() {
				runtime.GC()
				stop := make(chan struct{})
				done := make(chan uint64)
				go func() {
					var ms runtime.MemStats
					var max uint64
					t := time.NewTicker(time.Millisecond)
					defer t.Stop()
					for {
						runtime.ReadMemStats(&ms)
						max = maxU(max, ms.HeapAlloc)
						select {
						case <-stop:
							done <- max
							return
						case <-t.C:
						}
					}
				}()
				if _, err := producer.New(&discard{}, producer.Config{Stream: "s"}).Run(context.Background(), events.Source(events.NewGenerator(5, nil), n.events)); err != nil {
					b.Fatal(err)
				}
				close(stop)
				peak = maxU(peak, <-done)
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}

func maxU(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}
