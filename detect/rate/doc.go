// Package rate owns the rate-of-change detector: "the pressure in this gas
// main is falling 6 kPa a minute". One Spec per observed property serves
// every datastream of that property; a stream's level (1 blue … 4 red)
// follows how fast its readings rise or fall, and a finding is queued
// whenever that level changes (raised, re-levelled, cleared).
//
// # Estimate
//
// The rate is the least-squares slope of the readings in the trailing
// window (Spec.Window) ending at the newest reading: causal, using that
// reading and earlier ones only. A two-point difference divides the
// sensor's noise by one reporting interval and so fires on noise alone
// (TestNoiseAroundAFlatLineNeverFires shows it); the slope over n readings
// spread across the window has a variance σ²/Σ(tᵢ-t̄)², which for 4
// readings 5 minutes apart is 1/125 of σ² per min², and shrinks further
// with faster reporting.
//
// Memory per stream is fixed whatever the reporting rate: the window is
// held in Spec.Bins time bins of Window/Bins each, and a bin averages the
// readings that fall in it (count, mean time, mean value). The slope is
// the count-weighted least-squares slope of the bin means, which is
// exactly the ordinary slope while each reading has a bin of its own (the
// usual cadence of city sensors, 1–15 minutes) and an unbiased one with
// slightly more variance when readings share bins. A bin leaves when its
// last reading is older than the window: the slope uses every reading of
// the window, plus at most one bin's worth just before it.
//
// A stream is judged only when its window holds at least Spec.MinReadings
// readings spanning at least half the window; until then, and across gaps
// longer than the window, it keeps its level: a silent stream is the
// silent detector's business, and clearing an alert needs evidence.
//
// # Levels
//
// Levels are graded like the indicator engine's: a level is entered when
// the rate in the watched direction reaches its threshold, and left only
// when the rate has gone back Spec.Hysteresis below it, so a rate hovering
// at a threshold does not flap.
//
// # Input
//
// Readings must come in time order per stream (ingest commits them so);
// a reading at or before the stream's newest accepted time is ignored and
// counted (Stats.OutOfOrder). Readings flagged bad by their device, and
// non-finite values or times outside 1970–9999, are ignored and counted
// too: they are not measurements.
//
// # Cost
//
// A watched stream costs about 150 + 32×(Bins+1) bytes (about 450 B with
// the default 8 bins; BenchmarkRegister reports the measured figure); streams
// of properties without a Spec are never stored. ObserveBatch takes one
// lock per batch, does one map lookup per reading and O(Bins) arithmetic
// per watched reading, and allocates only when a level changes.
package rate
