package alert

import "cityvitals/internal/fanout"

// Hub fans alert events out to live subscribers (the dashboard's SSE
// stream); see package fanout.
type Hub = fanout.Hub[Event]

// NewHub returns an empty hub.
func NewHub() *Hub { return fanout.New[Event]() }
