package obsimport

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"

	"cityvitals/model"
)

// Progress reports how far a Read has come. BytesRead counts file bytes
// consumed, so BytesRead/BytesTotal is the fraction done.
type Progress struct {
	File         string
	BytesRead    int64
	BytesTotal   int64
	Rows         int64
	Observations int64
}

// progressEvery is how many rows pass between progress reports and
// cancellation checks.
const progressEvery = 1 << 14

// Read streams the rows of every file through the mapping and calls visit
// for each row with at least one accepted value. Paths are files or
// directories; a directory stands for its *.csv files in name order.
// Before reading any row, Read checks every file's header against the
// mapping, so a mismatch stops it before anything is visited.
//
// Broken rows and values are skipped and counted in the Summary; Read
// stops only on an I/O error, a mismatched header (EINVALID), a
// cancelled ctx, or visit's error, which it returns wrapped. visit's
// Record is reused between calls. progress may be nil.
func (m *Mapping) Read(ctx context.Context, paths []string, visit func(*Record) error, progress func(Progress)) (Summary, error) {
	files, err := ExpandPaths(paths)
	if err != nil {
		return Summary{}, err
	}
	rd := &reader{m: m, visit: visit, progress: progress, stations: newStations(m)}
	if rd.total, err = m.checkHeaders(files); err != nil {
		return Summary{}, err
	}
	for _, path := range files {
		if err := rd.readFile(ctx, path); err != nil {
			rd.sum.Streams = rd.stations.used
			return rd.sum, err
		}
		rd.sum.Files++
	}
	rd.sum.Streams = rd.stations.used
	return rd.sum, nil
}

// ExpandPaths replaces each directory among paths by its *.csv files
// (case-insensitive, not recursive) in name order; files stay as given.
// A missing path is ENOTFOUND; a directory without CSV files is EINVALID.
func ExpandPaths(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, model.Errorf(model.ENOTFOUND, "%s: no such file or directory", p)
		}
		if err != nil {
			return nil, fmt.Errorf("stat %s: %w", p, err)
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		csvs, err := csvFilesIn(p)
		if err != nil {
			return nil, err
		}
		files = append(files, csvs...)
	}
	return files, nil
}

func csvFilesIn(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && strings.EqualFold(filepath.Ext(e.Name()), ".csv") {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, model.Errorf(model.EINVALID, "%s: no .csv files in the directory", dir)
	}
	slices.Sort(files)
	return files, nil
}

// checkHeaders binds the mapping to every file's header and returns the
// files' total size.
func (m *Mapping) checkHeaders(files []string) (int64, error) {
	var total int64
	var problems []string
	for _, path := range files {
		cf, err := m.openCSV(path)
		if err != nil {
			return 0, err
		}
		total += cf.size
		_, err = m.bind(cf.header, nil)
		cf.Close()
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", path, err))
		}
	}
	if len(problems) > 0 {
		return 0, model.Errorf(model.EINVALID, "%s", strings.Join(problems, "; "))
	}
	return total, nil
}

// reader is the state of one Read.
type reader struct {
	m        *Mapping
	visit    func(*Record) error
	progress func(Progress)
	stations *stations
	sum      Summary
	rec      Record
	done     int64 // bytes of finished files
	total    int64
}

func (rd *reader) readFile(ctx context.Context, path string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	cf, err := rd.m.openCSV(path)
	if err != nil {
		return err
	}
	defer cf.Close()
	p, err := rd.m.bind(cf.header, rd.stations)
	if err != nil {
		return model.Errorf(model.EINVALID, "%s: %v", path, err)
	}
	rd.rec.File = path
	for n := 1; ; n++ {
		if n%progressEvery == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("read %s: %w", path, err)
			}
			rd.report(path, cf.counter.n)
		}
		done, err := rd.readRow(cf, p)
		if err != nil {
			return err
		}
		if done {
			break
		}
	}
	rd.done += cf.size
	rd.report(path, 0)
	return nil
}

// readRow reads and handles one row; done is true at the end of the file.
func (rd *reader) readRow(cf *csvFile, p *rowParser) (done bool, err error) {
	cells, err := cf.r.Read()
	if errors.Is(err, io.EOF) {
		return true, nil
	}
	var parseErr *csv.ParseError
	if errors.As(err, &parseErr) {
		rd.sum.Rows++
		rd.sum.skip(ReasonMalformed, Example{File: cf.path, Line: parseErr.StartLine + cf.lineOffset, Detail: parseErr.Err.Error()})
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", cf.path, err)
	}
	rd.sum.Rows++
	line, _ := cf.r.FieldPos(0)
	rd.rec.Line = line + cf.lineOffset
	ok := p.parse(cells, &rd.rec)
	for _, s := range p.skips {
		rd.sum.skip(s.reason, Example{File: cf.path, Line: rd.rec.Line, Column: columnName(cf.header, s.column), Detail: s.detail})
	}
	if !ok || len(rd.rec.Readings) == 0 {
		return false, nil
	}
	rd.sum.Observations += int64(len(rd.rec.Readings))
	if err := rd.visit(&rd.rec); err != nil {
		return false, fmt.Errorf("%s:%d: %w", cf.path, rd.rec.Line, err)
	}
	return false, nil
}

func (rd *reader) report(path string, fileBytes int64) {
	if rd.progress == nil {
		return
	}
	rd.progress(Progress{
		File: path, BytesRead: rd.done + fileBytes, BytesTotal: rd.total,
		Rows: rd.sum.Rows, Observations: rd.sum.Observations,
	})
}

func columnName(header []string, i int) string {
	if i < 0 || i >= len(header) {
		return ""
	}
	return strings.TrimSpace(header[i])
}

// csvFile is an open data file positioned at its first data row.
type csvFile struct {
	path       string
	f          *os.File
	size       int64
	counter    *countingReader
	r          *csv.Reader
	lineOffset int // lines dropped before the CSV reader started
	header     []string
}

func (cf *csvFile) Close() { cf.f.Close() }

// openCSV opens a file, decodes it, drops the BOM and skip_rows, and
// reads the header (or takes the mapping's column list).
func (m *Mapping) openCSV(path string) (*csvFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	cf := &csvFile{path: path, f: f, counter: &countingReader{r: f}}
	if err := m.prepare(cf); err != nil {
		f.Close()
		return nil, err
	}
	return cf, nil
}

func (m *Mapping) prepare(cf *csvFile) error {
	info, err := cf.f.Stat()
	if err != nil {
		return fmt.Errorf("stat %s: %w", cf.path, err)
	}
	cf.size = info.Size()
	var src io.Reader = cf.counter
	if m.Encoding == GB18030 {
		src = transform.NewReader(src, simplifiedchinese.GB18030.NewDecoder())
	}
	br := bufio.NewReaderSize(skipBOM(src), 1<<16)
	for range m.skipRows {
		if _, err := br.ReadSlice('\n'); err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return model.Errorf(model.EINVALID, "%s: file ends within the %d rows to skip", cf.path, m.skipRows)
		}
		cf.lineOffset++
	}
	cf.r = csv.NewReader(br)
	cf.r.Comma = m.delimiter
	cf.r.FieldsPerRecord = -1 // a row of the wrong width is a skip, not a stop
	cf.header = m.columns
	if m.header {
		if cf.header, err = cf.r.Read(); err != nil {
			return model.Errorf(model.EINVALID, "%s: no header row: %v", cf.path, err)
		}
	}
	cf.r.ReuseRecord = true
	return nil
}

// skipBOM drops a leading UTF-8 byte-order mark.
func skipBOM(r io.Reader) io.Reader {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	return br
}

// countingReader counts the bytes read through it, for progress.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
