package vitals

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"cityvitals/model"
	"cityvitals/store"
)

// Feed stores level changes and broadcasts them in Seq order. Publish may
// be called from any goroutine; Run does the writing.
type Feed struct {
	store store.Signs
	log   *slog.Logger
	in    chan model.LevelChange

	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	closed bool
}

type subscriber struct {
	ch chan model.LevelChange
}

// subscriberBuffer is how far a subscriber may fall behind before it is
// cut off; it then reconnects and reads the gap from the store.
const subscriberBuffer = 1024

// maxWriteBatch bounds the changes stored in one synced batch.
const maxWriteBatch = 512

// NewFeed returns a Feed writing to st. queue bounds the changes waiting
// to be stored; Publish blocks when it is full, so changes are never
// dropped (the engine slows instead).
func NewFeed(st store.Signs, queue int, log *slog.Logger) *Feed {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Feed{store: st, log: log, in: make(chan model.LevelChange, max(queue, 1)), subs: map[*subscriber]struct{}{}}
}

// Publish queues a change for storing and broadcasting. It blocks while
// the queue is full and returns false once ctx ends.
func (f *Feed) Publish(ctx context.Context, c model.LevelChange) bool {
	select {
	case f.in <- c:
		return true
	case <-ctx.Done():
		return false
	}
}

// Run stores queued changes in batches and broadcasts each batch after it
// is durable, until ctx ends; then it stores what is queued and returns.
func (f *Feed) Run(ctx context.Context) error {
	defer f.closeSubscribers()
	batch := make([]model.LevelChange, 0, maxWriteBatch)
	for {
		select {
		case c := <-f.in:
			batch = append(batch[:0], c)
		case <-ctx.Done():
			return f.drain(batch[:0])
		}
		batch = f.fill(batch)
		if err := f.commit(context.WithoutCancel(ctx), batch); err != nil {
			return err
		}
	}
}

// fill takes whatever else is queued, up to the batch limit.
func (f *Feed) fill(batch []model.LevelChange) []model.LevelChange {
	for len(batch) < maxWriteBatch {
		select {
		case c := <-f.in:
			batch = append(batch, c)
		default:
			return batch
		}
	}
	return batch
}

func (f *Feed) drain(batch []model.LevelChange) error {
	for {
		batch = f.fill(batch[:0])
		if len(batch) == 0 {
			return nil
		}
		if err := f.commit(context.Background(), batch); err != nil {
			return err
		}
	}
}

func (f *Feed) commit(ctx context.Context, batch []model.LevelChange) error {
	stored, err := f.store.AppendLevelChanges(ctx, batch)
	if err != nil {
		return fmt.Errorf("store level changes: %w", err)
	}
	f.broadcast(stored)
	return nil
}

func (f *Feed) broadcast(changes []model.LevelChange) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for s := range f.subs {
		if !s.send(changes) {
			// Too far behind: cut it off; it resumes from the store.
			close(s.ch)
			delete(f.subs, s)
			f.log.Info("level-change subscriber fell behind and was disconnected")
		}
	}
}

// send delivers every change or reports that the buffer is full.
func (s *subscriber) send(changes []model.LevelChange) bool {
	for _, c := range changes {
		select {
		case s.ch <- c:
		default:
			return false
		}
	}
	return true
}

func (f *Feed) closeSubscribers() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for s := range f.subs {
		close(s.ch)
		delete(f.subs, s)
	}
	f.closed = true
}

// Subscription is a live view of the feed from a given Seq on.
type Subscription struct {
	// Backlog holds the stored changes after the requested Seq, oldest
	// first; read it before C.
	Backlog []model.LevelChange
	// C delivers later changes in Seq order. It is closed when the
	// subscriber fell too far behind or the feed stopped: reconnect with
	// the last Seq seen.
	C      <-chan model.LevelChange
	cancel func()
}

// Close ends the subscription.
func (s *Subscription) Close() { s.cancel() }

// Subscribe returns the changes stored after afterSeq and a channel of
// the ones to come, with no gap and no repeat between them.
func (f *Feed) Subscribe(ctx context.Context, afterSeq int64, backlogLimit int) (*Subscription, error) {
	s, done, cancel, err := f.register()
	if err != nil {
		return nil, err
	}
	backlog, err := f.store.LevelChanges(ctx, store.LevelChangeFilter{AfterSeq: afterSeq, Limit: backlogLimit})
	if err != nil {
		cancel()
		return nil, err
	}
	last := afterSeq
	if n := len(backlog); n > 0 {
		last = backlog[n-1].Seq
	}
	return &Subscription{Backlog: backlog, C: skipThrough(s.ch, done, last), cancel: cancel}, nil
}

// SubscribeNow follows the changes broadcast from now on, without the
// stored ones: for a client that loads the present state itself and
// only needs what changes next.
func (f *Feed) SubscribeNow() (*Subscription, error) {
	s, done, cancel, err := f.register()
	if err != nil {
		return nil, err
	}
	return &Subscription{C: skipThrough(s.ch, done, 0), cancel: cancel}, nil
}

// register adds a subscriber; cancel removes it and closes its channel.
func (f *Feed) register() (s *subscriber, done chan struct{}, cancel func(), err error) {
	s = &subscriber{ch: make(chan model.LevelChange, subscriberBuffer)}
	done = make(chan struct{})
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil, nil, nil, model.Errorf(model.EOVERLOADED, "the level-change feed is shutting down")
	}
	f.subs[s] = struct{}{}
	f.mu.Unlock()
	var once sync.Once
	cancel = func() {
		once.Do(func() {
			close(done)
			f.mu.Lock()
			defer f.mu.Unlock()
			if _, ok := f.subs[s]; ok {
				delete(f.subs, s)
				close(s.ch)
			}
		})
	}
	return s, done, cancel, nil
}

// skipThrough drops changes already in the backlog (subscribed before the
// backlog was read, so they may arrive on both).
func skipThrough(in <-chan model.LevelChange, done <-chan struct{}, last int64) <-chan model.LevelChange {
	out := make(chan model.LevelChange)
	go func() {
		defer close(out)
		for c := range in {
			if c.Seq <= last {
				continue
			}
			select {
			case out <- c:
			case <-done:
				return
			}
		}
	}()
	return out
}
