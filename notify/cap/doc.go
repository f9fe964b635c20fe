// Package cap renders public warnings in the OASIS Common Alerting Protocol
// 1.2 (CAP) and publishes them as an Atom 1.0 index, the feed format that
// warning aggregators and broadcasters poll.
//
// The package owns the format only: a Warning is a plain value the alert
// lifecycle fills in, Build maps it onto the CAP Alert types (levels to
// urgency and severity, domains to CAP categories, the area's WGS84
// geometry to CAP "lat,lon" polygons simplified to a bounded size), and
// Render marshals it. Feed writes the Atom index that links to the rendered
// documents. It knows nothing about storage, transport or the alert state
// machine.
//
// Every document is bilingual: one <info> block in zh-CN and, when English
// text is given, one in en-US. Times are written as the CAP schema demands
// (whole seconds, explicit offset) in China Standard Time, +08:00.
//
// All functions are pure and safe for concurrent use. Input that cannot
// become a valid CAP document is reported as a *model.Error with code
// EINVALID whose message names the offending field.
package cap
