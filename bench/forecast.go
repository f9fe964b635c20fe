package bench

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"cityvitals/detect/forecast"
	"cityvitals/obsimport"
)

// ForecastOptions shape the forecast early-warning benchmark.
type ForecastOptions struct {
	Property  string        // observed property to replay, e.g. "pm25"
	Threshold float64       // warn of readings at or above this
	Horizon   time.Duration // how far ahead a warning looks; also its stated horizon
	// Rearm is how long a series must stay below the threshold before
	// its next crossing counts as a new episode rather than a return
	// within the same one.
	Rearm  time.Duration
	Model  forecast.Config
	Warner forecast.WarnerConfig // Threshold, Above and Horizon are set from the fields above
}

// DefaultForecastOptions is the benchmark as agreed: PM2.5 at or above
// 150 µg/m³ (heavy pollution), warned up to 6 h ahead, episodes separated
// by at least 6 h below the threshold.
func DefaultForecastOptions() ForecastOptions {
	return ForecastOptions{
		Property: "pm25", Threshold: 150, Horizon: 6 * time.Hour, Rearm: 6 * time.Hour,
		Model:  forecast.DefaultConfig(),
		Warner: forecast.WarnerConfig{RaiseAfter: 1, ClearAfter: 2},
	}
}

// ForecastReport is what `cityvitals bench forecast --json` prints.
type ForecastReport struct {
	Streams  int `json:"streams"`
	Readings int `json:"readings"`
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
	ObserveSeconds    float64 `json:"observe_seconds"` // forecasting and warning, reading excluded
}

// Series is one stream's readings in time order.
type Series struct {
	Key    string
	Times  []int64 // Unix ms
	Values []float64
}

// LoadSeries reads the files through the mapping, exactly as the import
// command does, and returns the readings of property per stream, sorted
// by time, streams by key.
func LoadSeries(ctx context.Context, m *obsimport.Mapping, paths []string, property string, progress func(obsimport.Progress)) ([]Series, obsimport.Summary, error) {
	byStream := map[*obsimport.StreamSpec]*Series{}
	sum, err := m.Read(ctx, paths, func(r *obsimport.Record) error {
		for _, rd := range r.Readings {
			if rd.Stream.Property != property {
				continue
			}
			s := byStream[rd.Stream]
			if s == nil {
				s = &Series{Key: rd.Stream.Key}
				byStream[rd.Stream] = s
			}
			s.Times = append(s.Times, r.Time)
			s.Values = append(s.Values, rd.Value)
		}
		return nil
	}, progress)
	if err != nil {
		return nil, sum, fmt.Errorf("read %s readings: %w", property, err)
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

// EvaluateForecast replays every series through its own Forecaster and
// Warner, event time only, and scores the warnings against what the
// series did next.
func EvaluateForecast(series []Series, opts ForecastOptions) (ForecastReport, error) {
	mdl, err := forecast.NewModel(opts.Model)
	if err != nil {
		return ForecastReport{}, err
	}
	wcfg := opts.Warner
	wcfg.Threshold, wcfg.Above, wcfg.Horizon = opts.Threshold, true, opts.Horizon
	if _, err := forecast.NewWarner(wcfg); err != nil {
		return ForecastReport{}, err
	}
	rep := ForecastReport{Streams: len(series), Threshold: opts.Threshold,
		HorizonMinutes: opts.Horizon.Minutes(), RearmMinutes: opts.Rearm.Minutes()}
	var leads []time.Duration
	start := time.Now()
	for _, s := range series {
		w, _ := forecast.NewWarner(wcfg)
		sc := scoreSeries(mdl.New(), w, s, opts)
		rep.Readings += len(s.Times)
		rep.Warnings += sc.warnings
		rep.FalseWarnings += sc.falseWarnings
		leads = append(leads, sc.leads...)
	}
	rep.ObserveSeconds = time.Since(start).Seconds()
	summariseLeads(&rep, leads)
	return rep, nil
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

// seriesScore is what one series contributed.
type seriesScore struct {
	leads                   []time.Duration // one per episode, 0 when not warned
	warnings, falseWarnings int
}

// scoreSeries replays one series. An episode's lead is read before its
// crossing reading is observed: only warnings from earlier readings count.
func scoreSeries(f *forecast.Forecaster, w *forecast.Warner, s Series, opts ForecastOptions) seriesScore {
	var sc seriesScore
	var raises []int64
	belowSince, haveBelow := int64(0), false
	for i, t := range s.Times {
		v := s.Values[i]
		if v >= opts.Threshold {
			if haveBelow && t-belowSince >= opts.Rearm.Milliseconds() {
				sc.leads = append(sc.leads, leadAt(w, t))
			}
			haveBelow = false
		} else if !haveBelow {
			belowSince, haveBelow = t, true
		}
		f.Observe(t, v)
		if ev := w.Check(f); ev.Kind == forecast.Raise {
			raises = append(raises, ev.Time)
		}
	}
	sc.warnings = len(raises)
	for _, r := range raises {
		if !reachedWithin(s, opts.Threshold, r, opts.Horizon) {
			sc.falseWarnings++
		}
	}
	return sc
}

// leadAt is how long w's warning has been up at t, 0 when it is not.
func leadAt(w *forecast.Warner, t int64) time.Duration {
	since, _, up := w.Raised()
	if !up {
		return 0
	}
	return time.Duration(t-since) * time.Millisecond
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

// RunForecast loads the files and evaluates the forecast warnings on
// them; see LoadSeries and EvaluateForecast.
func RunForecast(ctx context.Context, m *obsimport.Mapping, paths []string, opts ForecastOptions, progress func(obsimport.Progress)) (ForecastReport, error) {
	series, _, err := LoadSeries(ctx, m, paths, opts.Property, progress)
	if err != nil {
		return ForecastReport{}, err
	}
	if len(series) == 0 {
		return ForecastReport{}, fmt.Errorf("bench forecast: no %q readings in the files", opts.Property)
	}
	return EvaluateForecast(series, opts)
}
