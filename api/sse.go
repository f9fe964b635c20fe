package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"cityvitals/model"
)

// keepAliveEvery is how often an idle event stream sends a comment, so
// proxies and browsers keep the connection open.
const keepAliveEvery = 15 * time.Second

// sseWriter writes server-sent events, flushing each.
type sseWriter struct {
	w http.ResponseWriter
	f http.Flusher
}

// startSSE sends the event-stream headers.
func startSSE(w http.ResponseWriter) (*sseWriter, error) {
	f, ok := w.(http.Flusher)
	if !ok {
		return nil, model.Errorf(model.EINTERNAL, "streaming unsupported")
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	f.Flush()
	return &sseWriter{w: w, f: f}, nil
}

// event writes one event; an error means the client has gone.
func (s *sseWriter) event(id, name string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(s.w, "id: %s\nevent: %s\ndata: %s\n\n", id, name, raw); err != nil {
		return err
	}
	s.f.Flush()
	return nil
}

// keepAlive writes a comment line.
func (s *sseWriter) keepAlive() error {
	if _, err := fmt.Fprint(s.w, ": keep-alive\n\n"); err != nil {
		return err
	}
	s.f.Flush()
	return nil
}

// follow streams a live subscription as server-sent events until the
// client leaves or falls behind (then the channel closes and the client
// reloads and follows again). Events the caller may not see are skipped;
// name gives each event its SSE name.
func follow[T any](s *Server, w http.ResponseWriter, r *http.Request, events <-chan T, visible func(T) bool, name func(T) string) {
	out, err := startSSE(w)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	keepAlive := time.NewTicker(keepAliveEvery)
	defer keepAlive.Stop()
	for n := 1; ; n++ {
		select {
		case e, ok := <-events:
			if !ok {
				return
			}
			if visible(e) && out.event(strconv.Itoa(n), name(e), e) != nil {
				return
			}
		case <-keepAlive.C:
			if out.keepAlive() != nil {
				return
			}
		case <-r.Context().Done():
			return
		}
	}
}
