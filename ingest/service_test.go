package ingest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"cityvitals/model"
)

var testNow = time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)

func gasRange(property string) (lo, hi float64, ok bool) {
	if property == "gas_lel" {
		return 0, 100, true
	}
	return 0, 0, false
}

func testRegistry() *Registry {
	reg := NewRegistry()
	reg.Put(
		model.Datastream{ID: 1, Key: "gas-1", Property: "gas_lel", UoM: "%LEL", Device: "dev-a"},
		model.Datastream{ID: 2, Key: "temp-1", Property: "air_temperature", UoM: "Cel"},
		model.Datastream{ID: 3, Key: "gas-2", Property: "gas_lel", UoM: "%LEL", Device: "dev-b"},
	)
	return reg
}

func TestIngestMixedItems(t *testing.T) {
	t.Parallel()
	ms := testNow.Add(-time.Minute).UnixMilli()
	lines := []string{
		`{"datastream":1,"time":"2024-04-30T23:59:00Z","value":12.5}`,
		fmt.Sprintf(`{"datastream":"temp-1","time":%d,"value":-3.5,"quality":"suspect"}`, ms),
		`{"datastream":3,"time":"2024-04-30T23:59:00Z","value":1}`,
		`{"datastream":"nope","time":"2024-04-30T23:59:00Z","value":1}`,
		`{"datastream":99,"time":"2024-04-30T23:59:00Z","value":1}`,
		`{"datastream":1,"time":"2031-01-01T00:00:00Z","value":1}`,
		`{"datastream":1,"time":"2010-01-01T00:00:00Z","value":1}`,
		`{"datastream":1,"time":"2024-04-30T23:59:00Z","value":1e9}`,
		`{"datastream":1,"time":"last tuesday","value":1}`,
		`{"datastream":1,"time":"2024-04-30T23:59:00Z","value":"12"}`,
		`{"datastream":1,"time":"2024-04-30T23:59:00Z","value":1,"property":"air_temperature"}`,
		`{"datastream":1,"time":`,
		`{"datastream":1,"time":"2024-04-30T23:59:00Z","value":1,"quality":7}`,
		`{"datastream":true,"time":"2024-04-30T23:59:00Z","value":1}`,
		`{"datastream":"gas-1","time":"2024-04-30T23:59:30+08:00","value":100,"property":"gas_lel","unknown":"ignored"}`,
	}
	wantRejected := []Rejection{
		{Index: 2, Stream: "3", Reason: "datastream 3 belongs to another device"},
		{Index: 3, Stream: "nope", Reason: `datastream: unknown key "nope"`},
		{Index: 4, Stream: "99", Reason: "datastream: unknown id 99"},
		{Index: 5, Stream: "1", Reason: "time: 2031-01-01T00:00:00Z is more than 5m in the future"},
		{Index: 6, Stream: "1", Reason: "time: 2010-01-01T00:00:00Z is more than 87600h in the past"},
		{Index: 7, Stream: "1", Reason: "value: 1e+09 outside plausible range [0, 100] for gas_lel"},
		{Index: 8, Stream: "1", Reason: "time: not RFC 3339 or Unix ms"},
		{Index: 9, Stream: "1", Reason: "value: must be a finite number, got string"},
		{Index: 10, Stream: "1", Reason: `property: "air_temperature" does not match the datastream's property "gas_lel"`},
		{Index: 11, Reason: "item: malformed JSON line"},
		{Index: 12, Stream: "1", Reason: `quality: must be 0, 1, 2, "good", "suspect" or "bad"`},
		{Index: 13, Reason: "datastream: must be a positive integer id or a non-empty string key, got bool"},
	}
	wantStored := []model.Observation{
		{Stream: 1, Time: ms, Value: 12.5},
		{Stream: 2, Time: ms, Value: -3.5, Quality: model.QualitySuspect},
		{Stream: 1, Time: time.Date(2024, 4, 30, 15, 59, 30, 0, time.UTC).UnixMilli(), Value: 100},
	}
	wantReasons := map[string]float64{
		"forbidden_device": 1, "unknown_datastream": 2, "too_far_future": 1, "too_old": 1,
		"out_of_range": 1, "bad_time": 1, "bad_value": 1, "property_mismatch": 1,
		"malformed": 1, "bad_quality": 1, "bad_datastream": 1, "provision_failed": 0,
	}

	h := &fakeHistory{}
	promReg := prometheus.NewPedanticRegistry()
	s := startService(t, h, testRegistry(), Config{Clock: fixedClock(testNow), Range: gasRange, Registerer: promReg})
	body := []byte(strings.Join(lines, "\n"))
	res, err := s.Ingest(context.Background(), Source{Transport: "http", Device: "dev-a"}, body)
	if err != nil {
		t.Fatalf("Ingest: %v", err)
	}
	if res.Accepted != len(wantStored) {
		t.Errorf("Accepted = %d, want %d", res.Accepted, len(wantStored))
	}
	assertRejections(t, res.Rejected, wantRejected)
	assertObservations(t, h.all(), wantStored)
	for reason, want := range wantReasons {
		if got := metricValue(s.metrics.rejected.WithLabelValues(reason)); got != want {
			t.Errorf("rejected_total{reason=%q} = %v, want %v", reason, got, want)
		}
	}
	if got := metricValue(s.metrics.observations.WithLabelValues("http")); got != float64(len(wantStored)) {
		t.Errorf("observations_total{transport=http} = %v, want %d", got, len(wantStored))
	}
	families, err := promReg.Gather()
	if err != nil {
		t.Fatalf("gather metrics: %v", err)
	}
	if len(families) != 6 {
		t.Errorf("registered %d metric families, want 6", len(families))
	}
}

func assertRejections(t *testing.T, got, want []Rejection) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("rejected %d items, want %d:\n got %+v\nwant %+v", len(got), len(want), got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("rejection %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func assertObservations(t *testing.T, got, want []model.Observation) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("stored %d observations, want %d:\n got %+v\nwant %+v", len(got), len(want), got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("observation %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestIngestRealAirQualityData(t *testing.T) {
	t.Parallel()
	const rows = 2000
	body, numeric := airQualityBatch(t, rows)
	tests := []struct {
		name string
		body []byte
	}{
		{"ndjson", body},
		{"array", ndjsonToArray(body)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := &fakeHistory{}
			s := startService(t, h, airQualityRegistry(), Config{Clock: fixedClock(airQualityEnd)})
			res, err := s.Ingest(context.Background(), Source{Transport: "file"}, tt.body)
			if err != nil {
				t.Fatalf("Ingest: %v", err)
			}
			if res.Accepted != numeric || res.Accepted+len(res.Rejected) != 2*rows {
				t.Errorf("accepted %d, rejected %d; data has %d numeric of %d values",
					res.Accepted, len(res.Rejected), numeric, 2*rows)
			}
			for _, r := range res.Rejected {
				if r.Reason != "value: must be a finite number, got string" {
					t.Errorf("unexpected rejection %+v", r)
				}
			}
			if got := len(h.all()); got != numeric {
				t.Errorf("stored %d observations, want %d", got, numeric)
			}
		})
	}
}

// ndjsonToArray turns NDJSON lines into one JSON array.
func ndjsonToArray(body []byte) []byte {
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	return []byte("[" + strings.Join(lines, ",\n") + "]")
}

func TestIngestBodyErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		body     string
		wantCode string
		wantText string
	}{
		{"not json", "hello", model.EINVALID, "not a JSON array"},
		{"too large", "[" + strings.Repeat(" ", 2048) + "]", model.ETOOLARGE, "limit is 1024 bytes"},
		{"too many items", strings.Repeat(`{"datastream":1,"time":0,"value":1}`+"\n", 11), model.ETOOLARGE, "limit is 10 items"},
	}
	h := &fakeHistory{}
	s := startService(t, h, testRegistry(), Config{MaxBodyBytes: 1024, MaxBatchItems: 10, QueueCapacity: 10})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := s.Ingest(context.Background(), Source{Transport: "http"}, []byte(tt.body))
			if model.ErrorCode(err) != tt.wantCode || !strings.Contains(model.ErrorMessage(err), tt.wantText) {
				t.Errorf("Ingest error = %v, want %s mentioning %q", err, tt.wantCode, tt.wantText)
			}
			if res.Accepted != 0 {
				t.Errorf("Accepted = %d after a body error", res.Accepted)
			}
		})
	}
	if n := h.writeCount(); n != 0 {
		t.Errorf("%d writes after only bad bodies", n)
	}
}

func goodItem(stream int64) string {
	return fmt.Sprintf(`{"datastream":%d,"time":%d,"value":1}`, stream, testNow.UnixMilli())
}

func TestIngestAcknowledgesOnlyDurable(t *testing.T) {
	t.Parallel()
	h := &fakeHistory{}
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	h.setGate(func([]model.Observation) {
		entered <- struct{}{}
		<-release
	})
	s := startService(t, h, testRegistry(), Config{Clock: fixedClock(testNow)})
	done := make(chan error, 1)
	go func() {
		_, err := s.Ingest(context.Background(), Source{Transport: "http"}, []byte(goodItem(2)))
		done <- err
	}()
	<-entered
	select {
	case err := <-done:
		t.Fatalf("Ingest returned (%v) while Write was still blocked", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Ingest: %v", err)
	}
	if got := len(h.all()); got != 1 {
		t.Errorf("stored %d observations, want 1", got)
	}
}

func TestIngestWriteFailureAcknowledgesNothing(t *testing.T) {
	t.Parallel()
	h := &fakeHistory{}
	diskFull := errors.New("no space left on device")
	h.setFail(diskFull)
	s := startService(t, h, testRegistry(), Config{Clock: fixedClock(testNow)})
	body := []byte(goodItem(2) + "\n" + goodItem(99))
	res, err := s.Ingest(context.Background(), Source{Transport: "mqtt"}, body)
	if !errors.Is(err, diskFull) {
		t.Fatalf("Ingest error = %v, want the store's error", err)
	}
	if model.ErrorCode(err) != model.EINTERNAL {
		t.Errorf("error code = %s, want %s (details must not reach the sender)", model.ErrorCode(err), model.EINTERNAL)
	}
	if res.Accepted != 0 || len(res.Rejected) != 1 {
		t.Errorf("result = %+v, want nothing accepted and the unknown stream rejected", res)
	}
	if got := metricValue(s.metrics.observations.WithLabelValues("mqtt")); got != 0 {
		t.Errorf("observations_total = %v after a failed write", got)
	}
	if got := metricValue(s.metrics.queueDepth); got != 0 {
		t.Errorf("queue depth = %v after the failed commit was answered", got)
	}
}

func TestIngestOverloadedDoesNotBlock(t *testing.T) {
	t.Parallel()
	h := &fakeHistory{}
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	h.setGate(func([]model.Observation) {
		entered <- struct{}{}
		<-release
	})
	s := startService(t, h, testRegistry(), Config{Clock: fixedClock(testNow), MaxBatchItems: 2, QueueCapacity: 2, CommitWorkers: 1})
	full := []byte(goodItem(2) + "\n" + goodItem(2))
	first := make(chan error, 1)
	go func() {
		_, err := s.Ingest(context.Background(), Source{Transport: "http"}, full)
		first <- err
	}()
	<-entered // the first batch holds the whole capacity until its write returns

	tests := []struct {
		name string
		body []byte
	}{
		{"full batch", full},
		{"single item", []byte(goodItem(2))},
	}
	for _, tt := range tests {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := s.Ingest(ctx, Source{Transport: "http"}, tt.body)
		cancel()
		if model.ErrorCode(err) != model.EOVERLOADED {
			t.Fatalf("%s: Ingest error = %v, want EOVERLOADED", tt.name, err)
		}
		if d, ok := RetryAfter(err); !ok || d <= 0 {
			t.Errorf("%s: RetryAfter = %v, %v; want a positive hint", tt.name, d, ok)
		}
	}
	if got := metricValue(s.metrics.overloaded); got != 2 {
		t.Errorf("overloaded_total = %v, want 2", got)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("first Ingest: %v", err)
	}
	if _, err := s.Ingest(context.Background(), Source{Transport: "http"}, full); err != nil {
		t.Errorf("Ingest after the queue drained: %v", err)
	}
}

func TestSubmitWaitsForRoom(t *testing.T) {
	t.Parallel()
	h := &fakeHistory{}
	release := make(chan struct{})
	var writes atomic.Int32
	h.setGate(func([]model.Observation) {
		if writes.Add(1) == 1 {
			<-release
		}
	})
	s := startService(t, h, testRegistry(), Config{MaxBatchItems: 2, QueueCapacity: 2, CommitWorkers: 1})
	obs := []model.Observation{{Stream: 1, Time: 1, Value: 1}, {Stream: 1, Time: 2, Value: 2}}
	first := make(chan error, 1)
	go func() { first <- s.Submit(context.Background(), obs) }()
	for writes.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	err := s.Submit(ctx, obs)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Submit on a full queue = %v, want it to wait until its context ends", err)
	}
	second := make(chan error, 1)
	go func() { second <- s.Submit(context.Background(), obs) }()
	close(release)
	for _, ch := range []chan error{first, second} {
		if err := <-ch; err != nil {
			t.Errorf("Submit: %v", err)
		}
	}
	if got := len(h.all()); got != 4 {
		t.Errorf("stored %d observations, want 4", got)
	}
	if err := s.Submit(context.Background(), make([]model.Observation, 3)); model.ErrorCode(err) != model.ETOOLARGE {
		t.Errorf("Submit over MaxBatchItems = %v, want ETOOLARGE", err)
	}
}

func TestIngestConcurrent(t *testing.T) {
	t.Parallel()
	const senders, batches, perBatch = 8, 20, 50
	h := &fakeHistory{}
	var observed atomic.Int64
	s, err := NewService(h, testRegistry(), Config{Clock: fixedClock(testNow), MaxCommitObservations: 300})
	if err != nil {
		t.Fatal(err)
	}
	s.Subscribe(func(b []model.Observation) { observed.Add(int64(len(b))) })
	go func() { _ = s.Run(context.Background()) }()
	defer s.Stop()

	var wg sync.WaitGroup
	errs := make(chan error, senders*batches)
	for sender := range senders {
		wg.Go(func() {
			for n := range batches {
				var b strings.Builder
				for i := range perBatch {
					ms := testNow.UnixMilli() - int64((sender*batches+n)*perBatch+i)
					fmt.Fprintf(&b, `{"datastream":2,"time":%d,"value":%d}`+"\n", ms, i)
				}
				res, err := s.Ingest(context.Background(), Source{Transport: "http"}, []byte(b.String()))
				if err == nil && res.Accepted != perBatch {
					err = fmt.Errorf("accepted %d of %d", res.Accepted, perBatch)
				}
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Ingest: %v", err)
		}
	}
	want := senders * batches * perBatch
	if got := len(h.all()); got != want {
		t.Errorf("stored %d observations, want %d", got, want)
	}
	if got := observed.Load(); got != int64(want) {
		t.Errorf("observers saw %d observations, want %d", got, want)
	}
	if n := h.writeCount(); n >= senders*batches {
		t.Logf("no grouping happened: %d writes for %d requests", n, senders*batches)
	}
}

func TestStopDrainsAcceptedWork(t *testing.T) {
	t.Parallel()
	h := &fakeHistory{}
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	var once sync.Once
	h.setGate(func([]model.Observation) {
		once.Do(func() {
			entered <- struct{}{}
			<-release
		})
	})
	s, err := NewService(h, testRegistry(), Config{Clock: fixedClock(testNow), CommitWorkers: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancelRun := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- s.Run(ctx) }()

	const requests = 5
	results := make(chan error, requests)
	go func() {
		_, err := s.Ingest(context.Background(), Source{Transport: "http"}, []byte(goodItem(2)))
		results <- err
	}()
	<-entered
	for range requests - 1 {
		go func() {
			_, err := s.Ingest(context.Background(), Source{Transport: "http"}, []byte(goodItem(2)))
			results <- err
		}()
	}
	waitFor(t, func() bool { return metricValue(s.metrics.queueDepth) == requests })

	cancelRun() // shutdown begins while one write is held and four requests wait
	waitFor(t, func() bool { return queueClosed(s) })
	if _, err := s.Ingest(context.Background(), Source{Transport: "http"}, []byte(goodItem(2))); model.ErrorCode(err) != model.EOVERLOADED {
		t.Errorf("Ingest during shutdown = %v, want EOVERLOADED", err)
	}
	close(release)
	for range requests {
		if err := <-results; err != nil {
			t.Errorf("accepted request failed during shutdown: %v", err)
		}
	}
	if err := <-runErr; err != nil {
		t.Errorf("Run: %v", err)
	}
	s.Stop()
	s.Stop() // safe twice
	if got := len(h.all()); got != requests {
		t.Errorf("stored %d observations, want %d", got, requests)
	}
}

func queueClosed(s *Service) bool {
	s.queue.mu.Lock()
	defer s.queue.mu.Unlock()
	return s.queue.closed
}

func TestStopWithoutRun(t *testing.T) {
	t.Parallel()
	s, err := NewService(&fakeHistory{}, testRegistry(), Config{Clock: fixedClock(testNow)})
	if err != nil {
		t.Fatal(err)
	}
	result := make(chan error, 1)
	go func() {
		_, err := s.Ingest(context.Background(), Source{Transport: "http"}, []byte(goodItem(2)))
		result <- err
	}()
	waitFor(t, func() bool { return metricValue(s.metrics.queueDepth) == 1 })
	s.Stop()
	if err := <-result; model.ErrorCode(err) != model.EOVERLOADED {
		t.Errorf("queued Ingest after Stop without Run = %v, want EOVERLOADED", err)
	}
	if err := s.Run(context.Background()); err != nil {
		t.Errorf("Run after Stop = %v, want nil", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestProvisioning(t *testing.T) {
	t.Parallel()
	type call struct{ key, property, uom, device string }
	tests := []struct {
		name         string
		src          Source
		provisionErr error
		wantAccepted int
		wantCalls    int
		wantReason   string
	}{
		{"allowed", Source{Transport: "mqtt", Device: "dev-n", Provision: true}, nil, 3, 2, ""},
		{"not allowed", Source{Transport: "mqtt", Device: "dev-n"}, nil, 0, 0, `datastream: unknown key "new-a"`},
		{"refused", Source{Transport: "mqtt", Device: "dev-n", Provision: true},
			model.Errorf(model.EINVALID, "property %q is not in the catalog", "gas_lel"), 0, 2,
			`datastream: cannot create key "new-a": property "gas_lel" is not in the catalog`},
		{"store down", Source{Transport: "mqtt", Device: "dev-n", Provision: true},
			errors.New("database is locked"), 0, 2, `datastream: cannot create key "new-a": internal error`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var calls []call
			nextID := int64(100)
			provision := func(ctx context.Context, src Source, key, property, uom string) (model.Datastream, error) {
				mu.Lock()
				defer mu.Unlock()
				calls = append(calls, call{key, property, uom, src.Device})
				if tt.provisionErr != nil {
					return model.Datastream{}, tt.provisionErr
				}
				nextID++
				return model.Datastream{ID: nextID, Key: key, Property: property, UoM: uom, Device: src.Device}, nil
			}
			reg := testRegistry()
			h := &fakeHistory{}
			s := startService(t, h, reg, Config{Clock: fixedClock(testNow), Provision: provision})
			ms := testNow.UnixMilli()
			body := fmt.Sprintf(`[{"datastream":"new-a","time":%d,"value":1,"property":"gas_lel","uom":"%%LEL"},
				{"datastream":"new-a","time":%d,"value":2},
				{"datastream":"new-b","time":%d,"value":3,"property":"water_level","uom":"m"}]`, ms, ms-1, ms)
			res, err := s.Ingest(context.Background(), tt.src, []byte(body))
			if err != nil {
				t.Fatalf("Ingest: %v", err)
			}
			if res.Accepted != tt.wantAccepted {
				t.Errorf("Accepted = %d, want %d (rejected %+v)", res.Accepted, tt.wantAccepted, res.Rejected)
			}
			if len(calls) != tt.wantCalls {
				t.Fatalf("provisioner called %d times (%+v), want %d", len(calls), calls, tt.wantCalls)
			}
			if tt.wantCalls > 0 && calls[0] != (call{"new-a", "gas_lel", "%LEL", "dev-n"}) {
				t.Errorf("first call = %+v", calls[0])
			}
			if tt.wantReason != "" && (len(res.Rejected) == 0 || res.Rejected[0].Reason != tt.wantReason) {
				t.Errorf("rejections = %+v, want first reason %q", res.Rejected, tt.wantReason)
			}
			if tt.wantAccepted > 0 {
				if ds, ok := reg.ByKey("new-b"); !ok || ds.Property != "water_level" {
					t.Errorf("registry after provisioning: %+v, %v", ds, ok)
				}
				// A second batch finds the streams without provisioning again.
				if _, err := s.Ingest(context.Background(), tt.src, []byte(body)); err != nil {
					t.Fatal(err)
				}
				if len(calls) != tt.wantCalls {
					t.Errorf("provisioner called again for known keys: %+v", calls)
				}
			}
		})
	}
}

func TestDeviceOwnership(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		device     string
		stream     int64
		wantReject string
	}{
		{"own stream", "dev-a", 1, ""},
		{"other device's stream", "dev-a", 3, "datastream 3 belongs to another device"},
		{"stream without device", "dev-a", 2, ""},
		{"user, not a device", "", 3, ""},
	}
	h := &fakeHistory{}
	s := startService(t, h, testRegistry(), Config{Clock: fixedClock(testNow)})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := s.Ingest(context.Background(), Source{Transport: "http", Device: tt.device}, []byte(goodItem(tt.stream)))
			if err != nil {
				t.Fatal(err)
			}
			var got string
			if len(res.Rejected) > 0 {
				got = res.Rejected[0].Reason
			}
			if got != tt.wantReject {
				t.Errorf("rejection = %q, want %q", got, tt.wantReject)
			}
		})
	}
}

func TestObserversSeeCommitsInOrder(t *testing.T) {
	t.Parallel()
	h := &fakeHistory{}
	releaseFirst := make(chan struct{})
	firstEntered := make(chan struct{})
	secondWritten := make(chan struct{})
	h.setGate(func(obs []model.Observation) {
		switch obs[0].Stream {
		case 1: // the first commit is slow
			close(firstEntered)
			<-releaseFirst
		case 2:
			close(secondWritten)
		}
	})
	s, err := NewService(h, testRegistry(), Config{CommitWorkers: 2})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []int64
	for range 2 { // two observers, each sees every commit in order
		s.Subscribe(func(batch []model.Observation) {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, batch[0].Stream)
		})
	}
	go func() { _ = s.Run(context.Background()) }()
	defer s.Stop()

	done := make(chan error, 2)
	go func() { done <- s.Submit(context.Background(), []model.Observation{{Stream: 1, Time: 1}}) }()
	<-firstEntered
	go func() { done <- s.Submit(context.Background(), []model.Observation{{Stream: 2, Time: 1}}) }()
	<-secondWritten
	time.Sleep(20 * time.Millisecond) // give a wrong implementation time to notify early
	mu.Lock()
	early := len(seen)
	mu.Unlock()
	if early != 0 {
		t.Errorf("observers saw %d commits before the first commit finished", early)
	}
	close(releaseFirst)
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	want := []int64{1, 1, 2, 2}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("observers saw streams %v, want %v", seen, want)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"zero is all defaults", Config{}, ""},
		{"negative body limit", Config{MaxBodyBytes: -1}, "MaxBodyBytes"},
		{"negative future", Config{MaxFuture: -time.Second}, "MaxFuture"},
		{"queue smaller than a batch", Config{MaxBatchItems: 1000, QueueCapacity: 999}, "QueueCapacity (999)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("Validate = %v", err)
				}
				return
			}
			if model.ErrorCode(err) != model.EINVALID || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Validate = %v, want EINVALID naming %s", err, tt.wantErr)
			}
		})
	}
}

func TestNewServiceRegistersMetricsOnce(t *testing.T) {
	t.Parallel()
	promReg := prometheus.NewRegistry()
	if _, err := NewService(&fakeHistory{}, NewRegistry(), Config{Registerer: promReg}); err != nil {
		t.Fatalf("first NewService: %v", err)
	}
	if _, err := NewService(&fakeHistory{}, NewRegistry(), Config{Registerer: promReg}); err == nil {
		t.Error("second NewService on the same registerer succeeded, want a registration error")
	}
}
