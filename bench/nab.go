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

// nabProperty is the property the NAB streams are registered under: the
// watch only scores streams of the properties it is told to watch.
const nabProperty = "nab_value"

// nabBatch is how many rows of a file go to the watch in one batch, about
// the size of a busy ingest commit.
const nabBatch = 512

// RunNAB replays every CSV file of a NAB-layout folder through one live
// anomaly.Watch, each file one registered datastream fed in row order in
// batches as ingest commits them, and writes the score the watch computed
// for every row. Files run in parallel. A malformed file fails the run
// with an EINVALID error naming the file and line.
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
	watch, err := newNABWatch(opts.Detector, len(files))
	if err != nil {
		return NABReport{}, err
	}
	began := time.Now()
	var rows atomic.Int64
	var progressMu sync.Mutex // Progress is called one at a time, done in order
	done := 0
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, rel := range files {
		stream := nabStream{watch: watch, id: int64(i + 1)}
		g.Go(func() error {
			n, err := replayNABFile(ctx, filepath.Join(root, rel), filepath.Join(opts.OutDir, rel), stream)
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

// newNABWatch builds the watch the live platform runs, with streams 1..n
// registered, one per file.
func newNABWatch(cfg anomaly.Config, n int) (*anomaly.Watch, error) {
	w, err := anomaly.NewWatch(cfg, []string{nabProperty}, func(string) (string, string) { return "NAB", "NAB" })
	if err != nil {
		return nil, err
	}
	for id := range int64(n) {
		w.Register(anomaly.WatchStream{ID: id + 1, Property: nabProperty, Unit: "nab"})
	}
	return w, nil
}

// nabStream is one file's datastream on the shared watch.
type nabStream struct {
	watch *anomaly.Watch
	id    int64
}

// score feeds one batch of the stream's readings to the watch and returns
// their scores, reusing into; the findings are dropped (NAB grades scores).
func (s nabStream) score(batch []model.Observation, into []float64) []float64 {
	into = s.watch.ScoreBatch(batch, into[:0])
	s.watch.Drain()
	return into
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
func replayNABFile(ctx context.Context, in, out string, stream nabStream) (n int64, err error) {
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
	if n, err = scoreNAB(ctx, csv.NewReader(bufio.NewReader(src)), w, stream, in); err != nil {
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

// scoreNAB reads timestamp,value rows from r, scores them through the
// stream in batches and writes timestamp,anomaly_score rows to w, the
// timestamp echoed as read.
func scoreNAB(ctx context.Context, r *csv.Reader, w io.Writer, stream nabStream, name string) (int64, error) {
	r.FieldsPerRecord = 2
	if _, err := r.Read(); err != nil {
		return 0, model.Errorf(model.EINVALID, "%s: header: %v", name, err)
	}
	if _, err := io.WriteString(w, "timestamp,anomaly_score\n"); err != nil {
		return 0, err
	}
	var (
		n      int64
		batch  = make([]model.Observation, 0, nabBatch)
		stamps = make([]string, 0, nabBatch)
		scores []float64
	)
	flush := func() error {
		scores = stream.score(batch, scores)
		if err := writeNABScores(w, stamps, scores); err != nil {
			return err
		}
		n += int64(len(batch))
		batch, stamps = batch[:0], stamps[:0]
		return ctx.Err()
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return n, flush()
		}
		if err != nil {
			return n, model.Errorf(model.EINVALID, "%s: %v", name, err)
		}
		o, err := parseNABRow(r, rec, name)
		if err != nil {
			return n, err
		}
		o.Stream = stream.id
		batch, stamps = append(batch, o), append(stamps, rec[0])
		if len(batch) == nabBatch {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
}

// parseNABRow reads one timestamp,value record as an observation.
func parseNABRow(r *csv.Reader, rec []string, name string) (model.Observation, error) {
	line, _ := r.FieldPos(0)
	t, err := parseNABTime(rec[0])
	if err != nil {
		return model.Observation{}, model.Errorf(model.EINVALID, "%s line %d: timestamp %q: want %s", name, line, rec[0], nabTimeLayout)
	}
	v, err := strconv.ParseFloat(rec[1], 64)
	if err != nil {
		return model.Observation{}, model.Errorf(model.EINVALID, "%s line %d: value %q is not a number", name, line, rec[1])
	}
	return model.Observation{Time: t, Value: v}, nil
}

// writeNABScores writes one timestamp,anomaly_score row per stamp.
func writeNABScores(w io.Writer, stamps []string, scores []float64) error {
	buf := make([]byte, 0, 64)
	for i, ts := range stamps {
		buf = append(append(append(buf[:0], ts...), ','), strconv.FormatFloat(scores[i], 'g', 8, 64)...)
		if _, err := w.Write(append(buf, '\n')); err != nil {
			return err
		}
	}
	return nil
}

// parseNABTime reads a NAB timestamp as UTC Unix milliseconds.
func parseNABTime(s string) (int64, error) {
	t, err := time.Parse(nabTimeLayout, s)
	return t.UnixMilli(), err
}
