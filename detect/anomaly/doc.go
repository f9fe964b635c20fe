// Package anomaly owns the seasonal anomaly detector: an online, causal,
// per-datastream state machine that gives every observation a score in
// [0, 1] from that observation and earlier ones only. One Config serves
// every stream of a kind; the live engine keeps one Detector per stream.
//
// # Method
//
// Each observation is asked one question: how far is the value from what
// this hour of the week (once that slot has SeasonMinSamples, else this
// hour of the day, else the stream's overall level) usually sees? The
// slots are 168 + 24 clipped running means in local time. The residual is
// judged against an exponentially weighted Huber M-estimate of the
// residuals' level and mean absolute deviation (residuals are clipped at
// HuberK deviations before they update it, so a spike barely moves the
// baseline while a lasting shift is absorbed within a few LongHorizons).
//
// The residual's z-score (deviation scaled to a normal sigma by
// sqrt(pi/2)), capped at 16, becomes a normal tail probability p and the
// score is log(p)/log(1e-60), so scores keep their order far into the tail
// where a plain probability would round to 1. This is the windowed
// Gaussian of the Numenta Anomaly Benchmark made robust (Huber, 1964;
// Lavin and Ahmad, "Evaluating Real-time Anomaly Detection Algorithms",
// 2015) with a seasonal baseline in the manner of Holt-Winters (Winters,
// 1960) but with one slot per hour rather than a fitted trend.
//
// Earlier versions also scored the distance from the overall level and
// the step from the previous value, and took the largest. On seasonal
// streams those two fire on every daily rise and fall that the seasonal
// slots already explain, so they were dropped: the seasonal residual falls
// back to the overall level until the slots are trusted anyway.
//
// A finding is reported once: a score at or above ReportLevel opens
// Refractory observations that all score 0, so a finding's echoes (the
// rest of a burst, the settling after a level shift) raise no new alarm.
// Scores below ReportLevel pass through and open nothing, so an alert rule
// may still pick a lower threshold. This is the causal form of NAB's
// reward for the first detection in an anomaly window.
//
// # Evaluation
//
// On the 44 NAB files in shared/data/nab (cityvitals bench nab, then
// shared/bench/nab/nabscore.py) the defaults score 54.2 standard, 43.5
// reward-low-FP and 59.4 reward-low-FN. The defaults (HuberK, Warmup,
// ReportLevel) were chosen on the files at even positions in sorted order
// and hold on the odd ones (53.9/44.4/59.0 tuned half, 54.5/42.8/59.9
// held-out half); no file name, label or file length is used.
//
// # Cost
//
// A Detector's state is StateSize() bytes (1,208: most of it the 192
// seasonal slots as float32 means and uint16 counts), so a million streams
// need about 1.2 GB. Observe allocates nothing and takes about 100 ns
// (BenchmarkObserve).
//
// NaN and infinite values are not measurements: they score 0 and leave the
// state untouched (ingest rejects them before they get here anyway).
// Finite values beyond ±1e30 count as ±1e30, so that no sum overflows.
package anomaly
