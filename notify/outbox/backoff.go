package outbox

import (
	"math/rand/v2"
	"time"
)

// Backoff returns the wait before the attempt after the n-th failed one
// (n >= 1). The step doubles from minWait with every failure up to
// maxWait; the wait is drawn uniformly from [max(step/2, minWait), step],
// so receivers coming back from an outage are not hit by every sender at
// once. After a permanent failure the wait is maxWait itself.
func Backoff(n int, minWait, maxWait time.Duration, permanent bool) time.Duration {
	if permanent {
		return maxWait
	}
	step := minWait
	for i := 1; i < n && step < maxWait; i++ {
		step *= 2
	}
	step = min(step, maxWait)
	low := max(step/2, minWait)
	if low >= step {
		return step
	}
	return low + rand.N(step-low+1)
}
