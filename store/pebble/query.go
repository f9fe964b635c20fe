package pebblestore

import (
	"context"
	"errors"

	"github.com/cockroachdb/pebble/v2"

	"cityvitals/model"
)

// ctxCheckEvery is how many records a scan reads between context checks.
const ctxCheckEvery = 4096

// Range returns the observations of stream with from <= Time < to in time
// order, at most limit of them (limit <= 0: all).
func (h *History) Range(ctx context.Context, stream int64, from, to int64, limit int) ([]model.Observation, error) {
	if err := h.usable(ctx); err != nil {
		return nil, err
	}
	if from >= to {
		return nil, nil
	}
	it, err := h.rawIter(ctx, stream, from, to)
	if err != nil {
		return nil, storageErr(h.dir, "range", err)
	}
	var out []model.Observation
	if limit > 0 {
		out = make([]model.Observation, 0, min(limit, 1024))
	}
	for ok := it.First(); ok && (limit <= 0 || len(out) < limit); ok = it.Next() {
		if len(out)%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, errors.Join(err, it.Close())
			}
		}
		o, err := iterObs(it)
		if err != nil {
			return nil, errors.Join(storageErr(h.dir, "range", err), it.Close())
		}
		out = append(out, o)
	}
	if err := it.Close(); err != nil {
		return nil, storageErr(h.dir, "range", err)
	}
	return out, nil
}

// Latest returns the newest observation of each given stream that has one.
// It reads memory only.
func (h *History) Latest(ctx context.Context, streams []int64) (map[int64]model.Observation, error) {
	if err := h.usable(ctx); err != nil {
		return nil, err
	}
	out := make(map[int64]model.Observation, len(streams))
	for _, s := range streams {
		if o, ok := h.streams.latest(s); ok {
			out[s] = o
		}
	}
	return out, nil
}

// rawIter iterates the raw observations of stream with from <= Time < to.
func (h *History) rawIter(ctx context.Context, stream, from, to int64) (*pebble.Iterator, error) {
	return h.db.NewIterWithContext(ctx, &pebble.IterOptions{
		LowerBound: timeKey(prefixObs, stream, from),
		UpperBound: timeKey(prefixObs, stream, to),
	})
}

// iterObs decodes the observation under a valid iterator.
func iterObs(it *pebble.Iterator) (model.Observation, error) {
	v, err := it.ValueAndErr()
	if err != nil {
		return model.Observation{}, err
	}
	return decodeObs(it.Key(), v)
}
