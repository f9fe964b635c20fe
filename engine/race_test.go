package engine

import (
	"context"
	"sync"
	"sync/atomic"
)

// startReaders reads the units' signs and the stats in a loop until ctx is
// done, returning how many reads were made.
func startReaders(ctx context.Context, wg *sync.WaitGroup, e *Engine, units ...string) *atomic.Int64 {
	var reads atomic.Int64
	for _, u := range units {
		wg.Go(func() {
			for ctx.Err() == nil {
				if us, ok := e.Signs(u); ok {
					_ = us.Overall
				}
				_ = e.Stats()
				reads.Add(1)
			}
		})
	}
	return &reads
}
