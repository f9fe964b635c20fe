//go:build !unix

package cluster_test

import "time"

// cpuTime is unknown here; the benchmark then reports 0 cpu-ns/signal.
func cpuTime() time.Duration { return 0 }
