package plan_test

import (
	"testing"

	"cityvitals/model"
	"cityvitals/plan"
)

// BenchmarkMatchAlert is the cost the alert path pays per firing alert
// with the default plans loaded.
func BenchmarkMatchAlert(b *testing.B) {
	f := seeded(b)
	alerts := []model.Alert{
		firing("weather.rainstorm", "310101", 4), // matches
		firing("gas.leak", "g-310101-0042", 3),   // matches
		firing("env.aqi", "310101", 4),           // matches nothing
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		f.svc.MatchAlert(alerts[i%len(alerts)])
	}
}

// BenchmarkActivate measures activating rainstorm-red (8 tasks, so 8
// incidents) and ending it, on SQLite with synced commits. The incident
// service is in memory, so this is the plan side's own cost.
func BenchmarkActivate(b *testing.B) {
	f := seeded(b)
	ctx := b.Context()
	for b.Loop() {
		a, err := f.svc.Activate(ctx, "bench", "rainstorm-red", "310101", "benchmark", "")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.svc.End(ctx, "bench", a.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProgress measures the one-page view of an 8-task activation.
func BenchmarkProgress(b *testing.B) {
	f := seeded(b)
	ctx := b.Context()
	a, err := f.svc.Activate(ctx, "bench", "rainstorm-red", "310101", "benchmark", "")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := f.svc.Progress(ctx, a.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDefaults measures parsing and checking the embedded plans.
func BenchmarkDefaults(b *testing.B) {
	v, err := plan.DefaultVocabulary()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := plan.Defaults(v); err != nil {
			b.Fatal(err)
		}
	}
}
