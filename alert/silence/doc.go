// Package silence owns silences: a person's instruction to keep quiet the
// alerts that a list of label matchers selects, for a stretch of time,
// with a reason ("gas works on Xietu Road until 18:00").
//
// Matchers work as in Prometheus and Alertmanager: =, !=, =~ and !~, with
// regular expressions anchored to the whole value and run by RE2 (linear
// time, no catastrophic backtracking); a missing label reads as "". Besides
// an alert's labels (unit, indicator, domain, asset…) they see the
// pseudo-labels rule (the detector) and level (blue, yellow, orange, red).
// A silence needs at least one matcher that requires a non-empty value, so
// that no one mutes every alert by accident.
//
// Event time and wall time: a silence's start and end are wall-clock
// times, set by people. Silencer.Mutes compares them with the event time
// of the alert change being notified. Live, the two clocks agree; in a
// replay of history, only the silences that were active at the replayed
// time mute, exactly as they did on the day.
//
// Service validates, stores and audits every change (silence.create,
// silence.extend, silence.expire) and keeps the in-memory Silencer
// current; Silencer implements alert.Muter for notification dispatch.
// Store is implemented by store/sqlite.
package silence
