//go:build unix

package gaen

import (
	"syscall"
	"time"
)

// cpuTime returns the process's user+system CPU time. On a shared machine the wall-clock keys/s depend on
// what else runs; CPU time per key is the steadier figure, so benchmarks report both.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
