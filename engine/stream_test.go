package engine

import (
	"slices"
	"testing"
)

func TestStreamTable(t *testing.T) {
	tests := []struct {
		name string
		ids  []int64
	}{
		{name: "dense from one", ids: []int64{1, 2, 3, 4, 5}},
		{name: "out of order", ids: []int64{9, 3, 700, 1, 42}},
		{name: "negative and huge", ids: []int64{-5, 7, 1 << 40, -1, 0, 1<<40 + 1}},
		{name: "sparse first then covered by growth", ids: func() []int64 {
			ids := []int64{5000, 4000}
			for id := int64(1); id <= 3000; id++ {
				ids = append(ids, id)
			}
			return ids
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var table streamTable
			for _, id := range tt.ids {
				if table.get(id) != nil {
					t.Fatalf("stream %d found before it was put", id)
				}
				table.put(&streamState{id: id})
			}
			for _, id := range tt.ids {
				if st := table.get(id); st == nil || st.id != id {
					t.Fatalf("get(%d) = %v, want the stream put", id, st)
				}
			}
			if st := table.get(123456789); st != nil {
				t.Errorf("get of an id never put = stream %d, want nil", st.id)
			}
			want := slices.Clone(tt.ids)
			slices.Sort(want)
			var got []int64
			for _, st := range table.sorted() {
				got = append(got, st.id)
			}
			if !slices.Equal(got, want) {
				t.Errorf("sorted ids = %v, want %v", got, want)
			}
		})
	}
}
