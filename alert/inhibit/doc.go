// Package inhibit owns inhibition: rules, kept as data, under which a
// firing alert keeps other alerts quiet because they are its consequences
// and add nothing a person can act on. An Inhibitor follows the firing
// alerts and implements alert.Muter for notification dispatch.
//
// A rule (see Rule) names its sources and targets with the same label
// matchers as silences (package alert/silence, with the pseudo-labels
// rule and level), a minimum source level, an optional maximum target
// level, and the labels source and target must share. A rule with
// SourceIsParent pairs a source with the targets whose indicator is a
// sub-indicator of the source's, using the catalog's parent relation that
// the caller passes in.
//
// The default rules (DefaultRules):
//
//   - power-outage-mutes-silent-devices: source domain="power",
//     indicator=~"power\.outage(\..+)?" at red; target rule="silent";
//     equal unit. A street without power silences its devices; the
//     outage is what matters. The silent-device detector (rule "silent")
//     comes later and must label its alerts with the unit the power
//     indicator is computed for (the street, for power.outage.points).
//   - red-parent-mutes-yellow-children: source any indicator at red;
//     target level at most yellow whose indicator's parent is the
//     source's indicator; equal unit. A red gas.leak mutes a yellow
//     gas.leak.manholes in the same unit, not an orange one.
//
// Inhibition is judged at the event time of the change being notified:
// a source counts from its StartsAt on, and only while it is firing.
package inhibit
