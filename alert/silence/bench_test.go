package silence_test

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkSilencerMutes measures one mute decision against 200 active
// silences, one per unit, of which the alert's unit has one.
func BenchmarkSilencerMutes(b *testing.B) {
	f := newFixture(b)
	for i := range 200 {
		if _, err := f.service.Create(b.Context(), gasWorks(fmt.Sprintf("3101%05d", i))); err != nil {
			b.Fatal(err)
		}
	}
	muted, free := gasAlert("310100199"), gasAlert("310199999")
	at := t0.Add(time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		if !f.silencer.Mutes(muted, at) || f.silencer.Mutes(free, at) {
			b.Fatal("wrong decision")
		}
	}
}
