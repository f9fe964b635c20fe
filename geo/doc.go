// Package geo owns the geometry of the spatial-unit tree: coordinate
// reference systems (WGS84 and the Chinese GCJ-02 offset system), GeoJSON
// import of units, generation of square and hexagonal grid cells, and the
// spatial Index that answers "which unit is this point in?".
//
// Every geometry the package returns is WGS84 longitude/latitude, the
// platform's canonical system. GCJ-02 input is converted on import, never
// stored.
//
// The Index is immutable once built and safe for concurrent use; to change
// the units, build a new Index and swap the pointer the readers use.
package geo
