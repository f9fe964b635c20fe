package engine

import (
	"sync"
	"time"

	"cityvitals/model"
)

// batchQueue carries batches from Observe (the ingest commit loop) to the
// processing goroutine. It is bounded softly: a producer that finds it
// full waits up to maxBlock for the consumer to take the queue, then
// enqueues anyway, because dropping an accepted observation would make the
// live signs differ from a replay of the stored history.
type batchQueue struct {
	limit    int
	maxBlock time.Duration

	mu      sync.Mutex
	batches [][]model.Observation
	room    chan struct{} // closed when the consumer takes the queue

	wake chan struct{} // capacity 1: "there is work"
}

func newBatchQueue(limit int, maxBlock time.Duration) *batchQueue {
	return &batchQueue{
		limit:    limit,
		maxBlock: maxBlock,
		room:     make(chan struct{}),
		wake:     make(chan struct{}, 1),
	}
}

// push appends batch and reports whether it went past the bound.
func (q *batchQueue) push(batch []model.Observation) (overflowed bool) {
	q.mu.Lock()
	if q.limit > 0 && len(q.batches) >= q.limit {
		q.waitForRoom()
		overflowed = len(q.batches) >= q.limit
	}
	q.batches = append(q.batches, batch)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return overflowed
}

// waitForRoom is called with mu held and returns with it held.
func (q *batchQueue) waitForRoom() {
	timer := time.NewTimer(q.maxBlock)
	defer timer.Stop()
	for len(q.batches) >= q.limit {
		room := q.room
		q.mu.Unlock()
		select {
		case <-room:
			q.mu.Lock()
		case <-timer.C:
			q.mu.Lock()
			return
		}
	}
}

// takeAll removes and returns every queued batch, oldest first.
func (q *batchQueue) takeAll() [][]model.Observation {
	q.mu.Lock()
	defer q.mu.Unlock()
	taken := q.batches
	q.batches = nil
	close(q.room)
	q.room = make(chan struct{})
	return taken
}

func (q *batchQueue) ready() <-chan struct{} { return q.wake }

func (q *batchQueue) depth() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.batches)
}
