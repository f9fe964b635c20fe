// Package incident owns the closed loop: incidents (案卷) driven through
// the seven steps of digital city management (GB/T 30428) — collection
// (上报), registration (立案), dispatch (派遣), disposal (处置), feedback
// (反馈), verification and close (核查结案), evaluation (综合评价).
//
// Every step is an action in one table (actions.go): the permissions that
// may take it, the states it starts from, whether only the responsible
// department may take it, and what it changes. The service checks the
// actor's permission, area (spatial scope) and department, stores the
// changed incident together with the event that explains it in one
// transaction (optimistic versioning refuses decisions taken on a stale
// view), audits it and tells listeners (live board, webhooks, citizen
// reports, plans).
//
// Returns (回退), extensions (延期), suspensions (缓办) and cancellations
// (作废) are requests that a supervisor — not the requester — approves
// or rejects. SLA clocks (package sla behind the Clocks interface) start
// at dispatch; their deadlines are stored as absolute times, so they
// survive restarts; a suspension pauses them and resuming moves them by
// the working time on hold. Escalate raises near, overdue and long-overdue
// incidents to their supervising department (督办), each step once.
//
// Departments come from routing rules (CEL over category, domain, level,
// unit path, source and assets; routing.yaml). Alerts register incidents
// by auto rules (FromAlert): an alert that resolves does not close its
// incident — verification does. Photos and documents are kept by content
// hash (Files), their type sniffed from the content, their size bounded.
package incident
