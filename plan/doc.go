// Package plan owns contingency plans (应急预案): plans as versioned data
// (YAML files and API edits, validated, audited), their activation by an
// operator or an alert, which opens one incident per task at once, and
// the one-page progress of an activation (done, overdue, per task).
//
// A plan is for one event type at one warning level (rainstorm orange,
// gas leak, …) and lists tasks per department with deadlines counted
// from activation. The default set is embedded (defaults/plans/*.yaml);
// the departments and incident categories plans may name are a
// Vocabulary (defaults/vocabulary.yaml) a city can replace.
//
// Activation records the activation first and then opens the incidents
// one by one, recording each incident on its task as it is opened. If an
// incident cannot be opened, the activation is kept (roll forward): the
// task carries the error, Activate returns a *PartialError naming what
// was and was not created, and RetryTasks opens what is missing. Nothing
// is undone, because incidents already dispatched may be in the field.
//
// A plan is active at most once per unit: a second activation of the
// same plan in the same unit is refused with ECONFLICT until the first is
// ended, whoever asks. This is what keeps a re-firing alert from
// activating a plan twice.
package plan
