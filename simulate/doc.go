// Package simulate owns the demo city and its live data: a synthetic
// Shanghai-like city (a unit tree of districts, streets and grid cells,
// assets and datastreams across every domain of the default indicator
// catalog, field teams per department) generated deterministically from a
// seed, the installation of that city into a platform, and a simulator
// that plays realistic sensor streams (daily and weekly cycles, noise,
// dropouts, drifting sensors) at a set rate, with scenarios such as a gas
// leak or a rainstorm injected on command.
//
// Everything the simulator sends is a pure function of the seed, the
// start time and the injected scenarios, so the same seed gives the same
// values at the same times relative to the start.
package simulate
