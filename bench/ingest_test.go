package bench

import (
	"context"
	"testing"
	"time"
)

// TestRunIngestDrivesBothTransports runs the benchmark briefly: it must
// get observations through HTTP and MQTT, none rejected, and measure the
// raw store too. (The figures themselves are recorded, never asserted.)
func TestRunIngestDrivesBothTransports(t *testing.T) {
	rep, err := RunIngest(context.Background(), IngestOptions{
		Streams: 500, Batch: 100, HTTPWorkers: 2, MQTTClients: 1, Duration: 700 * time.Millisecond, DataDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.HTTPObsPerS <= 0 || rep.MQTTObsPerS <= 0 || rep.RawObsPerS <= 0 {
		t.Fatalf("report %+v: every rate must be positive", rep)
	}
	if rep.Rejected != 0 {
		t.Fatalf("%d batches rejected: the generator sends bad data", rep.Rejected)
	}
	if rep.P99AckMs < rep.P50AckMs {
		t.Fatalf("p99 %v < p50 %v", rep.P99AckMs, rep.P50AckMs)
	}
}

// TestMeasureOpenCountsStreams populates a small directory and checks the
// fresh-open measurement sees every stream.
func TestMeasureOpenCountsStreams(t *testing.T) {
	dir := t.TempDir()
	if _, err := PopulateStreams(context.Background(), dir, 2_500, nil); err != nil {
		t.Fatal(err)
	}
	rep, err := MeasureOpen(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Streams != 2_500 || rep.RSSBytes <= 0 || rep.HeapInuseBytes == 0 {
		t.Fatalf("report %+v, want 2,500 streams and positive memory figures", rep)
	}
}
