// Package campaign owns hazard inspection and rectification campaigns
// (隐患排查整治, 销项管理): the campaigns themselves with their scope,
// period and checklists; the inspection tasks generated from the scope
// (one per asset, 一户一档) and assigned to inspectors; inspection results,
// one at a time or in batches (JSON, CSV) for offline field work; the
// hazard register (隐患台账) and each hazard's way to close-out; the
// overdue scan that escalates (督办) missed deadlines and milestones; and
// the district and department reports with their CSV and XLSX exports.
//
// # Rules this package enforces
//
//   - A hazard goes open → rectifying → awaiting_verification → closed
//     (销项). A verification that fails sends it back to rectifying
//     (返工); a closed hazard can be reopened. Nothing else moves it.
//   - A major hazard (重大隐患) needs interim control measures and a
//     timetable of milestones before rectification starts; every
//     milestone is due before the deadline, in order.
//   - Rectification and close-out each need evidence (attachment hashes).
//     The verifier must not be the rectifier, and a close-out happens
//     inside the campaign period.
//   - An inspection result answers every item of its task's checklist; a
//     failed item needs a photo. A batch keeps its valid rows and names
//     the row and field of every refused one; each row is applied all or
//     nothing.
//   - Every change is stored with an event in the hazard's file and
//     recorded through the injected Auditor.
//
// Who may do what (permissions) is the caller's business: every method
// takes the acting user's name, and the API checks the permission first.
//
// Checklists are data: an embedded default (checklists.yaml, every item
// tagged with its source and confidence) that a city can replace. A
// campaign keeps frozen copies of the checklists it uses.
package campaign
