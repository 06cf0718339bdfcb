//go:build !unix

package dualwritetest

import "time"

// processCPU is 0 where getrusage is not available: no CPU figure.
func processCPU() time.Duration { return 0 }
