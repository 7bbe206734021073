package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
)

type accept struct {
	records int
	data    [][]byte
}

func (a *accept) PutRecords(_ context.Context, in *kinesis.PutRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	a.records += len(in.Records)
	for _, r := range in.Records {
		a.data = append(a.data, r.Data)
	}
	return &kinesis.PutRecordsOutput{Records: make([]types.PutRecordsResultEntry, len(in.Records)), FailedRecordCount: aws.Int32(0)}, nil
}

type refuse struct{}

func (refuse) PutRecords(context.Context, *kinesis.PutRecordsInput, ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform: kinesis:PutRecords"}
}

func TestHandlerSendsAndLogsASummary(t *testing.T) {
	var logs bytes.Buffer
	api := &accept{}
	s, err := handle(context.Background(), slog.New(slog.NewJSONHandler(&logs, nil)), api, "haina-staging-events", 1200)
	if err != nil {
		t.Fatal(err)
	}
	if api.records != 1200 || s.Sent != 1200 || s.Calls != 3 {
		t.Fatalf("sent %d in %d calls (api saw %d); want 1200 in 3", s.Sent, s.Calls, api.records)
	}
	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("log is not one JSON line: %q", logs.String())
	}
	summary := line["summary"].(map[string]any)
	if line["msg"] != "produce" || summary["sent"] != 1200.0 || summary["stream"] != "haina-staging-events" {
		t.Fatalf("summary %v", line)
	}
}

func TestHandlerReportsARefusedStream(t *testing.T) {
	var logs bytes.Buffer
	_, err := handle(context.Background(), slog.New(slog.NewJSONHandler(&logs, nil)), refuse{}, "s", 10)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("sent 0 of 10 events")) || !bytes.Contains([]byte(err.Error()), []byte("AccessDeniedException")) {
		t.Fatalf("error %v", err)
	}
	if !bytes.Contains(logs.Bytes(), []byte(`"level":"ERROR"`)) {
		t.Fatalf("no error log: %s", logs.String())
	}
}

// Each run's events carry event_ids no other run's carry (a retried run, or
// two runs started in the same nanosecond, must not look like duplicates).
func TestHandlerEventsCarryIDsUniqueAcrossRuns(t *testing.T) {
	api := &accept{}
	log := slog.New(slog.NewJSONHandler(&bytes.Buffer{}, nil))
	for range 2 {
		if _, err := handle(context.Background(), log, api, "s", 1000); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for _, d := range api.data {
		var e struct {
			EventID string `json:"event_id"`
		}
		if err := json.Unmarshal(d, &e); err != nil || e.EventID == "" {
			t.Fatalf("record without an event_id: %s", d)
		}
		if seen[e.EventID] {
			t.Fatalf("event_id %s sent twice", e.EventID)
		}
		seen[e.EventID] = true
	}
	if len(seen) != 2000 {
		t.Fatalf("%d distinct ids, want 2000", len(seen))
	}
}
