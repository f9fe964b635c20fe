package engine

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"cityvitals/model"
)

// TestParallelEqualsSerial runs the same load through engines evaluating
// with one and with several workers: level changes (content and order),
// signs, trends and counters must be identical, because the units of a
// tick are independent until roll-up and the results are merged in unit
// order.
func TestParallelEqualsSerial(t *testing.T) {
	var units []treeUnit
	var grids []string
	for d := range 2 {
		dc := fmt.Sprintf("d%d", d)
		units = append(units, treeUnit{dc, "", "district"})
		for c := range 3 {
			cc := fmt.Sprintf("%s.c%d", dc, c)
			units = append(units, treeUnit{cc, dc, "community"})
			for g := range 60 {
				gc := fmt.Sprintf("%s.g%02d", cc, g)
				units = append(units, treeUnit{gc, cc, "grid"})
				grids = append(grids, gc)
			}
		}
	}
	topo := newTopology(units...)
	const streams = 4000
	metas := make(fakeStreams, streams)
	for id := int64(1); id <= streams; id++ {
		unit := grids[id%int64(len(grids))]
		if id%97 == 0 {
			unit = "" // unplaced: counts for the root only
		}
		metas[id] = StreamMeta{Property: cityProperties[id%int64(len(cityProperties))], Unit: unit}
	}
	tests := []struct {
		name    string
		workers int
	}{
		{"two workers", 2},
		{"seven workers", 7},
	}
	serial, serialChanges := runWithWorkers(t, 1, topo, metas)
	if len(serialChanges) == 0 {
		t.Fatal("the load produced no level changes: the comparison would prove nothing")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parallel, parallelChanges := runWithWorkers(t, tt.workers, topo, metas)
			if !reflect.DeepEqual(serialChanges, parallelChanges) {
				t.Fatalf("level changes differ: serial %d, parallel %d", len(serialChanges), len(parallelChanges))
			}
			if s, p := serial.Stats(), parallel.Stats(); s != p {
				t.Fatalf("stats differ:\nserial   %+v\nparallel %+v", s, p)
			}
			for _, u := range append([]string{rootCode}, topo.codes...) {
				s, _ := serial.Signs(u)
				p, _ := parallel.Signs(u)
				if !reflect.DeepEqual(s, p) {
					t.Fatalf("signs of unit %q differ:\nserial   %+v\nparallel %+v", u, s, p)
				}
			}
		})
	}
}

// runWithWorkers feeds 40 minutes of varying readings, every stream once
// a minute, in batches with a drain after each, then flushes.
func runWithWorkers(t *testing.T, workers int, topo *fakeTopology, metas fakeStreams) (*Engine, []LevelChange) {
	t.Helper()
	e, rec := newTestEngine(t, Config{Step: time.Minute}, cityCatalog(t), topo, metas)
	e.proc.maxWorkers = workers
	var batch []model.Observation
	for m := range 40 {
		for id := int64(1); id <= int64(len(metas)); id++ {
			if (id+int64(m))%5 == 0 {
				continue // some streams skip a minute: counts and reporting vary
			}
			v := float64((id*7+int64(m)*13)%100) + float64(m%3)/4
			batch = append(batch, obs(id, minute(m)+id%60_000, v))
			if len(batch) == 500 {
				e.Observe(batch)
				e.drain()
				batch = batch[:0]
			}
		}
	}
	e.Observe(batch)
	e.Flush()
	return e, rec.all()
}
