// Package dispatch owns when people hear about alerts: it sits between the
// alert lifecycle's events (package alert) and the durable outbox (package
// notify/outbox), in the shape of Alertmanager's dispatcher.
//
// Grouping. Events are grouped by a label set (Config.GroupBy, default unit
// and domain). A group's first notification waits GroupWait, so a burst of
// alerts becomes one message; after that the group is notified at most once
// every GroupInterval, and only when it changed (an alert began firing,
// resolved, or changed level). A change after a quiet spell also waits
// GroupWait, so a second burst is one message too. A notification (see
// Notification) lists the group's labels, its firing alerts, the alerts
// resolved since the previous notification, the highest level and counts.
// An alert that fires and resolves before its group was notified is never
// sent: the dashboard shows it, receivers would only get noise.
//
// Muting. The caller computes silences and inhibition (alert.Muter) and
// sets Event.Muted. A muted firing or update withdraws the alert from
// notifications: it is not listed, not repeated, and its resolution is not
// reported. A later unmuted event brings it back. Acknowledgements and
// assignments are never muted; they notify nobody, they only stop repeats.
//
// Repeat and escalation. A firing alert nobody acknowledged within
// Config.RepeatAfter of its level (default red 15 min, orange 30 min,
// yellow 2 h, blue never) is sent again to the receivers and, when
// Config.Escalation names a receiver for its level, to that receiver too
// (督办, the supervising department). The wait restarts at every repeat
// and whenever a new level is announced. Acknowledged and resolved alerts
// stop repeating.
//
// Time. Waits are on the wall clock (they are about when people get
// messages); the clock is injected, and Run calls Tick every second, so
// tests drive Tick with chosen times.
//
// Delivery and restarts. State is in memory. Messages a failed send left
// behind are retried, in order, on the next Tick, so nothing is dropped
// while the process lives. After a restart the caller rebuilds the state
// with Restore from the open alerts, then RestoreSent from the newest
// messages the outbox holds: a group whose firing alerts are as its newest
// notification listed them is not notified again (and they count as
// announced, so they repeat), and an alert that notification listed as
// firing but that has resolved since is told resolved — the resolutions
// that were waiting in their groups when the process stopped. Idempotency
// keys are derived from what a message says (the group key and a digest
// of the alerts it lists, with their levels and change times), not from a
// per-process counter: a notification that says what was already sent
// before the restart gets the same key and the outbox drops it, while one
// that says something new always gets a new key and is never mistaken for
// an old one. Delivery is therefore at least once: a message whose
// delivery was not recorded (in flight when the process died) is
// delivered again under its key, and nothing already said gets a new one.
package dispatch
