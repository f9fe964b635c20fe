package obsimport

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"cityvitals/model"
)

const (
	beijingDir     = "../../shared/data/airquality/beijing_prsa"
	beijingMapping = "../examples/import/beijing_prsa.yaml"
	cnemcStations  = "../../shared/data/airquality/cnemc_stations_beijing_shanghai.csv"
)

// fakeStreams hands out ids in creation order and fails the test if a
// stream is ensured twice in one import.
type fakeStreams struct {
	mu    sync.Mutex
	t     testing.TB
	byKey map[string]int64
	specs []StreamSpec
	fail  error
}

func newFakeStreams(t testing.TB) *fakeStreams {
	return &fakeStreams{t: t, byKey: map[string]int64{}}
}

func (f *fakeStreams) Ensure(_ context.Context, spec StreamSpec) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return 0, f.fail
	}
	if _, ok := f.byKey[spec.Key]; ok {
		f.t.Errorf("Ensure(%q) called twice", spec.Key)
	}
	f.specs = append(f.specs, spec)
	id := int64(len(f.specs))
	f.byKey[spec.Key] = id
	return id, nil
}

// obsKey identifies one observation for spot checks.
type obsKey struct {
	stream string
	time   int64
}

// rawBeijing is what an independent, plain reading of the raw files says
// the import must produce.
type rawBeijing struct {
	rows     int64
	naCells  int64
	stations map[string]bool
	sample   map[obsKey]float64 // every 997th row's values, by stream key
}

// beijingColumns pairs the example mapping's columns with their property
// and the conversion the mapping promises, written out independently.
var beijingColumns = []struct {
	column, property string
	convert          func(string) float64
}{
	{"PM2.5", "pm25", plainFloat}, {"PM10", "pm10", plainFloat}, {"SO2", "so2", plainFloat},
	{"NO2", "no2", plainFloat}, {"CO", "co", func(s string) float64 { return plainFloat(s) / 1000 }},
	{"O3", "o3", plainFloat}, {"TEMP", "air_temperature", plainFloat}, {"PRES", "air_pressure", plainFloat},
	{"DEWP", "dew_point", plainFloat}, {"RAIN", "rainfall", plainFloat}, {"WSPM", "wind_speed", plainFloat},
	{"wd", "wind_direction", compassByHand},
}

func plainFloat(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		panic(err)
	}
	return v
}

func compassByHand(s string) float64 {
	deg := map[string]float64{"N": 0, "NNE": 22.5, "NE": 45, "ENE": 67.5, "E": 90, "ESE": 112.5, "SE": 135, "SSE": 157.5,
		"S": 180, "SSW": 202.5, "SW": 225, "WSW": 247.5, "W": 270, "WNW": 292.5, "NW": 315, "NNW": 337.5}
	d, ok := deg[s]
	if !ok {
		panic("compass " + s)
	}
	return d
}

func readRawBeijing(t testing.TB) rawBeijing {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(beijingDir, "*.csv"))
	if err != nil || len(files) == 0 {
		t.Fatalf("glob %s: %v (%d files)", beijingDir, err, len(files))
	}
	raw := rawBeijing{stations: map[string]bool{}, sample: map[obsKey]float64{}}
	beijing := time.FixedZone("UTC+8", 8*3600)
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(f)
		header, _ := r.Read()
		col := headerIndex(header)
		for i := 0; ; i++ {
			rec, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			raw.rows++
			station := rec[col["station"]]
			raw.stations[station] = true
			at := func(name string) int { n, _ := strconv.Atoi(rec[col[name]]); return n }
			ts := time.Date(at("year"), time.Month(at("month")), at("day"), at("hour"), 0, 0, 0, beijing).UnixMilli()
			for _, c := range beijingColumns {
				cell := rec[col[c.column]]
				if cell == "NA" {
					raw.naCells++
					continue
				}
				if i%997 == 0 {
					raw.sample[obsKey{"beijing/" + station + "/" + c.property, ts}] = c.convert(cell)
				}
			}
		}
		f.Close()
	}
	return raw
}

func TestImportBeijingFull(t *testing.T) {
	t.Parallel()
	m, err := LoadMapping(beijingMapping)
	if err != nil {
		t.Fatal(err)
	}
	raw := readRawBeijing(t)
	streams := newFakeStreams(t)
	got := map[obsKey]float64{}
	var sunk int64
	var firstRow []model.Observation
	sink := func(_ context.Context, obs []model.Observation) error {
		if len(obs) > DefaultBatchSize {
			t.Errorf("batch of %d, want at most %d", len(obs), DefaultBatchSize)
		}
		if firstRow == nil {
			firstRow = obs[:len(m.Measurements)]
		}
		sunk += int64(len(obs))
		for _, o := range obs {
			k := obsKey{streams.specs[o.Stream-1].Key, o.Time}
			if _, want := raw.sample[k]; want {
				got[k] = o.Value
			}
		}
		return nil
	}
	var last Progress
	im := &Importer{Mapping: m, Streams: streams, Sink: sink}
	sum, err := im.Run(context.Background(), []string{beijingDir}, func(p Progress) { last = p })
	if err != nil {
		t.Fatal(err)
	}

	const documentedRows = 420_768 // the data set's README
	measured := int64(len(m.Measurements))
	if sum.Rows != documentedRows || sum.Rows != raw.rows {
		t.Errorf("rows = %d, raw files have %d, documented %d", sum.Rows, raw.rows, documentedRows)
	}
	if sum.Files != 12 || len(raw.stations) != 12 {
		t.Errorf("files = %d, stations in raw data = %d, want 12 each", sum.Files, len(raw.stations))
	}
	if want := len(raw.stations) * len(m.Measurements); len(streams.specs) != want || sum.Streams != want {
		t.Errorf("streams ensured %d, summary %d, want %d", len(streams.specs), sum.Streams, want)
	}
	for _, s := range streams.specs {
		if !s.HasPoint || s.Lon < 115 || s.Lon > 118 || s.Lat < 39 || s.Lat > 41 || s.Interval != time.Hour {
			t.Errorf("stream %s: point (%v, %v) has=%v interval %v: want a Beijing point and 1h", s.Key, s.Lon, s.Lat, s.HasPoint, s.Interval)
		}
	}
	na := sum.Skipped[ReasonNA].Count
	if sum.Observations+na != sum.Rows*measured || na != raw.naCells || sunk != sum.Observations {
		t.Errorf("accepted %d + NA %d != rows %d × %d; raw NA %d; sunk %d", sum.Observations, na, sum.Rows, measured, raw.naCells, sunk)
	}
	if len(sum.Skipped) != 1 {
		t.Errorf("skip reasons %v, want NA only", sum.Skipped)
	}
	if last.BytesRead != last.BytesTotal || last.Rows != sum.Rows {
		t.Errorf("last progress %+v, want all bytes and rows", last)
	}
	checkFirstAotizhongxinRow(t, firstRow, streams)
	for k, want := range raw.sample {
		if v, ok := got[k]; !ok || math.Abs(v-want) > 1e-9 {
			t.Errorf("%s at %s: got %v (present %v), raw file says %v", k.stream, time.UnixMilli(k.time).UTC(), v, ok, want)
		}
	}
}

// checkFirstAotizhongxinRow checks the first row of the first file:
// 1,2013,3,1,0,4,4,4,7,300,77,-0.7,1023,-18.8,0,"NNW",4.4,"Aotizhongxin".
func checkFirstAotizhongxinRow(t *testing.T, obs []model.Observation, streams *fakeStreams) {
	t.Helper()
	wantTime := time.Date(2013, 2, 28, 16, 0, 0, 0, time.UTC).UnixMilli()
	want := map[string]float64{"pm25": 4, "co": 0.3, "air_temperature": -0.7, "wind_direction": 337.5, "wind_speed": 4.4}
	for _, o := range obs {
		spec := streams.specs[o.Stream-1]
		if o.Time != wantTime {
			t.Errorf("%s: time %s, want 2013-02-28T16:00:00Z", spec.Key, time.UnixMilli(o.Time).UTC())
		}
		if w, ok := want[spec.Property]; ok && math.Abs(o.Value-w) > 1e-9 {
			t.Errorf("%s = %v, want %v", spec.Key, o.Value, w)
		}
		if spec.Name != fmt.Sprintf("奥体中心 %s", spec.Property) {
			t.Errorf("stream name %q", spec.Name)
		}
	}
}

// TestStationsFileMatchesInline loads the station list the example
// mapping's inline coordinates were copied from, and checks the copy.
func TestStationsFileMatchesInline(t *testing.T) {
	t.Parallel()
	inline, err := LoadMapping(beijingMapping)
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(cnemcStations)
	if err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, t.TempDir(), "m.yaml", fmt.Sprintf(`layout: wide
key: "beijing/{station}/{property}"
time: {parts: {year: year, month: month, day: day, hour: hour}, zone: Asia/Shanghai}
station: {column: station}
stations_file: {path: %q, key: prsa_or_uci_name, lon: lon, lat: lat, name_zh: station_name_zh}
measurements:
  - {column: PM2.5, property: pm25, uom: µg/m³}
`, abs))
	fromFile, err := LoadMapping(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(fromFile.Stations) != 14 { // 12 Beijing stations and 2 Shanghai ones with a UCI name
		t.Errorf("stations file gave %d named stations, want 14", len(fromFile.Stations))
	}
	for name, s := range inline.Stations {
		f, ok := fromFile.Stations[name]
		if !ok || f.Lon != s.Lon || f.Lat != s.Lat {
			t.Errorf("%s: inline %+v, stations file %+v (present %v)", name, s, f, ok)
		}
	}
	sum, err := fromFile.Read(context.Background(), []string{filepath.Join(beijingDir, "PRSA_Data_Dingling_20130301-20170228.csv")},
		func(r *Record) error {
			if s := r.Readings[0].Stream; !s.HasPoint || s.Name != "定陵(对照点) pm25" {
				return fmt.Errorf("stream %+v: want the file's point and name", *s)
			}
			return nil
		}, nil)
	if err != nil || sum.Streams != 1 {
		t.Fatalf("read Dingling: %v, %d streams", err, sum.Streams)
	}
}

// BenchmarkReadBeijing reads the whole Beijing folder through the example
// mapping; rows/s and obs/s are the figures to watch.
func BenchmarkReadBeijing(b *testing.B) {
	m, err := LoadMapping(beijingMapping)
	if err != nil {
		b.Fatal(err)
	}
	var sum Summary
	for b.Loop() {
		sum, err = m.Read(context.Background(), []string{beijingDir}, func(*Record) error { return nil }, nil)
		if err != nil {
			b.Fatal(err)
		}
	}
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(sum.Rows)/sec, "rows/s")
	b.ReportMetric(float64(sum.Observations)/sec, "obs/s")
}

// BenchmarkImportBeijing adds stream lookup and batching to the read.
func BenchmarkImportBeijing(b *testing.B) {
	m, err := LoadMapping(beijingMapping)
	if err != nil {
		b.Fatal(err)
	}
	var sum Summary
	for b.Loop() {
		im := &Importer{Mapping: m, Streams: newFakeStreams(b), Sink: func(context.Context, []model.Observation) error { return nil }}
		if sum, err = im.Run(context.Background(), []string{beijingDir}, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(sum.Observations)/(b.Elapsed().Seconds()/float64(b.N)), "obs/s")
}
