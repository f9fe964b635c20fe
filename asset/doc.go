// Package asset owns the catalog of city component types (部件类型: gas pipe
// segment, valve, manhole cover, hydrant, bridge…) and the import of
// component inventories from GeoJSON, CSV and OpenStreetMap XML into
// model.Asset values.
//
// The default type catalog is embedded (types.yaml) and records, per type,
// the legacy GB/T 30428.2 component code where one is known, the expected
// geometry, the default owner department, the observed properties its
// sensors usually carry and the OpenStreetMap tags that mean it.
//
// Importers never stop at a bad row: each bad row or feature comes back as
// a RowError naming its position and field, and the good ones are kept. They
// depend on no other domain package: the coordinate conversion (GCJ-02 to
// WGS84) and the spatial-unit lookup are passed in as functions.
package asset
