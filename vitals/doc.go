// Package vitals owns what becomes of the engine's findings: level changes
// are stored durably, numbered, and fanned out to live subscribers (the
// dashboard's SSE stream, later the alerting), with a backlog so a
// subscriber that reconnects misses nothing.
//
// It knows neither the engine nor HTTP: the app hands it level changes,
// the API reads from it.
package vitals
