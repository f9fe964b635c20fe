package engine

import (
	"path/filepath"
	"testing"

	"cityvitals/asset"
	"cityvitals/indicator"
	"cityvitals/property"
)

// loadCatalog parses catalog fixtures from testdata.
func loadCatalog(tb testing.TB, files ...string) *indicator.Catalog {
	tb.Helper()
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = filepath.Join("testdata", f)
	}
	cat, err := indicator.Load(property.Default(), asset.DefaultTypes(), paths...)
	if err != nil {
		tb.Fatalf("load catalog %v: %v", files, err)
	}
	return cat
}

func TestFixturesLoad(t *testing.T) {
	for _, f := range []string{"gas.yaml", "air.yaml"} {
		t.Run(f, func(t *testing.T) {
			if n := len(loadCatalog(t, f).Programs()); n == 0 {
				t.Fatalf("%s: no indicators", f)
			}
		})
	}
}
