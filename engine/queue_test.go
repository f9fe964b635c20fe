package engine

import (
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"cityvitals/indicator"
	"cityvitals/model"
)

func TestObserveOverflowsInsteadOfDropping(t *testing.T) {
	cat := loadCatalog(t, "gas.yaml")
	reg := prometheus.NewRegistry()
	cfg := Config{QueueBatches: 1, MaxBlock: time.Millisecond, Registerer: reg}
	e, _ := newTestEngine(t, cfg, cat, gridTree(), fakeStreams{1: {Property: "gas_lel", Unit: "g1"}})

	batch := []model.Observation{obs(1, minute(0), 1)}
	for m := range 3 {
		batch[0] = obs(1, minute(m), float64(m))
		e.Observe(batch)
	}
	batch[0] = obs(1, minute(99), 99) // Observe copied: this must not leak in
	if st := e.Stats(); st.QueueDepth != 3 || st.Overflows != 2 {
		t.Fatalf("queue depth %d overflows %d, want 3 and 2", st.QueueDepth, st.Overflows)
	}
	e.Flush()
	st := e.Stats()
	if st.QueueDepth != 0 || st.Applied != 3 {
		t.Errorf("after flush: depth %d applied %d, want 0 and 3", st.QueueDepth, st.Applied)
	}
	if s := sign(t, e, "g1", "gas.leak"); s.Value != 2 || len(s.Trend) != 3 {
		t.Errorf("gas.leak %+v, want value 2 with a 3-point trend", s)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	values := map[string]float64{}
	for _, f := range families {
		m := f.GetMetric()[0]
		values[f.GetName()] = m.GetCounter().GetValue() + m.GetGauge().GetValue()
	}
	if len(values) != 8 || values["cityvitals_engine_queue_overflows_total"] != 2 || values["cityvitals_engine_observations_applied_total"] != 3 {
		t.Errorf("metrics %v, want 8 series with 2 overflows and 3 applied", values)
	}
}

func TestSetTopologyMovesStreams(t *testing.T) {
	cat := loadCatalog(t, "gas.yaml")
	streams := fakeStreams{1: {Property: "gas_lel", Unit: "g1"}, 2: {Property: "gas_lel", Unit: "g2"}}
	e, _ := newTestEngine(t, Config{}, cat, gridTree(), streams)
	e.Observe([]model.Observation{obs(1, minute(0), 30), obs(2, minute(0), 5)})
	e.Flush()
	if s := sign(t, e, "s1", "gas.leak.max"); s.Value != 30 {
		t.Fatalf("s1 before the move: %+v, want 30", s)
	}

	moved := newTopology(
		treeUnit{"d1", "", "district"},
		treeUnit{"s1", "d1", "street"},
		treeUnit{"s2", "d1", "street"},
		treeUnit{"g1", "s2", "grid"},
		treeUnit{"g2", "s1", "grid"},
	)
	e.SetTopology(moved)
	e.Observe([]model.Observation{obs(1, minute(5), 31), obs(2, minute(5), 6)})
	e.Flush()
	tests := []struct {
		name  string
		unit  string
		value float64
	}{
		{"new street gets the moved grid", "s2", 31},
		{"old street keeps the other grid", "s1", 6},
		{"district sees both", "d1", 31},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s := sign(t, e, tt.unit, "gas.leak.max"); s.Value != tt.value {
				t.Errorf("%s: %+v, want %v", tt.unit, s, tt.value)
			}
		})
	}
	if _, ok := e.Signs("g3"); ok {
		t.Error("removed unit g3 still reported")
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	cat := loadCatalog(t, "gas.yaml")
	tests := []struct {
		name string
		cfg  Config
	}{
		{"sub-millisecond step", Config{Step: time.Microsecond}},
		{"negative lateness", Config{AllowedLateness: -time.Second}},
		{"negative queue", Config{QueueBatches: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg, cat, gridTree(), fakeStreams{})
			if model.ErrorCode(err) != model.EINVALID {
				t.Errorf("error %v, want %s", err, model.EINVALID)
			}
		})
	}
}

func TestCatalogVersionTakesEffectAtItsEventTime(t *testing.T) {
	base := loadCatalog(t, "gas.yaml")
	prog, ok := base.Program("gas.leak")
	if !ok {
		t.Fatal("gas.leak missing from the fixture")
	}
	stricter := *prog.Indicator()
	red := 25.0
	stricter.Thresholds = indicator.Thresholds{Blue: stricter.Thresholds.Blue, Red: &red}
	stricter.Effective = time.UnixMilli(minute(5)).UTC()
	cat, err := base.With(stricter)
	if err != nil {
		t.Fatalf("add version: %v", err)
	}
	e, rec := newTestEngine(t, Config{}, cat, gridTree(), fakeStreams{1: {Property: "gas_lel", Unit: "g1"}})
	for m := range 10 {
		e.Observe([]model.Observation{obs(1, minute(m), 30)})
	}
	e.Flush()
	changes := rec.of("g1", "gas.leak")
	want := []LevelChange{
		{Time: minute(0), Unit: "g1", Indicator: "gas.leak", From: indicator.LevelNoData, To: indicator.LevelOrange, Value: 30, Threshold: 25, Window: 10 * time.Minute},
		{Time: minute(5), Unit: "g1", Indicator: "gas.leak", From: indicator.LevelOrange, To: indicator.LevelRed, Value: 30, Threshold: 25, Window: 10 * time.Minute},
	}
	if !slices.Equal(changes, want) {
		t.Errorf("changes %+v\nwant    %+v", changes, want)
	}
}
