package sales_test

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the CPU time the process used so far (user and system),
// which, unlike the time per op, does not count the time other programs
// of a shared machine took the cores.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loopCPU runs f b.N times (through b.Loop) and reports the process's CPU
// time per op as cpu-ns/op: client and server are in this process, so it
// is the CPU one exchange costs on both sides.
func loopCPU(b *testing.B, f func()) {
	start := cpuTime()
	n := 0
	for b.Loop() {
		f()
		n++
	}
	if n > 0 {
		b.ReportMetric(float64(cpuTime()-start)/float64(n), "cpu-ns/op")
	}
}
