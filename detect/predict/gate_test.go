package predict_test

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"cityvitals/alert"
	"cityvitals/detect/forecast"
	"cityvitals/detect/predict"
	"cityvitals/model"
)

// windGate warns when the forecast crosses and the air is still: the
// "crossing" feature pushes up, the unit's wind speed pulls down.
func windGate() *forecast.Gate {
	names := predict.FeatureNames([]string{"wind_speed"})
	g := &forecast.Gate{Bias: -3, Weights: make([]float64, len(names)), Fill: make([]float64, len(names)), Raise: 0.6, Clear: 0.5}
	for i, n := range names {
		switch n {
		case "crossing":
			g.Weights[i] = 6
		case "wind_speed":
			g.Weights[i] = -3
		}
	}
	return g
}

func gatedDetector(t *testing.T) *predict.Detector {
	t.Helper()
	d, err := predict.New(forecast.DefaultConfig(), []predict.Target{{
		Property: "pm25", Threshold: 150, Above: true, Horizon: 6 * time.Hour, Level: 2, Step: time.Hour,
		Context: []string{"wind_speed"}, Gate: windGate(), UTCOffset: 8 * time.Hour, NameZH: "重污染", NameEN: "heavy pollution",
	}}, names)
	if err != nil {
		t.Fatal(err)
	}
	err = d.Register(
		predict.Stream{ID: 1, Property: "pm25", Unit: "calm"}, predict.Stream{ID: 2, Property: "wind_speed", Unit: "calm"},
		predict.Stream{ID: 3, Property: "pm25", Unit: "windy"}, predict.Stream{ID: 4, Property: "wind_speed", Unit: "windy"},
	)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// replayBuildUp feeds the same PM2.5 build-up to two stations, one in
// still air and one in a 5 m/s wind, and returns the findings; with
// contextFirst false each hour's wind comes after the PM2.5 reading in
// the batch.
func replayBuildUp(t *testing.T, contextFirst bool) []alert.Finding {
	d := gatedDetector(t)
	start := time.Date(2016, 12, 16, 0, 0, 0, 0, time.UTC).UnixMilli()
	var out []alert.Finding
	for i := range 30 {
		at := start + int64(i)*time.Hour.Milliseconds()
		pm := 40 + 6*float64(i) + 3*float64(i%2)
		pmObs := []model.Observation{{Stream: 1, Time: at, Value: pm}, {Stream: 3, Time: at, Value: pm}}
		wind := []model.Observation{{Stream: 2, Time: at, Value: 0.5}, {Stream: 4, Time: at, Value: 5}}
		if contextFirst {
			d.ObserveBatch(append(wind, pmObs...))
		} else {
			d.ObserveBatch(append(pmObs, wind...))
		}
		out = append(out, d.Drain()...)
	}
	return out
}

func TestGateWeighsTheUnitsWeather(t *testing.T) {
	found := replayBuildUp(t, false)
	var calm, windy int
	for _, f := range found {
		if f.Level == 0 {
			continue
		}
		switch f.Labels["unit"] {
		case "calm":
			calm++
			p, _ := f.Evidence["probability"].(float64)
			if p < 0.6 || f.Evidence["eta"] == "0s" {
				t.Errorf("calm warning with probability %.2f, eta %v; want ≥ 0.6 and ahead of the crossing", p, f.Evidence["eta"])
			}
		case "windy":
			windy++
		}
	}
	if calm != 1 || windy != 0 {
		t.Fatalf("%d warnings in still air, %d in wind; want 1 and 0 (findings %+v)", calm, windy, found)
	}
	if again := replayBuildUp(t, true); !reflect.DeepEqual(found, again) {
		t.Fatalf("the order within a batch changed the findings:\n%+v\n%+v", found, again)
	}
}

// TestHeldWarningOutlivesTheGate raises a gated warning in still air,
// then lets the wind rise so the gate no longer backs it: with Hold the
// warning stays up for its stated window and only then expires; without
// it the warning is withdrawn at once.
func TestHeldWarningOutlivesTheGate(t *testing.T) {
	for _, hold := range []bool{true, false} {
		d, err := predict.New(forecast.DefaultConfig(), []predict.Target{{
			Property: "pm25", Threshold: 150, Above: true, Horizon: 6 * time.Hour, Level: 2, Step: time.Hour,
			Context: []string{"wind_speed"}, Gate: windGate(), ClearAfter: 1, Hold: hold,
		}}, names)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Register(predict.Stream{ID: 1, Property: "pm25", Unit: "u"}, predict.Stream{ID: 2, Property: "wind_speed", Unit: "u"}); err != nil {
			t.Fatal(err)
		}
		start := time.Date(2016, 12, 16, 0, 0, 0, 0, time.UTC).UnixMilli()
		var raisedAt, withdrawnAt int64 = -1, -1
		for i := range 24 {
			at := start + int64(i)*time.Hour.Milliseconds()
			pm, wind := 60+10*float64(i), 0.5 // rising towards 150 in still air
			if i > 8 {
				pm, wind = 140, 5 // stalls below 150 as the wind rises
			}
			d.ObserveBatch([]model.Observation{{Stream: 2, Time: at, Value: wind}, {Stream: 1, Time: at, Value: pm}})
			for _, f := range d.Drain() {
				switch {
				case f.Level > 0 && raisedAt < 0:
					raisedAt = at
				case f.Level == 0 && withdrawnAt < 0:
					withdrawnAt = at
				}
			}
		}
		if raisedAt < 0 || withdrawnAt < 0 {
			t.Fatalf("hold %v: raised at %d, withdrawn at %d; want both", hold, raisedAt, withdrawnAt)
		}
		windUp := start + 9*time.Hour.Milliseconds()
		switch up := time.Duration(withdrawnAt-raisedAt) * time.Millisecond; {
		case hold && up != 6*time.Hour:
			t.Errorf("held warning up for %s; want its 6h window", up)
		case !hold && withdrawnAt != windUp:
			t.Errorf("unheld warning withdrawn %s after the wind rose; want at once", time.Duration(withdrawnAt-windUp)*time.Millisecond)
		}
	}
}

func TestPM25WindowsAreFreshCopies(t *testing.T) {
	a, b := predict.PM25Windows(), predict.PM25Windows()
	last := len(a) - 1
	if len(a[last].Gate.Trees) == 0 {
		t.Fatal("the shipped PM2.5 gate has no trees")
	}
	a[last].Gate.Weights[0], a[last].Gate.Trees[0].Leaf[0] = 1e9, 1e9
	if b[last].Gate.Weights[0] == 1e9 || b[last].Gate.Trees[0].Leaf[0] == 1e9 {
		t.Fatal("changing one copy of the gate changed another")
	}
}

func TestWindowsRoundTripThroughJSON(t *testing.T) {
	ws := []predict.Window{{Within: 90 * time.Minute, Gate: windGate()}, {Within: 6 * time.Hour, Gate: windGate()}}
	b, err := json.Marshal(ws)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"within":"1h30m0s"`) {
		t.Errorf("windows written as %s; want readable durations", b)
	}
	back, err := predict.ParseWindows(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, ws) {
		t.Fatalf("read back %+v; want %+v", back, ws)
	}
	for _, bad := range []string{`[]`, `[{"within":"soon","gate":{}}]`, `{}`} {
		if _, err := predict.ParseWindows([]byte(bad)); err == nil {
			t.Errorf("ParseWindows(%s) accepted it", bad)
		}
	}
}

// constGate backs every forecast (bias +10) or none (bias −10).
func constGate(backs bool) *forecast.Gate {
	n := len(predict.FeatureNames([]string{"wind_speed"}))
	g := &forecast.Gate{Bias: -10, Weights: make([]float64, n), Fill: make([]float64, n), Raise: 0.6, Clear: 0.5}
	if backs {
		g.Bias = 10
	}
	return g
}

// TestShortestBackedWindowIsStated gives a target a 2 h window under its
// 6 h horizon: when the 2 h gate backs a crossing the warning states
// 2 h and the 6 h gate is not asked; when it does not, the 6 h gate is,
// and the warning states 6 h.
func TestShortestBackedWindowIsStated(t *testing.T) {
	for _, shortBacks := range []bool{true, false} {
		tg := predict.Target{Property: "pm25", Threshold: 150, Above: true, Horizon: 6 * time.Hour, Level: 2, Step: time.Hour,
			Context: []string{"wind_speed"}, Gate: constGate(true), Windows: []predict.Window{{Within: 2 * time.Hour, Gate: constGate(shortBacks)}}}
		d, err := predict.New(forecast.DefaultConfig(), []predict.Target{tg}, names)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Register(predict.Stream{ID: 1, Property: "pm25", Unit: "u"}); err != nil {
			t.Fatal(err)
		}
		asked := map[time.Duration]int{}
		d.SetFeatureSink(func(r predict.FeatureRow) { asked[r.Within]++ })
		start := time.Date(2016, 12, 16, 0, 0, 0, 0, time.UTC).UnixMilli()
		var raised []alert.Finding
		for i := range 12 {
			d.ObserveBatch([]model.Observation{{Stream: 1, Time: start + int64(i)*time.Hour.Milliseconds(), Value: 40 + 5*float64(i)}})
			for _, f := range d.Drain() {
				if f.Level > 0 {
					raised = append(raised, f)
				}
			}
		}
		want, wantAsked6h := 6*time.Hour, true
		if shortBacks {
			want, wantAsked6h = 2*time.Hour, false
		}
		if len(raised) == 0 {
			t.Fatalf("short window backs %v: no warning", shortBacks)
		}
		for _, f := range raised {
			if f.Evidence["within"] != want.String() || !strings.Contains(f.SummaryEN, fmt.Sprintf("(within %g h)", want.Hours())) {
				t.Errorf("short window backs %v: warning states %v (%q); want %s", shortBacks, f.Evidence["within"], f.SummaryEN, want)
			}
		}
		if asked[2*time.Hour] == 0 || (asked[6*time.Hour] > 0) != wantAsked6h {
			t.Errorf("short window backs %v: gates asked %v", shortBacks, asked)
		}
	}
}

func TestGatedTargetsAreValidated(t *testing.T) {
	bad := windGate()
	bad.Weights = bad.Weights[1:]
	short := predict.Target{Property: "pm25", Threshold: 150, Horizon: time.Hour, Level: 2, Context: []string{"wind_speed"}, Gate: bad}
	self := predict.Target{Property: "pm25", Threshold: 150, Horizon: time.Hour, Level: 2, Context: []string{"pm25"}}
	twice := predict.Target{Property: "pm25", Threshold: 150, Horizon: time.Hour, Level: 2, Context: []string{"wind_speed"}, Gate: windGate()}
	for name, ts := range map[string][]predict.Target{
		"weights for the wrong features":  {short},
		"itself as context":               {self},
		"a gated and a plain target":      {twice, {Property: "pm25", Threshold: 250, Horizon: time.Hour, Level: 3}},
		"negative raise_after":            {{Property: "pm25", Threshold: 150, Horizon: time.Hour, Level: 2, RaiseAfter: -1}},
		"windows without a gate":          {withWindows(nil, 30*time.Minute)},
		"a window as long as the horizon": {withWindows(windGate(), time.Hour)},
		"windows out of order":            {withWindows(windGate(), 40*time.Minute, 20*time.Minute)},
		"an ungated window":               {withWindows(windGate(), 0)},
		"a window gate of other features": {func() predict.Target {
			tg := withWindows(windGate(), 30*time.Minute)
			tg.Windows[0].Gate = bad
			return tg
		}()},
	} {
		if _, err := predict.New(forecast.DefaultConfig(), ts, names); model.ErrorCode(err) != model.EINVALID {
			t.Errorf("%s: err = %v, want EINVALID", name, err)
		}
	}
}

// withWindows is a gated one-hour target with windows of the given
// lengths (0: a window with no gate).
func withWindows(gate *forecast.Gate, within ...time.Duration) predict.Target {
	tg := predict.Target{Property: "pm25", Threshold: 150, Horizon: time.Hour, Level: 2, Context: []string{"wind_speed"}, Gate: gate}
	for _, w := range within {
		win := predict.Window{Within: w, Gate: windGate()}
		if w == 0 {
			win = predict.Window{Within: 10 * time.Minute}
		}
		tg.Windows = append(tg.Windows, win)
	}
	return tg
}

func TestDefaultTargetsAreValid(t *testing.T) {
	d, err := predict.New(forecast.DefaultConfig(), predict.DefaultTargets(), names)
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range predict.DefaultTargets() {
		if tg.Gate != nil && len(tg.Gate.Weights) != len(predict.FeatureNames(tg.Context)) {
			t.Errorf("%s gate has %d weights for %d features", tg.Property, len(tg.Gate.Weights), len(predict.FeatureNames(tg.Context)))
		}
	}
	_ = d
}

// BenchmarkObserveGated is the ingest-path cost per observation of a
// station reporting PM2.5 and the five context properties of the
// default PM2.5 target every hour, 1,000 stations: with the shipped
// single window, and with three shorter windows (3, 6, 12 h) under it,
// each gated by a copy of the shipped gate (the cost of per-warning
// windows, not their accuracy).
func BenchmarkObserveGated(b *testing.B) {
	b.Run("windows=1", func(b *testing.B) { benchmarkObserveGated(b, predict.DefaultTargets()) })
	ts := predict.DefaultTargets()
	for i := range ts {
		if ts[i].Gate != nil {
			for _, w := range []time.Duration{3 * time.Hour, 6 * time.Hour, 12 * time.Hour} {
				ts[i].Windows = append(ts[i].Windows, predict.Window{Within: w, Gate: ts[i].Gate})
			}
		}
	}
	b.Run("windows=4", func(b *testing.B) { benchmarkObserveGated(b, ts) })
}

func benchmarkObserveGated(b *testing.B, targets []predict.Target) {
	d, err := predict.New(forecast.DefaultConfig(), targets, names)
	if err != nil {
		b.Fatal(err)
	}
	props := append([]string{"pm25"}, predict.PM25Context()...)
	const stations = 1000
	for s := range stations {
		for p, prop := range props {
			if err := d.Register(predict.Stream{ID: int64(s*len(props) + p), Property: prop, Unit: string(rune('A'+s%50)) + string(rune(s))}); err != nil {
				b.Fatal(err)
			}
		}
	}
	batch := make([]model.Observation, stations*len(props))
	b.ResetTimer()
	for i := 0; i < b.N; i += len(batch) {
		at := int64(i/len(batch)) * time.Hour.Milliseconds()
		for j := range batch {
			// Each station its own phase, so that stations take different
			// paths through the gate's trees, as real ones do.
			station := float64(j / len(props))
			v := 80 + 60*math.Sin(float64(at/time.Hour.Milliseconds())/7+float64(j%len(props))+station/10)
			batch[j] = model.Observation{Stream: int64(j), Time: at, Value: v}
		}
		d.ObserveBatch(batch)
		d.Drain()
	}
}

// BenchmarkPM25Gate is the cost of one decision of the shipped PM2.5
// gate of the longest window: the logistic score and its 100 trees.
func BenchmarkPM25Gate(b *testing.B) {
	ws := predict.PM25Windows()
	g := ws[len(ws)-1].Gate
	x := slices.Clone(g.Fill)
	x[1] = 0.5 // margin
	b.ReportAllocs()
	var sum float64
	for i := range b.N {
		x[0] = 3 + float64(i%200)/100 // log level
		sum += g.Probability(x)
	}
	if math.IsNaN(sum) {
		b.Fatal("NaN probability")
	}
}
