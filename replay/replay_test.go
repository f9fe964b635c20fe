package replay_test

import (
	"context"
	"slices"
	"testing"

	"cityvitals/model"
	"cityvitals/obsimport"
	"cityvitals/replay"
	pebblestore "cityvitals/store/pebble"
)

// recorder is an Engine that keeps what it was fed.
type recorder struct {
	got     []model.Observation
	flushed bool
}

func (r *recorder) Observe(b []model.Observation) { r.got = append(r.got, b...) }
func (r *recorder) Flush()                        { r.flushed = true }

func inOrder(obs []model.Observation) bool {
	return slices.IsSortedFunc(obs, func(a, b model.Observation) int {
		if a.Time != b.Time {
			return int(a.Time - b.Time)
		}
		return int(a.Stream - b.Stream)
	})
}

func TestStoreMergesStreamsIntoTimeOrder(t *testing.T) {
	ctx := context.Background()
	h, err := pebblestore.Open(t.TempDir(), pebblestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var all []model.Observation
	for s := int64(1); s <= 5; s++ {
		for i := int64(0); i < 10_000; i++ { // more than one chunk per stream
			all = append(all, model.Observation{Stream: s, Time: i*7 + s*3, Value: float64(i)})
		}
	}
	if err := h.Write(ctx, all); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	rep, err := replay.Store(ctx, rec, h, []int64{1, 2, 3, 4, 5, 6}, 100, 60_000)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, o := range all {
		if o.Time >= 100 && o.Time < 60_000 {
			want++
		}
	}
	if len(rec.got) != want || rep.Observations != int64(want) || !rec.flushed {
		t.Fatalf("fed %d (report %d, flushed %v), want %d", len(rec.got), rep.Observations, rec.flushed, want)
	}
	if !inOrder(rec.got) {
		t.Fatal("observations not in (time, stream) order")
	}
}

type seqIDs struct{ n int64 }

func (s *seqIDs) Ensure(context.Context, obsimport.StreamSpec) (int64, error) { s.n++; return s.n, nil }

func TestFilesSortsAStationFile(t *testing.T) {
	m, err := obsimport.LoadMapping("../examples/import/beijing_prsa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	ids := &seqIDs{}
	rep, sum, err := replay.Files(context.Background(), rec, m,
		[]string{"../../shared/data/airquality/beijing_prsa/PRSA_Data_Dongsi_20130301-20170228.csv"}, ids, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Observations != sum.Observations || rep.Streams != 12 || int(ids.n) != 12 {
		t.Fatalf("report %+v, summary %d observations, %d ids", rep, sum.Observations, ids.n)
	}
	if !inOrder(rec.got) || !rec.flushed {
		t.Fatal("not sorted or not flushed")
	}
}
