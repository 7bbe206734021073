// Package kinesalite runs a real Kinesis API (the kinesalite npm package) on
// 127.0.0.1 for tests, installing it into .cache/kinesalite on first use.
package kinesalite

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/haina-data/haina/tests/harness"
)

// Version is the pinned kinesalite release.
const Version = "3.3.3"

// wrapper binds loopback only (kinesalite's CLI has no host flag) and prints the port.
const wrapper = `const kinesalite = require(process.argv[2]);
const server = kinesalite({createStreamMs: 5, deleteStreamMs: 5, updateStreamMs: 5, shardLimit: 1000});
server.listen(0, '127.0.0.1', err => {
  if (err) { console.error(err); process.exit(1); }
  console.log(server.address().port);
});
process.stdin.on('end', () => process.exit(0)); // the test's end closes stdin
process.stdin.resume();
`

// Start runs kinesalite until the test ends and returns its endpoint URL.
func Start(t testing.TB) string {
	t.Helper()
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, ".cache", "kinesalite")
	pkg := filepath.Join(dir, "node_modules", "kinesalite")
	if _, err := os.Stat(filepath.Join(pkg, "package.json")); err != nil {
		install := exec.Command("npm", "install", "--no-audit", "--no-fund", "--prefix", dir, "kinesalite@"+Version)
		if out, err := install.CombinedOutput(); err != nil {
			t.Fatalf("installing kinesalite %s from npm (needs node and npm) failed: %v\n%s", Version, err, out)
		}
	}
	script := filepath.Join(t.TempDir(), "kinesalite.js")
	if err := os.WriteFile(script, []byte(wrapper), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "node", script, pkg)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting kinesalite: %v", err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cancel()
		_ = cmd.Wait()
	})
	port := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		port <- strings.TrimSpace(line)
	}()
	select {
	case p := <-port:
		if p == "" {
			t.Fatal("kinesalite exited before listening")
		}
		return "http://127.0.0.1:" + p
	case <-time.After(20 * time.Second):
		t.Fatal("kinesalite did not start within 20s")
	}
	return ""
}

// Client returns a Kinesis client for endpoint with dummy credentials.
func Client(endpoint string) *kinesis.Client {
	return kinesis.New(kinesis.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local", ""),
	})
}

// CreateStream creates a stream and waits (bounded) until it is active.
func CreateStream(t testing.TB, c *kinesis.Client, name string, shards int32) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(shards)}); err != nil {
		t.Fatalf("create stream %s: %v", name, err)
	}
	for range 200 {
		out, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
		if err == nil && out.StreamDescriptionSummary.StreamStatus == types.StreamStatusActive {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("stream %s did not become active", name)
}

// ReadAll reads every record of every shard from the start (bounded by maxCalls).
func ReadAll(t testing.TB, c *kinesis.Client, name string) [][]byte {
	t.Helper()
	ctx := context.Background()
	shards, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(name)})
	if err != nil {
		t.Fatalf("list shards: %v", err)
	}
	var out [][]byte
	for _, s := range shards.Shards {
		it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{
			StreamName: aws.String(name), ShardId: s.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon,
		})
		if err != nil {
			t.Fatalf("shard iterator: %v", err)
		}
		iter := it.ShardIterator
		for calls := 0; iter != nil; calls++ {
			if calls > 10000 {
				t.Fatalf("shard %s: too many GetRecords calls", aws.ToString(s.ShardId))
			}
			rec, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(10000)})
			if err != nil {
				t.Fatalf("get records: %v", err)
			}
			for _, r := range rec.Records {
				out = append(out, r.Data)
			}
			if len(rec.Records) == 0 && aws.ToInt64(rec.MillisBehindLatest) == 0 {
				break
			}
			iter = rec.NextShardIterator
		}
	}
	return out
}

// Name returns a stream name unique to the test.
func Name(t testing.TB) string {
	return fmt.Sprintf("t%d", time.Now().UnixNano())
}
