//go:build !unix

package gaen

import "time"

// cpuTime is not measured on this platform; cpu-ns/key then reads 0.
func cpuTime() time.Duration { return 0 }
