// Package citizen owns citizen reports (市民诉求): the catalog of services
// citizens can report against, taking a report in (validation, the unit it
// lies in, duplicate merging, the incident it opens or joins), status
// flowing back from the incident side, the masking of reporters' personal
// data, CSV export, and the import of 311-style CSV files.
//
// Transports translate into calls on Service: package open311 speaks
// GeoReport v2; the platform API and the CLI call it directly. Storage is
// a store.Reports; incidents are reached through the Incidents interface
// declared here and implemented over the incident package by the caller.
//
// Personal data rule: a Report never carries the reporter's personal data.
// It is stored apart (model.Reporter) and read only through Service.View,
// Service.Reporter and Service.Export, which mask it unless the principal
// holds auth.PersonalRead.
package citizen
