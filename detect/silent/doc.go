// Package silent owns the silent-device detector: it notices datastreams
// that stop reporting (no observation for K × their expected interval, in
// event time) and reports them grouped by spatial unit, so that a power cut
// that silences 5,000 devices in one street is one alert, not 5,000.
//
// # Shape
//
// The live engine calls Seen for every accepted observation and Scan with
// its event-time frontier. Seen is a map lookup and an atomic store under
// the read lock of one of 64 shards: it allocates nothing and never waits
// for another Seen. Scan does the work: each stream sits in a deadline
// wheel (one bucket per event-time second) at the moment it would fall
// silent; Seen does not touch the wheel, so a due stream that has reported
// meanwhile is re-armed lazily when its bucket comes up. A Scan therefore
// costs in proportion to the deadlines that fell due plus the streams that
// are silent, not to the streams registered.
//
// # Findings
//
// All findings carry Rule "silent" and the label "unit". A unit with at
// least GroupMin silent streams has one group finding (label kind=group)
// whose level grows with the silent share of the unit's streams; a unit
// with fewer has one finding per silent stream (kind=stream, stream=<id>,
// device=<device>). Moving between the two clears the old findings in the
// same Scan, and a stream that reports again (or is forgotten) clears its
// finding. Output is sorted by unit, then group before streams, then stream
// id, so a replay gives the same findings in the same order.
package silent
