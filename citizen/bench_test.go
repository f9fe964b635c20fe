package citizen_test

import (
	"os"
	"testing"
	"time"

	"cityvitals/citizen"
)

// BenchmarkSubmit measures one Open311-style submission end to end on a
// real SQLite file: validation, duplicate search among the open reports
// around, insert, incident link (two fsynced transactions).
func BenchmarkSubmit(b *testing.B) {
	f := newFixture(b)
	i := 0
	for b.Loop() {
		// A new place every time, 200 m apart along a 20 km column, so the
		// duplicate search looks at real neighbours but finds none.
		lat := metresNorth(squareLat, float64(i%100)*200)
		lon := squareLon + float64(i/100%100)*0.0025
		if _, err := f.svc.Submit(b.Context(), garbageAt(lon, lat, t0.Add(time.Duration(i)*time.Second))); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkImportSF311 imports the 10,000 real SF requests into a fresh
// database per iteration; rows/s is the figure to watch.
func BenchmarkImportSF311(b *testing.B) {
	m, err := citizen.LoadMapping("testdata/sf311.yaml")
	if err != nil {
		b.Fatal(err)
	}
	rows := 0
	for b.Loop() {
		b.StopTimer()
		f := newFixture(b)
		file, err := os.Open(sf311Path)
		if err != nil {
			b.Skip(err)
		}
		b.StartTimer()
		rep, err := f.svc.ImportCSV(b.Context(), file, m, citizen.ImportOptions{KeepOutside: true})
		file.Close()
		if err != nil {
			b.Fatal(err)
		}
		rows += rep.Rows
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
