package pebblestore

import (
	"fmt"
	"log/slog"
)

// slogLogger routes Pebble's log lines to a *slog.Logger. Pebble's info
// lines (compactions, flushes, WAL recycling) are routine, so they go out
// at debug level.
type slogLogger struct{ log *slog.Logger }

func (l slogLogger) Infof(format string, args ...any) {
	l.log.Debug(fmt.Sprintf(format, args...), "component", "pebble")
}

func (l slogLogger) Errorf(format string, args ...any) {
	l.log.Error(fmt.Sprintf(format, args...), "component", "pebble")
}

// Fatalf is called by Pebble on broken invariants and must not return; we
// log and panic rather than os.Exit so that deferred cleanups and tests
// see what happened.
func (l slogLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.log.Error(msg, "component", "pebble", "fatal", true)
	panic("pebblestore: pebble fatal error: " + msg)
}
