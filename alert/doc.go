// Package alert owns the lifecycle of alerts: a detector's finding about
// one thing (its labels) becomes an alert with a fingerprint, goes
// pending → firing once it has held for the rule's `for` duration, and
// resolved when it clears; repeated findings update the same alert
// instead of piling up. People acknowledge and assign alerts; every change
// that matters to someone outside is handed to a notifier.
//
// Time is the findings' event time, never the wall clock (acknowledgement
// times excepted), so a replay yields the same alerts as the live day.
package alert
