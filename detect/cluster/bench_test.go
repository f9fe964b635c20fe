package cluster_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"cityvitals/detect/cluster"
)

// shanghaiSignals makes n signals over Shanghai (lon 121.0–121.9, lat
// 30.7–31.5), one every gap in event time: half gas-sensor alarms that
// end 1–20 minutes later (the end is a signal too), half waterlogging
// reports in 1,800 units of about 2 × 2 km. A share hot of the points
// fall within 300 m of one of 50 hotspots, where clusters form and merge.
func shanghaiSignals(n int, gap time.Duration, hot float64) []cluster.Signal {
	rng := rand.New(rand.NewPCG(1, 2))
	type spot struct{ lon, lat float64 }
	hotspots := make([]spot, 50)
	for i := range hotspots {
		hotspots[i] = spot{121 + rng.Float64()*0.9, 30.7 + rng.Float64()*0.8}
	}
	point := func() (lon, lat float64, unit string) {
		lon, lat = 121+rng.Float64()*0.9, 30.7+rng.Float64()*0.8
		if rng.Float64() < hot {
			h := hotspots[rng.IntN(len(hotspots))]
			lon, lat = h.lon+(rng.Float64()-0.5)*0.006, h.lat+(rng.Float64()-0.5)*0.006
		}
		return lon, lat, fmt.Sprintf("u%d_%d", int((lon-121)*50), int((lat-30.7)*50))
	}
	var out []cluster.Signal
	for i := 0; len(out) < n; i++ {
		at := t0 + int64(i)*gap.Milliseconds()
		lon, lat, unit := point()
		if i%2 == 0 {
			out = append(out, cluster.FromReport(fmt.Sprint(i), "waterlogging", unit, lon, lat, at))
			continue
		}
		on := cluster.Signal{Key: fmt.Sprintf("stream:%d", i), Kind: "gas_leak", Unit: unit, Lon: lon, Lat: lat, At: at, Level: 2, Active: true}
		out = append(out, on, ended(on, at+(1+rng.Int64N(20))*minute))
	}
	out = out[:n]
	slices.SortStableFunc(out, func(a, b cluster.Signal) int { return int(a.At - b.At) })
	return out
}

// BenchmarkObserve feeds 100,000 signals through a fresh detector with
// the default patterns, advancing the clock and draining every 1,000
// signals as the engine would per batch. ns/signal is the figure to read;
// cpu-ns/signal is the process's CPU time (GC included) per signal, the
// steadier figure on a shared machine.
//
// "day" spreads them over 24 hours (about 4,000 live members at a time);
// "storm" packs them into under 3 hours, ten a second, so that about
// 18,000 reports are live in the waterlogging window and, linked by
// radius and unit, percolate into a cluster spanning the city whose
// every change must be searched for splits: the worst case, not the
// usual one. "hot" puts 30 % of the points in 50 hotspots.
func BenchmarkObserve(b *testing.B) {
	for _, sc := range []struct {
		name string
		gap  time.Duration
		hot  float64
	}{
		{"day", 864 * time.Millisecond, 0},
		{"day_hot", 864 * time.Millisecond, 0.3},
		{"storm", 100 * time.Millisecond, 0},
		{"storm_hot", 100 * time.Millisecond, 0.3},
	} {
		b.Run(sc.name, func(b *testing.B) {
			signals := shanghaiSignals(100_000, sc.gap, sc.hot)
			end := signals[len(signals)-1].At + 2*time.Hour.Milliseconds()
			findings := 0
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				d, err := cluster.New(cluster.DefaultPatterns(), nil)
				if err != nil {
					b.Fatal(err)
				}
				findings = 0
				for i, s := range signals {
					if err := d.Observe(s); err != nil {
						b.Fatal(err)
					}
					if i%1000 == 999 {
						d.Advance(s.At)
						findings += len(d.Drain())
					}
				}
				d.Advance(end)
				findings += len(d.Drain())
			}
			cpu = cpuTime() - cpu
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(signals)), "ns/signal")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*len(signals)), "cpu-ns/signal")
			b.ReportMetric(float64(findings), "findings")
		})
	}
}
