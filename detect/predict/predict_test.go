package predict_test

import (
	"strings"
	"testing"
	"time"

	"cityvitals/detect/forecast"
	"cityvitals/detect/predict"
	"cityvitals/model"
)

func names(unit string) (string, string) { return "黄浦区", "Huangpu" }

// TestRisingGaugeIsWarnedBeforeItCrosses feeds a gauge rising towards
// its warning stage: the warning comes before the crossing with a
// positive ETA, and is withdrawn when the water falls back.
func TestRisingGaugeIsWarnedBeforeItCrosses(t *testing.T) {
	d, err := predict.New(forecast.DefaultConfig(), predict.DefaultTargets(), names)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Register(predict.Stream{ID: 7, Property: "flood_stage_index", Unit: "310101"}, predict.Stream{ID: 8, Property: "noise"}); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC)
	var raised, withdrawn bool
	var crossedAt time.Time
	for i := range 60 {
		at := start.Add(time.Duration(i) * 5 * time.Minute)
		v := -1.2 + 0.05*float64(i) // crosses 0 at i = 24
		if i > 30 {
			v = 0.3 - 0.1*float64(i-30)
		}
		if v >= 0 && crossedAt.IsZero() {
			crossedAt = at
		}
		d.ObserveBatch([]model.Observation{{Stream: 7, Time: at.UnixMilli(), Value: v}, {Stream: 8, Time: at.UnixMilli(), Value: 60}})
		for _, f := range d.Drain() {
			if f.Labels["threshold"] != "0" {
				continue
			}
			switch {
			case f.Level == 2 && !raised:
				raised = true
				if !crossedAt.IsZero() {
					t.Fatalf("warned at %s, after the crossing at %s", at, crossedAt)
				}
				if !strings.Contains(f.SummaryZH, "警戒水位") || f.Labels["stream"] != "7" || f.Rule != predict.Rule {
					t.Fatalf("finding %+v", f)
				}
				// The warning states the window it claims and is judged by.
				if f.Evidence["within"] != "2h0m0s" || !strings.Contains(f.SummaryEN, "within 2 h") || !strings.Contains(f.SummaryZH, "2 小时内") {
					t.Fatalf("warning does not state its 2h window: %+v", f)
				}
			case f.Level == 0 && raised:
				withdrawn = true
			}
		}
	}
	if !raised || !withdrawn {
		t.Fatalf("raised %v, withdrawn %v: want both", raised, withdrawn)
	}
}

func TestBadTargetsAreRefused(t *testing.T) {
	for _, tg := range []predict.Target{{Property: "pm25", Level: 0, Horizon: time.Hour}, {Property: "pm25", Level: 2}, {Level: 2, Horizon: time.Hour}} {
		if _, err := predict.New(forecast.DefaultConfig(), []predict.Target{tg}, names); model.ErrorCode(err) != model.EINVALID {
			t.Errorf("target %+v: err = %v, want EINVALID", tg, err)
		}
	}
}
