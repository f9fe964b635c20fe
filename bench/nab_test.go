package bench

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"cityvitals/detect/anomaly"
	"cityvitals/model"
)

// writeNABFolder builds a NAB-layout folder: data/<category>/<file>.csv.
func writeNABFolder(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for rel, body := range files {
		path := filepath.Join(root, "data", rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func series(n int, value func(i int) float64) string {
	var b strings.Builder
	b.WriteString("timestamp,value\n")
	for i := range n {
		b.WriteString("2015-02-26 " + strconv.Itoa(10+i/3600) + ":" + pad(i/60%60) + ":" + pad(i%60) + ",")
		b.WriteString(strconv.FormatFloat(value(i), 'g', -1, 64) + "\n")
	}
	return b.String()
}

func pad(n int) string { return strings.TrimPrefix(strconv.Itoa(100+n), "1") }

func TestRunNABWritesOneScoreFilePerInput(t *testing.T) {
	t.Parallel()
	inputs := map[string]string{
		"catA/flat.csv":  series(300, func(int) float64 { return 5 }),
		"catA/spike.csv": series(500, func(i int) float64 { return float64(i%7) + map[bool]float64{true: 100}[i == 400] }),
		"catB/short.csv": series(3, func(i int) float64 { return float64(i) }),
	}
	root := writeNABFolder(t, inputs)
	out := t.TempDir()
	var lastDone, lastTotal int
	rep, err := RunNAB(context.Background(), NABOptions{DataDir: root, OutDir: out, Progress: func(done, total int) { lastDone, lastTotal = done, total }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Files != 3 || rep.Observations != 803 || lastDone != 3 || lastTotal != 3 {
		t.Fatalf("report %+v, progress %d/%d; want 3 files, 803 observations, progress 3/3", rep, lastDone, lastTotal)
	}
	for rel, in := range inputs {
		t.Run(rel, func(t *testing.T) {
			inRows := readCSV(t, strings.NewReader(in))
			f, err := os.Open(filepath.Join(out, rel))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			outRows := readCSV(t, f)
			if len(outRows) != len(inRows) || strings.Join(outRows[0], ",") != "timestamp,anomaly_score" {
				t.Fatalf("got %d rows with header %v, want %d rows with header timestamp,anomaly_score", len(outRows), outRows[0], len(inRows))
			}
			for i := 1; i < len(outRows); i++ {
				s, err := strconv.ParseFloat(outRows[i][1], 64)
				if outRows[i][0] != inRows[i][0] || err != nil || s < 0 || s > 1 {
					t.Fatalf("row %d: got %v, want timestamp %s and a score in [0, 1]", i, outRows[i], inRows[i][0])
				}
			}
		})
	}
	spike := readCSV(t, strings.NewReader(mustRead(t, filepath.Join(out, "catA/spike.csv"))))
	if spike[401][1] == "0" {
		t.Error("the spike at row 400 of catA/spike.csv scored 0")
	}
}

func TestRunNABMatchesTheDetector(t *testing.T) {
	t.Parallel()
	const rel = "realAdExchange/exchange-2_cpc_results.csv"
	src := filepath.Join("..", "..", "shared", "data", "nab", "data", rel)
	root := writeNABFolder(t, map[string]string{rel: mustRead(t, src)})
	out := t.TempDir()
	if _, err := RunNAB(context.Background(), NABOptions{DataDir: root, OutDir: out}); err != nil {
		t.Fatal(err)
	}
	in := readCSV(t, strings.NewReader(mustRead(t, src)))
	got := readCSV(t, strings.NewReader(mustRead(t, filepath.Join(out, rel))))
	d := anomaly.New(anomaly.Config{})
	for i := 1; i < len(in); i++ {
		ts, err := parseNABTime(in[i][0])
		if err != nil {
			t.Fatal(err)
		}
		v, _ := strconv.ParseFloat(in[i][1], 64)
		want := strconv.FormatFloat(d.Observe(ts, v), 'g', 8, 64)
		if got[i][1] != want {
			t.Fatalf("row %d: replay wrote %s, the detector gives %s", i, got[i][1], want)
		}
	}
}

func TestRunNABRejectsMalformedFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want string // in the error besides the file name
	}{
		{"value not a number", "timestamp,value\n2015-02-26 21:42:53,1\n2015-02-26 21:47:53,abc\n", "line 3"},
		{"bad timestamp", "timestamp,value\nyesterday,1\n", "line 2"},
		{"missing column", "timestamp,value\n2015-02-26 21:42:53\n", "line 2"},
		{"bad row after a full batch", series(nabBatch+5, func(int) float64 { return 1 }) + "2015-02-27 00:00:00,x\n", "line " + strconv.Itoa(nabBatch+7)},
		{"empty file", "", "header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := writeNABFolder(t, map[string]string{"cat/bad.csv": tt.body})
			out := t.TempDir()
			_, err := RunNAB(context.Background(), NABOptions{DataDir: root, OutDir: out})
			if model.ErrorCode(err) != model.EINVALID || !strings.Contains(err.Error(), "bad.csv") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want EINVALID naming bad.csv and %s", err, tt.want)
			}
			if _, err := os.Stat(filepath.Join(out, "cat", "bad.csv")); !os.IsNotExist(err) {
				t.Fatalf("a failed file left output behind: %v", err)
			}
		})
	}
}

func TestRunNABRejectsFolderWithoutFiles(t *testing.T) {
	t.Parallel()
	_, err := RunNAB(context.Background(), NABOptions{DataDir: t.TempDir(), OutDir: t.TempDir()})
	if model.ErrorCode(err) != model.EINVALID {
		t.Fatalf("got %v, want EINVALID", err)
	}
}

func readCSV(t *testing.T, r interface{ Read([]byte) (int, error) }) [][]string {
	t.Helper()
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
