// Package replay feeds history through the live engine at full speed:
// observations from CSV files (read through an import mapping, exactly as
// `cityvitals import observations` reads them) or from the history store,
// merged into event-time order, so the engine yields the same indicator
// values and level changes the live day produced.
package replay
