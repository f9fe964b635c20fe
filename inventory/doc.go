// Package inventory owns the city's inventory as one consistent whole: the
// spatial-unit tree with its point → unit index, the assets placed in it,
// and the registry of datastreams.
//
// It decides what the transports only translate: which unit a datastream
// or asset belongs to (resolved at registration and kept up to date when
// the tree changes), whether a stream's property and unit of measurement
// are known, and that every change is audited. It keeps the in-memory
// views the hot paths need — the geo.Index, children of each unit, the
// streams of each unit — and pushes every new stream to the ingest
// registry so devices can write to it at once.
package inventory
