package anomaly

import "math"

// Shape memory sizes. A shape is shapeLen block means of shapeBlock
// readings each (56 readings: under 5 hours of 5-minute data, over 2 days
// of hourly data), compared with shapePrototypes remembered shapes.
const (
	shapeBlock      = 7
	shapeLen        = 8
	shapePrototypes = 16
	// shapeHorizon is the memory, in blocks, of the usual distance from a
	// shape to its nearest prototype.
	shapeHorizon = 150
	// shapeWarm is how many distances the yardstick takes before a shape
	// is scored: a young yardstick calls ordinary noise novel.
	shapeWarm = 30
	// shapeSpawn is how many spreads beyond the usual distance a shape
	// must lie to become a prototype of its own (replacing the least
	// recently matched one) rather than pull its nearest one towards it.
	shapeSpawn = 3
	// shapeMaxWeight caps how slowly a prototype learns: a shape moves its
	// nearest prototype by at least 1/shapeMaxWeight of the difference.
	shapeMaxWeight = 50
	// shapeHuberK clips a log distance at this many spreads before it
	// updates the yardstick.
	shapeHuberK = 3
	// shapeDistFloor keeps the log distance finite when a shape matches a
	// prototype exactly (a flat stream).
	shapeDistFloor = 1e-3
	// shapeClip bounds each normalised residual entering a shape, so that
	// one spike (the point score's business) does not make a shape novel.
	shapeClip = 6
	// shapeFloor is the smallest tail probability of the shape score told
	// apart, the likelihood's floor, so both are on one scale.
	shapeFloor = likelihoodFloor
)

// shapeMemory scores how novel the recent course of the seasonal residual
// is: the idea of ARTime (Hampton's adaptive-resonance detector, the best
// published NAB score) on a budget. The normalised residuals are averaged
// in blocks; the last shapeLen block means form a shape; the shape's
// distance to the nearest of a few learnt prototypes, judged against the
// usual such distance (a Huber estimate over shapeHorizon blocks), gives a
// normal tail probability. A shape far beyond the usual becomes a
// prototype itself, so the same novelty is not reported twice; others
// refine their nearest prototype. What it sees that the point and lasting
// scores do not is a changed texture whose readings are each ordinary: on
// NAB, the first window of ec2_cpu_utilization_5f5533, where the noise
// grows before the peak.
//
// Working on normalised residuals makes shapes scale-free and free of the
// daily and weekly rhythm the seasonal slots already explain.
type shapeMemory struct {
	Sum     float64 // of the block being filled
	Filled  int32   // readings in that block
	Have    int32   // block means in Recent, up to shapeLen
	Recent  [shapeLen]float32
	Protos  int32 // prototypes in use, up to shapePrototypes
	Blocks  int64 // complete shapes seen
	Proto   [shapePrototypes][shapeLen]float32
	Weight  [shapePrototypes]int32 // shapes each prototype has learnt from
	LastUse [shapePrototypes]int64 // Blocks when each prototype was last matched
	Dist    robustStat             // log distance from a shape to its nearest prototype
	Score   float64                // of the last complete shape, held for the next block
}

// observe folds in the normalised residual u of one reading and returns
// the score of the newest complete shape, in [0, 1], which holds until the
// next block completes. Only a shape novel enough to become a prototype
// scores; the rest score 0, so shapes add no background to the score.
// scoring false (during warm-up) learns without scoring.
func (m *shapeMemory) observe(u float64, scoring bool) float64 {
	if math.IsNaN(u) { // a NaN sum would never leave the shape
		u = 0
	}
	m.Sum += max(-shapeClip, min(shapeClip, u))
	if m.Filled++; m.Filled < shapeBlock {
		return m.Score
	}
	copy(m.Recent[:], m.Recent[1:])
	m.Recent[shapeLen-1] = float32(m.Sum / shapeBlock)
	m.Sum, m.Filled = 0, 0
	if m.Have < shapeLen {
		m.Have++
		return 0
	}
	m.Blocks++
	if m.Protos < shapePrototypes {
		m.Proto[m.Protos], m.LastUse[m.Protos] = m.Recent, m.Blocks
		m.Protos++
		return 0
	}
	z := m.novelty()
	if !scoring || z <= shapeSpawn {
		m.Score = 0
	} else {
		m.Score = logScore(upperTail(min(z, maxZ)), shapeFloor)
	}
	return m.Score
}

// novelty matches the newest shape against the prototypes, learns from it
// and returns how many spreads beyond the usual its log distance lies (0
// when the distance is usual or the yardstick is not yet warm).
func (m *shapeMemory) novelty() float64 {
	nearest, dist := m.nearest()
	// Distances are skewed to the right; judged on a log scale their tail
	// is near enough normal that noise alone does not reach ReportLevel
	// (judged as they are, half of 200 fresh white-noise streams reported
	// a "novel" shape within 3,000 readings).
	logDist := math.Log(dist + shapeDistFloor)
	var z float64
	if m.Dist.N >= shapeWarm && logDist > m.Dist.Mean {
		z = m.Dist.z(logDist)
	}
	m.Dist.update(logDist, 1.0/shapeHorizon, shapeHuberK)
	if z > shapeSpawn {
		m.replaceLeastRecent()
		return z
	}
	m.Weight[nearest]++
	rate := float32(1 / float64(min(m.Weight[nearest]+1, shapeMaxWeight)))
	for i, x := range m.Recent {
		m.Proto[nearest][i] += rate * (x - m.Proto[nearest][i])
	}
	m.LastUse[nearest] = m.Blocks
	return z
}

// nearest returns the prototype closest to the newest shape and its RMS
// distance per block.
func (m *shapeMemory) nearest() (int, float64) {
	best, bestSq := 0, math.Inf(1)
	for k := range m.Proto {
		var sq float64
		for i, x := range m.Recent {
			e := float64(x - m.Proto[k][i])
			sq += e * e
		}
		if sq < bestSq {
			best, bestSq = k, sq
		}
	}
	return best, math.Sqrt(bestSq / shapeLen)
}

// replaceLeastRecent makes the newest shape a prototype in place of the
// one matched longest ago.
func (m *shapeMemory) replaceLeastRecent() {
	oldest := 0
	for k, last := range m.LastUse {
		if last < m.LastUse[oldest] {
			oldest = k
		}
	}
	m.Proto[oldest], m.Weight[oldest], m.LastUse[oldest] = m.Recent, 1, m.Blocks
}
