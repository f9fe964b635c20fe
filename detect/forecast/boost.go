package forecast

import (
	"fmt"
	"math"
	"slices"

	"cityvitals/model"
)

// Tree is a complete binary regression tree of a fixed depth, stored as
// arrays in breadth-first order: internal node i reads feature
// Feature[i] and sends x[Feature[i]] ≥ Split[i] to child 2i+2, anything
// else (and every x when Feature[i] is -1, a node that found no split
// worth making) to 2i+1; the leaves follow the internal nodes, so leaf j
// is node len(Feature)+j and adds Leaf[j] to the gate's score.
type Tree struct {
	Feature []int     `json:"f"`
	Split   []float64 `json:"s"`
	Leaf    []float64 `json:"v"`
}

func (t *Tree) validate(features int) error {
	if len(t.Split) != len(t.Feature) || len(t.Leaf) != len(t.Feature)+1 {
		return fmt.Errorf("%d features, %d splits and %d leaves do not make a complete tree", len(t.Feature), len(t.Split), len(t.Leaf))
	}
	for i, f := range t.Feature {
		if f < -1 || f >= features || math.IsNaN(t.Split[i]) || math.IsInf(t.Split[i], 0) {
			return fmt.Errorf("node %d splits feature %d at %g", i, f, t.Split[i])
		}
	}
	for _, v := range t.Leaf {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("a leaf is not finite")
		}
	}
	return nil
}

// score walks x (NaN read as fill) down to its leaf.
func (t *Tree) score(x, fill []float64) float64 {
	i := 0
	for i < len(t.Feature) {
		f := t.Feature[i]
		if f < 0 {
			i = 2*i + 1
			continue
		}
		v := x[f]
		if math.IsNaN(v) {
			v = fill[f]
		}
		if v >= t.Split[i] {
			i = 2*i + 2
		} else {
			i = 2*i + 1
		}
	}
	return t.Leaf[i-len(t.Feature)]
}

// BoostConfig shapes the trees Boost adds to a gate.
type BoostConfig struct {
	Trees int     // how many trees
	Depth int     // levels of splits per tree
	Rate  float64 // shrinkage of each tree's leaves
	// L2 is the penalty on leaf values; MinHessian the least total
	// hessian (≈ rows × p(1−p)) a leaf may hold, so that no leaf speaks
	// for a handful of hours.
	L2, MinHessian float64
	Bins           int // candidate split points per feature (quantiles)
}

// DefaultBoostConfig is a small, strongly regularised ensemble: shallow
// trees that capture pairs and triples of conditions, not single hours.
func DefaultBoostConfig() BoostConfig {
	return BoostConfig{Trees: 100, Depth: 3, Rate: 0.1, L2: 10, MinHessian: 50, Bins: 32}
}

// Boost adds regression trees to g by gradient boosting on the logistic
// loss, starting from g's own score, over rows X (NaN read as g.Fill)
// with outcomes y in {0, 1}. Splits are chosen among per-feature
// quantiles of X and leaves take Newton steps.
func Boost(g *Gate, X [][]float64, y []float64, cfg BoostConfig) error {
	if len(X) == 0 || len(X) != len(y) {
		return model.Errorf(model.EINVALID, "forecast boost: %d rows and %d outcomes; need equal and non-zero", len(X), len(y))
	}
	if cfg.Trees < 1 || cfg.Depth < 1 || cfg.Depth > 8 || cfg.Bins < 2 || cfg.Bins > 255 || !(cfg.Rate > 0) {
		return model.Errorf(model.EINVALID, "forecast boost: trees, depth 1–8, bins 2–255 and a positive rate are required")
	}
	p := len(g.Weights)
	filled := make([][]float64, len(X))
	score := make([]float64, len(X))
	for r, x := range X {
		if len(x) != p {
			return model.Errorf(model.EINVALID, "forecast boost: row %d has %d features, the gate %d", r, len(x), p)
		}
		filled[r] = make([]float64, p)
		s := g.Bias
		for j, v := range x {
			if math.IsNaN(v) {
				v = g.Fill[j]
			}
			filled[r][j], s = v, s+g.Weights[j]*v
		}
		score[r] = s
	}
	cuts := quantileCuts(filled, p, cfg.Bins)
	bins := binRows(filled, cuts)
	grad, hess := make([]float64, len(X)), make([]float64, len(X))
	node := make([]int, len(X))
	for range cfg.Trees {
		for r := range X {
			pr := sigmoid(score[r])
			grad[r], hess[r] = pr-y[r], max(pr*(1-pr), 1e-6)
		}
		t := growTree(bins, cuts, grad, hess, node, cfg)
		for r := range X {
			score[r] += t.score(filled[r], g.Fill)
		}
		g.Trees = append(g.Trees, t)
	}
	return nil
}

// quantileCuts returns up to bins-1 distinct split values per feature.
func quantileCuts(X [][]float64, p, bins int) [][]float64 {
	cuts := make([][]float64, p)
	col := make([]float64, len(X))
	for j := range p {
		for r, x := range X {
			col[r] = x[j]
		}
		slices.Sort(col)
		for b := 1; b < bins; b++ {
			c := col[b*len(col)/bins]
			if c > col[0] && (len(cuts[j]) == 0 || c > cuts[j][len(cuts[j])-1]) {
				cuts[j] = append(cuts[j], c)
			}
		}
	}
	return cuts
}

// binRows maps each value to the number of its feature's cuts at or
// below it, so that "bin > k" is "x ≥ cuts[k]".
func binRows(X [][]float64, cuts [][]float64) [][]uint8 {
	out := make([][]uint8, len(X))
	for r, x := range X {
		out[r] = make([]uint8, len(x))
		for j, v := range x {
			k, found := slices.BinarySearch(cuts[j], v)
			if found {
				k++
			}
			out[r][j] = uint8(k)
		}
	}
	return out
}

// growTree grows one tree level by level; node is scratch holding each
// row's node index.
func growTree(bins [][]uint8, cuts [][]float64, grad, hess []float64, node []int, cfg BoostConfig) Tree {
	internal := 1<<cfg.Depth - 1
	t := Tree{Feature: make([]int, internal), Split: make([]float64, internal), Leaf: make([]float64, internal+1)}
	clear(node)
	splitBin := make([]int, internal) // the cut index of each node's split
	p := len(cuts)
	for level := range cfg.Depth {
		first, width := 1<<level-1, 1<<level
		// hist[n][j][k] sums gradient and hessian of node first+n's rows
		// in bin k of feature j.
		hist := make([][][][2]float64, width)
		for n := range hist {
			hist[n] = make([][][2]float64, p)
			for j := range p {
				hist[n][j] = make([][2]float64, len(cuts[j])+1)
			}
		}
		for r, b := range bins {
			h := hist[node[r]-first]
			for j, k := range b {
				h[j][k][0] += grad[r]
				h[j][k][1] += hess[r]
			}
		}
		for n := range width {
			f, k := bestSplit(hist[n], cfg)
			t.Feature[first+n], splitBin[first+n] = f, k
			if f >= 0 {
				t.Split[first+n] = cuts[f][k]
			}
		}
		for r, b := range bins {
			i := node[r]
			if f := t.Feature[i]; f >= 0 && int(b[f]) > splitBin[i] {
				node[r] = 2*i + 2
			} else {
				node[r] = 2*i + 1
			}
		}
	}
	sums := make([][2]float64, internal+1)
	for r, i := range node {
		sums[i-internal][0] += grad[r]
		sums[i-internal][1] += hess[r]
	}
	for j, s := range sums {
		t.Leaf[j] = -cfg.Rate * s[0] / (s[1] + cfg.L2)
	}
	return t
}

// bestSplit is the feature and cut index of the largest loss reduction
// among splits leaving at least MinHessian on each side (bins up to the
// cut go left); feature -1 when none helps.
func bestSplit(h [][][2]float64, cfg BoostConfig) (feature, cut int) {
	var G, H float64
	for _, b := range h[0] {
		G, H = G+b[0], H+b[1]
	}
	parent := G * G / (H + cfg.L2)
	feature, best := -1, 0.0
	for j, bs := range h {
		var gl, hl float64
		for k := range len(bs) - 1 {
			gl, hl = gl+bs[k][0], hl+bs[k][1]
			gr, hr := G-gl, H-hl
			if hl < cfg.MinHessian || hr < cfg.MinHessian {
				continue
			}
			if gain := gl*gl/(hl+cfg.L2) + gr*gr/(hr+cfg.L2) - parent; gain > best {
				feature, cut, best = j, k, gain
			}
		}
	}
	return feature, cut
}
