// Package cluster owns the spatial-temporal cluster detector: related
// signals (sensor alarms and citizen reports of one kind, such as
// "gas_leak") that lie close together in space and time raise one
// correlated alert at a higher level than any of them alone — rising %LEL
// in three adjacent manholes is a leak, not three faulty sensors.
//
// # Signals and members
//
// Every Signal names what emitted it (Key). A key is one member of its
// kind however many detectors speak about it: a stream's threshold and
// anomaly findings arrive as two Sources of one key, and the member stays
// active while any of them is. A sensor member stays live while it is in
// alarm and for Pattern.Window after its alarm ends; a citizen report is a
// one-off event and stays live for Window after it was made (withdrawing
// it removes it at once). Expiry is measured in event time only: Advance
// moves the detector's clock, and so does a signal later than any before.
//
// # Clusters
//
// Live members of one kind within Pattern.RadiusM of each other (or in the
// same spatial unit, when the pattern says so) are linked; each connected
// group (single linkage) is a cluster. A cluster with at least
// Pattern.MinKeys members fires at the highest member level plus
// Pattern.Boost, capped at red; it is reported again when its level
// changes or its size has moved by a quarter since its last finding (so a
// storm's cluster of hundreds does not send one finding per member), and
// cleared when it falls below MinKeys.
//
// Members are kept in a grid of cells one radius wide, so a new signal
// looks only at the dozen or so cells around it: its cost is the number
// of live members near it, not the number alive in the city. A member
// that leaves may split its cluster; the members it was linked to are
// searched from in turns until the searches meet, so the cost is the size
// of what broke off, not of the cluster (see split).
//
// # Identity
//
// A cluster is named when it first fires, after its oldest member:
// "<kind>:<key>@<first-active-ms>". The name and the unit label chosen
// then (the unit holding most members) stay while members come and go, so
// its alert fingerprint never changes; a cluster that drops below
// MinKeys clears its alert but keeps its name, so firing again continues
// the same alert. When two named clusters join, the one that fired first
// keeps its name and the other is cleared ("merged into …"). When a
// cluster splits, the part holding the member it was named after (or, if
// that member is gone, the largest part) keeps the name; the other parts
// are new clusters.
//
// An emitter that moves (a new position or unit) begins a new
// membership, so no cluster is ever named after a member held elsewhere.
//
// # Findings
//
// Findings carry Rule "cluster" and the labels kind, unit, cluster (the
// name) and, when the pattern has one, domain. Their evidence lists the
// member keys (oldest first, at most 50), count, sensors, reports,
// radius_m, window, min_keys, the centroid (lon, lat) and first_at /
// last_at; a clear says why (reason "below min_keys", or "merged" with
// merged_into). Summaries read "浦东新区 200 米内 3 个监测点 30 分钟内相继
// 报警，疑似燃气泄漏".
//
// # Determinism
//
// Findings are decided when event time moves (Advance, or a signal later
// than the clock), never as each signal arrives: signals with the same
// event time may come in any order, and a replay calls Drain whenever it
// likes, without changing a finding. Findings come out in event-time
// order, then by pattern order and cluster name.
package cluster
