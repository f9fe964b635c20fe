// Package pebblestore is the embedded observation history: it implements
// store.History on a Pebble LSM in one data directory.
//
// It owns three kinds of records, each under a one-byte key prefix followed
// by the stream id (8 bytes, big-endian):
//
//	'o' stream time  -> value bits, quality        raw observations
//	'l' stream       -> time, value bits, quality  newest observation (merge operand)
//	'r' stream start -> count, sum, min, max        roll-up of one closed bucket
//
// Times are 8 bytes big-endian with the sign bit flipped, so byte order is
// time order for negative times too. Write commits one synced Pebble batch
// per call, so an acknowledged write survives kill -9. The newest
// observation of every stream is also kept in memory for Latest and for
// deciding which roll-up buckets are closed; roll-ups are materialised
// lazily by Aggregate and invalidated by late writes (see aggregate.go).
package pebblestore
