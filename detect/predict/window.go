package predict

import (
	"encoding/json"
	"fmt"
	"time"

	"cityvitals/detect/forecast"
	"cityvitals/model"
)

// Window is a window a gated warning may state ("within 6 h") and the
// gate that judges a crossing within it.
type Window struct {
	Within time.Duration
	Gate   *forecast.Gate
}

// windowJSON is a Window as configuration files hold it: the window as
// a duration string, so that the file says "6h0m0s", not nanoseconds.
type windowJSON struct {
	Within string         `json:"within"`
	Gate   *forecast.Gate `json:"gate"`
}

// MarshalJSON writes Within as a duration string.
func (w Window) MarshalJSON() ([]byte, error) {
	return json.Marshal(windowJSON{Within: w.Within.String(), Gate: w.Gate})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (w *Window) UnmarshalJSON(b []byte) error {
	var j windowJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	d, err := time.ParseDuration(j.Within)
	if err != nil {
		return model.Errorf(model.EINVALID, "forecast window %q: %s", j.Within, err)
	}
	w.Within, w.Gate = d, j.Gate
	return nil
}

// ParseWindows reads a gated target's windows, shortest first, as
// `cityvitals bench forecast --fit` prints them (a JSON array).
func ParseWindows(b []byte) ([]Window, error) {
	var ws []Window
	if err := json.Unmarshal(b, &ws); err != nil {
		return nil, fmt.Errorf("parse forecast windows: %w", err)
	}
	if len(ws) == 0 {
		return nil, model.Errorf(model.EINVALID, "forecast windows: none given")
	}
	return ws, nil
}

// SetWindows makes ws (shortest first) the windows t's warnings may
// state: the longest becomes its Horizon and Gate, the others its
// Windows.
func (t *Target) SetWindows(ws []Window) {
	last := ws[len(ws)-1]
	t.Horizon, t.Gate, t.Windows = last.Within, last.Gate, ws[:len(ws)-1]
}

// AllWindows is every window t's warnings may state, shortest first,
// its Horizon (with its Gate) last.
func (t Target) AllWindows() []Window {
	return append(append([]Window{}, t.Windows...), Window{Within: t.Horizon, Gate: t.Gate})
}
