// Package bench holds the load generators behind `cityvitals bench`: they
// start a real platform on loopback (or target a running one), drive it
// through its real transports, and report figures as JSON. Benchmarks live
// here rather than in tests because their numbers are recorded in
// docs/benchmarks.md, never asserted.
package bench
