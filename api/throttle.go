package api

import (
	"net"
	"net/http"
	"sync"
	"time"

	"cityvitals/model"
)

// loginThrottle slows password guessing: after maxFails failed logins for
// one name from one address within the window, that pair must wait until
// the window has passed. A success clears the count. Memory is bounded:
// the table is swept of stale entries when it grows.
type loginThrottle struct {
	mu       sync.Mutex
	fails    map[string]*failCount
	maxFails int
	window   time.Duration
	now      func() time.Time
}

type failCount struct {
	n     int
	first time.Time
}

const throttleTableLimit = 100_000

func newLoginThrottle() *loginThrottle {
	return &loginThrottle{fails: map[string]*failCount{}, maxFails: 5, window: 15 * time.Minute, now: time.Now}
}

func throttleKey(r *http.Request, name string) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return host + "|" + name
}

// wait says how long the key must still wait; 0 means go ahead.
func (t *loginThrottle) wait(key string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, ok := t.fails[key]
	if !ok || f.n < t.maxFails {
		return 0
	}
	if left := t.window - t.now().Sub(f.first); left > 0 {
		return left
	}
	delete(t.fails, key)
	return 0
}

func (t *loginThrottle) failed(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if len(t.fails) >= throttleTableLimit {
		t.sweep(now)
	}
	f, ok := t.fails[key]
	if !ok || now.Sub(f.first) > t.window {
		f = &failCount{first: now}
		t.fails[key] = f
	}
	f.n++
}

func (t *loginThrottle) succeeded(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fails, key)
}

// sweep drops entries older than the window; if the table is still full
// (a flood of distinct names), it starts afresh rather than grow.
func (t *loginThrottle) sweep(now time.Time) {
	for k, f := range t.fails {
		if now.Sub(f.first) > t.window {
			delete(t.fails, k)
		}
	}
	if len(t.fails) >= throttleTableLimit {
		clear(t.fails)
	}
}

// throttledError is a too-many-requests error that carries its wait.
type throttledError struct{ wait time.Duration }

func (e *throttledError) Error() string {
	return "too many failed logins; try again in " + e.wait.Round(time.Second).String()
}

func (e *throttledError) Unwrap() error {
	return model.Errorf(model.ETOOMANY, "%s", e.Error())
}
