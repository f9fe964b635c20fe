// Package forecast owns forecast early warning (预测预警): a small online
// model per series that projects the series forward and says whether, and
// when, it is expected to cross a threshold, and a Warner that turns those
// answers into raise and withdraw events with hysteresis.
//
// The model is damped-trend exponential smoothing (Holt, additive damped
// trend) with an optional additive time-of-day seasonal component learned
// online, optionally on log(1+x) so that multiplicative build-ups (PM2.5
// episodes, floods) look linear. Prediction intervals come from the running
// variance of one-step-ahead errors, propagated with the ETS(A,Ad,N)
// variance formula, so a warning can be issued when a chosen quantile of
// the projected path crosses the threshold.
//
// Everything is driven by event time (the observations' own Unix ms), never
// by the wall clock: replaying history yields the same warnings as the live
// day did. Irregular intervals are handled by converting elapsed time into
// fractional model steps; a gap longer than Config.MaxGap restarts level
// and trend but keeps the learned error variance and daily profile.
//
// A Gate is a logistic model, fitted offline with FitGate and optionally
// refined by boosted regression trees (Boost), that lets other inputs
// (weather, neighbours, the hour) veto or back a forecast: the series
// alone cannot tell a build-up that a north wind will end from one that
// goes on.
//
// A warning states the window it claims (Warning.Within): the Warner
// keeps it for that window at most, ends it when the claim comes true,
// and lets it expire (or renews it as a new claim) when the window passes.
//
// A Model holds one validated Config shared by every stream of a kind; a
// Forecaster is the per-stream state (see Forecaster for its size). Neither
// Forecaster nor Warner is safe for concurrent use: the engine owns each
// stream's state from one goroutine.
package forecast
