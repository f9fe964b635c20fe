package pebblestore

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/cockroachdb/pebble/v2"
)

// latestMergerName is stored by Pebble in the data directory; it must never
// change, or existing directories stop opening.
const latestMergerName = "cityvitals.latest-by-time.v1"

// newLatestMerger returns the merger that resolves the merge operands of a 'l' key to the observation
// with the greatest time; among equal times the newer operand wins.
//
// Writers merge instead of set so that concurrent Write calls need no lock
// around "read latest, commit": whatever order their batches commit in,
// the persisted latest is the maximum, just like the in-memory one.
func newLatestMerger() *pebble.Merger {
	return &pebble.Merger{
		Name: latestMergerName,
		Merge: func(key, value []byte) (pebble.ValueMerger, error) {
			m := &latestValueMerger{}
			if err := m.MergeNewer(value); err != nil {
				return nil, err
			}
			return m, nil
		},
	}
}

type latestValueMerger struct {
	best [latestValLen]byte
	set  bool
}

func operandTime(v []byte) (uint64, error) {
	if len(v) != latestValLen {
		return 0, fmt.Errorf("latest merge operand of %d bytes: %w", len(v), errCorruptRecord)
	}
	return binary.BigEndian.Uint64(v), nil // order-preserving encoded time
}

func (m *latestValueMerger) MergeNewer(v []byte) error {
	t, err := operandTime(v)
	if err != nil {
		return err
	}
	if !m.set || t >= binary.BigEndian.Uint64(m.best[:]) {
		copy(m.best[:], v)
		m.set = true
	}
	return nil
}

func (m *latestValueMerger) MergeOlder(v []byte) error {
	t, err := operandTime(v)
	if err != nil {
		return err
	}
	if !m.set || t > binary.BigEndian.Uint64(m.best[:]) {
		copy(m.best[:], v)
		m.set = true
	}
	return nil
}

func (m *latestValueMerger) Finish(bool) ([]byte, io.Closer, error) {
	return m.best[:], nil, nil
}
