package cap_test

import (
	"testing"

	"cityvitals/notify/cap"
)

// BenchmarkRender measures one bilingual document over a real district:
// Huangpu (145 points, kept as is) and Qingpu (1,205 points, simplified to
// MaxAreaPoints).
func BenchmarkRender(b *testing.B) {
	for _, code := range []string{"310101", "310118"} {
		d := loadDistrict(b, code)
		w := redGasLeak(b)
		w.Area.Geometry = d.geometry
		b.Run(code, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := cap.Render(w); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFeed measures an index of 500 entries.
func BenchmarkFeed(b *testing.B) {
	a, err := cap.Build(blueRainstorm(b))
	if err != nil {
		b.Fatal(err)
	}
	entry, err := cap.EntryFor(a, "https://cityvitals.example.cn/cap/x.xml")
	if err != nil {
		b.Fatal(err)
	}
	entries := make([]cap.Entry, 500)
	for i := range entries {
		entries[i] = entry
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cap.Feed("CityVitals", feedURL, entries); err != nil {
			b.Fatal(err)
		}
	}
}
