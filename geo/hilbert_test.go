package geo

import "testing"

// TestHilbertKeyWalksBlocksContiguously checks the property the R-tree
// build relies on: the curve fills each aligned 2^k × 2^k block at the
// origin with the consecutive keys 0 … 4^k-1, stepping between 4-neighbours.
func TestHilbertKeyWalksBlocksContiguously(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		side uint32
	}{
		{"1x1", 1},
		{"2x2", 2},
		{"8x8", 8},
		{"64x64", 64},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := uint64(tc.side) * uint64(tc.side)
			cellOf := make(map[uint64][2]uint32, n)
			for x := range tc.side {
				for y := range tc.side {
					k := hilbertKey(x, y)
					if k >= n {
						t.Fatalf("key(%d, %d) = %d, outside 0..%d", x, y, k, n-1)
					}
					if prev, dup := cellOf[k]; dup {
						t.Fatalf("key %d for both %v and (%d, %d)", k, prev, x, y)
					}
					cellOf[k] = [2]uint32{x, y}
				}
			}
			for k := uint64(1); k < n; k++ {
				a, b := cellOf[k-1], cellOf[k]
				if manhattan(a, b) != 1 {
					t.Fatalf("keys %d and %d are cells %v and %v: not neighbours", k-1, k, a, b)
				}
			}
		})
	}
}

func manhattan(a, b [2]uint32) uint32 {
	d := func(p, q uint32) uint32 {
		if p > q {
			return p - q
		}
		return q - p
	}
	return d(a[0], b[0]) + d(a[1], b[1])
}
