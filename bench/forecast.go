package bench

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"cityvitals/detect/forecast"
	"cityvitals/detect/predict"
	"cityvitals/model"
	"cityvitals/obsimport"
)

// ForecastOptions shape the forecast early-warning benchmark. The
// readings are replayed through a predict.Detector, the code the live
// platform runs on its ingest path.
type ForecastOptions struct {
	Property  string        // observed property to warn of, e.g. "pm25"
	Threshold float64       // warn of readings at or above this
	Horizon   time.Duration // how far ahead a warning looks; also its stated horizon
	// Rearm is how long a series must stay below the threshold before
	// its next crossing counts as a new episode rather than a return
	// within the same one.
	Rearm time.Duration
	Model forecast.Config
	// Target carries the warning rule: context properties, gate, local
	// time and hysteresis. Property, Threshold, Above and Horizon are set
	// from the fields above.
	Target predict.Target
	Half   Half // which stations and years to replay
}

// Half selects part of the Beijing data: stations by their index in key
// order (even, odd or all) and readings in [From, To) (Unix ms; 0 To is
// no end). Gates are fitted on TrainHalf and judged on HeldOutHalf.
type Half struct {
	Name     string `json:"name"`
	Parity   int    `json:"-"` // 0 even stations, 1 odd, -1 all
	From, To int64  `json:"-"`
}

// splitAt is where the two years of training data end: 2015-03-01
// 00:00 Beijing time.
var splitAt = time.Date(2015, 3, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600)).UnixMilli()

// AllData, TrainHalf and HeldOutHalf are the selections the benchmark
// knows.
func AllData() Half { return Half{Name: "all", Parity: -1} }
func TrainHalf() Half {
	return Half{Name: "train: even stations 2013-03…2015-02", Parity: 0, To: splitAt}
}
func HeldOutHalf() Half {
	return Half{Name: "held-out: odd stations 2015-03…2017-02", Parity: 1, From: splitAt}
}

func (h Half) holds(index int, t int64) bool {
	return (h.Parity < 0 || index%2 == h.Parity) && t >= h.From && (h.To == 0 || t < h.To)
}

// DefaultForecastOptions is the benchmark as agreed: PM2.5 at or above
// 150 µg/m³ (heavy pollution), warned up to 6 h ahead, episodes separated
// by at least 6 h below the threshold, with the platform's default PM2.5
// target (its context and gate), over all the data.
func DefaultForecastOptions() ForecastOptions {
	o := ForecastOptions{Property: "pm25", Threshold: 150, Horizon: 6 * time.Hour, Rearm: 6 * time.Hour,
		Model: forecast.DefaultConfig(), Half: AllData()}
	for _, t := range predict.DefaultTargets() {
		if t.Property == o.Property {
			o.Target = t
		}
	}
	return o
}

// ForecastReport is what `cityvitals bench forecast --json` prints.
type ForecastReport struct {
	Option   string `json:"option,omitempty"`
	Half     string `json:"half,omitempty"`
	Streams  int    `json:"streams"`
	Readings int    `json:"readings"`
	// Episodes counts crossings: a reading at or above the threshold
	// after at least Rearm of readings below it.
	Episodes       int     `json:"episodes"`
	WarnedEpisodes int     `json:"warned_episodes"` // warning up before the crossing reading
	HitRate        float64 `json:"hit_rate"`
	// MedianLeadMinutes is the median over episodes of how long the
	// warning had been continuously up when the crossing reading came;
	// 0 for an episode not warned of.
	MedianLeadMinutes float64 `json:"median_lead_minutes"`
	// MedianWarnedLeadMinutes is the same over warned episodes only.
	MedianWarnedLeadMinutes float64 `json:"median_warned_lead_minutes"`
	Warnings                int     `json:"warnings"`
	// FalseWarnings were raised but no reading reached the threshold
	// within Horizon after the raise.
	FalseWarnings     int     `json:"false_warnings"`
	FalseWarningShare float64 `json:"false_warning_share"`
	Threshold         float64 `json:"threshold"`
	HorizonMinutes    float64 `json:"horizon_minutes"`
	RearmMinutes      float64 `json:"rearm_minutes"`
	ObserveSeconds    float64 `json:"observe_seconds"` // the detector's work, reading excluded
}

// Series is one stream's readings in time order.
type Series struct {
	Key      string
	Station  string
	Property string
	Times    []int64 // Unix ms
	Values   []float64
}

// LoadSeries reads the files through the mapping, exactly as the import
// command does, and returns the readings of the properties per stream,
// sorted by time, streams by key.
func LoadSeries(ctx context.Context, m *obsimport.Mapping, paths []string, properties []string, progress func(obsimport.Progress)) ([]Series, obsimport.Summary, error) {
	byStream := map[*obsimport.StreamSpec]*Series{}
	sum, err := m.Read(ctx, paths, func(r *obsimport.Record) error {
		for _, rd := range r.Readings {
			if !slices.Contains(properties, rd.Stream.Property) {
				continue
			}
			s := byStream[rd.Stream]
			if s == nil {
				s = &Series{Key: rd.Stream.Key, Station: r.Station, Property: rd.Stream.Property}
				byStream[rd.Stream] = s
			}
			s.Times = append(s.Times, r.Time)
			s.Values = append(s.Values, rd.Value)
		}
		return nil
	}, progress)
	if err != nil {
		return nil, sum, fmt.Errorf("read %v readings: %w", properties, err)
	}
	out := make([]Series, 0, len(byStream))
	for _, s := range byStream {
		sortByTime(s)
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b Series) int { return cmp.Compare(a.Key, b.Key) })
	return out, sum, nil
}

// sortByTime orders a series' readings by time; files may hold them out
// of order and a replay feeds them in order.
func sortByTime(s *Series) {
	sort.Stable(byTime{s})
}

type byTime struct{ s *Series }

func (b byTime) Len() int           { return len(b.s.Times) }
func (b byTime) Less(i, j int) bool { return b.s.Times[i] < b.s.Times[j] }
func (b byTime) Swap(i, j int) {
	b.s.Times[i], b.s.Times[j] = b.s.Times[j], b.s.Times[i]
	b.s.Values[i], b.s.Values[j] = b.s.Values[j], b.s.Values[i]
}

// replay is one run of the detector over the selected readings.
type replay struct {
	opts    ForecastOptions
	series  []Series // selected readings only; index = stream id
	watched map[int64]bool
	det     *predict.Detector
}

func newReplay(series []Series, opts ForecastOptions) (*replay, error) {
	t := opts.Target
	t.Property, t.Threshold, t.Above, t.Horizon = opts.Property, opts.Threshold, true, opts.Horizon
	if t.Level == 0 {
		t.Level = 2
	}
	det, err := predict.New(opts.Model, []predict.Target{t}, func(unit string) (string, string) { return unit, unit })
	if err != nil {
		return nil, err
	}
	r := &replay{opts: opts, det: det, watched: map[int64]bool{}}
	for i, st := range stationOrder(series) {
		for _, s := range series {
			if s.Station != st {
				continue
			}
			sel := Series{Key: s.Key, Station: s.Station, Property: s.Property}
			for j, at := range s.Times {
				if opts.Half.holds(i, at) {
					sel.Times, sel.Values = append(sel.Times, at), append(sel.Values, s.Values[j])
				}
			}
			id := int64(len(r.series))
			r.series = append(r.series, sel)
			r.watched[id] = s.Property == opts.Property
			if err := det.Register(predict.Stream{ID: id, Property: s.Property, Unit: s.Station}); err != nil {
				return nil, err
			}
		}
	}
	return r, nil
}

// stationOrder is the stations in key order; a Half picks by index.
func stationOrder(series []Series) []string {
	var out []string
	for _, s := range series {
		if !slices.Contains(out, s.Station) {
			out = append(out, s.Station)
		}
	}
	return out
}

// batches groups every selected reading by time, in time order: what a
// station network's hourly reports look like on the ingest path.
func (r *replay) batches() [][]model.Observation {
	var all []model.Observation
	for id, s := range r.series {
		for j, at := range s.Times {
			all = append(all, model.Observation{Stream: int64(id), Time: at, Value: s.Values[j]})
		}
	}
	slices.SortStableFunc(all, func(a, b model.Observation) int { return cmp.Compare(a.Time, b.Time) })
	var out [][]model.Observation
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].Time == all[i].Time {
			j++
		}
		out = append(out, all[i:j:j])
		i = j
	}
	return out
}

// EvaluateForecast replays the series through a detector, event time
// only, and scores the warnings against what the series did next.
func EvaluateForecast(series []Series, opts ForecastOptions) (ForecastReport, error) {
	r, err := newReplay(series, opts)
	if err != nil {
		return ForecastReport{}, err
	}
	rep := ForecastReport{Half: opts.Half.Name, Threshold: opts.Threshold,
		HorizonMinutes: opts.Horizon.Minutes(), RearmMinutes: opts.Rearm.Minutes()}
	up := map[int64]int64{}       // stream → time its warning was raised
	raises := map[int64][]int64{} // stream → raise times
	below := map[int64]int64{}    // stream → since when below the threshold
	var leads []time.Duration
	var spent time.Duration
	for _, batch := range r.batches() {
		for _, o := range batch {
			if !r.watched[o.Stream] {
				continue
			}
			rep.Readings++
			since, wasBelow := below[o.Stream]
			switch {
			case o.Value < opts.Threshold && !wasBelow:
				below[o.Stream] = o.Time
			case o.Value >= opts.Threshold && wasBelow:
				if o.Time-since >= opts.Rearm.Milliseconds() {
					leads = append(leads, leadAt(up, o.Stream, o.Time))
				}
				delete(below, o.Stream)
			}
		}
		start := time.Now()
		r.det.ObserveBatch(batch)
		found := r.det.Drain()
		spent += time.Since(start)
		for _, f := range found {
			var id int64
			fmt.Sscan(f.Labels["stream"], &id)
			if f.Level > 0 {
				up[id] = f.At
				raises[id] = append(raises[id], f.At)
			} else {
				delete(up, id)
			}
		}
	}
	for id, watched := range r.watched {
		if !watched || len(r.series[id].Times) == 0 {
			continue
		}
		rep.Streams++
		for _, at := range raises[id] {
			rep.Warnings++
			if !reachedWithin(r.series[id], opts.Threshold, at, opts.Horizon) {
				rep.FalseWarnings++
			}
		}
	}
	rep.ObserveSeconds = spent.Seconds()
	summariseLeads(&rep, leads)
	return rep, nil
}

// leadAt is how long stream's warning has been up at t, 0 when it is not.
func leadAt(up map[int64]int64, stream, t int64) time.Duration {
	since, ok := up[stream]
	if !ok {
		return 0
	}
	return time.Duration(t-since) * time.Millisecond
}

func summariseLeads(rep *ForecastReport, leads []time.Duration) {
	rep.Episodes = len(leads)
	slices.Sort(leads)
	var warned []time.Duration
	for _, l := range leads {
		if l > 0 {
			warned = append(warned, l)
		}
	}
	rep.WarnedEpisodes = len(warned)
	rep.MedianLeadMinutes = median(leads).Minutes()
	rep.MedianWarnedLeadMinutes = median(warned).Minutes()
	if rep.Episodes > 0 {
		rep.HitRate = float64(rep.WarnedEpisodes) / float64(rep.Episodes)
	}
	if rep.Warnings > 0 {
		rep.FalseWarningShare = float64(rep.FalseWarnings) / float64(rep.Warnings)
	}
}

// median of sorted durations; 0 for none.
func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	if len(d)%2 == 1 {
		return d[len(d)/2]
	}
	return (d[len(d)/2-1] + d[len(d)/2]) / 2
}

// reachedWithin reports whether s has a reading at or above threshold in
// (from, from+horizon].
func reachedWithin(s Series, threshold float64, from int64, horizon time.Duration) bool {
	i, _ := slices.BinarySearch(s.Times, from+1)
	for ; i < len(s.Times) && s.Times[i] <= from+horizon.Milliseconds(); i++ {
		if s.Values[i] >= threshold {
			return true
		}
	}
	return false
}

// FitForecastGate fits a gate for opts.Target's context on opts.Half:
// it replays the half with a gate that never warns, takes the features
// of every gated decision and whether the threshold was reached within
// the horizon, and fits them (forecast.FitGate). Features named in
// drop are hidden from the fit (weight 0), to measure what they buy.
// Raise and Clear are set to the given probabilities.
func FitForecastGate(series []Series, opts ForecastOptions, drop []string, raise, clear float64) (*forecast.Gate, error) {
	names := predict.FeatureNames(opts.Target.Context)
	n := len(names)
	opts.Target.Gate = &forecast.Gate{Weights: make([]float64, n), Fill: make([]float64, n), Raise: 0.5, Clear: 0.5}
	opts.Target.Gate.Bias = -50 // never warns: the rows must not depend on earlier warnings
	r, err := newReplay(series, opts)
	if err != nil {
		return nil, err
	}
	var X [][]float64
	var y []float64
	r.det.SetFeatureSink(func(row predict.FeatureRow) {
		x := slices.Clone(row.Features)
		for j, name := range names {
			if slices.Contains(drop, name) {
				x[j] = math.NaN()
			}
		}
		label := 0.0
		if reachedWithin(r.series[row.Stream], opts.Threshold, row.Time, opts.Horizon) {
			label = 1
		}
		X, y = append(X, x), append(y, label)
	})
	for _, b := range r.batches() {
		r.det.ObserveBatch(b)
	}
	g, err := forecast.FitGate(X, y, 1)
	if err != nil {
		return nil, fmt.Errorf("fit gate on %s: %w", opts.Half.Name, err)
	}
	g.Raise, g.Clear = raise, clear
	return g, nil
}

// RunForecast loads the files and evaluates the forecast warnings on
// them; see LoadSeries and EvaluateForecast.
func RunForecast(ctx context.Context, m *obsimport.Mapping, paths []string, opts ForecastOptions, progress func(obsimport.Progress)) (ForecastReport, error) {
	series, err := loadForecastSeries(ctx, m, paths, opts, progress)
	if err != nil {
		return ForecastReport{}, err
	}
	return EvaluateForecast(series, opts)
}

// loadForecastSeries loads the watched property and its context.
func loadForecastSeries(ctx context.Context, m *obsimport.Mapping, paths []string, opts ForecastOptions, progress func(obsimport.Progress)) ([]Series, error) {
	props := append([]string{opts.Property}, opts.Target.Context...)
	series, _, err := LoadSeries(ctx, m, paths, props, progress)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(series, func(s Series) bool { return s.Property == opts.Property }) {
		return nil, model.Errorf(model.EINVALID, "bench forecast: no %q readings in the files", opts.Property)
	}
	return series, nil
}

// ForecastComparison is one warning rule judged on both halves.
type ForecastComparison struct {
	Option  string         `json:"option"`
	Gate    *forecast.Gate `json:"gate,omitempty"`
	Train   ForecastReport `json:"train"`
	HeldOut ForecastReport `json:"held_out"`
}

// gateOption is a gate fitted with some features hidden.
type gateOption struct {
	name string
	drop []string
}

// CompareForecastOptions judges the warning rules tried for issue #4 on
// the train and held-out halves: the forecast alone, its lower quantile,
// k successive forecasts, and gates over more and more inputs. A gate is
// fitted on the train half and its raise probability chosen there (the
// lowest false share whose median lead stays ≥ 30 min), then judged on
// the held-out half.
func CompareForecastOptions(series []Series, base ForecastOptions) ([]ForecastComparison, error) {
	plain := base
	plain.Target.Gate, plain.Target.Context = nil, nil
	var out []ForecastComparison
	lower := plain
	lower.Model.Quantile = 0.3
	twice := plain
	twice.Target.RaiseAfter = 2
	for _, o := range []struct {
		name string
		opts ForecastOptions
	}{{"forecast crosses (median path)", plain}, {"lower bound crosses (quantile 0.3)", lower}, {"forecast crosses twice in a row", twice}} {
		c, err := judge(series, o.name, o.opts)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	gated := base
	if len(gated.Target.Context) == 0 {
		gated.Target.Context = predict.PM25Context()
	}
	region := []string{"region_level", "region_change_3"}
	weather := predict.FeatureNames(gated.Target.Context)[len(predict.FeatureNames(nil)):]
	for _, g := range []gateOption{
		{"gate: PM2.5 forecast and hour only", append(slices.Clone(region), weather...)},
		{"gate: + station weather", region},
		{"gate: + station weather + region", nil},
	} {
		c, err := judgeGate(series, gated, g)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func judge(series []Series, name string, opts ForecastOptions) (ForecastComparison, error) {
	c := ForecastComparison{Option: name, Gate: opts.Target.Gate}
	var err error
	opts.Half = TrainHalf()
	if c.Train, err = EvaluateForecast(series, opts); err != nil {
		return c, err
	}
	opts.Half = HeldOutHalf()
	if c.HeldOut, err = EvaluateForecast(series, opts); err != nil {
		return c, err
	}
	c.Train.Option, c.HeldOut.Option = name, name
	return c, nil
}

// judgeGate fits a gate on the train half, picks its raise probability
// there and judges it on both halves.
func judgeGate(series []Series, opts ForecastOptions, g gateOption) (ForecastComparison, error) {
	opts.Half = TrainHalf()
	gate, err := FitForecastGate(series, opts, g.drop, 0.5, 0.35)
	if err != nil {
		return ForecastComparison{}, err
	}
	opts.Target.Gate = gate
	var best ForecastReport
	bestRaise := 0.0
	for raise := 0.4; raise <= 0.8; raise += 0.05 {
		gate.Raise, gate.Clear = raise, raise-0.15
		rep, err := EvaluateForecast(series, opts)
		if err != nil {
			return ForecastComparison{}, err
		}
		if rep.MedianLeadMinutes >= 30 && (bestRaise == 0 || rep.FalseWarningShare < best.FalseWarningShare) {
			best, bestRaise = rep, raise
		}
	}
	if bestRaise == 0 {
		bestRaise = 0.5
	}
	gate.Raise, gate.Clear = bestRaise, bestRaise-0.15
	return judge(series, fmt.Sprintf("%s (raise p ≥ %.2f)", g.name, bestRaise), opts)
}

// CompareForecast loads the files and runs CompareForecastOptions.
func CompareForecast(ctx context.Context, m *obsimport.Mapping, paths []string, opts ForecastOptions, progress func(obsimport.Progress)) ([]ForecastComparison, error) {
	if len(opts.Target.Context) == 0 {
		opts.Target.Context = predict.PM25Context()
	}
	series, err := loadForecastSeries(ctx, m, paths, opts, progress)
	if err != nil {
		return nil, err
	}
	return CompareForecastOptions(series, opts)
}

// FitForecastFiles loads the files and fits the target's gate on the
// train half with the raise and clear probabilities of the target's
// current gate (0.65 and 0.5 without one).
func FitForecastFiles(ctx context.Context, m *obsimport.Mapping, paths []string, opts ForecastOptions, progress func(obsimport.Progress)) (*forecast.Gate, error) {
	if len(opts.Target.Context) == 0 {
		opts.Target.Context = predict.PM25Context()
	}
	raise, clear := 0.65, 0.5
	if g := opts.Target.Gate; g != nil && g.Raise < 0.99 {
		raise, clear = g.Raise, g.Clear
	}
	series, err := loadForecastSeries(ctx, m, paths, opts, progress)
	if err != nil {
		return nil, err
	}
	opts.Half = TrainHalf()
	return FitForecastGate(series, opts, nil, raise, clear)
}
