package ingest

import (
	"context"
	"errors"
	"slices"
	"sync"

	"cityvitals/model"
	"cityvitals/store"
)

// Writer is the part of store.History that ingest needs.
type Writer interface {
	Write(ctx context.Context, obs []model.Observation) error
}

var _ Writer = store.History(nil)

// Service decodes, resolves and validates batches and commits the accepted
// observations to the history store in group commits.
//
// Its methods are safe for concurrent use. Run must be running for
// Ingest and Submit to complete; Stop (or cancelling Run's context) stops
// accepting new work and drains what was accepted.
type Service struct {
	cfg       Config
	history   Writer
	registry  *Registry
	decoder   decoder
	batches   sync.Pool // *batch, so item slices are reused between requests
	metrics   *metrics
	queue     *commitQueue
	sequencer *sequencer

	observersMu sync.Mutex
	observers   []func([]model.Observation) // replaced, never changed in place

	lifeMu   sync.Mutex
	state    lifeState
	stopOnce sync.Once
	stop     chan struct{} // closed by Stop
	done     chan struct{} // closed when the service has drained
}

// lifeState is where a Service is in its life.
type lifeState uint8

const (
	idle    lifeState = iota // neither Run nor Stop yet
	running                  // Run has started
	stopped                  // Stop came before Run
)

// NewService returns a service writing to history and resolving streams
// through registry. The registry is shared: load it before ingesting and
// keep it current as streams are created elsewhere.
func NewService(history Writer, registry *Registry, cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if history == nil || registry == nil {
		return nil, errors.New("ingest: NewService needs a history writer and a registry")
	}
	cfg = cfg.withDefaults()
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	return &Service{
		cfg:       cfg,
		history:   history,
		registry:  registry,
		decoder:   decoder{maxBodyBytes: cfg.MaxBodyBytes, maxItems: cfg.MaxBatchItems},
		batches:   sync.Pool{New: func() any { return new(batch) }},
		metrics:   m,
		queue:     newCommitQueue(cfg.QueueCapacity, m.queueDepth),
		sequencer: newSequencer(),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}, nil
}

// Ingest decodes body (a JSON array of items or NDJSON), resolves and
// validates every item, and waits until the accepted observations are
// durable. The Result lists the rejected items with their reasons; its
// Accepted count is only non-zero when the error is nil.
//
// Errors: ETOOLARGE for a body or batch over the limits; EINVALID for a
// body that is neither form; EOVERLOADED (see RetryAfter) when the commit
// queue is full or the service is stopping; the history store's error,
// wrapped, when the commit failed (nothing of the batch is acknowledged
// then). If ctx ends while waiting, Ingest returns ctx.Err(), but the
// observations may still be committed: a sender that retries may write
// them twice, which the store absorbs (same stream and time replace).
func (s *Service) Ingest(ctx context.Context, src Source, body []byte) (Result, error) {
	if s.queue.isFull() {
		return Result{}, s.refuse()
	}
	b := s.batches.Get().(*batch)
	defer s.putBatch(b)
	if err := s.decoder.decode(body, b); err != nil {
		return Result{}, err
	}
	obs := s.resolve(ctx, src, b)
	s.metrics.countRejections(&b.rejected)
	res := Result{Rejected: slices.Clone(b.rejected.list)}
	if res.Rejected == nil {
		res.Rejected = []Rejection{} // "rejected": [] on the wire, not null
	}
	slices.SortFunc(res.Rejected, func(a, b Rejection) int { return a.Index - b.Index })
	if len(obs) == 0 {
		return res, nil
	}
	if err := s.enqueueAndWait(ctx, obs, src.Transport, false); err != nil {
		return res, err
	}
	res.Accepted = len(obs)
	return res, nil
}

// maxPooledItems keeps one huge batch from pinning its memory in the pool.
const maxPooledItems = 1 << 16

func (s *Service) putBatch(b *batch) {
	if cap(b.items) > maxPooledItems {
		return
	}
	b.reset()
	s.batches.Put(b)
}

// Submit commits observations that are already resolved and validated
// (file import, replay, benchmarks) and waits until they are durable. It
// copies obs, so the caller may reuse the slice once Submit returns.
// Unlike Ingest it waits for room when the queue is full, since its caller
// is in-process and would only retry.
//
// Errors: ETOOLARGE for more than MaxBatchItems observations; EOVERLOADED
// when the service is stopping; ctx.Err() if ctx ends first (the
// observations may still be committed); the history store's error when
// the commit failed.
func (s *Service) Submit(ctx context.Context, obs []model.Observation) error {
	if len(obs) > s.cfg.MaxBatchItems {
		return model.Errorf(model.ETOOLARGE, "submit of %d observations; the limit is %d per call", len(obs), s.cfg.MaxBatchItems)
	}
	if len(obs) == 0 {
		return nil
	}
	return s.enqueueAndWait(ctx, slices.Clone(obs), "submit", true)
}

// enqueueAndWait queues obs for the commit loop and waits for the outcome.
// With waitForRoom false a full queue is refused at once.
func (s *Service) enqueueAndWait(ctx context.Context, obs []model.Observation, transport string, waitForRoom bool) error {
	r := &request{obs: obs, counter: s.metrics.transportCounter(transport), done: make(chan error, 1)}
	for {
		queued, room, err := s.queue.tryPut(r)
		if err != nil {
			return err
		}
		if queued {
			break
		}
		if !waitForRoom {
			return s.refuse()
		}
		select {
		case <-room:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Service) refuse() error {
	s.metrics.overloaded.Inc()
	return overloaded(s.queue.retryAfter(), "ingest queue is full; retry later")
}

// Subscribe registers fn to be called after every durable commit with the
// committed observations, in commit order, from the commit loop, before
// the senders are acknowledged. fn must be fast (it delays every
// acknowledgement) and must not keep or modify the slice after it returns;
// copy what it needs. Subscribe before Run so that no commit is missed.
func (s *Service) Subscribe(fn func(batch []model.Observation)) {
	s.observersMu.Lock()
	defer s.observersMu.Unlock()
	s.observers = append(slices.Clip(s.observers), fn)
}

func (s *Service) notify(obs []model.Observation) {
	s.observersMu.Lock()
	observers := s.observers
	s.observersMu.Unlock()
	for _, fn := range observers {
		fn(obs)
	}
}

// Run runs the commit loop until ctx ends or Stop is called, then refuses
// new work, drains every accepted request and returns nil. The history
// writes themselves never see ctx's cancellation, so that draining can
// finish. Run may be called once; after Stop it returns nil at once.
func (s *Service) Run(ctx context.Context) error {
	s.lifeMu.Lock()
	state := s.state
	if state == idle {
		s.state = running
	}
	s.lifeMu.Unlock()
	switch state {
	case running:
		return errors.New("ingest: Run called twice")
	case stopped:
		return nil
	}
	defer close(s.done)

	writeCtx := context.WithoutCancel(ctx)
	var workers sync.WaitGroup
	for range s.cfg.CommitWorkers {
		workers.Go(func() { s.commitWorker(writeCtx) })
	}
	select {
	case <-ctx.Done():
	case <-s.stop:
	}
	s.queue.close()
	workers.Wait()
	return nil
}

// Stop refuses new work and waits until everything accepted is durable
// (or failed). It is safe to call more than once and from several
// goroutines. If Run never started, queued requests fail with EOVERLOADED.
func (s *Service) Stop() {
	s.stopOnce.Do(func() { close(s.stop) })
	s.lifeMu.Lock()
	state := s.state
	if state == idle {
		s.state = stopped
	}
	s.lifeMu.Unlock()
	if state != idle {
		<-s.done // Run drains, or an earlier Stop already finished
		return
	}
	s.queue.close()
	s.queue.failPending(errStopped())
	close(s.done)
}
