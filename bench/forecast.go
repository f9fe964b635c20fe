package bench

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"cityvitals/alert"
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
	Horizon   time.Duration // the target's horizon: how far ahead a warning looks, the window it states
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

// yearSplit divides the train half into its two years (2014-03-01
// Beijing time), the folds on which a gate's settings are chosen
// without looking at the held-out half.
var yearSplit = time.Date(2014, 3, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600)).UnixMilli()

// TrainYears are the two years of the train half. Each is a whole year,
// so that a setting chosen on them has seen every season: heavy
// pollution is a winter affair, and a winter-only check flatters any
// rule's hit rate.
func TrainYears() [2]Half {
	return [2]Half{
		{Name: "train year 1: even stations 2013-03…2014-02", Parity: 0, To: yearSplit},
		{Name: "train year 2: even stations 2014-03…2015-02", Parity: 0, From: yearSplit, To: splitAt},
	}
}

// AllData, TrainHalf and HeldOutHalf are the selections the benchmark
// knows.
func AllData() Half { return Half{Name: "all", Parity: -1} }
func TrainHalf() Half {
	return Half{Name: "train: even stations 2013-03…2015-02", Parity: 0, To: splitAt}
}
func HeldOutHalf() Half {
	return Half{Name: "held-out: odd stations 2015-03…2017-02", Parity: 1, From: splitAt}
}

// OtherStations and LaterYears split the held-out half's difference from
// the train half in two: the held-out stations in the training years
// (another place, the same weather), and the training stations in the
// held-out years (the same place, other years).
func OtherStations() Half {
	return Half{Name: "other stations: odd stations 2013-03…2015-02", Parity: 1, To: splitAt}
}
func LaterYears() Half {
	return Half{Name: "later years: even stations 2015-03…2017-02", Parity: 0, From: splitAt}
}

func (h Half) holds(index int, t int64) bool {
	return (h.Parity < 0 || index%2 == h.Parity) && t >= h.From && (h.To == 0 || t < h.To)
}

// DefaultForecastOptions is the benchmark as agreed: PM2.5 at or above
// 150 µg/m³ (heavy pollution), episodes separated by at least 6 h below
// the threshold, with the platform's default PM2.5 target (its horizon,
// context, gate and hold), over all the data.
func DefaultForecastOptions() ForecastOptions {
	o := ForecastOptions{Property: "pm25", Threshold: 150, Rearm: 6 * time.Hour,
		Model: forecast.DefaultConfig(), Half: AllData()}
	for _, t := range predict.DefaultTargets() {
		if t.Property == o.Property {
			o.Target, o.Horizon = t, t.Horizon
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
	// within the warning's stated horizon (its Within) after the raise.
	FalseWarnings     int     `json:"false_warnings"`
	FalseWarningShare float64 `json:"false_warning_share"`
	// FreshWarnings are the warnings raised after at least Rearm with
	// every reading below the threshold: the ones that announce a new
	// episode rather than a return within one. FreshFalseShare is the
	// false share among them.
	FreshWarnings   int     `json:"fresh_warnings"`
	FreshFalseShare float64 `json:"fresh_false_share"`
	// MedianWithinMinutes is the median stated horizon of the warnings.
	MedianWithinMinutes float64 `json:"median_within_minutes"`
	// MedianTrueAfterMinutes is the median time from a true warning's
	// raise to the first reading at or above the threshold: how much of
	// its stated window a warning that came true needed.
	MedianTrueAfterMinutes float64 `json:"median_true_after_minutes"`
	// HalfWindowFalseShare is the false share had every warning stated
	// half its window: what a shorter claim would have cost.
	HalfWindowFalseShare float64 `json:"half_window_false_share"`
	// WhileUpFalseShare is the false share had a warning counted as true
	// only when the crossing came while it was still up: a warning
	// withdrawn (or replaced by a renewal) before the crossing is false.
	// Without Hold, warnings are withdrawn when the gated forecast stops
	// backing a crossing, so this is the stricter reading of their claim.
	WhileUpFalseShare float64 `json:"while_up_false_share"`
	// ByWindow breaks the warnings down by the window they stated,
	// shortest first.
	ByWindow       []WindowFigures `json:"by_window,omitempty"`
	Threshold      float64         `json:"threshold"`
	HorizonMinutes float64         `json:"horizon_minutes"`
	RearmMinutes   float64         `json:"rearm_minutes"`
	ObserveSeconds float64         `json:"observe_seconds"` // the detector's work, reading excluded
}

// WindowFigures are the warnings that stated one window.
type WindowFigures struct {
	WithinMinutes     float64 `json:"within_minutes"`
	Warnings          int     `json:"warnings"`
	FalseWarnings     int     `json:"false_warnings"`
	FalseWarningShare float64 `json:"false_warning_share"`
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
	up := map[int64]int64{}        // stream → time its warning was raised
	raises := map[int64][]raised{} // stream → warnings raised
	below := map[int64]int64{}     // stream → since when below the threshold
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
			if _, err := fmt.Sscan(f.Labels["stream"], &id); err != nil {
				return rep, fmt.Errorf("finding without a stream id: %w", err)
			}
			if w := raises[id]; len(w) > 0 && w[len(w)-1].until == 0 {
				w[len(w)-1].until = f.At // withdrawn, or replaced by a renewal
			}
			if f.Level == 0 {
				delete(up, id)
				continue
			}
			within, err := statedHorizon(f)
			if err != nil {
				return rep, err
			}
			up[id] = f.At
			raises[id] = append(raises[id], raised{at: f.At, within: within})
		}
	}
	rep.ObserveSeconds = spent.Seconds()
	r.judgeWarnings(&rep, raises)
	summariseLeads(&rep, leads)
	return rep, nil
}

// judgeWarnings scores every warning raised against what its stream did
// within the window the warning stated.
func (r *replay) judgeWarnings(rep *ForecastReport, raises map[int64][]raised) {
	thr, rearm := r.opts.Threshold, r.opts.Rearm
	var withins []time.Duration
	var freshFalse, halfFalse, whileUpFalse int
	var trueAfter []time.Duration
	byWindow := map[time.Duration][]bool{} // stated window → missed, per warning
	for id, watched := range r.watched {
		if !watched || len(r.series[id].Times) == 0 {
			continue
		}
		rep.Streams++
		s := r.series[id]
		for _, w := range raises[id] {
			rep.Warnings++
			withins = append(withins, w.within)
			after, hit := firstReached(s, thr, w.at, w.within)
			missed := !hit
			byWindow[w.within] = append(byWindow[w.within], missed)
			if missed {
				rep.FalseWarnings++
			} else {
				trueAfter = append(trueAfter, after)
			}
			if missed || after > w.within/2 {
				halfFalse++
			}
			if missed || (w.until > 0 && w.at+after.Milliseconds() > w.until) {
				whileUpFalse++
			}
			if !reachedWithin(s, thr, w.at-rearm.Milliseconds()-1, rearm) {
				rep.FreshWarnings++
				if missed {
					freshFalse++
				}
			}
		}
	}
	if rep.FreshWarnings > 0 {
		rep.FreshFalseShare = float64(freshFalse) / float64(rep.FreshWarnings)
	}
	slices.Sort(withins)
	rep.MedianWithinMinutes = median(withins).Minutes()
	slices.Sort(trueAfter)
	rep.MedianTrueAfterMinutes = median(trueAfter).Minutes()
	if rep.Warnings > 0 {
		rep.HalfWindowFalseShare = float64(halfFalse) / float64(rep.Warnings)
		rep.WhileUpFalseShare = float64(whileUpFalse) / float64(rep.Warnings)
	}
	rep.ByWindow = windowFigures(byWindow)
}

func windowFigures(byWindow map[time.Duration][]bool) []WindowFigures {
	var out []WindowFigures
	for _, within := range slices.Sorted(maps.Keys(byWindow)) {
		f := WindowFigures{WithinMinutes: within.Minutes(), Warnings: len(byWindow[within])}
		for _, missed := range byWindow[within] {
			if missed {
				f.FalseWarnings++
			}
		}
		f.FalseWarningShare = float64(f.FalseWarnings) / float64(f.Warnings)
		out = append(out, f)
	}
	return out
}

// raised is one warning: when it was raised, the horizon it stated, and
// when it was withdrawn or renewed (0: up at the end of the data).
type raised struct {
	at, until int64
	within    time.Duration
}

// statedHorizon reads the horizon a raised warning claims from its
// evidence: the warning is judged by it, not by the benchmark's options.
func statedHorizon(f alert.Finding) (time.Duration, error) {
	s, _ := f.Evidence["within"].(string)
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("warning at %d states no horizon (within = %q)", f.At, s)
	}
	return d, nil
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
	_, ok := firstReached(s, threshold, from, horizon)
	return ok
}

// firstReached is how long after from the first reading of s at or
// above threshold in (from, from+horizon] came, if one did.
func firstReached(s Series, threshold float64, from int64, horizon time.Duration) (time.Duration, bool) {
	i, _ := slices.BinarySearch(s.Times, from+1)
	for ; i < len(s.Times) && s.Times[i] <= from+horizon.Milliseconds(); i++ {
		if s.Values[i] >= threshold {
			return time.Duration(s.Times[i]-from) * time.Millisecond, true
		}
	}
	return 0, false
}

// GateFit says how FitForecastWindows fits a target's gates.
type GateFit struct {
	// Windows are the windows shorter than the horizon a warning may
	// state, shortest first; each gets its own gate (none: one window,
	// the horizon).
	Windows []time.Duration
	// Drop names features hidden from the fit (weight 0), to measure
	// what they buy.
	Drop []string
	// Raise is the probability set on every gate (0: 0.5); its clear
	// probability is clearBelowRaise below.
	Raise float64
	// Boost, when set, adds boosted trees to the logistic gates.
	Boost *forecast.BoostConfig
}

// FitForecastWindows fits a gate per stated window (fit.Windows, then
// opts.Horizon) for opts.Target's context on opts.Half: it replays the
// half with gates that never warn, takes the features of every gated
// decision and whether the threshold was reached within that decision's
// window, and fits them (forecast.FitGate, then forecast.Boost when
// fit.Boost is set).
func FitForecastWindows(series []Series, opts ForecastOptions, fit GateFit) ([]predict.Window, error) {
	names := predict.FeatureNames(opts.Target.Context)
	withins := append(slices.Clone(fit.Windows), opts.Horizon)
	rows, err := windowRows(series, opts, withins, fit.Drop)
	if err != nil {
		return nil, err
	}
	out := make([]predict.Window, len(withins))
	for i, w := range withins {
		g, err := fitGate(rows[w], names, fit)
		if err != nil {
			return nil, fmt.Errorf("fit the %s gate on %s: %w", w, opts.Half.Name, err)
		}
		out[i] = predict.Window{Within: w, Gate: g}
	}
	return out, nil
}

// windowRows replays opts.Half with gates that never warn for the
// windows withins (ascending, the last opts.Horizon) and returns, per
// window, the features of every gated decision (dropped ones NaN) and
// whether the threshold was reached within that window.
func windowRows(series []Series, opts ForecastOptions, withins []time.Duration, drop []string) (map[time.Duration]*fitRows, error) {
	names := predict.FeatureNames(opts.Target.Context)
	never := make([]predict.Window, len(withins))
	rows := make(map[time.Duration]*fitRows, len(withins))
	for i, w := range withins {
		// A gate that never warns: the rows must not depend on earlier
		// warnings.
		never[i] = predict.Window{Within: w, Gate: &forecast.Gate{Bias: -50, Weights: make([]float64, len(names)), Fill: make([]float64, len(names)), Raise: 0.5, Clear: 0.5}}
		rows[w] = &fitRows{}
	}
	opts.Target.SetWindows(never)
	r, err := newReplay(series, opts)
	if err != nil {
		return nil, err
	}
	r.det.SetFeatureSink(func(row predict.FeatureRow) {
		x := slices.Clone(row.Features)
		for j, name := range names {
			if slices.Contains(drop, name) {
				x[j] = math.NaN()
			}
		}
		label := 0.0
		if reachedWithin(r.series[row.Stream], opts.Threshold, row.Time, row.Within) {
			label = 1
		}
		rs := rows[row.Within]
		rs.X, rs.y = append(rs.X, x), append(rs.y, label)
	})
	for _, b := range r.batches() {
		r.det.ObserveBatch(b)
	}
	return rows, nil
}

// fitRows are one window's training rows and outcomes.
type fitRows struct {
	X [][]float64
	y []float64
}

func fitGate(rs *fitRows, names []string, fit GateFit) (*forecast.Gate, error) {
	g, err := forecast.FitGate(rs.X, rs.y, 1)
	if err != nil {
		return nil, err
	}
	if fit.Boost != nil {
		for j, name := range names {
			if slices.Contains(fit.Drop, name) {
				for _, x := range rs.X {
					x[j] = g.Fill[j] // a dropped feature must not be split on either
				}
			}
		}
		if err := forecast.Boost(g, rs.X, rs.y, *fit.Boost); err != nil {
			return nil, fmt.Errorf("boost: %w", err)
		}
	}
	setRaise([]predict.Window{{Gate: g}}, cmp.Or(fit.Raise, 0.5))
	return g, nil
}

// setRaise sets every window's raise probability to raise and its clear
// probability clearBelowRaise below.
func setRaise(ws []predict.Window, raise float64) {
	for _, w := range ws {
		w.Gate.Raise, w.Gate.Clear = raise, max(raise-clearBelowRaise, 0.01)
	}
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
	Option string `json:"option"`
	// Validated is the gate's raise probability as chosen on the train
	// years and its cross-validated figures.
	Validated *RaiseChoice     `json:"validated,omitempty"`
	Windows   []predict.Window `json:"windows,omitempty"`
	Train     ForecastReport   `json:"train"`
	HeldOut   ForecastReport   `json:"held_out"`
}

// gateOption is a set of window gates fitted with some features hidden,
// optionally with boosted trees.
type gateOption struct {
	name    string
	windows []time.Duration
	drop    []string
	boost   *forecast.BoostConfig
}

// CompareForecastOptions judges the warning rules tried for issue #4 on
// the train and held-out halves: the forecast alone, its lower quantile,
// k successive forecasts, and gates over more and more inputs, then the
// full gate with only the horizon as its window. Every gate is chosen
// without the held-out half: its raise probability by ChooseRaise on the
// two train years, then it is refitted on the whole train half and
// judged on both halves. The gated rules state base's windows.
func CompareForecastOptions(series []Series, base ForecastOptions) ([]ForecastComparison, error) {
	plain := base
	plain.Target.Gate, plain.Target.Windows, plain.Target.Context, plain.Target.Hold = nil, nil, nil, false
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
	windows := shorterWindows(base)
	region := []string{"region_level", "region_change_3"}
	weather := predict.FeatureNames(gated.Target.Context)[len(predict.FeatureNames(nil)):]
	trees := forecast.DefaultBoostConfig()
	boosted := fmt.Sprintf("gate: + %d boosted trees of depth %d", trees.Trees, trees.Depth)
	options := []gateOption{
		{name: "gate: PM2.5 forecast, its history and hour only", windows: windows, drop: append(slices.Clone(region), weather...)},
		{name: "gate: + station weather", windows: windows, drop: region},
		{name: "gate: + station weather + region", windows: windows},
		{name: boosted, windows: windows, boost: &trees},
	}
	if len(windows) > 0 {
		options = append(options, gateOption{name: boosted + ", one window (the horizon)", boost: &trees})
	}
	for _, g := range options {
		c, err := judgeGate(series, gated, g)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// shorterWindows are the windows of opts' target shorter than its
// horizon.
func shorterWindows(opts ForecastOptions) []time.Duration {
	var out []time.Duration
	for _, w := range opts.Target.Windows {
		if w.Within < opts.Horizon {
			out = append(out, w.Within)
		}
	}
	return out
}

func judge(series []Series, name string, opts ForecastOptions) (ForecastComparison, error) {
	c := ForecastComparison{Option: name}
	if opts.Target.Gate != nil {
		c.Windows = opts.Target.AllWindows()
	}
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

// judgeGate picks a gate set's raise probability on the train years,
// refits it on the train half and judges it on both halves.
func judgeGate(series []Series, opts ForecastOptions, g gateOption) (ForecastComparison, error) {
	fit := GateFit{Windows: g.windows, Drop: g.drop, Boost: g.boost}
	choice, err := ChooseRaise(series, opts, fit)
	if err != nil {
		return ForecastComparison{}, err
	}
	opts.Half = TrainHalf()
	fit.Raise = choice.Raise
	ws, err := FitForecastWindows(series, opts, fit)
	if err != nil {
		return ForecastComparison{}, err
	}
	opts.Target.SetWindows(ws)
	c, err := judge(series, fmt.Sprintf("%s (windows %s; raise p ≥ %.3g)", g.name, windowList(ws), choice.Raise), opts)
	c.Validated = &choice
	return c, err
}

// windowList names windows like "3h/6h/24h".
func windowList(ws []predict.Window) string {
	var parts []string
	for _, w := range ws {
		parts = append(parts, strings.TrimSuffix(strings.TrimSuffix(w.Within.String(), "0s"), "0m"))
	}
	return strings.Join(parts, "/")
}

// clearBelowRaise is how far below its raise probability an open
// warning's gate may fall and still count as backing it.
const clearBelowRaise = 0.15

// minValidatedHit is the hit rate a raise probability must reach on the
// train years: the median lead counts unwarned episodes as 0, so below
// one half it is 0, and the margin above is for years that differ from
// the training ones.
const minValidatedHit = 0.55

// ChooseRaise returns the raise probability (0.50 … 0.95 in steps of
// 0.025) with the lowest false share, pooled over two-fold
// cross-validation on TrainYears (fit on one year, judge on the other),
// among those whose pooled hit rate reaches minValidatedHit; the one with
// the highest hit rate when none does.
func ChooseRaise(series []Series, opts ForecastOptions, fit GateFit) (RaiseChoice, error) {
	const steps = 19
	var warned, episodes, falses, warnings [steps]int
	years := TrainYears()
	for k, year := range years {
		opts.Half = year
		ws, err := FitForecastWindows(series, opts, fit)
		if err != nil {
			return RaiseChoice{}, err
		}
		opts.Target.SetWindows(ws)
		opts.Half = years[1-k]
		for step := range steps {
			setRaise(ws, raiseAt(step))
			rep, err := EvaluateForecast(series, opts)
			if err != nil {
				return RaiseChoice{}, err
			}
			warned[step] += rep.WarnedEpisodes
			episodes[step] += rep.Episodes
			falses[step] += rep.FalseWarnings
			warnings[step] += rep.Warnings
		}
	}
	best, bestShare, bestHit := 0, math.Inf(1), -1.0
	var curve []RaisePoint
	for step := range steps {
		hit := float64(warned[step]) / float64(max(episodes[step], 1))
		share := float64(falses[step]) / float64(max(warnings[step], 1))
		curve = append(curve, RaisePoint{Raise: raiseAt(step), HitRate: hit, FalseWarningShare: share})
		switch {
		case hit >= minValidatedHit && (bestHit < minValidatedHit || share < bestShare):
			best, bestShare, bestHit = step, share, hit
		case bestHit < minValidatedHit && hit > bestHit:
			best, bestShare, bestHit = step, share, hit
		}
	}
	return RaiseChoice{RaisePoint: curve[best], Curve: curve}, nil
}

// RaisePoint is a raise probability and what it gave, pooled over the
// two cross-validation folds of the train years.
type RaisePoint struct {
	Raise             float64 `json:"raise"`
	HitRate           float64 `json:"hit_rate"`
	FalseWarningShare float64 `json:"false_warning_share"`
}

// RaiseChoice is the chosen raise probability and every one tried.
type RaiseChoice struct {
	RaisePoint
	Curve []RaisePoint `json:"curve"`
}

func raiseAt(step int) float64 { return float64(500+25*step) / 1000 }

// FitForecastFiles loads the files and builds the target's window gates
// without the held-out half: their common raise probability is chosen
// by ChooseRaise on the two train years, then they are refitted on the
// whole train half with it.
func FitForecastFiles(ctx context.Context, m *obsimport.Mapping, paths []string, opts ForecastOptions, fit GateFit, progress func(obsimport.Progress)) ([]predict.Window, RaiseChoice, error) {
	if len(opts.Target.Context) == 0 {
		opts.Target.Context = predict.PM25Context()
	}
	series, err := loadForecastSeries(ctx, m, paths, opts, progress)
	if err != nil {
		return nil, RaiseChoice{}, err
	}
	choice, err := ChooseRaise(series, opts, fit)
	if err != nil {
		return nil, RaiseChoice{}, err
	}
	opts.Half = TrainHalf()
	fit.Raise = choice.Raise
	ws, err := FitForecastWindows(series, opts, fit)
	return ws, choice, err
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
