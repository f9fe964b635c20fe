package pebblestore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"cityvitals/model"
	"cityvitals/store"
)

// errCorruptRecord marks a record this package cannot decode.
var errCorruptRecord = errors.New("corrupt record")

// Key prefixes, one per record kind. Their order does not matter: every
// scan stays inside one prefix and one stream.
const (
	prefixObs    byte = 'o'
	prefixLatest byte = 'l'
	prefixRollup byte = 'r'
	prefixMeta   byte = 'm'
)

const (
	streamKeyLen = 1 + 8     // prefix, stream
	timeKeyLen   = 1 + 8 + 8 // prefix, stream, time
	obsValueLen  = 8 + 1     // value bits, quality
	latestValLen = 8 + obsValueLen
	rollupValLen = 8 * 4 // count, sum, min, max
)

// metaRollupStep records the roll-up step the stored roll-ups were built
// with, so that a changed option does not mix bucket sizes.
var metaRollupStep = []byte{prefixMeta, 'r', 'o', 'l', 'l', 'u', 'p', '-', 's', 't', 'e', 'p'}

// encodeTime maps int64 to uint64 preserving order: flipping the sign bit
// makes negative times sort before positive ones in big-endian bytes.
func encodeTime(t int64) uint64 { return uint64(t) ^ (1 << 63) }

func decodeTime(u uint64) int64 { return int64(u ^ (1 << 63)) }

// putTimeKey writes prefix|stream|time into dst[:timeKeyLen] and returns it.
func putTimeKey(dst []byte, prefix byte, stream, t int64) []byte {
	dst = dst[:timeKeyLen]
	dst[0] = prefix
	binary.BigEndian.PutUint64(dst[1:9], uint64(stream))
	binary.BigEndian.PutUint64(dst[9:17], encodeTime(t))
	return dst
}

// timeKey returns a newly allocated prefix|stream|time key, for iterator
// bounds that must outlive the caller's buffers.
func timeKey(prefix byte, stream, t int64) []byte {
	return putTimeKey(make([]byte, timeKeyLen), prefix, stream, t)
}

func putStreamKey(dst []byte, prefix byte, stream int64) []byte {
	dst = dst[:streamKeyLen]
	dst[0] = prefix
	binary.BigEndian.PutUint64(dst[1:], uint64(stream))
	return dst
}

func keyStream(key []byte) int64 { return int64(binary.BigEndian.Uint64(key[1:9])) }

func keyTime(key []byte) int64 { return decodeTime(binary.BigEndian.Uint64(key[9:17])) }

func putObsValue(dst []byte, value float64, quality uint8) []byte {
	dst = dst[:obsValueLen]
	binary.BigEndian.PutUint64(dst, math.Float64bits(value))
	dst[8] = quality
	return dst
}

func putLatestValue(dst []byte, o model.Observation) []byte {
	dst = dst[:latestValLen]
	binary.BigEndian.PutUint64(dst, encodeTime(o.Time))
	putObsValue(dst[8:], o.Value, o.Quality)
	return dst
}

func decodeLatestValue(stream int64, v []byte) model.Observation {
	return model.Observation{
		Stream:  stream,
		Time:    decodeTime(binary.BigEndian.Uint64(v)),
		Value:   math.Float64frombits(binary.BigEndian.Uint64(v[8:])),
		Quality: v[16],
	}
}

func putRollupValue(dst []byte, count int64, sum, lo, hi float64) []byte {
	dst = dst[:rollupValLen]
	binary.BigEndian.PutUint64(dst[0:], uint64(count))
	binary.BigEndian.PutUint64(dst[8:], math.Float64bits(sum))
	binary.BigEndian.PutUint64(dst[16:], math.Float64bits(lo))
	binary.BigEndian.PutUint64(dst[24:], math.Float64bits(hi))
	return dst
}

// decodeObs decodes a raw observation record; a malformed record means the
// store is damaged, since only this package writes these keys.
func decodeObs(key, value []byte) (model.Observation, error) {
	if len(key) != timeKeyLen || len(value) != obsValueLen {
		return model.Observation{}, fmt.Errorf("observation record %x: key %d bytes, value %d bytes: %w",
			key, len(key), len(value), errCorruptRecord)
	}
	return model.Observation{
		Stream:  keyStream(key),
		Time:    keyTime(key),
		Value:   math.Float64frombits(binary.BigEndian.Uint64(value)),
		Quality: value[8],
	}, nil
}

// decodeRollup decodes a roll-up record into a bucket starting at the key's time.
func decodeRollup(key, value []byte) (store.Bucket, error) {
	if len(key) != timeKeyLen || len(value) != rollupValLen {
		return store.Bucket{}, fmt.Errorf("roll-up record %x: key %d bytes, value %d bytes: %w",
			key, len(key), len(value), errCorruptRecord)
	}
	return store.Bucket{
		Start: keyTime(key),
		Count: int64(binary.BigEndian.Uint64(value[0:])),
		Sum:   math.Float64frombits(binary.BigEndian.Uint64(value[8:])),
		Min:   math.Float64frombits(binary.BigEndian.Uint64(value[16:])),
		Max:   math.Float64frombits(binary.BigEndian.Uint64(value[24:])),
	}, nil
}

func putRollupStep(step int64) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(step))
}

// bucketStart returns floor(t/step)*step: the start of the step-aligned
// bucket holding t, also for negative t (where Go's / rounds toward zero).
// The few times within one step of math.MinInt64, whose bucket start is
// not representable, map to math.MinInt64.
func bucketStart(t, step int64) int64 {
	q := t / step
	if t%step != 0 && t < 0 {
		if q <= math.MinInt64/step {
			return math.MinInt64
		}
		q--
	}
	return q * step
}

// bucketCeil returns the smallest multiple of step >= t, or math.MaxInt64
// if that is not representable.
func bucketCeil(t, step int64) int64 {
	q := t / step
	if t%step != 0 && t > 0 {
		if q >= math.MaxInt64/step {
			return math.MaxInt64
		}
		q++
	}
	return q * step
}
