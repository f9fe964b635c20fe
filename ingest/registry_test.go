package ingest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"cityvitals/model"
)

// datastreamList is a DatastreamSource over a slice, as the store would
// list them.
type datastreamList struct {
	streams []model.Datastream
	err     error // returned after listing every stream
}

func (l datastreamList) EachDatastream(ctx context.Context, fn func(model.Datastream) error) error {
	for _, ds := range l.streams {
		if err := fn(ds); err != nil {
			return err
		}
	}
	return l.err
}

// syntheticStreams returns n streams shaped like a city deployment: four
// channels per device, a few properties, units and assets shared widely.
func syntheticStreams(n int) []model.Datastream {
	properties := []string{"gas_lel", "water_level", "manhole_tilt", "pressure"}
	uoms := []string{"%LEL", "m", "deg", "kPa"}
	created := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]model.Datastream, n)
	for i := range out {
		device := i / 4
		out[i] = model.Datastream{
			ID:       int64(i + 1),
			Key:      fmt.Sprintf("gw-%06d/ch-%d", device, i%4),
			Property: properties[i%4],
			UoM:      uoms[i%4],
			Interval: time.Minute,
			Device:   fmt.Sprintf("dev-%06d", device),
			Asset:    fmt.Sprintf("asset-%05d", device/10),
			Unit:     fmt.Sprintf("310101%06d", device/100),
			Lon:      121.47 + float64(i%1000)/1e4,
			Lat:      31.23 + float64(i%997)/1e4,
			HasPoint: true,
			Created:  created.Add(time.Duration(i) * time.Second),
		}
	}
	return out
}

func TestRegistryRoundTrip(t *testing.T) {
	t.Parallel()
	streams := syntheticStreams(100)
	streams = append(streams, model.Datastream{ID: 1 << 40, Key: "far-away", Property: "gas_lel"}) // beyond the dense table
	reg := NewRegistry()
	if err := reg.Load(context.Background(), datastreamList{streams: streams}); err != nil {
		t.Fatalf("Load: %v", err)
	}
	if reg.Len() != len(streams) {
		t.Fatalf("Len = %d, want %d", reg.Len(), len(streams))
	}
	for _, want := range streams {
		got, ok := reg.ByID(want.ID)
		if !ok || !sameStream(got, want) {
			t.Fatalf("ByID(%d) = %+v, %v; want %+v", want.ID, got, ok, want)
		}
		got, ok = reg.ByKey(want.Key)
		if !ok || !sameStream(got, want) {
			t.Fatalf("ByKey(%q) = %+v, %v; want %+v", want.Key, got, ok, want)
		}
	}
	if _, ok := reg.ByID(0); ok {
		t.Error("ByID(0) found a stream")
	}
	if _, ok := reg.ByKey(""); ok {
		t.Error(`ByKey("") found a stream`)
	}
}

func sameStream(a, b model.Datastream) bool {
	return a.Created.Equal(b.Created) && func() bool {
		a.Created, b.Created = time.Time{}, time.Time{}
		return a == b
	}()
}

func TestRegistryPutReplaces(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		puts      []model.Datastream
		wantKeys  map[string]int64 // key -> id; 0 = absent
		wantLen   int
		wantProps map[int64]string
	}{
		{
			name:      "key renamed",
			puts:      []model.Datastream{{ID: 5, Key: "old", Property: "a"}, {ID: 5, Key: "new", Property: "b"}},
			wantKeys:  map[string]int64{"old": 0, "new": 5},
			wantLen:   1,
			wantProps: map[int64]string{5: "b"},
		},
		{
			name:      "key moved to another stream",
			puts:      []model.Datastream{{ID: 1, Key: "k"}, {ID: 2, Key: "k"}, {ID: 1, Key: "other"}},
			wantKeys:  map[string]int64{"k": 2, "other": 1},
			wantLen:   2,
			wantProps: map[int64]string{1: "", 2: ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg := NewRegistry()
			reg.Put(tt.puts...)
			if reg.Len() != tt.wantLen {
				t.Errorf("Len = %d, want %d", reg.Len(), tt.wantLen)
			}
			for key, id := range tt.wantKeys {
				ds, ok := reg.ByKey(key)
				if ok != (id != 0) || ds.ID != id {
					t.Errorf("ByKey(%q) = id %d, %v; want id %d", key, ds.ID, ok, id)
				}
			}
			for id, prop := range tt.wantProps {
				ds, ok := reg.ByID(id)
				if !ok || ds.Property != prop {
					t.Errorf("ByID(%d) = %+v, %v; want property %q", id, ds, ok, prop)
				}
			}
		})
	}
}

func TestRegistrySparseIDLaterCoveredByDenseTable(t *testing.T) {
	t.Parallel()
	const sparseID = 100_000 // beyond what an empty dense table may grow to
	reg := NewRegistry()
	reg.Put(model.Datastream{ID: sparseID, Key: "sparse", Property: "before"})
	for id := int64(1); id <= sparseID+10; id++ { // the dense table now spans sparseID
		if id != sparseID {
			reg.Put(model.Datastream{ID: id})
		}
	}
	reg.Put(model.Datastream{ID: sparseID, Key: "sparse", Property: "after"})
	if got, ok := reg.ByID(sparseID); !ok || got.Property != "after" {
		t.Errorf("ByID(%d) = %+v, %v; want the replaced stream", sparseID, got, ok)
	}
	if reg.Len() != sparseID+10 {
		t.Errorf("Len = %d, want %d", reg.Len(), sparseID+10)
	}
}

func TestRegistryLoadError(t *testing.T) {
	t.Parallel()
	broken := errors.New("disk I/O error")
	err := NewRegistry().Load(context.Background(), datastreamList{streams: syntheticStreams(3), err: broken})
	if !errors.Is(err, broken) {
		t.Errorf("Load = %v, want the source's error wrapped", err)
	}
}

func TestRegistryConcurrentReadsAndPuts(t *testing.T) {
	t.Parallel()
	streams := syntheticStreams(2000)
	reg := NewRegistry()
	reg.Put(streams[:1000]...)
	var wg sync.WaitGroup
	wg.Go(func() {
		for _, ds := range streams[1000:] {
			reg.Put(ds)
		}
	})
	for range 4 {
		wg.Go(func() {
			for i := range 5000 {
				ds := streams[i%1000]
				if got, ok := reg.ByKey(ds.Key); !ok || got.ID != ds.ID {
					t.Errorf("ByKey(%q) = %d, %v", ds.Key, got.ID, ok)
					return
				}
			}
		})
	}
	wg.Wait()
	if reg.Len() != len(streams) {
		t.Errorf("Len = %d, want %d", reg.Len(), len(streams))
	}
}

// registryHeapPerStream loads n synthetic streams and returns the heap
// the registry holds per stream, the input slice excluded.
func registryHeapPerStream(n int) float64 {
	streams := syntheticStreams(n)
	before := liveHeap()
	reg := NewRegistry()
	reg.Put(streams...)
	after := liveHeap()
	runtime.KeepAlive(streams)
	runtime.KeepAlive(reg)
	return float64(after-before) / float64(n)
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func TestRegistryHeapPerStream(t *testing.T) {
	// Not parallel: it measures the heap.
	const n = 100_000
	perStream := registryHeapPerStream(n)
	t.Logf("registry heap: %.0f bytes per stream (%d streams)", perStream, n)
	// A million streams must fit comfortably: 300 MB would not.
	if perStream > 300 {
		t.Errorf("registry uses %.0f bytes per stream, want at most 300", perStream)
	}
}

func TestRegistryEachDatastreamListsEveryStream(t *testing.T) {
	r := NewRegistry()
	r.Put(model.Datastream{ID: 1, Key: "a", Property: "pm25", Unit: "u1"}, model.Datastream{ID: 2, Key: "b", Property: "gas_lel"})
	var got []model.Datastream
	if err := r.EachDatastream(context.Background(), func(d model.Datastream) error { got = append(got, d); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != 1 || got[0].Unit != "u1" || got[1].Property != "gas_lel" {
		t.Fatalf("each = %+v", got)
	}
	stop := errors.New("stop")
	n := 0
	if err := r.EachDatastream(context.Background(), func(model.Datastream) error { n++; return stop }); err != stop || n != 1 {
		t.Fatalf("each did not stop at fn's error: %v after %d", err, n)
	}
}
