package pebblestore

import "github.com/cockroachdb/pebble/v2"

// DropRollups deletes every stored roll-up, so that benchmarks can measure
// Aggregate on a cold store. It must not run concurrently with Aggregate.
func (h *History) DropRollups() error {
	return h.db.DeleteRange([]byte{prefixRollup}, []byte{prefixRollup + 1}, pebble.NoSync)
}
