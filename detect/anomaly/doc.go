// Package anomaly owns the seasonal anomaly detector: an online, causal,
// per-datastream state machine that gives every observation a score in
// [0, 1] from that observation and earlier ones only. One Config serves
// every stream of a kind; the live engine keeps one Detector per stream.
//
// # Method
//
// Each observation is asked three questions, each against a baseline that
// is learnt online as an exponentially weighted Huber M-estimate of level
// and mean absolute deviation (outliers are clipped at HuberK deviations
// before they update it, so a spike barely moves the baseline while a
// lasting shift is absorbed within a few LongHorizons):
//
//   - level: how far is the value from the stream's usual level?
//   - step: how far is the change from the previous value from usual changes?
//   - season: how far is the value from what this hour of the week (once
//     that slot has SeasonMinSamples, else this hour of the day) usually
//     sees? The slots are 168 + 24 clipped running means in local time.
//
// Each answer is a z-score (deviation scaled to a normal sigma by
// sqrt(pi/2)); the largest, capped, becomes a normal tail probability p and
// the score is log(p)/log(1e-60), so scores keep their order far into the
// tail where a plain probability would round to 1. This is the windowed
// Gaussian of the Numenta Anomaly Benchmark made robust (Huber, 1964;
// Lavin and Ahmad, "Evaluating Real-time Anomaly Detection Algorithms",
// 2015) with a seasonal baseline in the manner of Holt-Winters (Winters,
// 1960) but with one slot per hour rather than a fitted trend.
//
// A finding is reported once: within Refractory observations of a reported
// score only a higher one is reported and lower ones score 0. This is
// causal and threshold-free: whatever threshold an alert rule later picks,
// the first crossing of an episode survives and its echoes are gone.
//
// # Cost
//
// A Detector's state is StateSize() bytes (1,244: most of it the 192
// seasonal slots as float32 means and uint16 counts), so a million streams
// need about 1.2 GB. Observe allocates nothing and takes well under a
// microsecond (BenchmarkObserve).
//
// NaN and infinite values are not measurements: they score 0 and leave the
// state untouched (ingest rejects them before they get here anyway).
// Finite values beyond ±1e30 count as ±1e30, so that no sum overflows.
package anomaly
