// Package engine is the live vital-signs engine: it consumes every
// accepted observation, keeps per-stream and per-unit state in memory,
// evaluates the indicator catalog (package indicator) per spatial unit at
// event-time ticks, grades the values, rolls them up the unit tree and
// emits level changes. It owns that in-memory state and its semantics;
// storing level changes, the HTTP API and the replay command are the
// application's.
//
// # Event time
//
// The engine never reads the wall clock. The watermark is the newest
// observation time seen minus Config.AllowedLateness. Observations are
// buffered and applied in (time, stream id) order once the watermark has
// passed them. The frontier is the time up to which everything has been
// applied; an observation at or behind it is late: counted in Stats and
// the metrics, not applied (it is in the history store anyway). Of two
// observations of one stream at one time, the one received last replaces
// the other while both are buffered; one arriving after the first was
// applied is a duplicate, counted and not applied. Duplicates are told
// from late observations by the stream's latest point and kept history.
//
// # Ticks
//
// Indicators are evaluated at ticks, the multiples of Config.Step. Tick T
// is evaluated before any observation with time > T is applied, so it
// sees exactly the observations with time ≤ T, and it is evaluated only
// once the watermark has reached T. The output — level changes, values,
// levels — is therefore a pure function of the set of observations
// applied: replaying stored data in time order at full speed gives the
// same result as live ingestion with out-of-order arrival within the
// allowed lateness. Flush, at the end of input, applies everything and
// evaluates up to the tick that contains the newest observation.
//
// A unit is evaluated at tick T only if something can have changed: an
// observation in (T−Step, T] of a stream in its subtree, or a point of
// such a stream leaving the window of an indicator reading it (each
// applied point schedules re-evaluation at t + window, for each distinct
// window of its property). Work is coalesced per unit and tick, and only
// the indicators reading a flagged property (or depending on one just
// evaluated) are evaluated. Ticks without work cost nothing: the engine
// jumps from one tick with work to the next. The units of a tick are
// evaluated by up to GOMAXPROCS workers: they are independent until
// roll-up, and their level changes are merged in the order given below,
// so the output does not depend on the number of workers.
//
// # Where indicators are computed
//
// An indicator declared at level L is computed in the units of level L;
// if the tree has no unit of that level, in those of the nearest level
// above that it has; if it has none of those either (an empty tree), in
// the virtual root "". A stream counts for its unit and every ancestor:
// selections are over a unit's whole subtree. A stream without a unit, or
// in a unit the tree does not know, counts for the root only, so it is
// seen only by indicators computed at the root.
//
// Per stream the engine keeps the latest point and, for properties an
// indicator reads the history of (accum, rise, fall), the points of the
// longest such window. A selection reduces over the indicator's window
// (T − window, T]: Latest gives each stream's latest value if it is in
// the window; Totals and Changes come from the kept history; Registered
// counts every selected stream, reporting or not. Streams are registered
// when they first report, or by Warm.
//
// # Grading and roll-up
//
// The level is Program.Grade(value, previous level), which applies the
// thresholds, direction and hysteresis; an evaluation without a value is
// LevelNoData. After a tick's evaluations, every ancestor of an evaluated
// unit computes each indicator whose roll-up is not "none" and whose
// computing level is below it, from its children's current signs,
// deepest units first: worst (worst child level and that child's value),
// max, min, sum, avg (weighted by the streams behind each child, at
// least one) graded with Grade, and share_above (share of graded
// children at or above RollupLevel) graded with GradeRollup. The root
// rolls up the whole city.
//
// Every change of level, evaluated or rolled up, is a LevelChange
// carrying the value, the window and the threshold crossed: the bound of
// the new level when rising, of the old one when falling. Subscribers
// receive them on the processing goroutine in a deterministic order: by
// tick, then units by code and indicators in catalog order, then
// roll-ups from the bottom of the tree up. A sign starts as no data, so
// its first graded evaluation is a change too.
//
// # Health
//
// Signs reports, per unit, every indicator's value, level and trend (the
// last 30 values), and a health score. Each level costs a penalty: none
// 0, blue 10, yellow 30, orange 60, red 100; no data is not counted. A
// domain's health is 100 − (0.6 × its maximum penalty + 0.4 × its mean
// penalty); the overall health is 0.5 × the worst domain + 0.5 × the
// mean of the domains, 100 when no domain has data. Worst is the highest
// level of any indicator. See docs/health.md.
//
// # Catalog and topology changes
//
// SetCatalog and SetTopology take effect at the next processing step.
// Within a catalog, each tick uses the versions in force at its time
// (Catalog.ProgramsAt), so a new version is used by every evaluation at
// or after its stated event time (a unit with no new data keeps its
// signs until its next evaluation).
//
// # Backpressure
//
// Observe copies the batch into a bounded queue. When the queue holds
// Config.QueueBatches batches, Observe waits up to Config.MaxBlock for the
// engine to take it — the only time it delays the ingest commit loop —
// and then enqueues anyway, counting an overflow: an accepted observation
// is never dropped, because the live state must equal a replay.
//
// # Restart
//
// Warm reads each stream's recent history from the store and feeds it
// through the same path with level changes suppressed, so the signs after
// a restart equal those before it.
package engine
