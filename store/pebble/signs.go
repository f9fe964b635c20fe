package pebblestore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"strings"
	"sync"

	"github.com/cockroachdb/pebble/v2"

	"cityvitals/model"
	"cityvitals/store"
)

// Key prefixes of the vital-signs records, beside the observation ones.
//
//	'c' seq                          → level change (JSON)
//	'u' unit 0x00 seq                → nothing: index of changes by unit
//	'v' unit 0x00 indicator 0x00 time → value bits, level
const (
	prefixChange     byte = 'c'
	prefixChangeUnit byte = 'u'
	prefixValue      byte = 'v'
)

const defaultChangeLimit = 1000

var _ store.Signs = (*History)(nil)

// signsState assigns level-change sequence numbers; appends are
// serialised so that Seq order is commit order.
type signsState struct {
	mu      sync.Mutex
	lastSeq int64
	loaded  bool
}

// AppendLevelChanges stores the changes in one synced batch.
func (h *History) AppendLevelChanges(ctx context.Context, changes []model.LevelChange) ([]model.LevelChange, error) {
	if err := h.usable(ctx); err != nil {
		return nil, err
	}
	if err := checkNames(changes); err != nil {
		return nil, err
	}
	h.signs.mu.Lock()
	defer h.signs.mu.Unlock()
	if err := h.loadLastSeq(); err != nil {
		return nil, err
	}
	b := h.db.NewBatch()
	defer b.Close()
	out := make([]model.LevelChange, len(changes))
	seq := h.signs.lastSeq
	for i, c := range changes {
		seq++
		c.Seq = seq
		out[i] = c
		data, err := json.Marshal(c)
		if err != nil {
			return nil, err
		}
		if err := b.Set(seqKey(prefixChange, "", seq), data, nil); err != nil {
			return nil, storageErr(h.dir, "append level change", err)
		}
		if err := b.Set(seqKey(prefixChangeUnit, c.Unit, seq), nil, nil); err != nil {
			return nil, storageErr(h.dir, "append level change", err)
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return nil, storageErr(h.dir, "append level changes", err)
	}
	h.signs.lastSeq = seq
	return out, nil
}

// checkNames refuses unit and indicator names that would break the key
// layout (a NUL byte separates them).
func checkNames(changes []model.LevelChange) error {
	for i, c := range changes {
		if strings.IndexByte(c.Unit, 0) >= 0 || strings.IndexByte(c.Indicator, 0) >= 0 {
			return model.Errorf(model.EINVALID, "level change %d: unit or indicator contains a NUL byte", i)
		}
	}
	return nil
}

func (h *History) loadLastSeq() error {
	if h.signs.loaded {
		return nil
	}
	it, err := h.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixChange}, UpperBound: []byte{prefixChange + 1}})
	if err != nil {
		return storageErr(h.dir, "load level-change sequence", err)
	}
	defer it.Close()
	if it.Last() {
		h.signs.lastSeq = int64(binary.BigEndian.Uint64(it.Key()[1:]))
	}
	h.signs.loaded = true
	return it.Error()
}

// seqKey is prefix | [unit 0x00] | seq.
func seqKey(prefix byte, unit string, seq int64) []byte {
	k := make([]byte, 0, 1+len(unit)+1+8)
	k = append(k, prefix)
	if prefix == prefixChangeUnit {
		k = append(k, unit...)
		k = append(k, 0)
	}
	return binary.BigEndian.AppendUint64(k, uint64(seq))
}

// LevelChanges lists changes in Seq order. With a unit it walks that
// unit's index; otherwise all changes.
func (h *History) LevelChanges(ctx context.Context, f store.LevelChangeFilter) ([]model.LevelChange, error) {
	if err := h.usable(ctx); err != nil {
		return nil, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = defaultChangeLimit
	}
	prefix := []byte{prefixChange}
	if f.Unit != "" {
		prefix = append([]byte{prefixChangeUnit}, f.Unit...)
		prefix = append(prefix, 0)
	}
	lower := binary.BigEndian.AppendUint64(bytes.Clone(prefix), uint64(f.AfterSeq+1))
	it, err := h.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return nil, storageErr(h.dir, "list level changes", err)
	}
	defer it.Close()
	var out []model.LevelChange
	for ok := it.First(); ok && len(out) < limit; ok = it.Next() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c, err := h.changeAt(it, f.Unit != "")
		if err != nil {
			return nil, err
		}
		if matches(c, f) {
			out = append(out, c)
		}
	}
	return out, it.Error()
}

func (h *History) changeAt(it *pebble.Iterator, viaIndex bool) (model.LevelChange, error) {
	var c model.LevelChange
	data := it.Value()
	if viaIndex {
		key := it.Key()
		seq := int64(binary.BigEndian.Uint64(key[len(key)-8:]))
		v, closer, err := h.db.Get(seqKey(prefixChange, "", seq))
		if err != nil {
			return c, storageErr(h.dir, "read level change", err)
		}
		defer closer.Close()
		data = v
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return c, storageErr(h.dir, "decode level change", errCorruptRecord)
	}
	return c, nil
}

func matches(c model.LevelChange, f store.LevelChangeFilter) bool {
	return (f.Indicator == "" || c.Indicator == f.Indicator) &&
		c.Time >= f.From && (f.To == 0 || c.Time < f.To)
}

// prefixEnd is the smallest key greater than every key with the prefix.
func prefixEnd(prefix []byte) []byte {
	end := bytes.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

func valuePrefix(unit, indicator string) []byte {
	k := make([]byte, 0, 3+len(unit)+len(indicator)+8)
	k = append(k, prefixValue)
	k = append(k, unit...)
	k = append(k, 0)
	k = append(k, indicator...)
	return append(k, 0)
}

// AppendIndicatorValues stores values in one batch. They are derived data
// (a replay can recompute them), so the batch is not synced.
func (h *History) AppendIndicatorValues(ctx context.Context, values []model.IndicatorValue) error {
	if err := h.usable(ctx); err != nil {
		return err
	}
	b := h.db.NewBatch()
	defer b.Close()
	var val [9]byte
	for i, v := range values {
		if strings.IndexByte(v.Unit, 0) >= 0 || strings.IndexByte(v.Indicator, 0) >= 0 {
			return model.Errorf(model.EINVALID, "indicator value %d: unit or indicator contains a NUL byte", i)
		}
		key := binary.BigEndian.AppendUint64(valuePrefix(v.Unit, v.Indicator), encodeTime(v.Time))
		binary.BigEndian.PutUint64(val[:8], math.Float64bits(v.Value))
		val[8] = byte(v.Level)
		if err := b.Set(key, val[:], nil); err != nil {
			return storageErr(h.dir, "append indicator values", err)
		}
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return storageErr(h.dir, "append indicator values", err)
	}
	return nil
}

// IndicatorValues reads one series in time order.
func (h *History) IndicatorValues(ctx context.Context, unit, indicator string, from, to int64, limit int) ([]model.IndicatorValue, error) {
	if err := h.usable(ctx); err != nil {
		return nil, err
	}
	if from >= to {
		return nil, nil
	}
	p := valuePrefix(unit, indicator)
	it, err := h.db.NewIter(&pebble.IterOptions{
		LowerBound: binary.BigEndian.AppendUint64(bytes.Clone(p), encodeTime(from)),
		UpperBound: binary.BigEndian.AppendUint64(bytes.Clone(p), encodeTime(to)),
	})
	if err != nil {
		return nil, storageErr(h.dir, "read indicator values", err)
	}
	defer it.Close()
	var out []model.IndicatorValue
	for ok := it.First(); ok && (limit <= 0 || len(out) < limit); ok = it.Next() {
		k, v := it.Key(), it.Value()
		if len(v) != 9 || len(k) < len(p)+8 {
			return nil, storageErr(h.dir, "read indicator values", errCorruptRecord)
		}
		out = append(out, model.IndicatorValue{
			Time: decodeTime(binary.BigEndian.Uint64(k[len(k)-8:])), Unit: unit, Indicator: indicator,
			Value: math.Float64frombits(binary.BigEndian.Uint64(v[:8])), Level: int8(v[8]),
		})
	}
	return out, it.Error()
}
