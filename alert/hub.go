package alert

import "sync"

// Hub fans alert events out to live subscribers (the dashboard's SSE
// stream). It keeps no history: a subscriber loads the current alerts
// from the store, then follows the hub. A subscriber that falls too far
// behind is cut off and reconnects.
type Hub struct {
	mu   sync.Mutex
	subs map[chan Event]struct{}
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{subs: map[chan Event]struct{}{}} }

const hubBuffer = 256

// Subscribe returns a channel of events and a function that ends the
// subscription. The channel is closed when the subscriber is cut off.
func (h *Hub) Subscribe() (<-chan Event, func()) {
	ch := make(chan Event, hubBuffer)
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
func (h *Hub) Publish(e Event) {
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
