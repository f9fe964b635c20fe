package obsimport

import (
	"context"
	"fmt"

	"cityvitals/model"
)

// Streams finds or creates the datastream a spec describes and returns its
// id. Ensure must be idempotent on spec.Key: importing the same files
// again finds the same streams.
type Streams interface {
	Ensure(ctx context.Context, spec StreamSpec) (id int64, err error)
}

// Sink stores a batch of observations; they are durable when it returns
// nil. The Sink owns the slice it is given.
type Sink func(ctx context.Context, obs []model.Observation) error

// DefaultBatchSize is the number of observations per Sink call unless
// Importer.BatchSize says otherwise.
const DefaultBatchSize = 10_000

// Importer loads CSV files into datastreams. Build it with its fields
// set; it holds no state between runs, and one Importer may run several
// imports one after another (not concurrently, unless Streams and Sink
// allow it).
type Importer struct {
	Mapping   *Mapping
	Streams   Streams
	Sink      Sink
	BatchSize int // observations per Sink call; <= 0 means DefaultBatchSize
}

// Run reads the files through the mapping (see Mapping.Read), ensures
// each stream once, and hands observations to the Sink in batches. When
// Run returns nil, every accepted observation is durable. On error the
// Summary says how far it got; the batches already sunk stay stored, and
// running the import again is safe because a stream keeps its key and a
// second observation at the same time replaces the first.
func (im *Importer) Run(ctx context.Context, paths []string, progress func(Progress)) (Summary, error) {
	size := im.BatchSize
	if size <= 0 {
		size = DefaultBatchSize
	}
	ids := map[*StreamSpec]int64{}
	batch := make([]model.Observation, 0, size)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := im.Sink(ctx, batch); err != nil {
			return fmt.Errorf("store %d observations: %w", len(batch), err)
		}
		batch = make([]model.Observation, 0, size)
		return nil
	}
	visit := func(rec *Record) error {
		for _, r := range rec.Readings {
			id, ok := ids[r.Stream]
			if !ok {
				var err error
				if id, err = im.Streams.Ensure(ctx, *r.Stream); err != nil {
					return fmt.Errorf("ensure stream %s: %w", r.Stream.Key, err)
				}
				ids[r.Stream] = id
			}
			batch = append(batch, model.Observation{Stream: id, Time: rec.Time, Value: r.Value})
			if len(batch) == size {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		return nil
	}
	sum, err := im.Mapping.Read(ctx, paths, visit, progress)
	if err != nil {
		return sum, err
	}
	return sum, flush()
}
