package engine

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"cityvitals/model"
	pebblestore "cityvitals/store/pebble"
)

// beijingFile is one station of the Beijing multi-site air-quality data
// set (hourly, March 2013 – February 2017).
const beijingFile = "../../shared/data/airquality/beijing_prsa/PRSA_Data_Aotizhongxin_20130301-20170228.csv"

// beijingColumns maps CSV columns to the stream ids of the station.
var beijingColumns = []struct {
	column   string
	stream   int64
	property string
}{
	{"PM2.5", 1, "pm25"},
	{"PM10", 2, "pm10"},
	{"TEMP", 3, "air_temperature"},
	{"RAIN", 4, "rainfall"},
}

func beijingStreams() fakeStreams {
	s := fakeStreams{}
	for _, c := range beijingColumns {
		s[c.stream] = StreamMeta{Property: c.property, Unit: "d1"}
	}
	return s
}

func beijingTree() *fakeTopology {
	return newTopology(treeUnit{"c0", "", "city"}, treeUnit{"d1", "c0", "district"}, treeUnit{"d2", "c0", "district"})
}

// readBeijing returns the first hours of the station file as
// observations in time order; "NA" cells are skipped.
func readBeijing(tb testing.TB, hours int) []model.Observation {
	tb.Helper()
	f, err := os.Open(beijingFile)
	if err != nil {
		tb.Fatalf("open Beijing data: %v", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		tb.Fatalf("read header: %v", err)
	}
	col := func(name string) int {
		i := slices.Index(header, name)
		if i < 0 {
			tb.Fatalf("no column %s", name)
		}
		return i
	}
	beijing := time.FixedZone("CST", 8*3600)
	var out []model.Observation
	for h := 0; h < hours; h++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatalf("read row %d: %v", h+2, err)
		}
		var ymdh [4]int
		for i, name := range []string{"year", "month", "day", "hour"} {
			if ymdh[i], err = strconv.Atoi(rec[col(name)]); err != nil {
				tb.Fatalf("row %d %s: %v", h+2, name, err)
			}
		}
		t := time.Date(ymdh[0], time.Month(ymdh[1]), ymdh[2], ymdh[3], 0, 0, 0, beijing).UnixMilli()
		for _, c := range beijingColumns {
			v, err := strconv.ParseFloat(rec[col(c.column)], 64)
			if err != nil {
				continue // NA
			}
			out = append(out, model.Observation{Stream: c.stream, Time: t, Value: v})
		}
	}
	return out
}

// shuffleWithin reorders obs so that none arrives more than jitter after
// an observation up to jitter newer, then cuts it into random batches.
func shuffleWithin(obs []model.Observation, jitter time.Duration, seed uint64) [][]model.Observation {
	rng := rand.New(rand.NewPCG(seed, seed))
	type arrival struct {
		key int64
		o   model.Observation
	}
	arrivals := make([]arrival, len(obs))
	for i, o := range obs {
		arrivals[i] = arrival{key: o.Time + rng.Int64N(jitter.Milliseconds()), o: o}
	}
	slices.SortFunc(arrivals, func(a, b arrival) int { return int(a.key - b.key) })
	var batches [][]model.Observation
	for len(arrivals) > 0 {
		n := min(len(arrivals), 1+rng.IntN(40))
		batch := make([]model.Observation, n)
		for i := range batch {
			batch[i] = arrivals[i].o
		}
		batches = append(batches, batch)
		arrivals = arrivals[n:]
	}
	return batches
}

// snapshot is every unit's signs without trends, for comparing runs.
func snapshot(tb testing.TB, e *Engine, units ...string) map[string][]Sign {
	tb.Helper()
	out := make(map[string][]Sign)
	for _, u := range units {
		us, ok := e.Signs(u)
		if !ok {
			tb.Fatalf("unit %q unknown", u)
		}
		for _, s := range us.Signs {
			s.Trend = nil
			out[u] = append(out[u], s)
		}
	}
	return out
}

func TestLiveEqualsReplayOnBeijingData(t *testing.T) {
	cat := loadCatalog(t, "air.yaml")
	data := readBeijing(t, 24*60)
	cfg := Config{Step: time.Minute, AllowedLateness: 3 * time.Hour}

	replay, replayed := newTestEngine(t, cfg, cat, beijingTree(), beijingStreams())
	for batch := range slices.Chunk(data, 500) {
		replay.Observe(batch)
		replay.drain()
	}
	replay.Flush()

	live, lived := newTestEngine(t, cfg, cat, beijingTree(), beijingStreams())
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := live.Run(ctx); err != nil {
			t.Errorf("run: %v", err)
		}
	})
	readers := startReaders(ctx, &wg, live, "d1", "c0", "")
	for _, batch := range shuffleWithin(data, 2*time.Hour, 7) {
		live.Observe(batch)
	}
	live.Flush()
	cancel()
	wg.Wait()
	if readers.Load() == 0 {
		t.Error("concurrent readers never read")
	}

	if len(replayed.all()) == 0 {
		t.Fatal("replay emitted no level changes")
	}
	if !slices.Equal(lived.all(), replayed.all()) {
		t.Errorf("live emitted %d changes, replay %d; first difference at %d",
			len(lived.all()), len(replayed.all()), firstDifference(lived.all(), replayed.all()))
	}
	units := []string{"d1", "d2", "c0", ""}
	if got, want := snapshot(t, live, units...), snapshot(t, replay, units...); !equalSnapshots(got, want) {
		t.Errorf("final signs differ:\nlive   %+v\nreplay %+v", got, want)
	}
	if st := live.Stats(); st.Late != 0 || st.Applied != int64(len(data)) {
		t.Errorf("live stats %+v: want %d applied, none late", st, len(data))
	}
}

func firstDifference(a, b []LevelChange) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func equalSnapshots(a, b map[string][]Sign) bool {
	if len(a) != len(b) {
		return false
	}
	for u, signs := range a {
		if !slices.EqualFunc(signs, b[u], func(x, y Sign) bool {
			return x.Indicator == y.Indicator && x.Value == y.Value && x.HasValue == y.HasValue && x.Level == y.Level && x.Updated == y.Updated
		}) {
			return false
		}
	}
	return true
}

func TestWarmRebuildsLiveState(t *testing.T) {
	cat := loadCatalog(t, "air.yaml")
	data := readBeijing(t, 24*30)
	cfg := Config{Step: time.Minute, AllowedLateness: 30 * time.Minute}

	live, _ := newTestEngine(t, cfg, cat, beijingTree(), beijingStreams())
	for batch := range slices.Chunk(data, 100) {
		live.Observe(batch)
		live.drain()
	}

	ctx := context.Background()
	hist, err := pebblestore.Open(t.TempDir(), pebblestore.Options{})
	if err != nil {
		t.Fatalf("open history: %v", err)
	}
	defer hist.Close()
	if err := hist.Write(ctx, data); err != nil {
		t.Fatalf("write history: %v", err)
	}
	warmed, changes := newTestEngine(t, cfg, cat, beijingTree(), beijingStreams())
	ids := []int64{1, 2, 3, 4}
	if err := warmed.Warm(ctx, hist, ids, data[len(data)-1].Time); err != nil {
		t.Fatalf("warm: %v", err)
	}

	if n := len(changes.all()); n != 0 {
		t.Errorf("warm emitted %d level changes, want none", n)
	}
	units := []string{"d1", "c0", ""}
	if got, want := snapshot(t, warmed, units...), snapshot(t, live, units...); !equalSnapshots(got, want) {
		t.Errorf("warmed signs differ:\nwarmed %+v\nlive   %+v", got, want)
	}
	if got, want := warmed.Stats().Watermark, live.Stats().Watermark; got != want {
		t.Errorf("watermark %d, want %d", got, want)
	}
	// Both continue identically.
	next := []model.Observation{obs(1, data[len(data)-1].Time+time.Hour.Milliseconds(), 400)}
	for _, e := range []*Engine{live, warmed} {
		e.Observe(next)
		e.Flush()
	}
	if got, want := snapshot(t, warmed, units...), snapshot(t, live, units...); !equalSnapshots(got, want) {
		t.Errorf("after more data:\nwarmed %+v\nlive   %+v", got, want)
	}
}
