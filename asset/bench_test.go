package asset

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"testing"
)

func benchmarkImport(b *testing.B, path string, importer func(context.Context, *bytes.Reader) (int, error)) {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	items := 0
	for b.Loop() {
		n, err := importer(context.Background(), bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		items += n
	}
	b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "assets/s")
}

func BenchmarkImportGeoJSONHydrants(b *testing.B) {
	benchmarkImport(b, hydrantsPath, func(ctx context.Context, r *bytes.Reader) (int, error) {
		assets, _, err := ImportGeoJSON(ctx, r, Options{Type: "hydrant"})
		return len(assets), err
	})
}

func BenchmarkImportOSMShanghai(b *testing.B) {
	benchmarkImport(b, shanghaiOSMPath, func(ctx context.Context, r *bytes.Reader) (int, error) {
		assets, _, err := ImportOSM(ctx, r, Options{})
		return len(assets), err
	})
}

func BenchmarkImportCSV(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("id,type,name_zh,lon,lat,status,material\n")
	for i := range 10000 {
		buf.WriteString("MH-")
		buf.WriteString(string(rune('a' + i%26)))
		buf.WriteString(strconv.Itoa(i))
		buf.WriteString(",0111,燃气井盖,121.47,31.23,完好,cast iron\n")
	}
	path := b.TempDir() + "/covers.csv"
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	benchmarkImport(b, path, func(ctx context.Context, r *bytes.Reader) (int, error) {
		assets, _, err := ImportCSV(ctx, r, Options{})
		return len(assets), err
	})
}
