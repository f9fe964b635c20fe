package pebblestore_test

import (
	"path/filepath"
	"strings"
	"testing"

	"cityvitals/store"
	pebblestore "cityvitals/store/pebble"
	"cityvitals/store/storetest"
)

// TestHistoryContract runs the shared History suite with the default
// one-hour roll-ups and with five-minute roll-ups, so that the suite's
// steps hit both "multiple of the roll-up step" and "not a multiple".
func TestHistoryContract(t *testing.T) {
	for _, tc := range []struct {
		name       string
		rollupStep int64
	}{
		{"hourly rollups", 0},
		{"five-minute rollups", 5 * 60_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			storetest.History(t, func(t *testing.T) store.History {
				// One directory per test name, so that opening again for the
				// same test reopens the same data.
				dir := filepath.Join(base, strings.ReplaceAll(t.Name(), "/", "_"))
				h, err := pebblestore.Open(dir, pebblestore.Options{RollupStep: tc.rollupStep, CacheSize: 8 << 20})
				if err != nil {
					t.Fatal(err)
				}
				return h
			})
		})
	}
}
