// Package fanout hands live events to subscribers (the dashboard's SSE
// streams) without ever blocking the publisher. It keeps no history: a
// subscriber loads the current state from a store, then follows. One that
// falls too far behind is cut off and reconnects.
package fanout

import "sync"

// Hub fans events of type T out to subscribers.
type Hub[T any] struct {
	mu   sync.Mutex
	subs map[chan T]struct{}
}

// New returns an empty hub.
func New[T any]() *Hub[T] { return &Hub[T]{subs: map[chan T]struct{}{}} }

const buffer = 256

// Subscribe returns a channel of events and a function that ends the
// subscription. The channel is closed when the subscriber is cut off.
func (h *Hub[T]) Subscribe() (<-chan T, func()) {
	ch := make(chan T, buffer)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, ok := h.subs[ch]; ok {
			delete(h.subs, ch)
			close(ch)
		}
	}
}

// Publish hands e to every subscriber without waiting for any.
func (h *Hub[T]) Publish(e T) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- e:
		default:
			delete(h.subs, ch)
			close(ch)
		}
	}
}
