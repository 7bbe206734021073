package kinesalite

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// FaultProxy sits between a client and kinesalite on 127.0.0.1. In each
// PutRecords request it fails about share of the entries with
// ProvisionedThroughputExceededException, as a hot shard would, and forwards
// the rest; everything else passes through unchanged. A record is failed at
// most MaxFailsPerRecord times, so a producer that retries enough always
// succeeds: the test is deterministic, not a bet on the odds.
type FaultProxy struct {
	URL      string
	Injected atomic.Int64
}

// MaxFailsPerRecord bounds the injected failures of one record (by content).
const MaxFailsPerRecord = 3

// StartFaultProxy starts the proxy in front of target until the test ends.
func StartFaultProxy(t testing.TB, target string, share float64, seed uint64) *FaultProxy {
	p := &FaultProxy{}
	rnd := rand.New(rand.NewPCG(seed, seed))
	var mu sync.Mutex
	fails := map[string]int{} // record data → failures injected so far
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if r.Header.Get("X-Amz-Target") != "Kinesis_20131202.PutRecords" {
			forward(w, r, target, body)
			return
		}
		var in map[string]any
		if err := json.Unmarshal(body, &in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		entries, _ := in["Records"].([]any)
		fail := make([]bool, len(entries))
		var keep []any
		mu.Lock()
		for i, e := range entries {
			data, _ := e.(map[string]any)["Data"].(string)
			if fail[i] = fails[data] < MaxFailsPerRecord && rnd.Float64() < share; fail[i] {
				fails[data]++
			} else {
				keep = append(keep, e)
			}
		}
		mu.Unlock()
		var results []any
		failed := 0.0
		if len(keep) > 0 {
			in["Records"] = keep
			fwd, _ := json.Marshal(in)
			rec := httptest.NewRecorder()
			forward(rec, r, target, fwd)
			if rec.Code != http.StatusOK {
				copyResponse(w, rec)
				return
			}
			var out map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			results, _ = out["Records"].([]any)
			failed, _ = out["FailedRecordCount"].(float64)
		}
		merged := make([]any, 0, len(entries))
		j := 0
		for i := range entries {
			if fail[i] {
				p.Injected.Add(1)
				failed++
				merged = append(merged, map[string]any{
					"ErrorCode":    "ProvisionedThroughputExceededException",
					"ErrorMessage": "Rate exceeded for shard shardId-000000000000 in stream (injected by the test proxy)",
				})
				continue
			}
			merged = append(merged, results[j])
			j++
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(map[string]any{"FailedRecordCount": failed, "Records": merged})
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

func forward(w http.ResponseWriter, r *http.Request, target string, body []byte) {
	req, err := http.NewRequestWithContext(r.Context(), r.Method, target+r.URL.Path, bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	for k, v := range r.Header {
		if k != "Content-Length" {
			req.Header[k] = v
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}
