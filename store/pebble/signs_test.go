package pebblestore_test

import (
	"context"
	"testing"

	"cityvitals/model"
	"cityvitals/store"
	pebblestore "cityvitals/store/pebble"
)

func TestLevelChangesAndValuesRoundTripAndSurviveReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	h, err := pebblestore.Open(dir, pebblestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	in := []model.LevelChange{
		{Time: 1000, Unit: "310101", Indicator: "gas.leak", From: 0, To: 2, Value: 22, Threshold: 20, WindowMs: 600000},
		{Time: 2000, Unit: "310115", Indicator: "gas.leak", From: 0, To: 1, Value: 11, Threshold: 10},
		{Time: 3000, Unit: "310101", Indicator: "env.aqi", From: -1, To: 3, Value: 210, Threshold: 200},
	}
	stored, err := h.AppendLevelChanges(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range stored {
		if c.Seq != int64(i+1) {
			t.Fatalf("seq %d = %d, want %d", i, c.Seq, i+1)
		}
	}
	if err := h.AppendIndicatorValues(ctx, []model.IndicatorValue{
		{Time: 60_000, Unit: "310101", Indicator: "gas.leak", Value: 5, Level: 0},
		{Time: 120_000, Unit: "310101", Indicator: "gas.leak", Value: 22, Level: 2},
		{Time: 120_000, Unit: "310101", Indicator: "gas.leak.count", Value: 3, Level: 0},
	}); err != nil {
		t.Fatal(err)
	}
	h.Close()
	if h, err = pebblestore.Open(dir, pebblestore.Options{}); err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	more, err := h.AppendLevelChanges(ctx, []model.LevelChange{{Time: 4000, Unit: "310101", Indicator: "gas.leak", From: 2, To: 0}})
	if err != nil || more[0].Seq != 4 {
		t.Fatalf("after reopen the next seq is %v (%v), want 4", more, err)
	}
	cases := []struct {
		name string
		f    store.LevelChangeFilter
		want []int64
	}{
		{"all", store.LevelChangeFilter{}, []int64{1, 2, 3, 4}},
		{"after", store.LevelChangeFilter{AfterSeq: 2}, []int64{3, 4}},
		{"unit", store.LevelChangeFilter{Unit: "310101"}, []int64{1, 3, 4}},
		{"unit and indicator", store.LevelChangeFilter{Unit: "310101", Indicator: "gas.leak"}, []int64{1, 4}},
		{"time", store.LevelChangeFilter{From: 2000, To: 4000}, []int64{2, 3}},
		{"limit", store.LevelChangeFilter{Limit: 1, AfterSeq: 1}, []int64{2}},
		{"unknown unit", store.LevelChangeFilter{Unit: "3101"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := h.LevelChanges(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var seqs []int64
			for _, c := range got {
				seqs = append(seqs, c.Seq)
			}
			if len(seqs) != len(tc.want) {
				t.Fatalf("seqs = %v, want %v", seqs, tc.want)
			}
			for i := range seqs {
				if seqs[i] != tc.want[i] {
					t.Fatalf("seqs = %v, want %v", seqs, tc.want)
				}
			}
		})
	}
	vals, err := h.IndicatorValues(ctx, "310101", "gas.leak", 0, 1<<40, 0)
	if err != nil || len(vals) != 2 || vals[1].Value != 22 || vals[1].Level != 2 {
		t.Fatalf("values = %+v, %v; want the two gas.leak values (not gas.leak.count's)", vals, err)
	}
	if _, err := h.AppendLevelChanges(ctx, []model.LevelChange{{Unit: "a\x00b"}}); model.ErrorCode(err) != model.EINVALID {
		t.Fatalf("NUL in a unit: err = %v, want EINVALID", err)
	}
}
