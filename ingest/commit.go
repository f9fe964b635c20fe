package ingest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"cityvitals/model"
)

// request is one caller's observations waiting for a group commit.
type request struct {
	obs     []model.Observation
	counter prometheus.Counter // observations_total of the caller's transport
	done    chan error         // receives the commit's outcome exactly once
}

// commitQueue holds requests between the callers that enqueue them and the
// commit workers that write them. It is bounded in observations accepted
// but not yet durable, which bounds memory whatever the request rate.
type commitQueue struct {
	mu       sync.Mutex
	pending  []*request
	inflight int  // observations queued or being written
	capacity int  // bound on inflight
	closed   bool // refuses new requests; workers drain and exit
	seq      uint64

	hasWork chan struct{} // capacity 1: wakes one idle worker
	stopped chan struct{} // closed with the queue: wakes every worker
	room    chan struct{} // closed and replaced whenever inflight drops

	drainRate float64 // observations per second of the last commit, for retry hints
	depth     prometheus.Gauge
}

func newCommitQueue(capacity int, depth prometheus.Gauge) *commitQueue {
	return &commitQueue{
		capacity: capacity,
		hasWork:  make(chan struct{}, 1),
		stopped:  make(chan struct{}),
		room:     make(chan struct{}),
		depth:    depth,
	}
}

// isFull reports whether no observation fits right now, so that a sender
// can be turned away before its body is even decoded.
func (q *commitQueue) isFull() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.inflight >= q.capacity
}

// tryPut queues r if it fits. Otherwise it returns the channel that is
// closed when room may have become available.
func (q *commitQueue) tryPut(r *request) (queued bool, room <-chan struct{}, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false, nil, errStopped()
	}
	if q.inflight+len(r.obs) > q.capacity {
		return false, q.room, nil
	}
	q.pending = append(q.pending, r)
	q.inflight += len(r.obs)
	q.depth.Set(float64(q.inflight))
	q.wake()
	return true, nil, nil
}

func (q *commitQueue) wake() {
	select {
	case q.hasWork <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// retryAfter estimates how long the queue needs to drain, from the rate of
// the last commit, within sane bounds.
func (q *commitQueue) retryAfter() time.Duration {
	q.mu.Lock()
	defer q.mu.Unlock()
	const floor, ceiling, unknown = 100 * time.Millisecond, 30 * time.Second, time.Second
	if q.drainRate <= 0 {
		return unknown
	}
	d := time.Duration(float64(q.inflight) / q.drainRate * float64(time.Second))
	return min(max(d, floor), ceiling)
}

// take removes the oldest requests, at least one and otherwise no more
// than max observations in all, and numbers the commit they form.
func (q *commitQueue) take(max int) ([]*request, uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n, total := 0, 0
	for n < len(q.pending) && (n == 0 || total+len(q.pending[n].obs) <= max) {
		total += len(q.pending[n].obs)
		n++
	}
	if n == 0 {
		return nil, 0
	}
	taken := make([]*request, n)
	copy(taken, q.pending)
	q.pending = q.pending[:copy(q.pending, q.pending[n:])]
	if len(q.pending) > 0 {
		q.wake() // let another worker start on the rest
	}
	q.seq++
	return taken, q.seq
}

// release accounts for n observations that left the queue (written or
// failed) after a commit that took elapsed.
func (q *commitQueue) release(n int, elapsed time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.inflight -= n
	q.depth.Set(float64(q.inflight))
	if elapsed > 0 {
		q.drainRate = float64(n) / elapsed.Seconds()
	}
	close(q.room)
	q.room = make(chan struct{})
}

// close refuses further requests and wakes every worker and every caller
// waiting for room. Requests already queued stay for the workers to drain.
func (q *commitQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	q.closed = true
	close(q.stopped)
	close(q.room)
	q.room = make(chan struct{})
}

// drained reports whether the queue is closed and empty: a worker's cue to exit.
func (q *commitQueue) drained() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed && len(q.pending) == 0
}

// failPending answers every queued request with err. Used when the service
// stops without its commit loop ever having run.
func (q *commitQueue) failPending(err error) {
	q.mu.Lock()
	pending := q.pending
	q.pending = nil
	q.mu.Unlock()
	for _, r := range pending {
		r.done <- err
	}
}

// sequencer lets commits that finish out of order notify observers in the
// order they were taken from the queue.
type sequencer struct {
	mu   sync.Mutex
	cond *sync.Cond
	next uint64 // the commit whose turn it is
}

func newSequencer() *sequencer {
	s := &sequencer{next: 1}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// await blocks until it is commit seq's turn.
func (s *sequencer) await(seq uint64) {
	s.mu.Lock()
	for s.next != seq {
		s.cond.Wait()
	}
	s.mu.Unlock()
}

// done passes the turn to commit seq+1.
func (s *sequencer) done() {
	s.mu.Lock()
	s.next++
	s.mu.Unlock()
	s.cond.Broadcast()
}

// commitWorker writes batches until the queue is closed and drained. ctx
// is not cancelled at shutdown: accepted observations must still be
// written while the service drains.
func (s *Service) commitWorker(ctx context.Context) {
	var buf []model.Observation
	for {
		reqs, seq := s.queue.take(s.cfg.MaxCommitObservations)
		if len(reqs) == 0 {
			if s.queue.drained() {
				return
			}
			select {
			case <-s.queue.hasWork:
			case <-s.queue.stopped:
			}
			continue
		}
		buf = s.commit(ctx, reqs, seq, buf[:0])
	}
}

// commit writes the requests' observations with one History.Write, tells
// the observers, then answers every request with the outcome. It returns
// buf for reuse.
func (s *Service) commit(ctx context.Context, reqs []*request, seq uint64, buf []model.Observation) []model.Observation {
	obs := reqs[0].obs
	if len(reqs) > 1 {
		for _, r := range reqs {
			buf = append(buf, r.obs...)
		}
		obs = buf
	}
	start := time.Now()
	err := s.history.Write(ctx, obs)
	elapsed := time.Since(start)
	s.metrics.commitSeconds.Observe(elapsed.Seconds())
	s.metrics.batchSize.Observe(float64(len(obs)))
	if err != nil {
		err = fmt.Errorf("commit %d observations: %w", len(obs), err)
	}

	s.sequencer.await(seq)
	if err == nil {
		s.notify(obs)
	}
	s.sequencer.done()

	s.queue.release(len(obs), elapsed)
	for _, r := range reqs {
		if err == nil {
			r.counter.Add(float64(len(r.obs)))
		}
		r.done <- err
	}
	return buf
}
