package indicator

// This file is the contract between the catalog (this package) and the
// live engine (package engine): the engine implements Scope and
// StreamSet; this package compiles indicators into Programs that evaluate
// against a Scope.

// Scope is one spatial unit at one evaluation tick, seen through one
// indicator's window. The engine implements it.
type Scope interface {
	// Streams selects the streams in the unit and every unit below it that
	// measure property, restricted to streams on assets of assetType
	// unless assetType is "".
	Streams(property, assetType string) StreamSet
	// Indicator returns the value of another indicator for the same unit
	// at the same tick; ok is false when it has no value. The engine
	// evaluates indicators in dependency order (Catalog.Programs) so the
	// value is current.
	Indicator(id string) (value float64, ok bool)
}

// StreamSet is a selection of streams reduced over the window that ends at
// the tick: (tick − window, tick].
type StreamSet interface {
	// Registered counts the streams in the selection, reporting or not.
	Registered() int
	// Latest returns the newest value of every stream that reported in
	// the window, one per stream, in no particular order. The caller must
	// not keep or modify the slice.
	Latest() []float64
	// Totals returns, for every stream that reported in the window, the
	// sum of its values in the window (e.g. rainfall accumulated over 3 h).
	// Only available for properties a Program lists in Needs with History.
	Totals() []float64
	// Changes returns, for every stream with at least two points in the
	// window, its first and last point. Only with History.
	Changes() []Change
}

// Change is a stream's movement across a window.
type Change struct {
	First, Last float64
	Minutes     float64 // time between the first and the last point
}

// Need is one input of a Program: streams of Property (on AssetType
// assets, or all when ""), and whether the Program needs every point in
// the window (History: Totals, Changes) or only the latest value.
type Need struct {
	Property  string
	AssetType string
	History   bool
}

// Functions available to expressions (documented for catalog authors in
// docs/indicators.md). Every property id of the property catalog is a
// variable of type Selection; sel.on("asset_type") narrows it.
//
//	avg(sel) min(sel) max(sel) sum(sel) p95(sel)   over the latest values
//	count(sel)        streams that reported in the window
//	reporting(sel)    count / registered, 0..1
//	above(sel, x)     streams whose latest value is > x
//	below(sel, x)     streams whose latest value is < x
//	accum(sel)        the largest per-stream total over the window
//	rise(sel)         the fastest per-stream rise, value units per minute
//	fall(sel)         the fastest per-stream fall, value units per minute
//	ind("id")         another indicator's value in the same unit
//
// A function with nothing to work on (no stream reported) is an error,
// which makes the indicator "no data" for that tick rather than zero.
