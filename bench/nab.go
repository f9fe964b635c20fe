package bench

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"cityvitals/detect/anomaly"
	"cityvitals/model"
)

// NABOptions says what RunNAB replays and where it writes the scores.
type NABOptions struct {
	// DataDir is a NAB-layout folder: it holds data/<category>/<file>.csv
	// (a folder holding <category>/<file>.csv directly is accepted too).
	DataDir string
	// OutDir receives <category>/<file>.csv with timestamp,anomaly_score.
	OutDir string
	// Detector is the one configuration used for every file.
	Detector anomaly.Config
	// Progress, if set, is called with the files done so far and in all;
	// calls may come from several goroutines, one at a time.
	Progress func(done, total int)
}

// NABReport is what `cityvitals bench nab --json` prints.
type NABReport struct {
	Files        int     `json:"files"`
	Observations int64   `json:"observations"`
	Seconds      float64 `json:"seconds"`
	NsPerObs     float64 `json:"ns_per_observation"` // wall time over all files, parse and write included
}

// nabTimeLayout is how NAB writes timestamps (no zone: read as UTC).
const nabTimeLayout = "2006-01-02 15:04:05"

// RunNAB replays every CSV file of a NAB-layout folder through its own
// anomaly.Detector, rows in order, and writes one score per row. Files run
// in parallel; each file is one datastream. A malformed file fails the
// run with an EINVALID error naming the file and line.
func RunNAB(ctx context.Context, opts NABOptions) (NABReport, error) {
	if err := opts.Detector.Validate(); err != nil {
		return NABReport{}, err
	}
	root := opts.DataDir
	if fi, err := os.Stat(filepath.Join(root, "data")); err == nil && fi.IsDir() {
		root = filepath.Join(root, "data")
	}
	files, err := nabFiles(root)
	if err != nil {
		return NABReport{}, err
	}
	began := time.Now()
	var rows atomic.Int64
	var progressMu sync.Mutex // Progress is called one at a time, done in order
	done := 0
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, rel := range files {
		g.Go(func() error {
			n, err := replayNABFile(ctx, filepath.Join(root, rel), filepath.Join(opts.OutDir, rel), opts.Detector)
			if err != nil {
				return fmt.Errorf("replay %s: %w", rel, err)
			}
			rows.Add(n)
			progressMu.Lock()
			defer progressMu.Unlock()
			if done++; opts.Progress != nil {
				opts.Progress(done, len(files))
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return NABReport{}, err
	}
	rep := NABReport{Files: len(files), Observations: rows.Load(), Seconds: time.Since(began).Seconds()}
	if rep.Observations > 0 {
		rep.NsPerObs = rep.Seconds * 1e9 / float64(rep.Observations)
	}
	return rep, nil
}

// nabFiles lists <category>/<file>.csv under root, sorted.
func nabFiles(root string) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(root, "*", "*.csv"))
	if err != nil {
		return nil, fmt.Errorf("list NAB files: %w", err)
	}
	if len(matches) == 0 {
		return nil, model.Errorf(model.EINVALID, "NAB folder %s: no <category>/<file>.csv files", root)
	}
	rels := make([]string, len(matches))
	for i, m := range matches {
		if rels[i], err = filepath.Rel(root, m); err != nil {
			return nil, fmt.Errorf("list NAB files: %w", err)
		}
	}
	slices.Sort(rels)
	return rels, nil
}

// replayNABFile scores one file into out and returns the rows it scored.
// The output is written to a temporary name and renamed when complete, so
// a failed run never leaves a half-written score file behind.
func replayNABFile(ctx context.Context, in, out string, cfg anomaly.Config) (n int64, err error) {
	src, err := os.Open(in)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return 0, err
	}
	tmp := out + ".tmp"
	dst, err := os.Create(tmp)
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			dst.Close()
			os.Remove(tmp)
		}
	}()
	w := bufio.NewWriter(dst)
	if n, err = scoreNAB(ctx, csv.NewReader(bufio.NewReader(src)), w, anomaly.New(cfg), in); err != nil {
		return 0, err
	}
	if err := w.Flush(); err != nil {
		return 0, fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := dst.Close(); err != nil {
		return 0, fmt.Errorf("close %s: %w", tmp, err)
	}
	return n, os.Rename(tmp, out)
}

// scoreNAB reads timestamp,value rows from r and writes
// timestamp,anomaly_score rows to w, the timestamp echoed as read.
func scoreNAB(ctx context.Context, r *csv.Reader, w io.Writer, det *anomaly.Detector, name string) (int64, error) {
	r.FieldsPerRecord = 2
	r.ReuseRecord = true
	if _, err := r.Read(); err != nil {
		return 0, model.Errorf(model.EINVALID, "%s: header: %v", name, err)
	}
	if _, err := io.WriteString(w, "timestamp,anomaly_score\n"); err != nil {
		return 0, err
	}
	var n int64
	buf := make([]byte, 0, 64)
	for ; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return n, ctx.Err()
		}
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, model.Errorf(model.EINVALID, "%s: %v", name, err)
		}
		line, _ := r.FieldPos(0)
		t, err := parseNABTime(rec[0])
		if err != nil {
			return n, model.Errorf(model.EINVALID, "%s line %d: timestamp %q: want %s", name, line, rec[0], nabTimeLayout)
		}
		v, err := strconv.ParseFloat(rec[1], 64)
		if err != nil {
			return n, model.Errorf(model.EINVALID, "%s line %d: value %q is not a number", name, line, rec[1])
		}
		score := det.Observe(t, v)
		buf = append(append(append(buf[:0], rec[0]...), ','), strconv.FormatFloat(score, 'g', 8, 64)...)
		if _, err := w.Write(append(buf, '\n')); err != nil {
			return n, err
		}
	}
}

// parseNABTime reads a NAB timestamp as UTC Unix milliseconds.
func parseNABTime(s string) (int64, error) {
	t, err := time.Parse(nabTimeLayout, s)
	return t.UnixMilli(), err
}
