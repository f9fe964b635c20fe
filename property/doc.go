// Package property owns the catalog of observed properties: what a
// datastream can measure (gas concentration, water level, PM2.5…), in
// which canonical unit, within which physically plausible range, and how
// often a sensor of it usually reports.
//
// The default catalog is embedded (catalog.yaml); a city may load its own
// file instead. Ingest calls Catalog.Validate to reject nonsense readings
// and to convert readings sent in an equivalent unit ("ug/m3", "Pa") to the
// property's canonical unit ("µg/m³", "kPa").
//
// A Catalog is immutable once built and safe for concurrent use.
package property
