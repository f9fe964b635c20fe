package inhibit_test

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkInhibitorMutes measures one decision with 5,000 firing alerts
// in 1,000 units under the default rules.
func BenchmarkInhibitorMutes(b *testing.B) {
	in := newDefault(b)
	for u := range 1000 {
		unit := fmt.Sprintf("3101%05d", u)
		for _, ind := range []string{"gas.leak", "gas.pressure_drop", "gas.monitoring", "power.outage.points", "power.transformer"} {
			in.Observe(firing(unit, ind, ind[:3], int8(1+u%4)))
		}
	}
	target := firing("310100003", "gas.leak.manholes", "gas", 2) // unit 3: its gas.leak is red
	at := t0.Add(time.Minute)
	b.ReportAllocs()
	for b.Loop() {
		if !in.Mutes(target, at) {
			b.Fatal("not muted")
		}
	}
}
