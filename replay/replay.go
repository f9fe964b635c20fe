package replay

import (
	"cmp"
	"container/heap"
	"context"
	"fmt"
	"slices"
	"time"

	"cityvitals/model"
	"cityvitals/obsimport"
)

// Engine is what replay drives: the live engine.
type Engine interface {
	Observe(batch []model.Observation)
	Flush()
}

// Report is what a replay did.
type Report struct {
	Observations int64   `json:"observations"`
	Streams      int     `json:"streams"`
	Seconds      float64 `json:"seconds"`        // the whole replay, reading included
	EngineSecs   float64 `json:"engine_seconds"` // feeding the engine and flushing it
	LevelChanges int64   `json:"level_changes"`
	Skipped      int64   `json:"skipped"` // broken rows and values of the files, reported by reason
}

// batchSize is how many observations go to the engine per Observe.
const batchSize = 8192

// StreamIDs gives the datastream id for a stream an import row goes to,
// registering it if needed (the same Ensure the import command uses).
type StreamIDs interface {
	Ensure(ctx context.Context, spec obsimport.StreamSpec) (int64, error)
}

// Files reads the files through the mapping, sorts every observation into
// (time, stream) order and feeds them to the engine. Broken rows are
// counted in the summary and skipped; they never stop the replay.
func Files(ctx context.Context, eng Engine, m *obsimport.Mapping, paths []string, ids StreamIDs, progress func(obsimport.Progress)) (Report, obsimport.Summary, error) {
	start := time.Now()
	byStream := map[*obsimport.StreamSpec]int64{}
	var obs []model.Observation
	sum, err := m.Read(ctx, paths, func(r *obsimport.Record) error {
		for _, rd := range r.Readings {
			id, ok := byStream[rd.Stream]
			if !ok {
				var err error
				if id, err = ids.Ensure(ctx, *rd.Stream); err != nil {
					return fmt.Errorf("register stream %s: %w", rd.Stream.Key, err)
				}
				byStream[rd.Stream] = id
			}
			obs = append(obs, model.Observation{Stream: id, Time: r.Time, Value: rd.Value})
		}
		return nil
	}, progress)
	if err != nil {
		return Report{}, sum, err
	}
	slices.SortFunc(obs, byTimeThenStream)
	rep := feed(eng, obs)
	rep.Streams = len(byStream)
	rep.Skipped = sum.SkippedCount()
	rep.Seconds = time.Since(start).Seconds()
	return rep, sum, nil
}

func byTimeThenStream(a, b model.Observation) int {
	return cmp.Or(cmp.Compare(a.Time, b.Time), cmp.Compare(a.Stream, b.Stream))
}

func feed(eng Engine, obs []model.Observation) Report {
	start := time.Now()
	for i := 0; i < len(obs); i += batchSize {
		eng.Observe(obs[i:min(i+batchSize, len(obs))])
	}
	eng.Flush()
	return Report{Observations: int64(len(obs)), EngineSecs: time.Since(start).Seconds()}
}

// Ranger reads one stream's history (store.History satisfies it).
type Ranger interface {
	Range(ctx context.Context, stream int64, from, to int64, limit int) ([]model.Observation, error)
}

// chunk is how many points of one stream are read at a time.
const chunk = 4096

// Store merges the history of the streams in [from, to) into time order
// and feeds it to the engine, reading each stream a chunk at a time so
// memory stays bounded by streams × chunk.
func Store(ctx context.Context, eng Engine, h Ranger, streams []int64, from, to int64) (Report, error) {
	start := time.Now()
	cursors := make(mergeHeap, 0, len(streams))
	for _, id := range streams {
		c := &cursor{stream: id, next: from, to: to}
		if err := c.fill(ctx, h); err != nil {
			return Report{}, err
		}
		if len(c.buf) > 0 {
			cursors = append(cursors, c)
		}
	}
	heap.Init(&cursors)
	rep := Report{Streams: len(streams)}
	batch := make([]model.Observation, 0, batchSize)
	for cursors.Len() > 0 {
		c := cursors[0]
		batch = append(batch, c.buf[0])
		c.buf = c.buf[1:]
		if len(c.buf) == 0 {
			if err := c.fill(ctx, h); err != nil {
				return rep, err
			}
		}
		if len(c.buf) == 0 {
			heap.Pop(&cursors)
		} else {
			heap.Fix(&cursors, 0)
		}
		if len(batch) == batchSize {
			eng.Observe(batch)
			rep.Observations += int64(len(batch))
			batch = batch[:0]
		}
	}
	eng.Observe(batch)
	rep.Observations += int64(len(batch))
	eng.Flush()
	rep.Seconds = time.Since(start).Seconds()
	rep.EngineSecs = rep.Seconds
	return rep, nil
}

// cursor walks one stream's history.
type cursor struct {
	stream   int64
	next, to int64
	buf      []model.Observation
}

func (c *cursor) fill(ctx context.Context, h Ranger) error {
	if c.next >= c.to {
		c.buf = nil
		return nil
	}
	obs, err := h.Range(ctx, c.stream, c.next, c.to, chunk)
	if err != nil {
		return fmt.Errorf("read stream %d: %w", c.stream, err)
	}
	c.buf = obs
	if len(obs) < chunk {
		c.next = c.to
	} else {
		c.next = obs[len(obs)-1].Time + 1
	}
	return nil
}

// mergeHeap orders cursors by their next observation.
type mergeHeap []*cursor

func (m mergeHeap) Len() int           { return len(m) }
func (m mergeHeap) Less(i, j int) bool { return byTimeThenStream(m[i].buf[0], m[j].buf[0]) < 0 }
func (m mergeHeap) Swap(i, j int)      { m[i], m[j] = m[j], m[i] }
func (m *mergeHeap) Push(x any)        { *m = append(*m, x.(*cursor)) }
func (m *mergeHeap) Pop() any {
	old := *m
	c := old[len(old)-1]
	*m = old[:len(old)-1]
	return c
}
