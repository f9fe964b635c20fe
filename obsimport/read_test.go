package obsimport

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"cityvitals/model"
)

const longMapping = `layout: long
key: "sensors/{station}/{property}"
interval: 5m
time: {column: ts, layout: rfc3339}
station: {column: sensor}
stations:
  s1: {lon: 121.47, lat: 31.23, name_zh: 一号}
  s2: {lon: 121.50, lat: 31.25}
value_column: value
property_column: param
measurements:
  - {match: pm2_5, property: pm25, uom: µg/m³}
  - {match: temp_f, property: air_temperature, uom: °C, scale: 0.5555555555555556, offset: -17.77777777777778}
`

const longHeader = "sensor,ts,param,value\n"

// readAll reads files through a mapping and returns copies of the records.
func readAll(t *testing.T, m *Mapping, paths ...string) ([]Record, Summary) {
	t.Helper()
	var recs []Record
	sum, err := m.Read(context.Background(), paths, func(r *Record) error {
		c := *r
		c.Readings = slices.Clone(r.Readings)
		recs = append(recs, c)
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return recs, sum
}

func loadMappingText(t *testing.T, dir, text string) *Mapping {
	t.Helper()
	m, err := LoadMapping(writeFile(t, dir, "m.yaml", text))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestLongLayout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	m := loadMappingText(t, dir, longMapping)
	data := writeFile(t, dir, "d.csv", longHeader+
		"s1,2024-05-01T08:00:00+08:00,pm2_5,35\n"+
		"s1,2024-05-01T08:00:00+08:00,temp_f,212\n"+
		"s2,2024-05-01T00:05:00Z,pm2_5,12.5\n")
	recs, sum := readAll(t, m, data)
	want := []struct {
		station, key string
		time         time.Time
		value        float64
	}{
		{"s1", "sensors/s1/pm25", time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), 35},
		{"s1", "sensors/s1/air_temperature", time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), 100},
		{"s2", "sensors/s2/pm25", time.Date(2024, 5, 1, 0, 5, 0, 0, time.UTC), 12.5},
	}
	if len(recs) != len(want) || sum.Rows != 3 || sum.Observations != 3 || sum.Streams != 3 || sum.SkippedCount() != 0 {
		t.Fatalf("got %d records, summary %+v", len(recs), sum)
	}
	for i, w := range want {
		r := recs[i]
		s := r.Readings[0].Stream
		if r.Station != w.station || s.Key != w.key || r.Time != w.time.UnixMilli() || abs(r.Readings[0].Value-w.value) > 1e-9 || r.Line != i+2 {
			t.Errorf("record %d = %+v %+v, want %+v at line %d", i, r, *s, w, i+2)
		}
	}
	if s := recs[0].Readings[0].Stream; s.Name != "一号 pm25" || s.Interval != 5*time.Minute || !s.HasPoint || s.UoM != "µg/m³" {
		t.Errorf("stream spec %+v", *s)
	}
	if recs[0].Readings[0].Stream == recs[1].Readings[0].Stream {
		t.Error("two streams share one spec pointer")
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// TestBrokenRows puts one broken row between two good ones and checks
// that it is skipped for the right reason while its neighbours load.
func TestBrokenRows(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		row    string
		reason Reason
		column string
	}{
		{"too few cells", "s1,2024-05-01T00:01:00Z,pm2_5", ReasonColumns, ""},
		{"too many cells", "s1,2024-05-01T00:01:00Z,pm2_5,1,2", ReasonColumns, ""},
		{"bare quote", `s1,2024-05-01T00:01:00Z,pm"2_5,1`, ReasonMalformed, ""},
		{"bad time", "s1,2024-05-01 00:01,pm2_5,1", ReasonTime, "ts"},
		{"empty time", "s1,,pm2_5,1", ReasonTime, "ts"},
		{"unknown station", "s9,2024-05-01T00:01:00Z,pm2_5,1", ReasonStation, "sensor"},
		{"empty station", " ,2024-05-01T00:01:00Z,pm2_5,1", ReasonStation, "sensor"},
		{"NA", "s1,2024-05-01T00:01:00Z,pm2_5,NA", ReasonNA, "value"},
		{"empty value", "s1,2024-05-01T00:01:00Z,pm2_5,", ReasonNA, "value"},
		{"null", "s1,2024-05-01T00:01:00Z,pm2_5,null", ReasonNA, "value"},
		{"not a number", "s1,2024-05-01T00:01:00Z,pm2_5,12,5", ReasonColumns, ""},
		{"text value", "s1,2024-05-01T00:01:00Z,pm2_5,high", ReasonNumber, "value"},
		{"infinite", "s1,2024-05-01T00:01:00Z,pm2_5,+Inf", ReasonNumber, "value"},
		{"unmapped property", "s1,2024-05-01T00:01:00Z,no2,1", ReasonProperty, "param"},
		{"duplicate", "s1,2024-05-01T08:00:00+08:00,pm2_5,36", ReasonDuplicate, "value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			m := loadMappingText(t, dir, longMapping)
			data := writeFile(t, dir, "d.csv", longHeader+
				"s1,2024-05-01T00:00:00Z,pm2_5,35\n"+
				tt.row+"\n"+
				"s1,2024-05-01T00:02:00Z,pm2_5,37\n")
			recs, sum := readAll(t, m, data)
			if len(recs) != 2 || recs[1].Line != 4 || sum.Rows != 3 || sum.Observations != 2 {
				t.Fatalf("good rows around the broken one: %d records, summary %+v", len(recs), sum)
			}
			skips := sum.Skipped[tt.reason]
			if skips.Count != 1 || sum.SkippedCount() != 1 {
				t.Fatalf("skipped %v, want one %s", sum.Skipped, tt.reason)
			}
			ex := skips.Examples[0]
			if ex.File != data || ex.Line != 3 || ex.Column != tt.column || ex.Detail == "" {
				t.Errorf("example %+v, want %s:3 column %q with a detail", ex, data, tt.column)
			}
		})
	}
}

func TestSkipExamplesAreCapped(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	m := loadMappingText(t, dir, longMapping)
	var b strings.Builder
	b.WriteString(longHeader)
	for i := range 20 {
		fmt.Fprintf(&b, "s1,2024-05-01T00:%02d:00Z,pm2_5,NA\n", i)
	}
	_, sum := readAll(t, m, writeFile(t, dir, "d.csv", b.String()))
	if k := sum.Skipped[ReasonNA]; k.Count != 20 || len(k.Examples) != maxExamples || k.Examples[0].Line != 2 {
		t.Errorf("NA skips %+v, want 20 with the first %d as examples", k, maxExamples)
	}
	var report strings.Builder
	if err := sum.WriteReport(&report); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(report.String(), "skipped na: 20") || !strings.Contains(report.String(), "d.csv:2: value: \"NA\"") {
		t.Errorf("report:\n%s", report.String())
	}
}

// TestFileFormats covers the format options: delimiter, header-less
// files, skipped preamble rows, BOM, GB18030, fixed station, time layouts.
func TestFileFormats(t *testing.T) {
	t.Parallel()
	gb, err := simplifiedchinese.GB18030.NewEncoder().String("站点,时间,值\n东四,2024/05/01 08:00,7\n")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	tests := []struct {
		name, mapping, data string
		station             string
	}{
		{"tab, no header, preamble", `layout: wide
delimiter: tab
header: false
skip_rows: 2
columns: [site, when, pm]
key: "x/{station}/{property}"
time: {column: when, layout: unix_ms}
station: {column: site}
measurements: [{column: pm, property: pm25, uom: µg/m³}]
`, "exported by logger v2\n\"unbalanced quote here\n" + fmt.Sprintf("A\t%d\t7\n", at), "A"},
		{"BOM and semicolons", `layout: wide
delimiter: ";"
key: "x/{station}/{property}"
time: {column: when, layout: unix}
station: {column: site}
measurements: [{column: pm, property: pm25, uom: µg/m³}]
`, "\uFEFFsite;when;pm\nA;" + fmt.Sprint(at/1000) + ";7\n", "A"},
		{"GB18030 with local time", `layout: wide
encoding: gbk
key: "x/{station}/{property}"
time: {column: 时间, layout: "2006/01/02 15:04", zone: "+08:00"}
station: {column: 站点}
measurements: [{column: 值, property: pm25, uom: µg/m³}]
`, gb, "东四"},
		{"fixed station, parts", `layout: long
key: "x/{station}/{property}"
time: {parts: {year: Y, month: M, day: D, hour: h, minute: m}}
station: {fixed: logger}
value_column: v
measurements: [{property: pm25, uom: µg/m³}]
`, "Y,M,D,h,m,v\n2024,5,1,0,0,7\n", "logger"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			m := loadMappingText(t, dir, tt.mapping)
			recs, sum := readAll(t, m, writeFile(t, dir, "d.csv", tt.data))
			if len(recs) != 1 || sum.SkippedCount() != 0 {
				t.Fatalf("records %+v, summary %+v", recs, sum)
			}
			r := recs[0]
			if r.Station != tt.station || r.Time != at || r.Readings[0].Value != 7 || r.Readings[0].Stream.HasPoint {
				t.Errorf("record %+v stream %+v, want station %q at %d value 7 without a point", r, *r.Readings[0].Stream, tt.station, at)
			}
		})
	}
}

func TestTimeParts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, cells string
		want        time.Time // zero: the row must be skipped as bad time
	}{
		{"local hour", "2013,3,1,0", time.Date(2013, 2, 28, 16, 0, 0, 0, time.UTC)},
		{"leap day", "2016,2,29,23", time.Date(2016, 2, 29, 15, 0, 0, 0, time.UTC)},
		{"no such day", "2015,2,29,0", time.Time{}},
		{"hour 24", "2015,2,1,24", time.Time{}},
		{"month 13", "2015,13,1,0", time.Time{}},
		{"not a number", "2015,x,1,0", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			m := loadMappingText(t, dir, `layout: long
key: "x/{station}/{property}"
time: {parts: {year: year, month: month, day: day, hour: hour}, zone: Asia/Shanghai}
station: {fixed: f}
value_column: v
measurements: [{property: pm25, uom: µg/m³}]
`)
			recs, sum := readAll(t, m, writeFile(t, dir, "d.csv", "year,month,day,hour,v\n"+tt.cells+",1\n"))
			if tt.want.IsZero() {
				if len(recs) != 0 || sum.Skipped[ReasonTime].Count != 1 {
					t.Errorf("records %+v, skips %v: want a bad_time skip", recs, sum.Skipped)
				}
				return
			}
			if len(recs) != 1 || recs[0].Time != tt.want.UnixMilli() {
				t.Errorf("records %+v, want time %s", recs, tt.want)
			}
		})
	}
}

func TestHeaderMismatchStopsBeforeReading(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	m := loadMappingText(t, dir, longMapping)
	good := writeFile(t, dir, "a.csv", longHeader+"s1,2024-05-01T00:00:00Z,pm2_5,1\n")
	bad := writeFile(t, dir, "b.csv", "sensor,time,param,value\ns1,2024-05-01T00:00:00Z,pm2_5,1\n")
	visited := 0
	_, err := m.Read(context.Background(), []string{dir}, func(*Record) error { visited++; return nil }, nil)
	if model.ErrorCode(err) != model.EINVALID || visited != 0 {
		t.Fatalf("err = %v after %d records, want EINVALID before any", err, visited)
	}
	want := fmt.Sprintf(`%s: %s:4: time.column: no column "ts" in the header`, bad, m.Path)
	if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), good) {
		t.Errorf("err = %v\nwant %s", err, want)
	}
}

func TestExpandPaths(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, name := range []string{"b.csv", "a.CSV", "notes.txt"} {
		writeFile(t, dir, name, "x\n")
	}
	if err := os.Mkdir(filepath.Join(dir, "sub.csv"), 0o755); err != nil {
		t.Fatal(err)
	}
	single := writeFile(t, t.TempDir(), "z.txt", "x\n")
	tests := []struct {
		name  string
		paths []string
		want  []string
		code  string
	}{
		{"directory sorted, csv only", []string{dir}, []string{filepath.Join(dir, "a.CSV"), filepath.Join(dir, "b.csv")}, ""},
		{"file kept as given", []string{single, dir}, []string{single, filepath.Join(dir, "a.CSV"), filepath.Join(dir, "b.csv")}, ""},
		{"missing", []string{filepath.Join(dir, "nope")}, nil, model.ENOTFOUND},
		{"no csv in directory", []string{filepath.Join(dir, "sub.csv")}, nil, model.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ExpandPaths(tt.paths)
			if model.ErrorCode(err) != tt.code || !slices.Equal(got, tt.want) {
				t.Errorf("ExpandPaths = %v, %v; want %v, code %q", got, err, tt.want, tt.code)
			}
		})
	}
}

func TestTimeSetMatchesMap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		gen  func(r *rand.Rand, i int) int64
	}{
		{"hourly in order with repeats", func(r *rand.Rand, i int) int64 { return int64(i-r.IntN(2)) * 3600_000 }},
		{"irregular", func(r *rand.Rand, i int) int64 { return int64(i*10 + r.IntN(15)) }},
		{"random", func(r *rand.Rand, _ int) int64 { return r.Int64N(500) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(1, 2))
			var s timeSet
			seen := map[int64]bool{}
			for i := range 5000 {
				v := tt.gen(r, i)
				if got, want := s.add(v), !seen[v]; got != want {
					t.Fatalf("add(%d) #%d = %v, want %v", v, i, got, want)
				}
				seen[v] = true
			}
		})
	}
}

func TestRunStopsOnFailure(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk full")
	tests := []struct {
		name       string
		sinkErr    error
		ensureErr  error
		cancel     bool
		wantSubstr string
	}{
		{"sink fails", boom, nil, false, "store 2 observations: disk full"},
		{"ensure fails", nil, boom, false, "ensure stream sensors/s1/pm25: disk full"},
		{"cancelled", nil, nil, true, "context canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			m := loadMappingText(t, dir, longMapping)
			var b strings.Builder
			b.WriteString(longHeader)
			for i := range progressEvery + 3 {
				fmt.Fprintf(&b, "s1,%s,pm2_5,1\n", time.Unix(int64(i)*60, 0).UTC().Format(time.RFC3339))
			}
			data := writeFile(t, dir, "d.csv", b.String())
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel {
				cancel()
			}
			streams := newFakeStreams(t)
			streams.fail = tt.ensureErr
			im := &Importer{Mapping: m, Streams: streams, BatchSize: 2,
				Sink: func(context.Context, []model.Observation) error { return tt.sinkErr }}
			_, err := im.Run(ctx, []string{data}, nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantSubstr) {
				t.Errorf("err = %v, want %q", err, tt.wantSubstr)
			}
		})
	}
}

func TestRunBatchesAndProgress(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	m := loadMappingText(t, dir, longMapping)
	var b strings.Builder
	b.WriteString(longHeader)
	rows := 2*progressEvery + 5
	for i := range rows {
		fmt.Fprintf(&b, "s%d,%s,pm2_5,%d\n", 1+i%2, time.Unix(int64(i/2)*60, 0).UTC().Format(time.RFC3339), i)
	}
	data := writeFile(t, dir, "d.csv", b.String())
	var batches []int
	var values int64
	var reports []Progress
	im := &Importer{Mapping: m, Streams: newFakeStreams(t), BatchSize: 1000,
		Sink: func(_ context.Context, obs []model.Observation) error {
			batches = append(batches, len(obs))
			for _, o := range obs {
				values += int64(o.Value)
			}
			return nil
		}}
	sum, err := im.Run(context.Background(), []string{data}, func(p Progress) { reports = append(reports, p) })
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(rows) * int64(rows-1) / 2; values != want || sum.Observations != int64(rows) || sum.Streams != 2 {
		t.Errorf("sum of values %d, want %d; summary %+v", values, want, sum)
	}
	if len(batches) != (rows+999)/1000 || batches[0] != 1000 || batches[len(batches)-1] != rows%1000 {
		t.Errorf("batches %v, want 1000 each and the rest last", batches)
	}
	if len(reports) < 3 || !slices.IsSortedFunc(reports, func(a, b Progress) int { return int(a.BytesRead - b.BytesRead) }) {
		t.Errorf("progress %+v, want at least 3 increasing reports", reports)
	}
	if last := reports[len(reports)-1]; last.BytesRead != last.BytesTotal || last.Rows != int64(rows) {
		t.Errorf("last progress %+v", last)
	}
}
